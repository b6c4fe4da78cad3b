// One small file from a node, for doctor: the policy file (outside /var/log, so through a reader
// pod) and the newest bytes of a log (through the kubelet).
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {KubeConfig} from '@kubernetes/client-node'

import {loadKubeConfig} from '../../src/cluster/kubeconfig.js'
import {UserError} from '../../src/errors.js'
import type {NodeReadVia} from '../../src/sources/kubelet-or-pod.js'
import {type NodeFileReader, nodeFileReader} from '../../src/sources/node-files.js'
import {ReaderPods} from '../../src/sources/reader-pods.js'
import {KUBEADM_LOG, writeOnNode} from '../support/cluster-logs.js'
import {type FakeApiserver, startFakeApiserver} from '../support/fake-apiserver/index.js'
import {testRun} from '../support/run-context.js'

describe('reading one file from a node', () => {
  let fake: FakeApiserver
  let root: string
  let kc: KubeConfig
  const policy = readFileSync('test/fixtures/policies/metadata-for-the-rest.yaml')
  const log = Buffer.from(Array.from({length: 2000}, (_, i) => `{"n":${i}}\n`).join(''))
  let readers: ReaderPods
  /** A reader as doctor makes one for its run. */
  const reader = (via: NodeReadVia = 'auto'): NodeFileReader => nodeFileReader(kc, via, readers)
  const pods = async () => {
    const {CoreV1Api} = await import('@kubernetes/client-node')
    return (await kc.makeApiClient(CoreV1Api).listPodForAllNamespaces()).items.map((p) => p.metadata?.name)
  }

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'node-files-'))
    writeOnNode(root, '/etc/kubernetes/audit-policy.yaml', policy)
    writeOnNode(root, KUBEADM_LOG, log)
    fake = await startFakeApiserver({nodes: [{name: 'cp-1', root}]})
    kc = await loadKubeConfig({kubeconfig: fake.kubeconfigPath, requestTimeoutMs: 0})
    readers = new ReaderPods(kc, {image: 'busybox:1.37', namespace: 'kube-system', timeoutSeconds: 120}, testRun())
  })
  afterEach(async () => {
    await readers.close()
    await fake.close()
    rmSync(root, {recursive: true, force: true})
  })

  it('reads the policy file through a reader pod, and deletes the pod', async () => {
    assert.deepEqual(await reader()('cp-1', '/etc/kubernetes/audit-policy.yaml'), policy)
    assert.ok(fake.requests.some((r) => r.method === 'POST' && r.path.endsWith('/pods')))
    assert.deepEqual(await pods(), [])
  })

  it('reads the tail of a log through the kubelet, falling back to a pod when refused', async () => {
    assert.deepEqual(await reader()('cp-1', KUBEADM_LOG, {tailBytes: 100}), log.subarray(log.length - 100))
    assert.ok(!fake.requests.some((r) => r.path.endsWith('/pods')))
    fake.fail({path: /\/proxy\/logs\//, code: 403})
    assert.deepEqual(await reader()('cp-1', KUBEADM_LOG, {tailBytes: 100}), log.subarray(log.length - 100))
    assert.deepEqual(await pods(), [])
  })

  it('reads from the start when a proxy on the way drops the Range header', async () => {
    fake.logs.honourRange = false
    assert.deepEqual(await reader()('cp-1', KUBEADM_LOG, {tailBytes: 100}), log.subarray(log.length - 100))
    assert.deepEqual(await reader()('cp-1', KUBEADM_LOG), log)
    await assert.rejects(
      reader()('cp-1', KUBEADM_LOG, {maxBytes: 1000}),
      (error: unknown) =>
        error instanceof UserError && error.message === `node/cp-1:${KUBEADM_LOG} is more than the 1000 bytes expected`,
    )
    assert.ok(!fake.requests.some((r) => r.path.endsWith('/pods')))
  })

  it('refuses a file larger than expected, and a path the kubelet cannot serve with --via kubelet', async () => {
    await assert.rejects(
      reader()('cp-1', KUBEADM_LOG, {maxBytes: 1000}),
      (error: unknown) =>
        error instanceof UserError &&
        error.message === `node/cp-1:${KUBEADM_LOG} is ${log.length} bytes, more than the 1000 expected`,
    )
    await assert.rejects(
      reader('kubelet')('cp-1', '/etc/kubernetes/audit-policy.yaml'),
      (error: unknown) => error instanceof UserError && /outside \/var\/log/.test(error.message),
    )
  })
})
