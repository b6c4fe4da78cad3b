// doctor's flags, validated once into its options.
import assert from 'node:assert/strict'

import {Parser} from '@oclif/core'

import {WRITE_VERBS} from '../../src/audit/catalog.js'
import Doctor from '../../src/commands/doctor.js'
import {coverageInputs} from '../../src/doctor/coverage-inputs.js'
import {UserError} from '../../src/errors.js'
import {
  DEFAULT_POLICY_USER,
  type DoctorCommandOptions,
  doctorOptions,
  type DoctorFlagValues,
} from '../../src/flags/doctor.js'
import {DEFAULT_READER_IMAGE} from '../../src/flags/reader-pod.js'

/** No flags given: oclif fills in only the flags with a default. */
const base: DoctorFlagValues = {
  offline: false,
  'node-access': true,
  'print-policy': false,
  output: 'table',
  color: 'auto',
}

describe('doctor options', () => {
  it('defaults: cluster mode, an ordinary user, the write verbs', () => {
    const options = doctorOptions(base)
    assert.equal(options.offline, false)
    assert.deepEqual(options.identity, {name: DEFAULT_POLICY_USER, groups: ['system:authenticated']})
    assert.deepEqual(options.verbs, [...WRITE_VERBS])
    assert.equal(options.connection.requestTimeoutMs, 0)
  })

  it('--manifest implies offline', () => {
    assert.equal(doctorOptions({...base, manifest: 'kube-apiserver.yaml'}).offline, true)
  })

  it('--offline needs a manifest or a policy file: otherwise every check would skip', () => {
    assert.throws(
      () => doctorOptions({...base, offline: true}),
      /^UserError: --offline needs something to check: neither --manifest nor --policy-file is given$/,
    )
    assert.equal(doctorOptions({...base, offline: true, 'policy-file': 'p.yaml'}).offline, true)
  })

  it('--verbs is a comma list and replaces the verbs', () => {
    assert.deepEqual(doctorOptions({...base, verbs: ['get,list', ' watch ']}).verbs, ['get', 'list', 'watch'])
    assert.throws(() => doctorOptions({...base, verbs: [',']}), /--verbs is empty/)
    assert.throws(() => doctorOptions({...base, verbs: ['create,*']}), /--verbs "\*" is not a verb/)
    assert.deepEqual(doctorOptions({...base, verbs: ['update', 'update,patch']}).verbs, ['update', 'patch'])
  })

  it('--policy-user and repeated --policy-group name the identity', () => {
    const options = doctorOptions({...base, 'policy-user': 'alice', 'policy-group': ['ops', 'system:authenticated']})
    assert.deepEqual(options.identity, {name: 'alice', groups: ['ops', 'system:authenticated']})
    assert.throws(() => doctorOptions({...base, 'policy-user': ' '}), /--policy-user is empty/)
  })

  it('--policy-group adds to the groups the apiserver always adds, never replaces them', () => {
    const groups = (user: string | undefined, named?: string[]) =>
      doctorOptions({...base, 'policy-user': user, 'policy-group': named}).identity.groups
    assert.deepEqual(groups('alice', ['ops']), ['ops', 'system:authenticated'])
    assert.deepEqual(groups('system:serviceaccount:calico-apiserver:calico-apiserver', ['ops']), [
      'ops',
      'system:authenticated',
      'system:serviceaccounts',
      'system:serviceaccounts:calico-apiserver',
    ])
    assert.deepEqual(groups('system:anonymous'), ['system:unauthenticated'])
    assert.throws(
      () => groups('system:anonymous', ['ops']),
      /system:anonymous is in no group but system:unauthenticated/,
    )
    assert.throws(() => groups('alice', ['']), /--policy-group is empty/)
  })

  it('--request-timeout as kubectl takes it: a bare number is seconds', () => {
    const timeout = (text: string) => doctorOptions({...base, 'request-timeout': text}).connection.requestTimeoutMs
    assert.deepEqual(['5', '10s', '1m', '250ms', '1.5s'].map(timeout), [5000, 10_000, 60_000, 250, 1500])
    assert.throws(() => timeout('soon'), /--request-timeout "soon" is not a duration/)
  })

  it('--kubernetes-version takes X.Y and v-prefixed releases', () => {
    assert.deepEqual(doctorOptions({...base, 'kubernetes-version': 'v1.29.3'}).kubernetesVersion, {major: 1, minor: 29})
    assert.throws(() => doctorOptions({...base, 'kubernetes-version': '1'}), /not a version/)
  })

  it('--resource repeated in other spellings makes one row, and none twice with the watched ones', () => {
    const options = doctorOptions({
      ...base,
      resource: ['pods', 'Po', 'POD', 'pods/log', 'netpol', 'networkpolicies.networking.k8s.io'],
    })
    assert.deepEqual(
      options.extraTargets.map((t) => [t.apiGroup, t.resource, t.subresource]),
      [
        ['', 'pods', undefined],
        ['', 'pods', 'log'],
        ['networking.k8s.io', 'networkpolicies', undefined],
      ],
    )
    const targets = coverageInputs(options, undefined).targets
    assert.equal(
      targets.filter((t) => t.apiGroup === 'networking.k8s.io' && t.resource === 'networkpolicies').length,
      1,
    )
  })

  it('--print-policy refuses what it would ignore', () => {
    assert.equal(doctorOptions({...base, 'print-policy': true, output: 'json', kubeconfig: 'k'}).printPolicy, true)
    assert.throws(
      () => doctorOptions({...base, 'print-policy': true, 'policy-file': 'p.yaml', resource: ['pods']}),
      /takes no --policy-file, --resource$/,
    )
    assert.throws(() => doctorOptions({...base, 'print-policy': true, offline: true}), /takes no --offline$/)
  })
})

describe('doctor options from the command line', () => {
  async function compile(argv: string[]): Promise<DoctorCommandOptions> {
    const {flags} = await Parser.parse(argv, {flags: Doctor.flags, args: {}, strict: true})
    return doctorOptions(flags as DoctorFlagValues)
  }

  /** A bare `kubectl audit doctor`: every default, in one place. */
  const DEFAULTS: DoctorCommandOptions = {
    offline: false,
    manifest: undefined,
    policyFile: undefined,
    kubernetesVersion: undefined,
    nodeAccess: true,
    nodeRead: {via: 'auto', image: DEFAULT_READER_IMAGE, namespace: 'kube-system'},
    connection: {
      kubeconfig: undefined,
      context: undefined,
      cluster: undefined,
      kubeUser: undefined,
      server: undefined,
      certificateAuthority: undefined,
      insecureSkipTlsVerify: false,
      token: undefined,
      impersonate: undefined,
      requestTimeoutMs: 0,
      verbose: false,
    },
    identity: {name: DEFAULT_POLICY_USER, groups: ['system:authenticated']},
    verbs: [...WRITE_VERBS],
    extraTargets: [],
    eks: {},
    printPolicy: false,
    output: 'table',
    color: 'auto',
  }
  const connection = (changes: Partial<DoctorCommandOptions['connection']>): Partial<DoctorCommandOptions> => ({
    connection: {...DEFAULTS.connection, ...changes},
  })

  it('compiles no flags to the defaults: the current cluster, an ordinary user, the write verbs', async () => {
    assert.deepEqual(await compile([]), DEFAULTS)
  })

  // [command line, the options that differ from DEFAULTS]
  const rows: Array<[string[], Partial<DoctorCommandOptions>]> = [
    [['--kube-user', 'admin', '--context', 'prod'], connection({kubeUser: 'admin', context: 'prod'})],
    [
      ['--kubeconfig', 'kc.yaml', '--cluster', 'c', '--request-timeout', '10s'],
      connection({kubeconfig: 'kc.yaml', cluster: 'c', requestTimeoutMs: 10_000}),
    ],
    [
      ['--server', 'https://10.0.0.1:6443', '--token', 't0k3n', '--certificate-authority', 'ca.pem'],
      connection({server: 'https://10.0.0.1:6443', token: 't0k3n', certificateAuthority: 'ca.pem'}),
    ],
    [
      ['--insecure-skip-tls-verify', '--as', 'alice', '--as-group', 'ops', '-v'],
      connection({insecureSkipTlsVerify: true, impersonate: {user: 'alice', groups: ['ops']}, verbose: true}),
    ],
    [
      ['--via', 'pod', '--image', 'registry.local/busybox', '--pod-namespace', 'audit'],
      {nodeRead: {via: 'pod', image: 'registry.local/busybox', namespace: 'audit'}},
    ],
    [['--no-node-access'], {nodeAccess: false}],
    [
      ['--policy-user', 'alice', '--policy-group', 'ops'],
      {identity: {name: 'alice', groups: ['ops', 'system:authenticated']}},
    ],
    [
      ['--manifest', 'kube-apiserver.yaml', '--kubernetes-version', '1.31'],
      {offline: true, manifest: 'kube-apiserver.yaml', kubernetesVersion: {major: 1, minor: 31}},
    ],
    [['--offline', '--policy-file', 'p.yaml', '-o', 'json'], {offline: true, policyFile: 'p.yaml', output: 'json'}],
    [['--print-policy'], {printPolicy: true}],
    [['--cluster-name', 'prod-eu', '--region', 'eu-west-1'], {eks: {clusterName: 'prod-eu', region: 'eu-west-1'}}],
  ]
  for (const [argv, changes] of rows) {
    it(argv.join(' '), async () => assert.deepEqual(await compile(argv), {...DEFAULTS, ...changes}))
  }

  // [command line, error, hint]
  const refused: Array<[string[], RegExp, RegExp]> = [
    [
      ['--user', 'alice'],
      /^doctor has no --user: it could mean two things$/,
      /--kube-user alice; .* --policy-user alice$/,
    ],
    [
      ['--offline', '--policy-file', 'p.yaml', '--kube-user', 'alice'],
      /^--kube-user is for checking a cluster, which --offline does not contact$/,
      /^drop --kube-user, or drop --offline/,
    ],
    [
      ['--manifest', 'm.yaml', '--context', 'prod', '--image', 'x'],
      /^--context, --image are for checking a cluster, which --manifest \(which implies --offline\) does not contact$/,
      /^drop --context --image, or drop --manifest/,
    ],
    [['--image', ''], /^--image is empty$/, /name an image/],
    [['--pod-namespace', ' '], /^--pod-namespace is empty$/, /kube-system/],
    [['--request-timeout', 'soon'], /^--request-timeout "soon" is not a duration$/, /0 for no overall limit/],
    [['--as-group', 'ops'], /^--as-group needs --as/, /--as alice --as-group ops/],
    [['--server', 'localhost:6443'], /^--server "localhost:6443" is not an http\(s\) URL$/, /https:\/\/localhost:6443/],
    [['--certificate-authority', 'ca.pem', '--insecure-skip-tls-verify'], /cannot be used together/, /not both/],
    [
      ['--offline', '--policy-file', 'p.yaml', '--region', 'eu-west-1'],
      /^--region is for checking a cluster, which --offline does not contact$/,
      /^drop --region, or drop --offline/,
    ],
  ]
  for (const [argv, message, hint] of refused) {
    it(`refuses ${argv.join(' ')}`, async () => {
      await assert.rejects(
        compile(argv),
        (error: unknown) =>
          error instanceof UserError &&
          message.test(error.message) &&
          hint.test(error.hint ?? '') &&
          error.exitCode === 2,
      )
    })
  }
})
