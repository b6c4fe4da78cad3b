// doctor in cluster mode against the fake apiserver, through the CLI as users run it: a kubeadm
// mirror pod, /version, Calico's APIService, Calico Enterprise's policy ConfigMap, the policy file
// read from the node, managed-provider nodes, k3s node-args, and refused requests.
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'

import type {DoctorReport} from '../../src/commands/doctor.js'
import {type CliResult, runCli} from '../support/cli.js'
import {type FakeApiserver, type FakeNode, startFakeApiserver} from '../support/fake-apiserver/index.js'

const POLICIES = '../shared/fixtures/real/policies'

function kubeadmMirrorPod(node: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `kube-apiserver-${node}`,
      namespace: 'kube-system',
      labels: {component: 'kube-apiserver', tier: 'control-plane'},
      annotations: {'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': '10.0.0.10:6443', 'kubernetes.io/config.source': 'file'},
    },
    spec: {
      nodeName: node,
      containers: [
        {
          name: 'kube-apiserver',
          image: 'registry.k8s.io/kube-apiserver:v1.31.2',
          command: [
            'kube-apiserver',
            '--audit-log-maxage=30',
            '--audit-log-maxbackup=10',
            '--audit-log-maxsize=100',
            '--audit-log-path=/var/log/kubernetes/audit/audit.log',
            '--audit-policy-file=/etc/kubernetes/audit-policy.yaml',
          ],
          volumeMounts: [
            {name: 'audit', mountPath: '/etc/kubernetes/audit-policy.yaml', readOnly: true},
            {name: 'audit-log', mountPath: '/var/log/kubernetes/audit/'},
          ],
        },
      ],
      volumes: [
        {name: 'audit', hostPath: {path: '/etc/kubernetes/audit-policy.yaml', type: 'File'}},
        {name: 'audit-log', hostPath: {path: '/var/log/kubernetes/audit/', type: 'DirectoryOrCreate'}},
      ],
    },
    status: {phase: 'Running'},
  }
}

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

  async function start(options: {nodes?: Array<Omit<FakeNode, 'root'> & {files?: Record<string, string>}>; objects?: object[]; gitVersion?: string}): Promise<FakeApiserver> {
    const nodes = (options.nodes ?? []).map(({files, ...node}) => {
      const root = nodeRoot(files ?? {})
      roots.push(root)
      return {...node, root}
    })
    const gitVersion = options.gitVersion ?? 'v1.31.2'
    fake = await startFakeApiserver({nodes, objects: options.objects, version: {gitVersion, major: '1', minor: gitVersion.split('.')[1]}})
    return fake
  }

  const doctor = (server: FakeApiserver, ...args: string[]): Promise<CliResult> => runCli(['doctor', '--kubeconfig', server.kubeconfigPath, ...args])
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
      nodes: [{name: 'cp-1', labels: {'node-role.kubernetes.io/control-plane': ''}, files: {'etc/kubernetes/audit-policy.yaml': readFileSync('examples/policies/recommended.yaml', 'utf8')}}],
      objects: [
        kubeadmMirrorPod('cp-1'),
        apiService('projectcalico.org', 'v3', {namespace: 'tigera-system', name: 'tigera-api'}),
        apiService('crd.projectcalico.org', 'v1'),
        apiService('networking.k8s.io', 'v1'),
        {apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'tigera-audit-policy', namespace: 'tigera-system'}, data: {config: readFileSync(`${POLICIES}/tigera-ee-apiserver.yaml`, 'utf8')}},
      ],
    })
    const {report, result} = await json(server)
    assert.equal(report.target.mode, 'cluster')
    assert.equal(report.target.kubernetesVersion, '1.31')
    assert.deepEqual(report.target.apiservers.map((a) => [a.name, a.node, a.distribution]), [['kube-system/kube-apiserver-cp-1', 'cp-1', 'kubeadm']])
    assert.equal(check(report, 'control-plane-visible').status, 'pass')
    assert.equal(check(report, 'audit-log-mount').status, 'pass')
    assert.equal(check(report, 'policy-readable').status, 'pass', check(report, 'policy-readable').detail)
    assert.equal(report.target.policy, 'node cp-1:/etc/kubernetes/audit-policy.yaml')
    assert.equal(check(report, 'policy-coverage').status, 'pass')
    // Aggregated: kube-apiserver cannot record projectcalico.org bodies, whatever its policy says.
    assert.equal(check(report, 'calico-api-mode').status, 'warn')
    assert.match(check(report, 'calico-api-mode').detail, /aggregated API \(Service tigera-system\/tigera-api\).*Metadata only/)
    // The operator's policy leaves out deletecollection.
    const enterprise = check(report, 'calico-apiserver-policy')
    assert.equal(enterprise.status, 'fail')
    assert.match(enterprise.detail, /ConfigMap tigera-system\/tigera-audit-policy: 9 of 45 projectcalico\.org writes not recorded: deletecollection/)
    assert.equal(result.code, 1)
    const readerPods = server.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/namespaces/kube-system/pods')
    assert.equal(readerPods.length, 1, 'one reader pod for the policy file')
    const deleted = server.requests.filter((r) => r.method === 'DELETE' && r.path.startsWith('/api/v1/namespaces/kube-system/pods/'))
    assert.equal(deleted.length, 1, 'and it is deleted')
  })

  it('--no-node-access never touches a node, and says what would read the policy', async () => {
    const server = await start({nodes: [{name: 'cp-1'}], objects: [kubeadmMirrorPod('cp-1')]})
    const {report} = await json(server, '--no-node-access')
    const readable = check(report, 'policy-readable')
    assert.equal(readable.status, 'skip')
    assert.match(readable.detail, /--no-node-access/)
    assert.equal(readable.remedy, 'kubectl debug node/cp-1 -i -q --profile=sysadmin --image=busybox -- cat /host/etc/kubernetes/audit-policy.yaml > audit-policy.yaml && kubectl audit doctor --policy-file audit-policy.yaml')
    assert.equal(server.requests.filter((r) => r.method === 'POST').length, 0)
  })

  it('--policy-file checks a local policy against the cluster (Calico served as CRDs)', async () => {
    const server = await start({
      nodes: [{name: 'cp-1'}],
      objects: [kubeadmMirrorPod('cp-1'), apiService('projectcalico.org', 'v3'), apiService('policy.networking.k8s.io', 'v1alpha1')],
    })
    const {report, result} = await json(server, '--policy-file', `${POLICIES}/gce-rendered.yaml`)
    assert.equal(check(report, 'calico-api-mode').status, 'pass')
    assert.match(check(report, 'calico-api-mode').detail, /served as CRDs/)
    // Served here: projectcalico.org (9 resources), networking.k8s.io (1), policy.networking.k8s.io (3):
    // 13 × 5 verbs = 65 rows; only networking.k8s.io's 5 are at RequestResponse (GCE's rule 15).
    assert.match(check(report, 'policy-coverage').detail, /^60 of 65 writes recorded without bodies/)
    assert.equal(check(report, 'calico-apiserver-policy').status, 'skip')
    assert.equal(result.code, 0)
  })

  it('a managed control plane (EKS): says where its audit log is', async () => {
    const server = await start({gitVersion: 'v1.30.4-eks-a737599', nodes: [{name: 'ip-10-0-1-1', labels: {'eks.amazonaws.com/nodegroup': 'ng-1'}, providerID: 'aws:///eu-west-1a/i-0abc'}]})
    const {report, result} = await json(server)
    const visible = check(report, 'control-plane-visible')
    assert.equal(visible.status, 'warn')
    assert.match(visible.detail, /Amazon EKS.*Calico CRD writes are recorded there at Metadata only/)
    assert.match(visible.remedy ?? '', /"audit".*CloudWatch/)
    assert.equal(check(report, 'policy-readable').status, 'skip')
    assert.equal(report.target.kubernetesVersion, '1.30')
    assert.equal(result.code, 0)
  })

  it('k3s: flags from the node-args annotation, the policy read from the host path', async () => {
    const args = ['server', '--kube-apiserver-arg', 'audit-log-path=/var/lib/rancher/k3s/server/logs/audit.log', '--kube-apiserver-arg', 'audit-policy-file=/var/lib/rancher/k3s/server/audit.yaml']
    const server = await start({
      gitVersion: 'v1.31.4+k3s1',
      nodes: [{name: 'k3s-1', annotations: {'k3s.io/node-args': JSON.stringify(args)}, files: {'var/lib/rancher/k3s/server/audit.yaml': readFileSync(`${POLICIES}/k8s-website-example.yaml`, 'utf8')}}],
    })
    const {report} = await json(server)
    assert.deepEqual(report.target.apiservers.map((a) => [a.name, a.source, a.distribution]), [['node/k3s-1', 'node-args', 'k3s']])
    assert.equal(check(report, 'audit-log-mount').status, 'pass')
    assert.match(check(report, 'audit-log-mount').detail, /path on the node/)
    assert.equal(check(report, 'policy-readable').status, 'pass')
    assert.equal(check(report, 'policy-coverage').status, 'warn')
    // Maxage and friends were not given: the defaults of 1.31 keep everything forever.
    assert.match(check(report, 'audit-log-retention').detail, /never deleted/)
  })

  it('403 on listing kube-system pods: says which permission, and goes on', async () => {
    const server = await start({nodes: [{name: 'cp-1'}], objects: [kubeadmMirrorPod('cp-1')]})
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
    const server = await start({nodes: [{name: 'cp-1'}], objects: [kubeadmMirrorPod('cp-1')]})
    server.fail({method: 'GET', path: /apiservices$/, code: 403})
    const {report} = await json(server, '--policy-file', `${POLICIES}/gce-rendered.yaml`)
    assert.equal(check(report, 'calico-api-mode').status, 'skip')
    assert.match(check(report, 'calico-api-mode').remedy ?? '', /list apiservices/)
    // Unknown served groups: every watched group but extensions counts, 22 resources × 5 verbs.
    assert.match(check(report, 'policy-coverage').detail, /^105 of 110 writes/)
  })

  it('a failed policy read is a skip with the reason, not an error', async () => {
    const server = await start({nodes: [{name: 'cp-1'}], objects: [kubeadmMirrorPod('cp-1')]})
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
    assert.match(result.stderr, /^error: the API server at https:\/\/127\.0\.0\.1:\d+ rejected the credentials \(401 Unauthorized\)$/m)
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
    assert.match(result.stderr, /cannot connect to the API server .*connection refused/)
  })
})
