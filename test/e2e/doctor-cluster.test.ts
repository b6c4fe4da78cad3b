// doctor in cluster mode against the fake apiserver, through the CLI as users run it: a kubeadm
// mirror pod, /version, Calico's APIService, Calico Enterprise's policy ConfigMap, the policy file
// read from the node, managed-provider nodes, k3s node-args, and refused requests.
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import type {DoctorReport} from '../../src/commands/doctor.js'
import {kubeadmApiserverPod} from '../support/apiserver-pods.js'
import {type CliResult, runCli} from '../support/cli.js'
import {KUBEADM_LOG, recentLog, stageTimeOf} from '../support/cluster-logs.js'
import {criLog, klogLine} from '../support/container-logs.js'
import {type FakeApiserver, type FakeNode, startFakeApiserver} from '../support/fake-apiserver/index.js'
import {podLogKey} from '../support/fake-apiserver/pod-logs.js'

const POLICIES = 'test/fixtures/policies'

const apiService = (group: string, version: string, service?: {namespace: string; name: string}) => ({
  apiVersion: 'apiregistration.k8s.io/v1',
  kind: 'APIService',
  metadata: {name: `${version}.${group}`},
  spec: {group, version, ...(service ? {service} : {})},
})

/** A folder playing a node's filesystem, with these files. */
function nodeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'doctor-node-'))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), {recursive: true})
    writeFileSync(join(root, path), text)
  }
  return root
}

describe('doctor against a cluster (fake apiserver)', () => {
  let fake: FakeApiserver | undefined
  const roots: string[] = []
  afterEach(async () => {
    await fake?.close()
    fake = undefined
    for (const root of roots.splice(0)) rmSync(root, {recursive: true, force: true})
  })

  /** `podLogs`: CRI log files by `NAMESPACE/POD/CONTAINER`, as the kubelet keeps them. */
  async function start(options: {
    nodes?: Array<Omit<FakeNode, 'root'> & {files?: Record<string, string>}>
    objects?: object[]
    gitVersion?: string
    podLogs?: Record<string, Buffer>
  }): Promise<FakeApiserver> {
    const nodes = (options.nodes ?? []).map(({files, ...node}) => {
      const root = nodeRoot(files ?? {})
      roots.push(root)
      return {...node, root}
    })
    const logDir = nodeRoot({})
    roots.push(logDir)
    const podLogs = Object.fromEntries(
      Object.entries(options.podLogs ?? {}).map(([key, bytes], i) => {
        writeFileSync(join(logDir, `${i}.log`), bytes)
        return [key, join(logDir, `${i}.log`)]
      }),
    )
    const gitVersion = options.gitVersion ?? 'v1.31.2'
    fake = await startFakeApiserver({
      nodes,
      objects: options.objects,
      podLogs,
      version: {gitVersion, major: '1', minor: gitVersion.split('.')[1]},
    })
    return fake
  }

  const doctor = (server: FakeApiserver, ...args: string[]): Promise<CliResult> =>
    runCli(['doctor', '--kubeconfig', server.kubeconfigPath, ...args])
  const json = async (server: FakeApiserver, ...args: string[]): Promise<{report: DoctorReport; result: CliResult}> => {
    const result = await doctor(server, ...args, '-o', 'json')
    assert.ok(result.stdout.startsWith('{'), result.stderr)
    return {report: JSON.parse(result.stdout) as DoctorReport, result}
  }
  const check = (report: DoctorReport, id: string) => {
    const found = report.checks.find((c) => c.id === id)
    assert.ok(found, id)
    return found
  }

  it('kubeadm with Calico Enterprise: reads the policy from the node and both API paths', async () => {
    const server = await start({
      nodes: [
        {
          name: 'cp-1',
          labels: {'node-role.kubernetes.io/control-plane': ''},
          files: {
            'etc/kubernetes/audit-policy.yaml': readFileSync('examples/policies/recommended.yaml', 'utf8'),
            [KUBEADM_LOG]: recentLog(1, 5000),
          },
        },
      ],
      objects: [
        kubeadmApiserverPod('cp-1'),
        apiService('projectcalico.org', 'v3', {namespace: 'tigera-system', name: 'tigera-api'}),
        apiService('crd.projectcalico.org', 'v1'),
        apiService('networking.k8s.io', 'v1'),
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {name: 'tigera-audit-policy', namespace: 'tigera-system'},
          data: {config: readFileSync(`${POLICIES}/calico-apiserver.yaml`, 'utf8')},
        },
      ],
    })
    const {report, result} = await json(server)
    assert.equal(report.target.mode, 'cluster')
    assert.equal(report.target.kubernetesVersion, '1.31')
    assert.deepEqual(
      report.target.apiservers.map((a) => [a.name, a.node, a.distribution]),
      [['kube-system/kube-apiserver-cp-1', 'cp-1', 'kubeadm']],
    )
    assert.equal(check(report, 'control-plane-visible').status, 'pass')
    assert.equal(check(report, 'audit-log-mount').status, 'pass')
    assert.equal(check(report, 'policy-readable').status, 'pass', check(report, 'policy-readable').detail)
    assert.equal(report.target.policy, 'node cp-1:/etc/kubernetes/audit-policy.yaml')
    // Aggregated: kube-apiserver cannot record projectcalico.org bodies, whatever its policy says
    // (facts §6.1): the rule asks for RequestResponse, the writes are recorded at Metadata, and
    // no policy change can raise them; the bodies are in the crd.projectcalico.org writes.
    const coverage = check(report, 'policy-coverage')
    assert.equal(coverage.status, 'warn')
    assert.equal(
      coverage.detail,
      '45 of 95 writes recorded without bodies, so without diffs: every projectcalico.org write at Metadata (rule 0 asks for RequestResponse; kube-apiserver records an aggregated API at Metadata at most)',
    )
    assert.match(
      coverage.remedy ?? '',
      /^no rule raises projectcalico\.org above Metadata: its bodies are in the crd\.projectcalico\.org writes, recorded in full here/,
    )
    const levels = (group: string) => [
      ...new Set(report.coverage.filter((r) => r.apiGroup === group).map((r) => `${r.level}/${r.policyLevel}`)),
    ]
    assert.deepEqual(levels('projectcalico.org'), ['Metadata/RequestResponse'])
    assert.deepEqual(levels('crd.projectcalico.org'), ['RequestResponse/RequestResponse'])
    assert.equal(check(report, 'calico-api-mode').status, 'warn')
    assert.match(
      check(report, 'calico-api-mode').detail,
      /aggregated API \(Service tigera-system\/tigera-api\).*Metadata only/,
    )
    // The Calico API server's policy leaves out deletecollection.
    const enterprise = check(report, 'calico-apiserver-policy')
    assert.equal(enterprise.status, 'fail')
    assert.match(
      enterprise.detail,
      /ConfigMap tigera-system\/tigera-audit-policy: 9 of 45 projectcalico\.org writes not recorded: deletecollection/,
    )
    assert.equal(result.code, 1)
    const readerPods = server.requests.filter(
      (r) => r.method === 'POST' && r.path === '/api/v1/namespaces/kube-system/pods',
    )
    assert.equal(readerPods.length, 1, 'one reader pod for the policy file')
    const deleted = server.requests.filter(
      (r) => r.method === 'DELETE' && r.path.startsWith('/api/v1/namespaces/kube-system/pods/'),
    )
    assert.equal(deleted.length, 1, 'and it is deleted')
  })

  it('--no-node-access never touches a node, and says what would read the policy', async () => {
    const server = await start({nodes: [{name: 'cp-1'}], objects: [kubeadmApiserverPod('cp-1')]})
    const {report} = await json(server, '--no-node-access')
    const readable = check(report, 'policy-readable')
    assert.equal(readable.status, 'skip')
    assert.match(readable.detail, /--no-node-access/)
    assert.equal(
      readable.remedy,
      'kubectl debug node/cp-1 -i -q --profile=sysadmin --image=busybox -- cat /host/etc/kubernetes/audit-policy.yaml > audit-policy.yaml && kubectl audit doctor --policy-file audit-policy.yaml',
    )
    const fresh = check(report, 'audit-log-fresh')
    assert.equal(fresh.status, 'skip')
    assert.equal(fresh.detail, `--no-node-access: ${KUBEADM_LOG} on cp-1 was not read`)
    assert.equal(
      fresh.remedy,
      `kubectl debug node/cp-1 -i -q --profile=sysadmin --image=busybox -- tail -n 1 /host${KUBEADM_LOG}`,
    )
    assert.equal(server.requests.filter((r) => r.method === 'POST').length, 0)
  })

  it('audit-log-fresh: the newest event of each apiserver, from the tail of its log or its stdout', async () => {
    const fresh = recentLog(1, 30_000)
    const stale = recentLog(1, (3 * 60 + 5) * 60_000)
    const newest = (log: string) => Math.max(...log.split('\n').filter(Boolean).map(stageTimeOf))
    // cp-4 writes to stdout: its last lines are klog lines after its events.
    const stdoutEvents = recentLog(1, 20_000).split('\n').filter(Boolean).slice(-150)
    const stdoutTime = stageTimeOf(stdoutEvents.at(-1)!)
    const stdout = criLog([
      ...stdoutEvents.map((text) => ({timeMs: stageTimeOf(text), stream: 'stdout' as const, text})),
      ...Array.from({length: 20}, (_, i) => ({
        timeMs: stdoutTime,
        stream: 'stderr' as const,
        text: klogLine(stdoutTime, 'I', 'trace.go:236', `Trace[${i}]: "Update"`),
      })),
    ])
    const controlPlane = {'node-role.kubernetes.io/control-plane': ''}
    const server = await start({
      nodes: [
        {name: 'cp-1', labels: controlPlane, files: {[KUBEADM_LOG]: fresh}},
        {name: 'cp-2', labels: controlPlane, files: {[KUBEADM_LOG]: stale}},
        {name: 'cp-3', labels: controlPlane, files: {[KUBEADM_LOG]: ''}},
        {name: 'cp-4', labels: controlPlane},
      ],
      objects: [
        kubeadmApiserverPod('cp-1'),
        kubeadmApiserverPod('cp-2'),
        kubeadmApiserverPod('cp-3'),
        kubeadmApiserverPod('cp-4', {auditLogPath: '-'}),
      ],
      podLogs: {[podLogKey('kube-system', 'kube-apiserver-cp-4', 'kube-apiserver')]: stdout},
    })
    const {report} = await json(server, '--policy-file', 'examples/policies/recommended.yaml')
    const result = check(report, 'audit-log-fresh')
    assert.equal(result.status, 'warn')
    const parts = result.detail.split('; ')
    assert.match(parts[0]!, new RegExp(`^cp-1: newest event \\d+s ago in node cp-1:${KUBEADM_LOG}$`))
    assert.equal(
      parts[1],
      `cp-2: newest event 3h05m old (${new Date(newest(stale)).toISOString()}) in node cp-2:${KUBEADM_LOG}: nothing written for over an hour`,
    )
    assert.equal(parts[2], `cp-3: node cp-3:${KUBEADM_LOG} is empty: kube-apiserver has written no event to it`)
    assert.match(
      parts[3]!,
      /^cp-4: newest event \d+s ago in the last 200 lines of the stdout of pod\/kube-system\/kube-apiserver-cp-4$/,
    )
    assert.match(
      result.remedy ?? '',
      /kubectl logs -n kube-system kube-apiserver-cp-\d -c kube-apiserver \| grep -i audit/,
    )
    // Only the tails move: Range requests through the kubelet, tailLines on the pod log, no reader pod.
    const logReads = server.requests.filter((r) => r.path.includes('/proxy/logs/') && r.headers.range !== 'bytes=0-0')
    assert.deepEqual(
      logReads.map((r) => r.headers.range),
      [
        `bytes=${fresh.length - 256 * 1024}-${fresh.length - 1}`,
        `bytes=${stale.length - 256 * 1024}-${stale.length - 1}`,
      ],
    )
    const podLog = server.requests.find((r) => r.path === '/api/v1/namespaces/kube-system/pods/kube-apiserver-cp-4/log')
    assert.equal(new URLSearchParams(podLog?.query).get('tailLines'), '200')
    // Two 256 KiB tails and about 200 short lines, of two 5 MB logs.
    assert.ok(server.bytesServed < 1024 * 1024, `${server.bytesServed} bytes served`)
    assert.ok(!server.requests.some((r) => r.method === 'POST'))
  })

  it('reads the files of several nodes through reader pods of one run: no pod is taken for a leftover, none is left', async () => {
    const policy = readFileSync('examples/policies/recommended.yaml', 'utf8')
    const nodes = ['cp-1', 'cp-2', 'cp-3']
    // Without the kubelet /logs/ handler every read takes a reader pod, the three logs at once.
    const server = await start({
      nodes: nodes.map((name) => ({
        name,
        files: {'etc/kubernetes/audit-policy.yaml': policy, [KUBEADM_LOG]: recentLog(1, 5000)},
      })),
      objects: nodes.map((n) => kubeadmApiserverPod(n)),
    })
    server.fail({path: /\/proxy\/logs\//, code: 405})
    const {report, result} = await json(server)
    assert.equal(check(report, 'audit-log-fresh').status, 'pass', check(report, 'audit-log-fresh').detail)
    assert.doesNotMatch(result.stderr, /earlier run/)
    // One run looks for leftovers once, before its first pod: a pod of its own is never one.
    const leftoverChecks = server.requests.filter(
      (r) =>
        r.method === 'GET' &&
        r.path === '/api/v1/namespaces/kube-system/pods' &&
        new URLSearchParams(r.query).get('labelSelector') === 'app.kubernetes.io/managed-by=kubectl-audit',
    )
    assert.equal(leftoverChecks.length, 1)
    const created = server.requests.filter(
      (r) => r.method === 'POST' && r.path === '/api/v1/namespaces/kube-system/pods',
    ).length
    assert.equal(created, 4, 'one for the policy file, one per log')
    const {CoreV1Api} = await import('@kubernetes/client-node')
    const {loadKubeConfig} = await import('../../src/cluster/kubeconfig.js')
    const kc = await loadKubeConfig({kubeconfig: server.kubeconfigPath, requestTimeoutMs: 0})
    assert.deepEqual(
      (await kc.makeApiClient(CoreV1Api).listNamespacedPod({namespace: 'kube-system'})).items
        .map((p) => p.metadata?.name)
        .filter((n) => !n?.startsWith('kube-apiserver-')),
      [],
    )
  })

  it('audit-log-fresh: a log file that is not there warns; one that cannot be read is skipped with the command', async () => {
    const server = await start({nodes: [{name: 'cp-1'}], objects: [kubeadmApiserverPod('cp-1')]})
    const missing = check(
      (await json(server, '--policy-file', 'examples/policies/recommended.yaml')).report,
      'audit-log-fresh',
    )
    assert.equal(missing.status, 'warn', missing.detail)
    assert.equal(
      missing.detail,
      `node cp-1:${KUBEADM_LOG} does not exist: kube-apiserver, which creates it at start, is not running with this path, or its volume maps it elsewhere`,
    )
    server.fail({method: 'POST', path: /\/pods$/, code: 403})
    const refused = check(
      (await json(server, '--policy-file', 'examples/policies/recommended.yaml')).report,
      'audit-log-fresh',
    )
    assert.equal(refused.status, 'skip')
    assert.match(refused.detail, new RegExp(`^could not read node cp-1:${KUBEADM_LOG}: .*create pods`))
    assert.equal(
      refused.remedy,
      `kubectl debug node/cp-1 -i -q --profile=sysadmin --image=busybox -- tail -n 1 /host${KUBEADM_LOG}`,
    )
  })

  it('--policy-file checks a local policy against the cluster (Calico served as CRDs)', async () => {
    const server = await start({
      nodes: [{name: 'cp-1'}],
      objects: [
        kubeadmApiserverPod('cp-1'),
        apiService('projectcalico.org', 'v3'),
        apiService('policy.networking.k8s.io', 'v1alpha1'),
      ],
    })
    const {report, result} = await json(server, '--policy-file', `${POLICIES}/known-groups-request-response.yaml`)
    assert.equal(check(report, 'calico-api-mode').status, 'pass')
    assert.match(check(report, 'calico-api-mode').detail, /served as CRDs/)
    // Served here: projectcalico.org (9 resources), networking.k8s.io (1), policy.networking.k8s.io (3):
    // 13 × 5 verbs = 65 rows; only networking.k8s.io's 5 are at RequestResponse (the policy's rule 4).
    assert.match(check(report, 'policy-coverage').detail, /^60 of 65 writes recorded without bodies/)
    assert.equal(check(report, 'calico-apiserver-policy').status, 'skip')
    assert.equal(result.code, 0)
  })

  it('a managed control plane (EKS): says where its audit log is', async () => {
    const server = await start({
      gitVersion: 'v1.30.4-eks-a737599',
      nodes: [
        {name: 'ip-10-0-1-1', labels: {'eks.amazonaws.com/nodegroup': 'ng-1'}, providerID: 'aws:///eu-west-1a/i-0abc'},
      ],
    })
    const {report, result} = await json(server)
    const visible = check(report, 'control-plane-visible')
    // Not visible by design: no warning. Without the EKS lookups (no cluster name), the advice stays.
    assert.equal(visible.status, 'skip')
    assert.match(visible.detail, /Amazon EKS.*Calico CRD writes are recorded there at Metadata only/)
    assert.match(visible.remedy ?? '', /"audit".*CloudWatch/)
    assert.equal(check(report, 'policy-readable').status, 'skip')
    assert.equal(report.target.kubernetesVersion, '1.30')
    assert.equal(result.code, 0)
  })

  it('a managed control plane (GKE) with Calico: Admin Activity always on, Calico writes at Metadata', async () => {
    const server = await start({
      gitVersion: 'v1.31.5-gke.1233000',
      nodes: [
        {
          name: 'gke-prod-pool-1-abcd',
          labels: {'cloud.google.com/gke-nodepool': 'pool-1'},
          providerID: 'gce://shop-prod/europe-west1-b/gke-prod-pool-1-abcd',
        },
      ],
      objects: [
        apiService('projectcalico.org', 'v3', {namespace: 'calico-apiserver', name: 'calico-api'}),
        apiService('crd.projectcalico.org', 'v1'),
        apiService('networking.k8s.io', 'v1'),
      ],
    })
    const {report, result} = await json(server)
    assert.match(
      check(report, 'control-plane-visible').remedy ?? '',
      /kubectl audit policies reads it from Cloud Logging/,
    )
    assert.equal(check(report, 'gke-admin-activity').status, 'pass')
    const writes = check(report, 'gke-policy-writes')
    assert.equal(writes.status, 'warn')
    assert.match(
      writes.detail,
      /networking\.k8s\.io writes with their bodies.*Calico \(projectcalico\.org, crd\.projectcalico\.org\): who changed it, yes; what changed, no/,
    )
    assert.equal(result.code, 0)
  })

  it('k3s: flags from the node-args annotation, the policy read from the host path', async () => {
    const args = [
      'server',
      '--kube-apiserver-arg',
      'audit-log-path=/var/lib/rancher/k3s/server/logs/audit.log',
      '--kube-apiserver-arg',
      'audit-policy-file=/var/lib/rancher/k3s/server/audit.yaml',
    ]
    const server = await start({
      gitVersion: 'v1.31.4+k3s1',
      nodes: [
        {
          name: 'k3s-1',
          annotations: {'k3s.io/node-args': JSON.stringify(args)},
          files: {
            'var/lib/rancher/k3s/server/audit.yaml': readFileSync(`${POLICIES}/metadata-for-the-rest.yaml`, 'utf8'),
          },
        },
      ],
    })
    const {report} = await json(server)
    assert.deepEqual(
      report.target.apiservers.map((a) => [a.name, a.source, a.distribution]),
      [['node/k3s-1', 'node-args', 'k3s']],
    )
    assert.equal(check(report, 'audit-log-mount').status, 'pass')
    assert.match(check(report, 'audit-log-mount').detail, /path on the node/)
    assert.equal(check(report, 'policy-readable').status, 'pass')
    assert.equal(check(report, 'policy-coverage').status, 'warn')
    // Maxage and friends were not given: the defaults of 1.31 keep everything forever.
    assert.match(check(report, 'audit-log-retention').detail, /never deleted/)
  })

  it('403 on listing kube-system pods: says which permission, and goes on', async () => {
    const server = await start({nodes: [{name: 'cp-1'}], objects: [kubeadmApiserverPod('cp-1')]})
    server.fail({method: 'GET', path: /^\/api\/v1\/namespaces\/kube-system\/pods$/, code: 403})
    const {report, result} = await json(server)
    const visible = check(report, 'control-plane-visible')
    assert.equal(visible.status, 'warn')
    assert.match(visible.detail, /cannot list pods -n kube-system -l component=kube-apiserver: 403/)
    assert.match(visible.remedy ?? '', /"list pods" in kube-system/)
    assert.equal(check(report, 'audit-policy-file').status, 'skip')
    assert.equal(result.code, 0)
  })

  it('403 on APIServices: Calico checks skip with the permission, all groups count', async () => {
    const server = await start({nodes: [{name: 'cp-1'}], objects: [kubeadmApiserverPod('cp-1')]})
    server.fail({method: 'GET', path: /apiservices$/, code: 403})
    const {report} = await json(server, '--policy-file', `${POLICIES}/known-groups-request-response.yaml`)
    assert.equal(check(report, 'calico-api-mode').status, 'skip')
    assert.match(check(report, 'calico-api-mode').remedy ?? '', /list apiservices/)
    // Unknown served groups: every watched group but extensions counts, 22 resources × 5 verbs.
    assert.match(check(report, 'policy-coverage').detail, /^105 of 110 writes/)
  })

  it('a failed policy read is a skip with the reason, not an error', async () => {
    const server = await start({nodes: [{name: 'cp-1'}], objects: [kubeadmApiserverPod('cp-1')]})
    server.fail({method: 'POST', path: /\/pods$/, code: 403})
    const {report, result} = await json(server)
    const readable = check(report, 'policy-readable')
    assert.equal(readable.status, 'skip')
    assert.match(readable.detail, /could not read node cp-1:\/etc\/kubernetes\/audit-policy\.yaml: permission denied/)
    assert.match(readable.remedy ?? '', /kubectl debug node\/cp-1/)
    assert.equal(result.code, 0)
  })

  it('exits 2 with one line when the credentials are refused', async () => {
    const server = await start({nodes: [{name: 'cp-1'}]})
    const result = await runCli(['doctor', '--kubeconfig', server.writeKubeconfig({token: 'wrong'})])
    assert.equal(result.code, 2)
    assert.match(
      result.stderr,
      /^error: the API server at https:\/\/127\.0\.0\.1:\d+ rejected the credentials \(401 Unauthorized\)$/m,
    )
    assert.equal(result.stdout, '')
  })

  it('exits 2 when the cluster is unreachable', async () => {
    const server = await start({})
    // The fake's own files go with it: keep a copy of its kubeconfig.
    const kubeconfig = join(nodeRoot({}), 'kubeconfig')
    roots.push(dirname(kubeconfig))
    writeFileSync(kubeconfig, readFileSync(server.kubeconfigPath))
    await server.close()
    fake = undefined
    const result = await runCli(['doctor', '--kubeconfig', kubeconfig])
    assert.equal(result.code, 2, result.stderr + result.stdout)
    assert.match(
      result.stderr,
      /^error: the API server at https:\/\/127\.0\.0\.1:\d+ cannot be reached: connection refused$/m,
    )
  })
})
