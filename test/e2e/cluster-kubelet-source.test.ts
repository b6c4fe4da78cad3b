// The kubelet LogSource against the fake apiserver's node proxy: sizes, ranges, listings, and
// what happens when Range is dropped on the way or the kubelet refuses.
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {ApiHttp} from '../../src/cluster/api-http.js'
import {loadKubeConfig} from '../../src/cluster/kubeconfig.js'
import {UserError} from '../../src/errors.js'
import {KubeletLogSource, listKubeletDirectory} from '../../src/sources/kubelet.js'
import type {ByteRange, LogSource} from '../../src/sources/source.js'
import {type FakeApiserver, startFakeApiserver} from '../support/fake-apiserver/index.js'

async function readAll(source: LogSource, range?: ByteRange): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of source.read(range)) chunks.push(chunk)
  return Buffer.concat(chunks)
}

describe('kubelet log source', () => {
  let fake: FakeApiserver
  let root: string
  let http: ApiHttp
  const content = Buffer.from(Array.from({length: 5000}, (_, i) => `{"line":${i}}\n`).join(''))
  const path = '/var/log/kubernetes/audit/audit.log'

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'kubelet-source-'))
    mkdirSync(join(root, 'var/log/kubernetes/audit'), {recursive: true})
    writeFileSync(join(root, path), content)
    writeFileSync(join(root, 'var/log/kubernetes/audit/audit-2026-11-24T10-00-00.000.log.gz'), '')
    writeFileSync(join(root, 'var/log/kubernetes/audit/empty.log'), '')
    fake = await startFakeApiserver({nodes: [{name: 'cp-1', root}]})
    http = new ApiHttp(await loadKubeConfig({kubeconfig: fake.kubeconfigPath, requestTimeoutMs: 0}))
  })
  afterEach(async () => {
    await fake.close()
    rmSync(root, {recursive: true, force: true})
  })

  it('is named after the node and path, with the rotation time of rotated files', () => {
    assert.equal(new KubeletLogSource(http, 'cp-1', path).name, 'node/cp-1:/var/log/kubernetes/audit/audit.log')
    assert.equal(new KubeletLogSource(http, 'cp-1', path).rotatedAt, null)
    const rotated = new KubeletLogSource(http, 'cp-1', '/var/log/kubernetes/audit/audit-2026-11-24T10-00-00.000.log.gz')
    assert.equal(rotated.rotatedAt?.toISOString(), '2026-11-24T10:00:00.000Z')
  })

  it('knows the size and reads any range, moving only the bytes asked for', async () => {
    const source = new KubeletLogSource(http, 'cp-1', path)
    assert.equal(await source.size(), content.length)
    assert.equal(await new KubeletLogSource(http, 'cp-1', '/var/log/kubernetes/audit/empty.log').size(), 0)
    const before = fake.bytesServed
    assert.deepEqual(await readAll(source, {start: 1000, end: 1100}), content.subarray(1000, 1100))
    assert.deepEqual(await readAll(source, {start: content.length - 50}), content.subarray(content.length - 50))
    assert.deepEqual(await readAll(source, {start: 5, end: 5}), Buffer.alloc(0))
    assert.deepEqual(await readAll(source), content)
    assert.equal(fake.bytesServed - before, 100 + 50 + content.length)
    assert.equal(fake.requests.at(-2)?.headers.range, `bytes=${content.length - 50}-`)
  })

  it('cannot seek when a proxy drops the Range header, and still cuts a range itself', async () => {
    fake.logs.honourRange = false
    const source = new KubeletLogSource(http, 'cp-1', path)
    assert.equal(await source.size(), null)
    assert.deepEqual(await readAll(source), content)
    assert.deepEqual(await readAll(source, {start: 1000, end: 1100}), content.subarray(1000, 1100))
    assert.deepEqual(await readAll(source, {start: 20}), content.subarray(20))
  })

  it('lists a directory through the kubelet', async () => {
    assert.deepEqual(await listKubeletDirectory(http, 'cp-1', '/var/log/kubernetes/audit'), [
      'audit-2026-11-24T10-00-00.000.log.gz',
      'audit.log',
      'empty.log',
    ])
  })

  const refusals: Array<[string, (() => void) | null, string, RegExp]> = [
    [
      'RBAC',
      () => fake.fail({path: /\/proxy\//, code: 403}),
      path,
      /^permission denied: "get nodes\/proxy" \(cluster-wide\) is needed to read node\/cp-1:\/var\/log\/kubernetes\/audit\/audit.log through the kubelet$/,
    ],
    [
      'a disabled handler',
      () => fake.fail({path: /\/proxy\//, code: 405}),
      path,
      /^the kubelet on node cp-1 has its \/logs\/ handler disabled/,
    ],
    [
      'a missing file (its name is said by whoever shows the line)',
      null,
      '/var/log/missing.log',
      /^not found through the kubelet \/logs\/ handler$/,
    ],
  ]
  for (const [what, arrange, hostPath, message] of refusals) {
    it(`reports ${what} as one line`, async () => {
      arrange?.()
      const source = new KubeletLogSource(http, 'cp-1', hostPath)
      await assert.rejects(source.size(), (error: unknown) => error instanceof UserError && message.test(error.message))
      await assert.rejects(
        readAll(source),
        (error: unknown) => error instanceof UserError && message.test(error.message),
      )
    })
  }
})
