// doctor --probe against the fake apiserver, through the CLI: dry-run creates with our own
// Audit-ID, found again (or not) in the audit log the fake writes on its node according to its
// own audit policy, which may differ from the policy file doctor reads, as a real apiserver's may.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {stringify} from 'yaml'

import type {DoctorReport} from '../../src/commands/doctor.js'
import {CALICO_AUDIT_LOG} from '../../src/cluster/audit-log-targets.js'
import {kubeadmApiserverPod} from '../support/apiserver-pods.js'
import {type CliResult, runCli} from '../support/cli.js'
import {AUDIT_STREAM} from '../support/cloudwatch-records.js'
import {KUBEADM_LOG, recentLog, writeOnNode} from '../support/cluster-logs.js'
import {
  type FakeApiserver,
  type FakeAuditLog,
  type FakeAuditPolicy,
  startFakeApiserver,
} from '../support/fake-apiserver/index.js'
import {FakeCloudWatch, storedEvent} from '../support/fake-cloudwatch.js'

type Resources = NonNullable<FakeAuditPolicy['rules'][number]['resources']>
const NETWORK_POLICIES: Resources = [{group: 'networking.k8s.io', resources: ['networkpolicies']}]
const CALICO: Resources = [{group: 'projectcalico.org'}, {group: 'crd.projectcalico.org'}]
const at = (
  level: FakeAuditPolicy['rules'][number]['level'],
  resources: Resources = NETWORK_POLICIES,
  omitStages?: string[],
): FakeAuditPolicy => ({
  omitStages: omitStages ?? ['RequestReceived'],
  rules: [
    {level, verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'], resources},
    {level: 'Metadata', resources: [{group: 'coordination.k8s.io'}]},
  ],
})
const kubeLog = (policy: FakeAuditPolicy, more: Partial<FakeAuditLog> = {}): FakeAuditLog => ({
  node: 'cp-1',
  path: KUBEADM_LOG,
  policy,
  ...more,
})

const apiService = (group: string, version: string, service?: {namespace: string; name: string}) => ({
  apiVersion: 'apiregistration.k8s.io/v1',
  kind: 'APIService',
  metadata: {name: `${version}.${group}`},
  spec: {group, version, ...(service ? {service} : {})},
})

describe('doctor --probe (fake apiserver)', function () {
  // A probe that is never recorded waits out its timeout.
  this.timeout(60_000)
  let fake: FakeApiserver | undefined
  const dirs: string[] = []
  afterEach(async () => {
    await fake?.close()
    fake = undefined
    for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
  })

  /** A kubeadm control plane on cp-1 whose apiserver writes `logs`; `objects` besides its pod. */
  async function start(logs: FakeAuditLog[], objects: object[] = []): Promise<FakeApiserver> {
    const root = mkdtempSync(join(tmpdir(), 'probe-node-'))
    dirs.push(root)
    // Every log is there before the probe: a running server created it when it started.
    for (const log of logs)
      if ('path' in log) writeOnNode(root, log.path, log.path === KUBEADM_LOG ? recentLog(1, 200) : '')
    fake = await startFakeApiserver({
      nodes: [{name: 'cp-1', root, labels: {'node-role.kubernetes.io/control-plane': ''}}],
      objects: [kubeadmApiserverPod('cp-1'), apiService('networking.k8s.io', 'v1'), ...objects],
      version: {gitVersion: 'v1.31.2', major: '1', minor: '31'},
      audit: {user: {username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated']}, logs},
    })
    return fake
  }

  /** The policy file doctor reads: what the static checks and the comparison go by. */
  function policyFile(policy: FakeAuditPolicy): string {
    const dir = mkdtempSync(join(tmpdir(), 'probe-policy-'))
    dirs.push(dir)
    const file = join(dir, 'audit-policy.yaml')
    writeFileSync(file, stringify({apiVersion: 'audit.k8s.io/v1', kind: 'Policy', ...policy}))
    return file
  }

  async function probe(server: FakeApiserver, ...args: string[]): Promise<{report: DoctorReport; result: CliResult}> {
    const result = await runCli(['doctor', '--kubeconfig', server.kubeconfigPath, '--probe', ...args, '-o', 'json'])
    assert.ok(result.stdout.startsWith('{'), result.stderr)
    return {report: JSON.parse(result.stdout) as DoctorReport, result}
  }
  const check = (report: DoctorReport, id: string) => {
    const found = report.checks.find((c) => c.id === id)
    assert.ok(found, id)
    return found
  }
  const creates = (server: FakeApiserver) =>
    server.requests.filter((r) => r.method === 'POST' && r.path.includes('networkpolicies'))

  it('RequestResponse: found with both bodies; says first what it sends, and nothing is stored', async () => {
    const policy = at('RequestResponse')
    const server = await start([kubeLog(policy)])
    const {report, result} = await probe(server, '--policy-file', policyFile(policy))
    assert.equal(result.code, 0, result.stderr)
    const [knp] = report.probe!.results
    assert.equal(report.probe!.results.length, 1, 'no Calico here: a Kubernetes NetworkPolicy only')
    assert.match(knp!.name, /^kubectl-audit-probe-[0-9a-f]{4}$/)
    // Said before it was sent, with the ID it carries.
    assert.ok(
      result.stderr.includes(
        `probe: dry-run create of ${knp!.name} (nothing is stored):\nprobe:   networkpolicies.networking.k8s.io in namespace default\nprobe:     Audit-ID ${knp!.auditID}\n`,
      ),
      result.stderr,
    )
    assert.ok(
      result.stderr.indexOf('probe: dry-run create of') <
        result.stderr.indexOf('probe: looking for its audit ID for up to 60s in:\nprobe:   node/cp-1:'),
      result.stderr,
    )
    // Each line fits an 80-column terminal.
    for (const line of result.stderr.split('\n')) assert.ok(line.length <= 80, line)
    const [sent] = creates(server)
    assert.equal(sent!.path, '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies')
    assert.equal(new URLSearchParams(sent!.query).get('dryRun'), 'All')
    assert.equal(sent!.headers['audit-id'], knp!.auditID)
    assert.equal(knp!.echoedAuditID, knp!.auditID)
    assert.deepEqual([knp!.code, knp!.accepted, knp!.recorded], [201, true, true])
    const [record] = knp!.records
    assert.deepEqual(
      {...record, foundAfterMs: 0},
      {
        recorder: 'kube-apiserver',
        source: `node/cp-1:${KUBEADM_LOG}`,
        matchedBy: 'audit-id',
        level: 'RequestResponse',
        stages: ['ResponseComplete'],
        requestBody: true,
        responseBody: true,
        foundAfterMs: 0,
      },
    )
    assert.equal(report.probe!.user, 'kubernetes-admin')
    assert.equal(check(report, 'audit-probe').status, 'pass')
    assert.match(
      check(report, 'audit-probe').detail,
      /^the dry-run create recorded with the bodies diffs need, in \d+\.\ds at most$/,
    )
    const agrees = check(report, 'audit-probe-policy')
    assert.equal(agrees.status, 'pass', agrees.detail)
    assert.match(agrees.detail, /networkpolicies\.networking\.k8s\.io at RequestResponse \(rule 0\)/)
    // A dry run: the object was checked and answered, never stored.
    const get = await runCli([
      'doctor',
      '--kubeconfig',
      server.kubeconfigPath,
      '--policy-file',
      policyFile(policy),
      '-o',
      'json',
    ])
    assert.equal((JSON.parse(get.stdout) as DoctorReport).probe, null, 'without --probe: no probe')
    assert.equal(creates(server).length, 1, 'and doctor without --probe writes nothing')
    assert.ok(!server.requests.some((r) => r.method === 'GET' && r.path.endsWith(`/networkpolicies/${knp!.name}`)))
    const line = readFileSync(join(dirs[0]!, KUBEADM_LOG), 'utf8')
      .split('\n')
      .find((l) => l.includes(knp!.auditID))!
    assert.match(JSON.parse(line).requestURI as string, /dryRun=All/)
  })

  it('a policy that drops the kind: not recorded, and the policy read says it should be (fail)', async () => {
    const server = await start([kubeLog({rules: [{level: 'None', resources: NETWORK_POLICIES}, {level: 'Metadata'}]})])
    const {report, result} = await probe(
      server,
      '--policy-file',
      policyFile(at('RequestResponse')),
      '--probe-timeout',
      '3s',
    )
    assert.equal(result.code, 1)
    const [knp] = report.probe!.results
    assert.deepEqual([knp!.accepted, knp!.recorded, knp!.records], [true, false, []])
    const recorded = check(report, 'audit-probe')
    assert.equal(recorded.status, 'fail')
    assert.equal(recorded.detail, 'networkpolicies.networking.k8s.io: not recorded in 3.0s')
    const agrees = check(report, 'audit-probe-policy')
    assert.equal(agrees.status, 'fail')
    assert.match(
      agrees.detail,
      /^networkpolicies\.networking\.k8s\.io: .*audit-policy\.yaml says RequestResponse \(rule 0\), but nothing came in 3\.0s$/,
    )
    assert.match(agrees.remedy ?? '', /lost on the way/)
  })

  it('Metadata: recorded without bodies, and the policy read asked for RequestResponse (warn)', async () => {
    const server = await start([kubeLog(at('Metadata'))])
    const {report, result} = await probe(server, '--policy-file', policyFile(at('RequestResponse')))
    assert.equal(result.code, 0, result.stderr)
    const [record] = report.probe!.results[0]!.records
    assert.deepEqual([record!.level, record!.requestBody, record!.responseBody], ['Metadata', false, false])
    const recorded = check(report, 'audit-probe')
    assert.equal(recorded.status, 'warn')
    assert.match(
      recorded.detail,
      /^networkpolicies\.networking\.k8s\.io: recorded at Metadata without bodies in node\/cp-1:.* after \d+\.\ds: no diffs$/,
    )
    assert.match(recorded.remedy ?? '', /RequestResponse/)
    const agrees = check(report, 'audit-probe-policy')
    assert.equal(agrees.status, 'warn')
    assert.match(agrees.detail, /says RequestResponse \(rule 0\), but the event came at Metadata$/)
    assert.match(agrees.remedy ?? '', /does not run the policy read/)
  })

  it('stages: the policy read omits RequestReceived, the running one records it', async () => {
    const server = await start([kubeLog(at('RequestResponse', NETWORK_POLICIES, []))])
    const {report} = await probe(server, '--policy-file', policyFile(at('RequestResponse')))
    assert.deepEqual(report.probe!.results[0]!.records[0]!.stages, ['RequestReceived', 'ResponseComplete'])
    const agrees = check(report, 'audit-probe-policy')
    assert.equal(agrees.status, 'warn')
    assert.match(agrees.detail, /with stages ResponseComplete, but RequestReceived, ResponseComplete came$/)
  })

  it('a delay: waited for, and the delay is reported', async () => {
    const policy = at('RequestResponse')
    const server = await start([kubeLog(policy, {delayMs: 2500})])
    const {report, result} = await probe(server, '--policy-file', policyFile(policy))
    assert.equal(result.code, 0, result.stderr)
    const [record] = report.probe!.results[0]!.records
    assert.ok(record!.foundAfterMs >= 2500, `found after ${record!.foundAfterMs} ms`)
    assert.equal(check(report, 'audit-probe').status, 'pass')
    // Read again while waiting: more than one look at the log.
    const reads = server.requests.filter(
      (r) =>
        r.path === `/api/v1/nodes/cp-1/proxy/logs${KUBEADM_LOG.slice('/var/log'.length)}` &&
        r.method === 'GET' &&
        r.headers.range !== 'bytes=0-0',
    )
    assert.ok(reads.length >= 2, `${reads.length} reads`)
  })

  it('refused: 403 names the permission, 400 says no dry run; reported, not fatal', async () => {
    const policy = at('RequestResponse')
    const server = await start([kubeLog(policy)])
    server.fail({method: 'POST', path: /\/networkpolicies$/, code: 403, times: 1})
    const denied = await probe(server, '--policy-file', policyFile(policy), '--probe-namespace', 'team-a')
    assert.equal(denied.result.code, 0, denied.result.stderr)
    const [knp] = denied.report.probe!.results
    assert.deepEqual([knp!.code, knp!.accepted, knp!.namespace], [403, false, 'team-a'])
    const refused = check(denied.report, 'audit-probe')
    assert.equal(refused.status, 'warn')
    assert.match(
      refused.detail,
      /^networkpolicies\.networking\.k8s\.io: refused \(403: .*cannot create resource "networkpolicies".*\); the probe needs "create networkpolicies\.networking\.k8s\.io" in namespace team-a$/,
    )
    assert.equal(
      refused.remedy,
      'the probe needs only create on networkpolicies.networking.k8s.io in namespace team-a, and only with dry-run (nothing is stored): kubectl auth can-i create networkpolicies.networking.k8s.io -n team-a',
    )

    server.fail({method: 'POST', path: /\/networkpolicies$/, code: 400, message: 'dryRun is not supported', times: 1})
    const old = await probe(server, '--policy-file', policyFile(policy))
    const noDryRun = check(old.report, 'audit-probe')
    assert.equal(noDryRun.status, 'warn')
    assert.equal(
      noDryRun.detail,
      'networkpolicies.networking.k8s.io: refused (400: dryRun is not supported): this server does not take a dry run of it',
    )
    assert.equal(old.result.code, 0)
  })

  it('no Audit-ID echo: said, and our own ID is looked for', async () => {
    const policy = at('RequestResponse')
    const server = await start([kubeLog(policy)])
    server.audit.echo = false
    const {report} = await probe(server, '--policy-file', policyFile(policy))
    const [knp] = report.probe!.results
    assert.equal(knp!.echoedAuditID, null)
    assert.equal(knp!.recorded, true)
    assert.match(check(report, 'audit-probe').detail, /no Audit-ID came back with the answer/)
  })

  it("Calico aggregated with Calico Enterprise: Metadata from kube-apiserver, the bodies in the backing CRD write and in the Calico API server's own log", async () => {
    const policy = at('RequestResponse', [...NETWORK_POLICIES, ...CALICO])
    const calicoPod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {name: 'tigera-apiserver-1', namespace: 'tigera-system'},
      spec: {
        nodeName: 'cp-1',
        containers: [{name: 'tigera-apiserver', image: 'tigera/apiserver', command: ['apiserver']}],
      },
      status: {phase: 'Running'},
    }
    const calicoPolicy = at('RequestResponse', [{group: 'projectcalico.org'}])
    const enterprisePolicy = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {name: 'tigera-audit-policy', namespace: 'tigera-system'},
      data: {config: stringify({apiVersion: 'audit.k8s.io/v1', kind: 'Policy', ...calicoPolicy})},
    }
    const server = await start(
      [
        kubeLog(policy, {aggregatedGroups: ['projectcalico.org']}),
        {node: 'cp-1', path: CALICO_AUDIT_LOG, policy: calicoPolicy},
      ],
      [
        apiService('projectcalico.org', 'v3', {namespace: 'tigera-system', name: 'tigera-api'}),
        apiService('crd.projectcalico.org', 'v1'),
        calicoPod,
        enterprisePolicy,
      ],
    )
    const {report, result} = await probe(server, '--policy-file', policyFile(policy))
    assert.equal(result.code, 0, result.stderr)
    const rows = report.probe!.results.map((r) => `${r.resource}.${r.apiGroup} ${r.purpose} ${r.namespace ?? '-'}`)
    assert.deepEqual(rows, [
      'networkpolicies.networking.k8s.io kind default',
      'globalnetworkpolicies.projectcalico.org kind -',
      'globalnetworkpolicies.crd.projectcalico.org backing-crd -',
      'networkpolicies.projectcalico.org kind default',
      'networkpolicies.crd.projectcalico.org backing-crd default',
    ])
    const gnp = report.probe!.results[1]!
    assert.match(result.stderr, /^probe: {3}globalnetworkpolicies\.projectcalico\.org \(cluster-scoped\)$/m)
    assert.match(
      result.stderr,
      /^probe: looking for their audit IDs for up to 60s in:\nprobe: {3}node\/cp-1:\S+\nprobe: {3}node\/cp-1:\S+$/m,
    )
    for (const line of result.stderr.split('\n')) assert.ok(line.length <= 80, line)
    assert.deepEqual(gnp.records.map((r) => [r.recorder, r.level, r.responseBody]).sort(), [
      ['calico-apiserver', 'RequestResponse', true],
      ['kube-apiserver', 'Metadata', false],
    ])
    assert.deepEqual(
      report.probe!.results[2]!.records.map((r) => [r.recorder, r.level]),
      [['kube-apiserver', 'RequestResponse']],
    )
    const recorded = check(report, 'audit-probe')
    assert.equal(recorded.status, 'pass', recorded.detail)
    assert.match(
      recorded.detail,
      /^all 5 dry-run creates recorded with the bodies diffs need, in \d+\.\ds at most; projectcalico\.org at Metadata \(an aggregated API\), the bodies in the Calico API server's own log$/,
    )
    const agrees = check(report, 'audit-probe-policy')
    assert.equal(agrees.status, 'pass', agrees.detail)
    assert.match(
      agrees.detail,
      /globalnetworkpolicies\.projectcalico\.org, networkpolicies\.projectcalico\.org at Metadata \(rule 0 asks for RequestResponse; an aggregated API is recorded at Metadata at most\)/,
    )
    assert.match(
      agrees.detail,
      /globalnetworkpolicies\.projectcalico\.org, networkpolicies\.projectcalico\.org by the Calico API server at RequestResponse \(rule 0\)/,
    )
  })

  it('the table shows each probe with where it was found', async () => {
    const policy = at('RequestResponse')
    const server = await start([kubeLog(policy)])
    const result = await runCli([
      'doctor',
      '--kubeconfig',
      server.kubeconfigPath,
      '--probe',
      '--policy-file',
      policyFile(policy),
    ])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /^audit-probe +✓ pass +the dry-run create recorded with the bodies diffs need/m)
    assert.match(
      result.stdout,
      /^Probe: dry-run creates \(nothing stored\) as kubernetes-admin, namespaced ones in default; looked for in node\/cp-1:\/var\/log\/kubernetes\/audit\/audit\.log for up to 60s$/m,
    )
    assert.match(result.stdout, /^PROBE +RESULT +DETAIL$/m)
    assert.match(
      result.stdout,
      /^networkpolicies\.networking\.k8s\.io +recorded +RequestResponse, ResponseComplete, request and response bodies, \d+\.\ds after the write$/m,
    )
  })

  it('EKS: looked for where policies reads it, in CloudWatch Logs, with the filter pushed down; an empty log group is no refusal before the write', async () => {
    const arn = 'arn:aws:eks:eu-west-1:123456789012:cluster/prod-eu'
    const group = '/aws/eks/prod-eu/cluster'
    const aws = await new FakeCloudWatch().start()
    try {
      aws.clusters.set('prod-eu', {logging: [{types: ['audit'], enabled: true}]})
      // Nothing in the window when the probe opens the log: its own write is the first event.
      aws.group(group)
      // EKS ships the control plane's events to its log group: the fake's land there.
      const ship = (lines: string[]) => {
        for (const line of lines)
          aws.group(group).events.push(storedEvent({timestamp: Date.now(), message: line, logStreamName: AUDIT_STREAM}))
      }
      fake = await startFakeApiserver({
        version: {gitVersion: 'v1.31.4-eks-1a2b3c4', major: '1', minor: '31'},
        nodes: [
          {
            name: 'ip-10-0-1-1.eu-west-1.compute.internal',
            root: '/nonexistent',
            labels: {'eks.amazonaws.com/nodegroup': 'ng-1'},
          },
        ],
        objects: [apiService('networking.k8s.io', 'v1')],
        audit: {logs: [{deliver: ship, policy: at('RequestResponse')}]},
      })
      const kubeconfig = fake.writeKubeconfig({context: arn})
      const startedAt = Date.now()
      const result = await runCli(
        ['doctor', '--kubeconfig', kubeconfig, '--probe', '--probe-timeout', '20s', '-o', 'json'],
        {env: aws.env()},
      )
      assert.ok(result.stdout.startsWith('{'), result.stderr)
      const report = JSON.parse(result.stdout) as DoctorReport
      assert.deepEqual(
        report.probe!.sources,
        [`cloudwatch:${group}`],
        `${result.stderr}\n${JSON.stringify(report.probe)}`,
      )
      const [knp] = report.probe!.results
      assert.deepEqual(
        knp!.records.map((r) => [r.source, r.level, r.responseBody]),
        [[`cloudwatch:${group}`, 'RequestResponse', true]],
      )
      assert.equal(check(report, 'audit-probe').status, 'pass', check(report, 'audit-probe').detail)
      // EKS's policy cannot be read: the probe is the only proof.
      assert.equal(check(report, 'audit-probe-policy').status, 'skip')
      assert.match(result.stderr, /^reading EKS audit logs of cluster prod-eu \(eu-west-1\) from CloudWatch Logs$/m)
      assert.match(
        result.stderr,
        /^probe: looking for its audit ID for up to 20s in:\nprobe: {3}cloudwatch:\/aws\/eks\/prod-eu\/cluster$/m,
      )
      // Asked for the probe's writes from just before they were sent, not the whole group.
      const queries = aws.requests.filter((r) => r.action === 'FilterLogEvents')
      assert.ok(queries.length > 0)
      assert.match(String(queries[0]!.body.filterPattern), /networkpolicies/)
      for (const query of queries)
        assert.ok(Number(query.body.startTime) > startedAt - 10 * 60_000, `startTime ${String(query.body.startTime)}`)
    } finally {
      await aws.close()
    }
  })
})
