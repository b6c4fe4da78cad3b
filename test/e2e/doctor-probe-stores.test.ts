// doctor --probe where the log has left the nodes: GKE's Cloud Logging, AKS's Log Analytics,
// Calico Enterprise's Elasticsearch (found through the cluster, or given with --es) and Loki
// (--loki). The fake apiserver takes the dry-run create and ships its audit events to the store's
// loopback fake, in the record shape that store holds, after a delay; the probe must find them
// there, as `policies` reads that store without -f. Also --no-node-access, which still lets the
// probe look where no node is touched.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {DoctorReport} from '../../src/commands/doctor.js'
import {
  CALICO_KUBE_INDEX,
  type CalicoStorageCluster,
  ELASTIC_PASSWORD,
  startCalicoStorageCluster,
} from '../support/calico-log-storage.js'
import {type CliResult, runCli} from '../support/cli.js'
import {AUDIT_STREAM} from '../support/cloudwatch-records.js'
import {type FakeApiserver, type FakeAuditPolicy, startFakeApiserver} from '../support/fake-apiserver/index.js'
import {FakeCloudLogging} from '../support/fake-cloud-logging.js'
import {FakeCloudWatch, storedEvent} from '../support/fake-cloudwatch.js'
import {AksScenario, WORKSPACE_ID} from '../support/fake-log-analytics/aks-scenario.js'
import {FakeLogAnalytics} from '../support/fake-log-analytics/index.js'
import {FakeLoki} from '../support/fake-loki.js'
import {auditEvent} from '../support/events.js'
import {fakeGoogleEnv, GKE_CLUSTER, GKE_LOCATION, GKE_PROJECT} from '../support/gke-scenario.js'
import {gkeEntry} from '../support/gke-entries.js'
import {calicoDocumentsOf, gkeEntriesOf, logAnalyticsRowsOf, lokiEntriesOf} from '../support/shipped-audit.js'
import {logAnalyticsRow} from '../support/aks-records.js'

const RECORD_POLICY: FakeAuditPolicy = {
  omitStages: ['RequestReceived'],
  rules: [
    {
      level: 'RequestResponse',
      verbs: ['create', 'update', 'patch', 'delete'],
      resources: [{group: 'networking.k8s.io', resources: ['networkpolicies']}],
    },
  ],
}
const DROP_POLICY: FakeAuditPolicy = {rules: [{level: 'None'}]}
const NETWORKING = {
  apiVersion: 'apiregistration.k8s.io/v1',
  kind: 'APIService',
  metadata: {name: 'v1.networking.k8s.io'},
  spec: {group: 'networking.k8s.io', version: 'v1'},
}
/** A minute before now, as the API server writes times. */
const recently = (agoMs: number) => new Date(Date.now() - agoMs).toISOString().replace(/Z$/, '000Z')

function parse(result: CliResult): DoctorReport {
  assert.ok(result.stdout.startsWith('{'), result.stderr)
  return JSON.parse(result.stdout) as DoctorReport
}
const check = (report: DoctorReport, id: string) => {
  const found = report.checks.find((c) => c.id === id)
  assert.ok(found, id)
  return found
}
/** The one probe of a Kubernetes NetworkPolicy, and its one record. */
function knpRecord(report: DoctorReport) {
  const [knp] = report.probe!.results
  assert.equal(report.probe!.results.length, 1)
  assert.deepEqual([knp!.accepted, knp!.recorded], [true, true], JSON.stringify(report.probe))
  assert.equal(knp!.records.length, 1, JSON.stringify(knp!.records))
  return {knp: knp!, record: knp!.records[0]!}
}

describe('doctor --probe where the log left the nodes (loopback stores)', function () {
  this.timeout(90_000)
  const cleanups: Array<() => Promise<void> | void> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'probe-stores-'))
    cleanups.push(() => rmSync(dir, {recursive: true, force: true}))
    return dir
  }
  async function apiserver(options: Parameters<typeof startFakeApiserver>[0]): Promise<FakeApiserver> {
    const fake = await startFakeApiserver(options)
    cleanups.push(() => fake.close())
    return fake
  }

  describe('GKE: Cloud Logging', () => {
    const target = {project: GKE_PROJECT, location: GKE_LOCATION, cluster: GKE_CLUSTER}
    const context = `gke_${GKE_PROJECT}_${GKE_LOCATION}_${GKE_CLUSTER}`
    async function gke(policy: FakeAuditPolicy, keepAuditID: boolean, delayMs: number) {
      // The cluster's entries of the last hour: not the probe's window, but proof the names are right.
      const logging = await new FakeCloudLogging({
        entries: [
          gkeEntry({
            time: recently(3600_000),
            method: 'io.k8s.coordination.v1.leases.update',
            resourceName: 'coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler',
            principal: 'system:kube-scheduler',
          }),
        ],
      }).start()
      cleanups.push(() => logging.stop())
      const fake = await apiserver({
        version: {gitVersion: 'v1.31.5-gke.1233000', major: '1', minor: '31'},
        nodes: [
          {name: 'gke-prod-pool-1-abcd', root: '/nonexistent', labels: {'cloud.google.com/gke-nodepool': 'pool-1'}},
        ],
        objects: [NETWORKING],
        audit: {
          user: {username: 'alice@example.com', groups: ['system:authenticated']},
          logs: [{deliver: (lines) => logging.add(gkeEntriesOf(lines, target, {keepAuditID})), policy, delayMs}],
        },
      })
      return {logging, kubeconfig: fake.writeKubeconfig({context}), env: fakeGoogleEnv(tempDir(), logging)}
    }

    it('found in Cloud Logging after a delay, matched by its name where GKE keeps another ID; no level or stage there', async () => {
      const {logging, kubeconfig, env} = await gke(RECORD_POLICY, false, 1500)
      const startedAt = Date.now()
      const result = await runCli(
        ['doctor', '--kubeconfig', kubeconfig, '--probe', '--probe-timeout', '30s', '-o', 'json'],
        {env},
      )
      const report = parse(result)
      assert.equal(result.code, 0, result.stderr)
      assert.deepEqual(report.probe!.sources, [`cloud-logging:${GKE_PROJECT}/${GKE_LOCATION}/${GKE_CLUSTER}`])
      assert.deepEqual(report.probe!.slowServices, ['Cloud Logging'])
      const {record} = knpRecord(report)
      assert.deepEqual(
        {...record, foundAfterMs: 0},
        {
          recorder: 'kube-apiserver',
          source: `cloud-logging:${GKE_PROJECT}/${GKE_LOCATION}/${GKE_CLUSTER}`,
          matchedBy: 'object',
          level: null,
          stages: null,
          requestBody: true,
          responseBody: true,
          foundAfterMs: 0,
        },
      )
      assert.ok(record.foundAfterMs >= 1500, `found after ${record.foundAfterMs} ms`)
      assert.equal(check(report, 'audit-probe').status, 'pass', check(report, 'audit-probe').detail)
      assert.match(
        result.stderr,
        /^reading GKE audit logs of cluster prod \(europe-west1, project shop-prod\) from Cloud Logging/m,
      )
      assert.match(
        result.stderr,
        /^probe: Cloud Logging can take minutes to show an event\nprobe: {3}if none is found in time, try --probe-timeout 5m$/m,
      )
      assert.doesNotMatch(result.stderr, /Warning|no audit entry/)
      for (const line of result.stderr.split('\n')) if (line.startsWith('probe:')) assert.ok(line.length <= 80, line)
      // Asked for the probe's window (the writes, from just before they were sent), and again while waiting.
      const probes = logging.requests.filter((r) => r.filter.includes('networkpolicies'))
      assert.ok(probes.length >= 2, `${probes.length} queries`)
      for (const request of probes) {
        const since = /timestamp>="([^"]+)"/.exec(request.filter)?.[1]
        assert.ok(since && Date.parse(since) > startedAt - 5 * 60_000, request.filter)
      }
    })

    it('matched by its Audit-ID where GKE passes it on as the operation ID', async () => {
      const {kubeconfig, env} = await gke(RECORD_POLICY, true, 0)
      const result = await runCli(['doctor', '--kubeconfig', kubeconfig, '--probe', '-o', 'json'], {env})
      const {knp, record} = knpRecord(parse(result))
      assert.equal(record.matchedBy, 'audit-id')
      assert.equal(knp.echoedAuditID, knp.auditID)
    })

    it('no Google credentials (the metadata address answers as a proxy does): nothing sent, said in one clean line, no warning of the auth library', async () => {
      const {logging, kubeconfig, env} = await gke(RECORD_POLICY, true, 0)
      logging.options.metadataProxy = true
      const result = await runCli(['doctor', '--kubeconfig', kubeconfig, '--probe', '-o', 'json'], {env})
      const report = parse(result)
      assert.match(report.probe!.unreadable ?? '', /^no Google credentials to read Cloud Logging with/)
      assert.equal(
        result.stderr,
        'probe: nothing sent: the audit log cannot be read\n',
        'the reason is in the report; nothing else on stderr',
      )
      assert.equal(logging.requests.length, 0)
    })

    it('never shipped: not recorded, and says Cloud Logging can take minutes and which --probe-timeout to try', async () => {
      const {kubeconfig, env} = await gke(DROP_POLICY, true, 0)
      const result = await runCli(
        ['doctor', '--kubeconfig', kubeconfig, '--probe', '--probe-timeout', '3s', '-o', 'json'],
        {
          env,
        },
      )
      const report = parse(result)
      assert.equal(result.code, 1)
      const recorded = check(report, 'audit-probe')
      assert.equal(recorded.status, 'fail')
      assert.equal(recorded.detail, 'networkpolicies.networking.k8s.io: not recorded in 3.0s')
      assert.match(
        recorded.remedy ?? '',
        /Cloud Logging can take minutes to show an event: try a longer --probe-timeout \(5m\)$/,
      )
      assert.deepEqual(report.probe!.readErrors, [], 'an empty window ahead is no error')
    })
  })

  describe('AKS: Log Analytics', () => {
    async function aks(rows: Array<Record<string, unknown>>, delayMs: number) {
      const azure = new FakeLogAnalytics()
      await azure.start()
      const scenario = new AksScenario(azure)
      cleanups.push(async () => {
        scenario.remove()
        await azure.stop()
      })
      scenario.armResources()
      const table = [...rows]
      azure.workspaces.set(WORKSPACE_ID, {tables: new Map([['AKSAuditAdmin', table]])})
      const fake = await apiserver({
        version: {gitVersion: 'v1.31.2', major: '1', minor: '31'},
        nodes: [
          {
            name: 'aks-nodepool1-12345678-vmss000000',
            root: '/nonexistent',
            labels: {'kubernetes.azure.com/cluster': 'MC_shop-rg_shop-prod_westeurope'},
          },
        ],
        objects: [NETWORKING],
        audit: {logs: [{deliver: (lines) => table.push(...logAnalyticsRowsOf(lines)), policy: RECORD_POLICY, delayMs}]},
      })
      const kubeconfig = fake.writeKubeconfig({context: 'shop-prod'})
      const run = (...args: string[]) =>
        runCli(
          [
            'doctor',
            '--kubeconfig',
            kubeconfig,
            '--cluster-name',
            'shop-prod',
            '--resource-group',
            'shop-rg',
            '--probe',
            ...args,
            '-o',
            'json',
          ],
          {env: {...scenario.env(), KUBECONFIG: kubeconfig}},
        )
      return {azure, run}
    }

    it('the last rows an hour old, none in the window yet: the table is chosen from the days before, and the probe found there', async () => {
      const lease = auditEvent({
        time: recently(3600_000),
        verb: 'update',
        apiGroup: 'coordination.k8s.io',
        resource: 'leases',
        name: 'x',
      })
      const {azure, run} = await aks([logAnalyticsRow(lease)], 1500)
      const result = await run('--probe-timeout', '30s')
      const report = parse(result)
      assert.equal(result.code, 0, result.stderr)
      assert.equal(report.probe!.unreadable, null)
      assert.deepEqual(report.probe!.sources, [`log-analytics:${WORKSPACE_ID}/AKSAuditAdmin`])
      const {record} = knpRecord(report)
      assert.deepEqual(
        [record.matchedBy, record.level, record.stages, record.requestBody, record.responseBody],
        ['audit-id', 'RequestResponse', ['ResponseComplete'], true, true],
      )
      assert.ok(record.foundAfterMs >= 1500, `found after ${record.foundAfterMs} ms`)
      assert.equal(check(report, 'audit-probe').status, 'pass')
      assert.match(result.stderr, /^probe: Log Analytics can take minutes to show an event/m)
      // Every query of the rows asks for the probe's minutes, not the week the table was chosen by.
      const rowQueries = azure.requests.filter((r) => r.query.includes('networkpolicies'))
      assert.ok(rowQueries.length > 0)
      for (const request of rowQueries) {
        const [start] = (request.timespan ?? '').split('/')
        assert.ok(Date.parse(start!) > Date.now() - 10 * 60_000, request.timespan)
      }
    })
  })

  describe("Calico Enterprise's Elasticsearch", () => {
    async function storage(delayMs: number): Promise<CalicoStorageCluster> {
      let store: CalicoStorageCluster | undefined
      store = await startCalicoStorageCluster({
        nodes: [{name: 'worker-1', root: '/nonexistent'}],
        moreObjects: [NETWORKING],
        audit: {
          logs: [
            {
              deliver: (lines) => store!.es.index(CALICO_KUBE_INDEX, calicoDocumentsOf(lines)),
              policy: RECORD_POLICY,
              delayMs,
            },
          ],
        },
      })
      cleanups.push(() => store!.close())
      return store
    }

    it('found through the cluster when no node log can be read, in the kube-apiserver index', async () => {
      const {fake} = await storage(1000)
      const result = await runCli(
        ['doctor', '--kubeconfig', fake.kubeconfigPath, '--probe', '--probe-timeout', '30s', '-o', 'json'],
        {
          env: {ES_USERNAME: '', ES_PASSWORD: '', ES_API_KEY: ''},
        },
      )
      const report = parse(result)
      assert.ok(
        report.probe!.sources.some((s) => s.includes('tigera_secure_ee_audit_kube')),
        report.probe!.sources.join(),
      )
      const {record} = knpRecord(report)
      assert.match(record.source, /tigera_secure_ee_audit_kube/)
      assert.deepEqual(
        [record.recorder, record.matchedBy, record.level, record.stages, record.responseBody],
        ['kube-apiserver', 'audit-id', 'RequestResponse', ['ResponseComplete'], true],
      )
      assert.ok(record.foundAfterMs >= 1000)
      assert.equal(check(report, 'audit-probe').status, 'pass', check(report, 'audit-probe').detail)
      assert.match(result.stderr, /Calico Enterprise's Elasticsearch/)
      assert.doesNotMatch(result.stderr, /can take minutes/)
    })

    it('--es: the store given by URL, the probe still written through the cluster', async () => {
      const {fake, es} = await storage(0)
      const dir = tempDir()
      writeFileSync(join(dir, 'ca.pem'), es.caPem!)
      const result = await runCli(
        [
          'doctor',
          '--kubeconfig',
          fake.kubeconfigPath,
          '--probe',
          '--es',
          es.url,
          '--es-ca',
          join(dir, 'ca.pem'),
          '-o',
          'json',
        ],
        {env: {ES_USERNAME: 'elastic', ES_PASSWORD: ELASTIC_PASSWORD, ES_API_KEY: ''}},
      )
      const report = parse(result)
      assert.equal(
        result.code,
        0,
        `${result.stderr}\n${JSON.stringify(report.checks.filter((c) => c.status === 'fail'))}`,
      )
      const {record} = knpRecord(report)
      assert.match(record.source, /tigera_secure_ee_audit_kube/)
      assert.equal(record.level, 'RequestResponse')
      // Not through the cluster: no port-forward.
      assert.ok(!fake.requests.some((r) => r.path.endsWith('/portforward')))
      assert.ok(es.requests.some((r) => r.path.includes('_search')))
    })
  })

  describe('Loki (--loki)', () => {
    it('found in the stream the selector names, matched by its Audit-ID', async () => {
      const loki = await new FakeLoki().start()
      cleanups.push(() => loki.close())
      const labels = {job: 'integrations/kubernetes-audit', cluster: 'demo'}
      // The log shipped before: a line ten minutes old, outside the probe's window.
      const earlier = JSON.stringify(
        auditEvent({
          time: recently(600_000),
          verb: 'update',
          apiGroup: 'coordination.k8s.io',
          resource: 'leases',
          name: 'x',
        }),
      )
      const stream = loki.addStream(
        labels,
        lokiEntriesOf([earlier]).map((e) => ({...e, ns: e.ns - 600_000_000_000n})),
      )
      const fake = await apiserver({
        nodes: [{name: 'worker-1', root: '/nonexistent'}],
        objects: [NETWORKING],
        audit: {
          logs: [
            {deliver: (lines) => stream.entries.push(...lokiEntriesOf(lines)), policy: RECORD_POLICY, delayMs: 1000},
          ],
        },
      })
      const result = await runCli(
        ['doctor', '--kubeconfig', fake.kubeconfigPath, '--probe', '--loki', loki.url, '-o', 'json'],
        {
          env: {LOKI_USERNAME: '', LOKI_PASSWORD: '', LOKI_BEARER_TOKEN: ''},
        },
      )
      const report = parse(result)
      assert.equal(result.code, 0, result.stderr)
      assert.deepEqual(report.probe!.sources, [`loki:${loki.url}`])
      const {record} = knpRecord(report)
      assert.deepEqual(
        [record.matchedBy, record.level, record.stages, record.requestBody, record.responseBody],
        ['audit-id', 'RequestResponse', ['ResponseComplete'], true, true],
      )
      assert.match(result.stderr, /^reading the audit log in \{job=~?".*\} from Loki at /m)
      // The probe's window, pushed down: only creates of network policies.
      const queries = loki.queries()
      assert.ok(
        queries.some((q) => /networkpolicies/.test(q.params.query ?? '') && /create/.test(q.params.query ?? '')),
      )
      assert.ok(!fake.requests.some((r) => r.path.includes('/proxy/logs')), 'no node touched')
    })
  })

  describe('--no-node-access', () => {
    it('EKS: the probe still looks in CloudWatch Logs, which no node holds', async () => {
      const group = '/aws/eks/prod-eu/cluster'
      const aws = await new FakeCloudWatch().start()
      cleanups.push(() => aws.close())
      aws.clusters.set('prod-eu', {logging: [{types: ['audit'], enabled: true}]})
      aws.group(group)
      const ship = (lines: string[]) => {
        for (const line of lines)
          aws.group(group).events.push(storedEvent({timestamp: Date.now(), message: line, logStreamName: AUDIT_STREAM}))
      }
      const fake = await apiserver({
        version: {gitVersion: 'v1.31.4-eks-1a2b3c4', major: '1', minor: '31'},
        nodes: [
          {
            name: 'ip-10-0-1-1.eu-west-1.compute.internal',
            root: '/nonexistent',
            labels: {'eks.amazonaws.com/nodegroup': 'ng-1'},
          },
        ],
        objects: [NETWORKING],
        audit: {logs: [{deliver: ship, policy: RECORD_POLICY}]},
      })
      const kubeconfig = fake.writeKubeconfig({context: 'arn:aws:eks:eu-west-1:123456789012:cluster/prod-eu'})
      const result = await runCli(['doctor', '--kubeconfig', kubeconfig, '--probe', '--no-node-access', '-o', 'json'], {
        env: aws.env(),
      })
      const report = parse(result)
      assert.equal(result.code, 0, result.stderr)
      assert.deepEqual(report.probe!.sources, [`cloudwatch:${group}`])
      assert.equal(check(report, 'audit-probe').status, 'pass')
      // EKS's control plane is not visible by design: nothing to warn about when its log is on.
      assert.equal(check(report, 'eks-audit-logging').status, 'pass')
      const visible = check(report, 'control-plane-visible')
      assert.equal(visible.status, 'skip', visible.detail)
      assert.match(visible.detail, /Amazon EKS runs the control plane.*\(see eks-audit-logging\)/)
    })

    it('a cluster whose log is on its nodes: nothing sent, and says why', async () => {
      const fake = await apiserver({
        nodes: [{name: 'cp-1', root: '/nonexistent', labels: {'node-role.kubernetes.io/control-plane': ''}}],
        objects: [NETWORKING],
      })
      const result = await runCli([
        'doctor',
        '--kubeconfig',
        fake.kubeconfigPath,
        '--probe',
        '--no-node-access',
        '-o',
        'json',
      ])
      const report = parse(result)
      assert.match(report.probe!.unreadable ?? '', /on the control-plane nodes here, which --no-node-access forbids/)
      assert.ok(!fake.requests.some((r) => r.method === 'POST' && r.path.includes('networkpolicies')), 'nothing sent')
      assert.ok(
        !fake.requests.some((r) => r.path.includes('/proxy/logs') || (r.path.endsWith('/pods') && r.method === 'POST')),
      )
    })
  })
})
