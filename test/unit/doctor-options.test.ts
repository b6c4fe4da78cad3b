// doctor's flags, validated once into its options.
import assert from 'node:assert/strict'

import {WRITE_VERBS} from '../../src/audit/catalog.js'
import {coverageInputs} from '../../src/doctor/coverage-inputs.js'
import {DEFAULT_POLICY_USER, doctorOptions, type DoctorFlagValues} from '../../src/flags/doctor.js'

const base: DoctorFlagValues = {
  'request-timeout': '0',
  offline: false,
  'node-access': true,
  via: 'auto',
  image: 'busybox',
  'pod-namespace': 'kube-system',
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
    assert.throws(() => doctorOptions({...base, offline: true}), /^UserError: --offline needs something to check: neither --manifest nor --policy-file is given$/)
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
    const groups = (user: string | undefined, named?: string[]) => doctorOptions({...base, 'policy-user': user, 'policy-group': named}).identity.groups
    assert.deepEqual(groups('alice', ['ops']), ['ops', 'system:authenticated'])
    assert.deepEqual(groups('system:serviceaccount:calico-apiserver:calico-apiserver', ['ops']),
      ['ops', 'system:authenticated', 'system:serviceaccounts', 'system:serviceaccounts:calico-apiserver'])
    assert.deepEqual(groups('system:anonymous'), ['system:unauthenticated'])
    assert.throws(() => groups('system:anonymous', ['ops']), /system:anonymous is in no group but system:unauthenticated/)
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
    const options = doctorOptions({...base, resource: ['pods', 'Po', 'POD', 'pods/log', 'netpol', 'networkpolicies.networking.k8s.io']})
    assert.deepEqual(options.extraTargets.map((t) => [t.apiGroup, t.resource, t.subresource]), [
      ['', 'pods', undefined], ['', 'pods', 'log'], ['networking.k8s.io', 'networkpolicies', undefined],
    ])
    const targets = coverageInputs(options, undefined).targets
    assert.equal(targets.filter((t) => t.apiGroup === 'networking.k8s.io' && t.resource === 'networkpolicies').length, 1)
  })

  it('--print-policy refuses what it would ignore', () => {
    assert.equal(doctorOptions({...base, 'print-policy': true, output: 'json', kubeconfig: 'k'}).printPolicy, true)
    assert.throws(() => doctorOptions({...base, 'print-policy': true, 'policy-file': 'p.yaml', resource: ['pods']}), /takes no --policy-file, --resource$/)
    assert.throws(() => doctorOptions({...base, 'print-policy': true, offline: true}), /takes no --offline$/)
  })
})
