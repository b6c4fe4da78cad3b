// The API server behind what stands in front of real clusters: Rancher's path prefix over HTTPS,
// `kubectl proxy` over plain HTTP, and a forward proxy named by the kubeconfig's proxy-url. Every
// way of reading (kubelet, reader pod, pod log) must reach the same logs as a direct connection.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {ApiHttp} from '../../src/cluster/api-http.js'
import {loadKubeConfig} from '../../src/cluster/kubeconfig.js'
import {PodLogSource} from '../../src/sources/pod-log.js'
import {type ApiFront, startConnectProxy, startReverseProxy} from '../support/api-proxy.js'
import {runCli} from '../support/cli.js'
import {EXAMPLE_LOG, exampleLines, joinLines, KUBEADM_LOG, RKE2_LOG, writeOnNode} from '../support/cluster-logs.js'
import {criLog} from '../support/container-logs.js'
import {type FakeApiserver, startFakeApiserver} from '../support/fake-apiserver/index.js'
import {podLogKey} from '../support/fake-apiserver/pod-logs.js'
import {withoutSource} from '../support/reports.js'

describe('policies through a server URL with a path prefix, plain HTTP, or a proxy-url', function () {
  this.timeout(60_000)
  let fake: FakeApiserver
  let front: ApiFront | undefined
  let root: string
  let expected: ReturnType<typeof withoutSource>

  before(async () => {
    const result = await runCli(['policies', '-f', EXAMPLE_LOG, '--since', 'all', '-o', 'json'])
    assert.equal(result.code, 0, result.stderr)
    expected = withoutSource(JSON.parse(result.stdout) as PolicyChangeReport)
  })
  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'node-cp-1-'))
    writeOnNode(root, KUBEADM_LOG, joinLines(exampleLines()))
    writeOnNode(root, RKE2_LOG, joinLines(exampleLines()))
    fake = await startFakeApiserver({
      nodes: [{name: 'cp-1', root, labels: {'node-role.kubernetes.io/control-plane': ''}}],
    })
  })
  afterEach(async () => {
    await front?.close()
    front = undefined
    await fake.close()
    rmSync(root, {recursive: true, force: true})
  })

  /** The kubelet path (a /var/log file) and the reader-pod path (an RKE2 file), through `kubeconfig`. */
  async function readsBothWays(kubeconfig: string): Promise<void> {
    for (const logPath of [KUBEADM_LOG, RKE2_LOG]) {
      const result = await runCli([
        'policies',
        '--kubeconfig',
        kubeconfig,
        '--node',
        'cp-1',
        '--log-path',
        logPath,
        '--since',
        'all',
        '-o',
        'json',
      ])
      assert.equal(result.code, 0, result.stderr)
      assert.deepEqual(withoutSource(JSON.parse(result.stdout) as PolicyChangeReport), expected, logPath)
    }
    assert.ok(
      fake.requests.some((r) => r.path === '/api/v1/nodes/cp-1/proxy/logs/kubernetes/audit/'),
      'read through the kubelet',
    )
    assert.ok(
      fake.requests.some((r) => r.path.endsWith('/exec')),
      'read through a reader pod',
    )
  }

  it('keeps the path prefix of the server URL (Rancher, HTTPS)', async () => {
    front = await startReverseProxy(fake, {prefix: '/k8s/clusters/c-1', protocol: 'https'})
    await readsBothWays(fake.writeKubeconfig({server: front.url}))
    assert.ok(
      front.seen.includes('GET /k8s/clusters/c-1/api/v1/nodes/cp-1/proxy/logs/kubernetes/audit/'),
      front.seen.join('\n'),
    )
  })

  it('speaks plain HTTP to `kubectl proxy`, which adds the credentials', async () => {
    front = await startReverseProxy(fake, {prefix: '', protocol: 'http', addCredentials: true})
    await readsBothWays(fake.writeKubeconfig({server: front.url, token: null}))
  })

  it('goes through the proxy-url of the kubeconfig cluster', async () => {
    front = await startConnectProxy()
    await readsBothWays(fake.writeKubeconfig({proxyUrl: front.url}))
    const target = new URL(fake.url).host
    assert.ok(front.seen.length > 0 && front.seen.every((line) => line === `CONNECT ${target}`), front.seen.join('\n'))
  })

  it('reads a pod log under the path prefix', async () => {
    front = await startReverseProxy(fake, {prefix: '/k8s/clusters/c-1', protocol: 'https'})
    fake.add({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {name: 'kube-apiserver-cp-1', namespace: 'kube-system'},
      spec: {nodeName: 'cp-1', containers: [{name: 'kube-apiserver', image: 'registry.k8s.io/kube-apiserver:v1.35.0'}]},
    })
    const file = join(root, 'container.log')
    const lines = exampleLines().slice(0, 5)
    writeFileSync(
      file,
      criLog(
        lines.map((text, i) => ({timeMs: Date.parse('2026-11-24T10:00:00Z') + i, stream: 'stdout' as const, text})),
      ),
    )
    fake.podLogs[podLogKey('kube-system', 'kube-apiserver-cp-1', 'kube-apiserver')] = file
    const kc = await loadKubeConfig({kubeconfig: fake.writeKubeconfig({server: front.url}), requestTimeoutMs: 0})
    const source = new PodLogSource(
      new ApiHttp(kc),
      {node: 'cp-1', namespace: 'kube-system', pod: 'kube-apiserver-cp-1', container: 'kube-apiserver'},
      null,
    )
    const chunks: Buffer[] = []
    for await (const chunk of source.read()) chunks.push(chunk)
    assert.equal(Buffer.concat(chunks).toString(), joinLines(lines))
  })
})
