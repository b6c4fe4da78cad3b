// doctor's EKS checks, row by row, on EKS facts as AWS answers them (DescribeCluster's log types,
// DescribeLogGroups' retention) or as they are missing (no permission, no credentials), and the
// fixed EKS audit policy: custom and aggregated groups (Calico) at Metadata, who but not what.
import assert from 'node:assert/strict'

import {parseKubernetesVersion} from '../../src/audit/policy/kubernetes-version.js'
import type {CheckResult} from '../../src/doctor/check.js'
import {coverageInputs} from '../../src/doctor/coverage-inputs.js'
import type {EksFacts} from '../../src/doctor/eks-facts.js'
import type {CalicoFacts, DoctorFacts} from '../../src/doctor/facts.js'
import {buildReport, exitCodeOf} from '../../src/doctor/report.js'
import {doctorOptions, type DoctorFlagValues} from '../../src/flags/doctor.js'

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
const VERSION = parseKubernetesVersion('1.31')
const AGGREGATED: CalicoFacts = {
  apiService: {state: 'aggregated', service: 'calico-apiserver/calico-api'},
  backingCrds: true,
  enterprise: false,
  failures: [],
}

const EKS: EksFacts = {
  cluster: 'prod-eu',
  region: 'eu-west-1',
  logGroup: '/aws/eks/prod-eu/cluster',
  logging: {state: 'read', enabledTypes: ['api', 'audit']},
  logGroupState: {state: 'read', exists: true, retentionInDays: 90, storedBytes: 1000},
}

function facts(eks: EksFacts | undefined, calico?: CalicoFacts): DoctorFacts {
  const options = doctorOptions(FLAGS)
  const served = new Set(['', 'networking.k8s.io', 'extensions', 'projectcalico.org', 'crd.projectcalico.org'])
  return {
    mode: 'cluster',
    kubernetesVersion: VERSION,
    apiserverSource: 'the cluster at https://example.gr7.eu-west-1.eks.amazonaws.com',
    apiservers: [],
    discoveryFailures: [],
    policy: {
      state: 'unavailable',
      reason: 'Amazon EKS sets the audit policy of its control plane; it cannot be read',
      command: null,
    },
    ...(calico ? {calico} : {}),
    coverage: coverageInputs(options, VERSION, served, calico),
    logTails: new Map(),
    ...(eks ? {eks} : {}),
  }
}

function check(f: DoctorFacts, id: string): CheckResult {
  const found = buildReport(f).checks.find((c) => c.id === id)
  assert.ok(found, id)
  return found
}

const unavailable = (reason: string, remedy: string) => ({state: 'unavailable' as const, reason, remedy})

// [case, facts, check, status, detail, remedy]
const rows: Array<[string, DoctorFacts, string, string, RegExp, RegExp | null]> = [
  [
    'audit sent to CloudWatch',
    facts(EKS),
    'eks-audit-logging',
    'pass',
    /^the audit log type of cluster prod-eu is on: kube-apiserver's audit events go to \/aws\/eks\/prod-eu\/cluster \(streams kube-apiserver-audit-\*\)/,
    null,
  ],
  [
    'audit off, api on',
    facts({...EKS, logging: {state: 'read', enabledTypes: ['api', 'authenticator']}}),
    'eks-audit-logging',
    'fail',
    /^the audit log type of cluster prod-eu is off \(on: api, authenticator\): EKS keeps no record/,
    /^turn it on: aws eks update-cluster-config --region eu-west-1 --name prod-eu --logging '\{"clusterLogging":\[\{"types":\["audit"\],"enabled":true\}\]\}'$/,
  ],
  [
    'DescribeCluster refused: the permission is named',
    facts({
      ...EKS,
      logging: unavailable(
        'eks:DescribeCluster was refused: AccessDeniedException: …',
        'allow eks:DescribeCluster (read-only) on arn:aws:eks:eu-west-1:ACCOUNT:cluster/prod-eu, or check by hand: aws eks describe-cluster --name prod-eu --region eu-west-1 --query cluster.logging',
      ),
    }),
    'eks-audit-logging',
    'skip',
    /^cannot tell \(eks:DescribeCluster\): eks:DescribeCluster was refused/,
    /^allow eks:DescribeCluster \(read-only\)/,
  ],
  [
    'retention 90 days',
    facts(EKS),
    'eks-log-retention',
    'pass',
    /^\/aws\/eks\/prod-eu\/cluster keeps events 90 days$/,
    null,
  ],
  [
    'retention never expires',
    facts({...EKS, logGroupState: {...EKS.logGroupState, retentionInDays: null} as EksFacts['logGroupState']}),
    'eks-log-retention',
    'pass',
    /never expire/,
    null,
  ],
  [
    'retention a week',
    facts({...EKS, logGroupState: {...EKS.logGroupState, retentionInDays: 7} as EksFacts['logGroupState']}),
    'eks-log-retention',
    'warn',
    /keeps events 7 days: a change older than that can no longer be traced/,
    /^aws logs put-retention-policy --log-group-name \/aws\/eks\/prod-eu\/cluster --retention-in-days 90 --region eu-west-1$/,
  ],
  [
    'no log group yet, audit on',
    facts({...EKS, logGroupState: {state: 'read', exists: false, retentionInDays: null, storedBytes: null}}),
    'eks-log-retention',
    'warn',
    /does not exist yet/,
    /describe-log-groups/,
  ],
  [
    'no log group, nothing sent',
    facts({
      ...EKS,
      logging: {state: 'read', enabledTypes: []},
      logGroupState: {state: 'read', exists: false, retentionInDays: null, storedBytes: null},
    }),
    'eks-log-retention',
    'skip',
    /no log type is sent/,
    null,
  ],
  [
    'DescribeLogGroups refused',
    facts({
      ...EKS,
      logGroupState: unavailable(
        'logs:DescribeLogGroups was refused: …',
        'allow logs:DescribeLogGroups (read-only) on arn:aws:logs:eu-west-1:ACCOUNT:log-group:*',
      ),
    }),
    'eks-log-retention',
    'skip',
    /^cannot tell \(logs:DescribeLogGroups\)/,
    /logs:DescribeLogGroups \(read-only\)/,
  ],
  [
    'the fixed policy with Calico aggregated: who, not what',
    facts(EKS, AGGREGATED),
    'eks-audit-policy',
    'warn',
    /^EKS's audit policy is fixed \(not read from the cluster; EKS does not let it change\): it records networkpolicies\.networking\.k8s\.io, networkpolicies\.extensions writes with their bodies \(who, and what changed\); projectcalico\.org, crd\.projectcalico\.org writes at Metadata \(who, verb and when; no bodies\)\. For Calico: who changed it, yes; what changed, no$/,
    /keep the policies in Git/,
  ],
  [
    'the fixed policy without Calico',
    facts(EKS),
    'eks-audit-policy',
    'pass',
    /networkpolicies\.networking\.k8s\.io, networkpolicies\.extensions writes with their bodies/,
    null,
  ],
]

describe('doctor on EKS', () => {
  it('not EKS: the report has no EKS check, each of which would only say "not an EKS cluster"', () => {
    assert.deepEqual(
      buildReport(facts(undefined)).checks.filter((c) => c.id.startsWith('eks-')),
      [],
    )
  })

  for (const [name, f, id, status, detail, remedy] of rows) {
    it(`${id}: ${name}`, () => {
      const result = check(f, id)
      assert.equal(result.status, status, result.detail)
      assert.match(result.detail, detail)
      if (remedy) assert.match(result.remedy ?? '', remedy)
      else if (status === 'pass') assert.equal(result.remedy, null)
    })
  }

  it('control-plane-visible: not visible by design on EKS, so no warning; the advice only while the audit log is not known to be on', () => {
    const eks = {id: 'eks' as const, name: 'Amazon EKS', evidence: 'server version v1.31.4-eks-1a2b3c4'}
    const on = check({...facts(EKS), managedProvider: eks}, 'control-plane-visible')
    assert.deepEqual([on.status, on.remedy], ['skip', null])
    assert.match(
      on.detail,
      /^no kube-apiserver to see: Amazon EKS runs the control plane \(server version v1\.31\.4-eks-1a2b3c4\); its audit log is kept by the provider \(see eks-audit-logging\)/,
    )
    const off = check(
      {...facts({...EKS, logging: {state: 'read', enabledTypes: []}}), managedProvider: eks},
      'control-plane-visible',
    )
    assert.equal(off.status, 'skip')
    assert.match(off.remedy ?? '', /enable the "audit" control plane log type/)
    const unknown = check({...facts(undefined), managedProvider: eks}, 'control-plane-visible')
    assert.equal(unknown.status, 'skip')
    assert.doesNotMatch(unknown.detail, /see eks-audit-logging/, 'no such check is run without the EKS lookups')
  })

  it('fails the run when EKS keeps no audit log', () => {
    assert.equal(exitCodeOf(buildReport(facts({...EKS, logging: {state: 'read', enabledTypes: []}}))), 1)
    assert.equal(exitCodeOf(buildReport(facts(EKS, AGGREGATED))), 0)
  })
})
