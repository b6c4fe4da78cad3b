// The single executable talking to a cluster (the fake apiserver over loopback HTTPS): everything
// @kubernetes/client-node does inside the bundle (kubeconfig and TLS, REST, the kubelet proxy, pod
// exec over WebSocket) must work as it does from node_modules. The oracle is the compiled CLI,
// run with the same arguments against the same fake cluster.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {runCli} from '../support/cli.js'
import {exampleLines, joinLines, KUBEADM_LOG, writeOnNode} from '../support/cluster-logs.js'
import {type FakeApiserver, startFakeApiserver} from '../support/fake-apiserver/index.js'
import {builtArchive, manifestPlatform, readPluginManifest, runProgram} from './support.js'

describe('single executable against a cluster', () => {
  let dir: string
  let binary: string
  let fake: FakeApiserver

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-sea-cluster-'))
    const platform = manifestPlatform(readPluginManifest(), 'linux', 'amd64')
    const extracted = await runProgram('tar', ['-xzf', builtArchive(platform), '-C', dir, platform.bin!])
    assert.equal(extracted.code, 0, extracted.stderr)
    binary = join(dir, platform.bin!)
    const root = join(dir, 'cp-1')
    writeOnNode(root, KUBEADM_LOG, joinLines(exampleLines()))
    fake = await startFakeApiserver({nodes: [{name: 'cp-1', root, labels: {'node-role.kubernetes.io/control-plane': ''}}]})
  })
  after(async () => {
    await fake.close()
    rmSync(dir, {recursive: true, force: true})
  })

  async function bothAgree(args: string[]): Promise<unknown> {
    const fromBinary = await runProgram(binary, args, {env: {PATH: '/nonexistent'}})
    const fromCli = await runCli(args)
    assert.equal(fromBinary.code, fromCli.code, fromBinary.stderr)
    assert.equal(fromBinary.stderr, fromCli.stderr)
    const report = JSON.parse(fromBinary.stdout) as unknown
    assert.deepEqual(report, JSON.parse(fromCli.stdout))
    return report
  }

  it('reads a node\'s audit log through the kubelet proxy', async () => {
    const report = (await bothAgree(['policies', '--kubeconfig', fake.kubeconfigPath, '--node', 'cp-1', '--log-path', KUBEADM_LOG, '--since', 'all', '-o', 'json'])) as {changes: unknown[]}
    assert.ok(report.changes.length > 0)
    assert.ok(fake.requests.some((request) => request.path.startsWith('/api/v1/nodes/cp-1/proxy/logs/')))
  })

  it('falls back to a reader pod and exec over WebSocket when nodes/proxy is forbidden', async () => {
    fake.fail({path: /\/proxy\/logs\//, code: 403})
    const execs = () => fake.requests.filter((request) => request.path.endsWith('/exec')).length
    const before = execs()
    await bothAgree(['policies', '--kubeconfig', fake.kubeconfigPath, '--node', 'cp-1', '--log-path', KUBEADM_LOG, '--since', 'all', '-o', 'json'])
    assert.ok(execs() >= before + 2, 'both runs went through exec')
  })

  it('runs doctor against the cluster', async () => {
    const report = (await bothAgree(['doctor', '--kubeconfig', fake.kubeconfigPath, '-o', 'json'])) as {kind: string}
    assert.equal(report.kind, 'DoctorReport')
  })
})
