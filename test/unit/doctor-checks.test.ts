// The flag and mount checks, row by row, on kubeadm-shaped apiserver pods: each row is the flags
// and volumes a pod has, the Kubernetes version, and the status (and words) expected.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'

import {parseKubernetesVersion} from '../../src/audit/policy/kubernetes-version.js'
import {loadPolicy} from '../../src/audit/policy/load.js'
import {apiserverFromPod, type PodLike} from '../../src/cluster/apiservers.js'
import type {CheckResult} from '../../src/doctor/check.js'
import {coverageInputs} from '../../src/doctor/coverage-inputs.js'
import type {AuditLogTail, DoctorFacts} from '../../src/doctor/facts.js'
import {buildReport, exitCodeOf} from '../../src/doctor/report.js'
import {doctorOptions, type DoctorFlagValues} from '../../src/flags/doctor.js'
import {type HostVolume, kubeadmApiserverPod, POLICY_VOLUME as POLICY} from '../support/apiserver-pods.js'

const LOG_DIR: HostVolume = {
  name: 'audit-log',
  mountPath: '/var/log/kubernetes/audit',
  hostPath: '/var/log/kubernetes/audit',
  type: 'DirectoryOrCreate',
}
const GOOD_FLAGS = [
  '--audit-policy-file=/etc/kubernetes/audit-policy.yaml',
  '--audit-log-path=/var/log/kubernetes/audit/audit.log',
  '--audit-log-maxage=30',
  '--audit-log-maxbackup=10',
  '--audit-log-maxsize=100',
]

function kubeadmPod(flags: string[], volumes: HostVolume[] = [LOG_DIR, POLICY]): PodLike {
  return kubeadmApiserverPod('cp-1', {flags, volumes})
}

const FLAGS: DoctorFlagValues = {
  'request-timeout': '0',
  offline: false,
  'node-access': true,
  via: 'auto',
  image: 'busybox',
  'pod-namespace': 'kube-system',
  'print-policy': false,
  output: 'json',
  color: 'never',
}

function factsFor(
  pods: PodLike[],
  version?: string,
  logTails: ReadonlyMap<string, AuditLogTail> = new Map(),
): DoctorFacts {
  const kubernetesVersion = version ? parseKubernetesVersion(version) : undefined
  const options = doctorOptions(FLAGS)
  return {
    mode: 'offline',
    kubernetesVersion,
    apiserverSource: 'test',
    apiservers: pods.map((p) => apiserverFromPod(p, 'manifest')),
    discoveryFailures: [],
    policy: {state: 'not-configured'},
    coverage: coverageInputs(options, kubernetesVersion),
    logTails,
  }
}

function check(facts: DoctorFacts, id: string): CheckResult {
  const found = buildReport(facts).checks.find((c) => c.id === id)
  assert.ok(found, id)
  return found
}

// [name, flags, volumes, version, check id, status, phrase]
type Row = [string, string[], HostVolume[] | undefined, string | undefined, string, string, RegExp?]

const rows: Row[] = [
  ['a good kubeadm setup: policy file set', GOOD_FLAGS, undefined, '1.31', 'audit-policy-file', 'pass'],
  [
    'no --audit-policy-file: no events at all',
    GOOD_FLAGS.slice(1),
    undefined,
    '1.31',
    'audit-policy-file',
    'fail',
    /no audit events at all/,
  ],
  [
    'a log file',
    GOOD_FLAGS,
    undefined,
    '1.31',
    'audit-backend',
    'pass',
    /log file \/var\/log\/kubernetes\/audit\/audit\.log/,
  ],
  ['no backend at all', [GOOD_FLAGS[0]], undefined, '1.31', 'audit-backend', 'fail', /written nowhere/],
  ['stdout', [GOOD_FLAGS[0], '--audit-log-path=-'], undefined, '1.31', 'audit-backend', 'warn', /stdout/],
  [
    'a webhook only',
    [GOOD_FLAGS[0], '--audit-webhook-config-file=/etc/kubernetes/webhook.yaml'],
    undefined,
    '1.31',
    'audit-backend',
    'warn',
    /only to a webhook/,
  ],
  [
    'a malformed log path flag',
    [GOOD_FLAGS[0], '--audit-log-path', '=/var/log/a.log'],
    undefined,
    '1.31',
    'audit-backend',
    'fail',
    /malformed flag/,
  ],
  ['json is the default format', GOOD_FLAGS, undefined, '1.31', 'audit-log-format', 'pass', /the default/],
  [
    'legacy format cannot be read',
    [...GOOD_FLAGS, '--audit-log-format=legacy'],
    undefined,
    '1.31',
    'audit-log-format',
    'fail',
    /legacy/,
  ],
  ['no log backend: format does not apply', [GOOD_FLAGS[0]], undefined, '1.31', 'audit-log-format', 'skip'],
  [
    'CIS values',
    GOOD_FLAGS,
    undefined,
    '1.31',
    'audit-log-retention',
    'pass',
    /maxage 30d, maxbackup 10, maxsize 100 MB/,
  ],
  [
    'short retention',
    [...GOOD_FLAGS.slice(0, 2), '--audit-log-maxage=7', '--audit-log-maxbackup=3', '--audit-log-maxsize=50'],
    undefined,
    '1.31',
    'audit-log-retention',
    'warn',
    /7 days.*only 3 rotated.*50 MB/,
  ],
  [
    'no retention flags before 1.36: nothing is ever deleted',
    GOOD_FLAGS.slice(0, 2),
    undefined,
    '1.35',
    'audit-log-retention',
    'warn',
    /never deleted/,
  ],
  [
    'maxage unset before 1.36: 0, never deleted by age, below CIS',
    [...GOOD_FLAGS.slice(0, 2), '--audit-log-maxbackup=10', '--audit-log-maxsize=100'],
    undefined,
    '1.31',
    'audit-log-retention',
    'warn',
    /^maxage 0 \(default\): rotated files are never deleted by age, only by count \(CIS: --audit-log-maxage of at least 30\)$/,
  ],
  [
    'maxage unset from 1.36: 366 by default meets CIS',
    [...GOOD_FLAGS.slice(0, 2), '--audit-log-maxbackup=10', '--audit-log-maxsize=100'],
    undefined,
    '1.36',
    'audit-log-retention',
    'pass',
    /^maxage 366d \(default\), maxbackup 10, maxsize 100 MB$/,
  ],
  [
    'maxage=0 set by hand is below CIS too',
    [...GOOD_FLAGS.slice(0, 2), '--audit-log-maxage=0', '--audit-log-maxbackup=10', '--audit-log-maxsize=100'],
    undefined,
    '1.36',
    'audit-log-retention',
    'warn',
    /^maxage 0: rotated files are never deleted by age/,
  ],
  [
    'maxbackup 0 is below CIS when maxage is set',
    [...GOOD_FLAGS.slice(0, 2), '--audit-log-maxage=30', '--audit-log-maxbackup=0', '--audit-log-maxsize=100'],
    undefined,
    '1.31',
    'audit-log-retention',
    'warn',
    /^maxbackup 0: no limit on the number of rotated files.*CIS: --audit-log-maxbackup of at least 10/,
  ],
  [
    'no retention flags from 1.36: the new defaults pass',
    GOOD_FLAGS.slice(0, 2),
    undefined,
    '1.36',
    'audit-log-retention',
    'pass',
    /maxage 366d \(default\), maxbackup 100 \(default\), maxsize 100 MB \(default\)/,
  ],
  [
    'maxsize 0 before 1.36 means 100 MB',
    [...GOOD_FLAGS.slice(0, 4), '--audit-log-maxsize=0'],
    undefined,
    '1.35',
    'audit-log-retention',
    'pass',
    /maxsize 100 MB/,
  ],
  [
    'maxsize 0 from 1.36 means never rotate',
    [...GOOD_FLAGS.slice(0, 4), '--audit-log-maxsize=0'],
    undefined,
    '1.36',
    'audit-log-retention',
    'warn',
    /no rotation/,
  ],
  [
    'an unknown version uses the newest defaults, and says so',
    GOOD_FLAGS.slice(0, 2),
    undefined,
    undefined,
    'audit-log-retention',
    'pass',
    /defaults of Kubernetes 1\.36\+/,
  ],
  [
    'a retention value that is not a number',
    [...GOOD_FLAGS.slice(0, 2), '--audit-log-maxage=30d'],
    undefined,
    '1.31',
    'audit-log-retention',
    'fail',
    /not a whole number/,
  ],
  [
    '"--audit-log-maxage= 30": pflag does not trim',
    [...GOOD_FLAGS.slice(0, 2), '--audit-log-maxage= 30'],
    undefined,
    '1.31',
    'audit-log-retention',
    'fail',
    /^--audit-log-maxage=" 30" is not a whole number: kube-apiserver does not start$/,
  ],
  [
    '"--audit-log-maxage =30" as one argument: an unknown flag',
    [...GOOD_FLAGS.slice(0, 2), '--audit-log-maxage =30'],
    undefined,
    '1.31',
    'audit-log-retention',
    'fail',
    /malformed flag: .*unknown flag "--audit-log-maxage "/,
  ],
  [
    'a negative retention value stops the apiserver',
    [...GOOD_FLAGS.slice(0, 2), '--audit-log-maxage=-1', '--audit-log-maxbackup=10', '--audit-log-maxsize=100'],
    undefined,
    '1.31',
    'audit-log-retention',
    'fail',
    /--audit-log-maxage=-1 is negative/,
  ],
  [
    'retention values in the bases pflag reads: 0x1e is 30, 012 is 10',
    [...GOOD_FLAGS.slice(0, 2), '--audit-log-maxage=0x1e', '--audit-log-maxbackup=012', '--audit-log-maxsize=100'],
    undefined,
    '1.31',
    'audit-log-retention',
    'pass',
    /maxage 30d, maxbackup 10,/,
  ],
  [
    '"--audit-log-maxage =30" is reported, not guessed',
    [...GOOD_FLAGS.slice(0, 2), '--audit-log-maxage', '=30'],
    undefined,
    '1.31',
    'audit-log-retention',
    'fail',
    /space before "="/,
  ],
  [
    'the log directory on a hostPath',
    GOOD_FLAGS,
    undefined,
    '1.31',
    'audit-log-mount',
    'pass',
    /audit\.log is on the node at the same path \(hostPath volume audit-log, a directory\)/,
  ],
  ['no mount: the log is lost', GOOD_FLAGS, [POLICY], '1.31', 'audit-log-mount', 'fail', /stays inside the container/],
  [
    'the log file itself mounted: rotation fails',
    GOOD_FLAGS,
    [
      {
        name: 'audit-log',
        mountPath: '/var/log/kubernetes/audit/audit.log',
        hostPath: '/var/log/kubernetes/audit/audit.log',
        type: 'FileOrCreate',
      },
      POLICY,
    ],
    '1.31',
    'audit-log-mount',
    'fail',
    /rotation renames it/,
  ],
  [
    'a file mount with rotation off (1.36, maxsize 0) only warns',
    [...GOOD_FLAGS.slice(0, 4), '--audit-log-maxsize=0'],
    [
      {
        name: 'audit-log',
        mountPath: '/var/log/kubernetes/audit/audit.log',
        hostPath: '/var/log/kubernetes/audit/audit.log',
      },
      POLICY,
    ],
    '1.36',
    'audit-log-mount',
    'warn',
  ],
  [
    'Kubespray: the container path differs from the node path',
    [GOOD_FLAGS[0], '--audit-log-path=/var/log/audit/kube-apiserver-audit.log'],
    [{name: 'audit-log', mountPath: '/var/log/audit', hostPath: '/var/log/kubernetes/audit'}, POLICY],
    '1.31',
    'audit-log-mount',
    'pass',
    /^\/var\/log\/audit\/kube-apiserver-audit\.log is \/var\/log\/kubernetes\/audit\/kube-apiserver-audit\.log on the node/,
  ],
  [
    'a read-only log directory',
    GOOD_FLAGS,
    [{...LOG_DIR, readOnly: true}, POLICY],
    '1.31',
    'audit-log-mount',
    'fail',
    /read-only/,
  ],
  [
    'a log outside /var/log cannot be served by the kubelet',
    [GOOD_FLAGS[0], '--audit-log-path=/srv/audit/audit.log'],
    [{name: 'audit-log', mountPath: '/srv/audit', hostPath: '/srv/audit'}, POLICY],
    '1.31',
    'audit-log-mount',
    'pass',
    /outside \/var\/log/,
  ],
  ['the policy file mounted', GOOD_FLAGS, undefined, '1.31', 'audit-policy-mount', 'pass'],
  ['the policy file not mounted', GOOD_FLAGS, [LOG_DIR], '1.31', 'audit-policy-mount', 'fail', /cannot read it/],
]

describe('doctor flag and mount checks', () => {
  for (const [name, flags, volumes, version, id, status, phrase] of rows) {
    it(`${id}: ${name}`, () => {
      const result = check(factsFor([kubeadmPod(flags, volumes)], version), id)
      assert.equal(result.status, status, result.detail)
      if (phrase) assert.match(result.detail, phrase)
      if (status === 'pass') assert.equal(result.remedy, null)
      else if (status !== 'skip') assert.ok(result.remedy, 'a warning or failure says what to change')
    })
  }

  it('HA: apiservers that disagree are named, and the worst status wins', () => {
    const other = kubeadmPod([
      ...GOOD_FLAGS.slice(0, 2),
      '--audit-log-maxage=7',
      '--audit-log-maxbackup=10',
      '--audit-log-maxsize=100',
    ])
    const facts = factsFor([kubeadmPod(GOOD_FLAGS), {...other, spec: {...other.spec, nodeName: 'cp-2'}}], '1.31')
    const result = check(facts, 'audit-log-retention')
    assert.equal(result.status, 'warn')
    assert.match(result.detail, /^cp-1: maxage 30d.*; cp-2: rotated files are kept 7 days/)
  })

  it('exits 1 when a check fails, 0 otherwise', () => {
    assert.equal(exitCodeOf(buildReport(factsFor([kubeadmPod(GOOD_FLAGS.slice(1))], '1.31'))), 1)
    assert.equal(exitCodeOf(buildReport(factsFor([kubeadmPod(GOOD_FLAGS)], '1.31'))), 0)
  })

  it('without an apiserver, the flag checks skip', () => {
    const result = check(factsFor([], '1.31'), 'audit-backend')
    assert.equal(result.status, 'skip')
  })
})

describe('doctor Calico checks', () => {
  const calico = (fields: Partial<NonNullable<DoctorFacts['calico']>>): DoctorFacts => ({
    ...factsFor([], '1.31'),
    mode: 'cluster',
    calico: {apiService: {state: 'absent'}, backingCrds: false, enterprise: false, failures: [], ...fields},
  })
  // [name, calico facts, status of calico-api-mode, phrase]
  const rows: Array<[string, DoctorFacts, string, RegExp]> = [
    [
      'aggregated (Calico API server)',
      calico({apiService: {state: 'aggregated', service: 'calico-apiserver/calico-api'}, backingCrds: true}),
      'warn',
      /Metadata only.*crd\.projectcalico\.org/,
    ],
    ['native v3 CRDs (3.32+)', calico({apiService: {state: 'local'}}), 'pass', /served as CRDs/],
    [
      'CRDs only, no API server',
      calico({backingCrds: true}),
      'pass',
      /calicoctl and kubectl write crd\.projectcalico\.org directly/,
    ],
    ['no Calico', calico({}), 'skip', /not installed/],
    ['offline', factsFor([], '1.31'), 'skip', /offline/],
  ]
  for (const [name, facts, status, phrase] of rows) {
    it(`calico-api-mode: ${name}`, () => {
      const result = check(facts, 'calico-api-mode')
      assert.equal(result.status, status)
      assert.match(result.detail, phrase)
    })
  }

  it('policy-coverage: rules cannot raise an aggregated projectcalico.org, but they can raise the rest', () => {
    const aggregated: NonNullable<DoctorFacts['calico']> = {
      apiService: {state: 'aggregated', service: 'calico-apiserver/calico-api'},
      backingCrds: true,
      enterprise: false,
      failures: [],
    }
    const version = parseKubernetesVersion('1.31')
    const text = readFileSync('test/fixtures/policies/metadata-for-the-rest.yaml', 'utf8')
    const facts: DoctorFacts = {
      ...calico(aggregated),
      policy: {state: 'loaded', location: 'test', loaded: loadPolicy(text, version)},
      coverage: coverageInputs(
        doctorOptions(FLAGS),
        version,
        new Set(['projectcalico.org', 'crd.projectcalico.org', 'networking.k8s.io']),
        aggregated,
      ),
    }
    const result = check(facts, 'policy-coverage')
    assert.equal(result.status, 'warn')
    // The policy puts everything but core and apps writes at Metadata (rule 6).
    assert.match(
      result.detail,
      /^95 of 95 writes recorded without bodies, so without diffs: every projectcalico\.org write, every crd\.projectcalico\.org write, every networking\.k8s\.io write at Metadata \(rule 6\)$/,
    )
    assert.equal(
      result.remedy,
      "put a RequestResponse rule for these writes before the others (see kubectl audit doctor --print-policy); for projectcalico.org, record crd.projectcalico.org writes at RequestResponse: the Calico API server's writes there carry the bodies, and kubectl audit policies joins them to the user's request",
    )
  })

  it('calico-apiserver-policy: Calico Enterprise without its policy ConfigMap warns', () => {
    const result = check(
      calico({apiService: {state: 'aggregated', service: 'tigera-system/tigera-api'}, enterprise: true}),
      'calico-apiserver-policy',
    )
    assert.equal(result.status, 'warn')
  })
})

describe('doctor audit-log-fresh', () => {
  const now = Date.parse('2026-11-24T10:00:00Z')
  const pod = kubeadmPod(GOOD_FLAGS)
  const read = (fields: Partial<Extract<AuditLogTail, {state: 'read'}>>): AuditLogTail => ({
    state: 'read',
    location: 'node cp-1:/var/log/kubernetes/audit/audit.log',
    stdout: false,
    bytes: 4096,
    newestMs: now - 10_000,
    readAtMs: now,
    ...fields,
  })
  // [name, the tail read, status, phrase]
  const rows: Array<[string, AuditLogTail | undefined, string, RegExp]> = [
    [
      'an event 10 seconds old',
      read({}),
      'pass',
      /^newest event 10s ago in node cp-1:\/var\/log\/kubernetes\/audit\/audit\.log$/,
    ],
    ['an event 59 minutes old is still fresh', read({newestMs: now - 59 * 60_000}), 'pass', /59m ago/],
    [
      'an event over an hour old is stale',
      read({newestMs: now - (3 * 60 + 5) * 60_000}),
      'warn',
      /^newest event 3h05m old \(2026-11-24T06:55:00\.000Z\) in node cp-1:.*nothing written for over an hour/,
    ],
    [
      'an empty file',
      read({bytes: 0, newestMs: null}),
      'warn',
      /audit\.log is empty: kube-apiserver has written no event/,
    ],
    ['no event in the tail', read({newestMs: null}), 'warn', /no JSON audit event in the last 4096 bytes/],
    [
      'no event in the last lines of stdout',
      read({
        stdout: true,
        bytes: 0,
        newestMs: null,
        location: 'the last 200 lines of the stdout of pod/kube-system/kube-apiserver-cp-1',
      }),
      'warn',
      /^no audit event in the last 200 lines of the stdout/,
    ],
    [
      'a file that does not exist',
      {state: 'missing', location: 'node cp-1:/var/log/kubernetes/audit/audit.log'},
      'warn',
      /does not exist: kube-apiserver, which creates it at start, is not running with this path/,
    ],
    [
      'a node clock ahead of ours',
      read({newestMs: now + 20 * 60_000}),
      'pass',
      /newest event 0s ago .*dated 20m ahead of this machine's clock/,
    ],
    [
      'not read',
      {
        state: 'unavailable',
        reason: '--no-node-access: /var/log/kubernetes/audit/audit.log on cp-1 was not read',
        command: 'kubectl debug node/cp-1 …',
      },
      'skip',
      /--no-node-access/,
    ],
  ]
  for (const [name, tail, status, phrase] of rows) {
    it(name, () => {
      const result = check(
        factsFor([pod], '1.31', new Map(tail ? [['kube-system/kube-apiserver-cp-1', tail]] : [])),
        'audit-log-fresh',
      )
      assert.equal(result.status, status, result.detail)
      assert.match(result.detail, phrase)
      if (status === 'warn')
        assert.match(
          result.remedy ?? '',
          /on node cp-1: crictl logs \$\(crictl ps -q --name kube-apiserver\) 2>&1 \| grep -i audit/,
        )
      if (status === 'skip') assert.equal(result.remedy, 'kubectl debug node/cp-1 …')
    })
  }

  it('skips without a log file', () => {
    assert.equal(check(factsFor([kubeadmPod([GOOD_FLAGS[0]])], '1.31'), 'audit-log-fresh').detail, 'no log file')
  })
})
