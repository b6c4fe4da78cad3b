// Servers that stop answering, against the fake apiserver over loopback: an API server that
// accepts and never answers, a kubelet that never sends headers, a body or an exec stream that
// stops mid-way, a listener that accepts and never reads, a throttling server. With
// --request-timeout at 0 every one of them ends with one line naming what stalled: here with short
// limits (the defaults are 10s, 30s and 60s), and through the CLI with --request-timeout. A hang
// would show as mocha's timeout, never as a timing assertion.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {KubeConfig} from '@kubernetes/client-node'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {ApiHttp, readText} from '../../src/cluster/api-http.js'
import {ControlPlane} from '../../src/cluster/control-plane.js'
import {loadKubeConfig} from '../../src/cluster/kubeconfig.js'
import type {WaitLimits} from '../../src/cluster/wait-limits.js'
import {UserError} from '../../src/errors.js'
import {type ClusterReadOptions, openClusterSources} from '../../src/sources/cluster.js'
import {listKubeletDirectory} from '../../src/sources/kubelet.js'
import {PodLogSource} from '../../src/sources/pod-log.js'
import {ReaderPodFileSource} from '../../src/sources/reader-pod-files.js'
import {ReaderPods} from '../../src/sources/reader-pods.js'
import type {LogSource} from '../../src/sources/source.js'
import {type BlackHole, startBlackHole} from '../support/black-hole.js'
import {ROOT, RUN, runCli} from '../support/cli.js'
import {exampleLines, joinLines, KUBEADM_LOG, writeOnNode} from '../support/cluster-logs.js'
import {type FakeApiserver, startFakeApiserver} from '../support/fake-apiserver/index.js'
import {testRun} from '../support/run-context.js'

const LIMITS: Partial<WaitLimits> = {connectMs: 300, firstByteMs: 300, idleMs: 300}
const KUBEADM_DIR = '/var/log/kubernetes/audit/'

async function readAll(source: LogSource): Promise<{bytes: Buffer; error: unknown}> {
  const chunks: Buffer[] = []
  try {
    for await (const chunk of source.read()) chunks.push(chunk)
  } catch (error) {
    return {bytes: Buffer.concat(chunks), error}
  }
  return {bytes: Buffer.concat(chunks), error: undefined}
}

describe('servers that stall', function () {
  this.timeout(60_000)
  let fake: FakeApiserver
  let root: string
  let log: Buffer
  let hole: BlackHole | undefined

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'stalls-'))
    log = Buffer.from(joinLines(exampleLines()))
    writeOnNode(root, KUBEADM_LOG, log)
    fake = await startFakeApiserver({
      nodes: [{name: 'cp-1', root, labels: {'node-role.kubernetes.io/control-plane': ''}}],
    })
  })
  afterEach(async () => {
    await fake.close()
    await hole?.close()
    hole = undefined
    rmSync(root, {recursive: true, force: true})
  })

  const limitedKc = (server?: string): Promise<KubeConfig> =>
    loadKubeConfig({
      kubeconfig: server ? fake.writeKubeconfig({server}) : fake.kubeconfigPath,
      requestTimeoutMs: 0,
      limits: LIMITS,
    })
  const clusterOptions = (overrides: Partial<ClusterReadOptions> = {}): ClusterReadOptions => ({
    kubeconfig: fake.kubeconfigPath,
    requestTimeoutMs: 0,
    limits: LIMITS,
    nodes: ['cp-1'],
    logPath: KUBEADM_LOG,
    via: 'kubelet',
    image: 'busybox:1.37',
    podNamespace: 'kube-system',
    podTimeoutSeconds: 600,
    ...overrides,
  })

  describe('with --request-timeout 0, each wait has its own limit', () => {
    it('an API server that accepts and never answers', async () => {
      fake.stall({path: /^\/(api|apis|version)(\/|$)/})
      await assert.rejects(
        openClusterSources(clusterOptions(), testRun()),
        (error: unknown) =>
          error instanceof UserError &&
          error.message.startsWith(
            `the API server at ${fake.url} accepted the connection but sent no answer within 300ms when asked to `,
          ) &&
          /--request-timeout/.test(error.hint ?? ''),
      )
    })

    it('a kubelet that never sends its headers', async () => {
      fake.stall({path: /\/proxy\/logs\//})
      await assert.rejects(
        openClusterSources(clusterOptions(), testRun()),
        (error: unknown) =>
          error instanceof UserError &&
          error.message ===
            `no audit log could be read from the cluster: node cp-1: the kubelet on node cp-1 sent no answer within 300ms for ${KUBEADM_DIR} ` +
              `(asked through the API server at ${fake.url})`,
      )
    })

    it('a kubelet body that stops mid-way: what came is kept, and the source says why it ends', async () => {
      fake.stall({path: /\/audit\.log$/, after: {bodyBytes: 1000}})
      const cluster = await openClusterSources(clusterOptions(), testRun())
      const [source] = cluster.sources
      const {bytes, error} = await readAll(source!)
      assert.ok(error instanceof UserError)
      assert.equal(error.message, 'the kubelet on node cp-1 stopped sending: nothing for 300ms')
      assert.deepEqual(bytes, log.subarray(0, 1000))
      await cluster.close()
    })

    it('a pods/log stream that sends its headers and then nothing', async () => {
      fake.stall({path: /\/pods\/[^/]+\/log$/, after: 'headers'})
      const source = new PodLogSource(
        new ApiHttp(await limitedKc()),
        {node: 'cp-1', namespace: 'kube-system', pod: 'kube-apiserver-cp-1', container: 'kube-apiserver'},
        null,
      )
      const {bytes, error} = await readAll(source)
      assert.equal(bytes.length, 0)
      assert.ok(error instanceof UserError)
      assert.equal(error.message, 'the log of pod kube-system/kube-apiserver-cp-1 stopped coming: nothing for 300ms')
    })

    it('an exec stream that stops sending, and an exec that never opens', async () => {
      const run = testRun()
      const readers = new ReaderPods(
        await limitedKc(),
        {image: 'busybox:1.37', namespace: 'kube-system', timeoutSeconds: 600},
        run,
      )
      const source = new ReaderPodFileSource(await readers.open('cp-1', ['/var/log/kubernetes/audit']), KUBEADM_LOG)
      fake.exec.cutStdout = {afterBytes: 1000, stall: true}
      const {bytes, error} = await readAll(source)
      assert.deepEqual(bytes, log.subarray(0, 1000))
      assert.ok(error instanceof UserError)
      assert.equal(
        error.message,
        `reading ${KUBEADM_LOG} on node cp-1 stalled: the reader pod on node cp-1 sent nothing for 300ms`,
      )

      fake.exec.cutStdout = null
      fake.stall({path: /\/exec$/})
      const never = await readAll(source)
      assert.ok(never.error instanceof UserError)
      // Opening is connecting and the upgrade's answer: both limits.
      assert.equal(
        never.error.message,
        `the API server at ${fake.url} accepted the connection but sent no answer within 600ms when asked to run cat in the reader pod on node cp-1`,
      )
      await readers.close()
      assert.deepEqual(run.warnings, [])
    })

    it('a listener that accepts and never reads (plain HTTP): the answer that never starts', async () => {
      const listener = (hole = await startBlackHole())
      await assert.rejects(
        openClusterSources(
          clusterOptions({kubeconfig: fake.writeKubeconfig({server: `http://${listener.address}`})}),
          testRun(),
        ),
        (error: unknown) =>
          error instanceof UserError &&
          error.message.startsWith(
            `the API server at http://${listener.address} accepted the connection but sent no answer within 300ms when asked to `,
          ),
      )
      assert.ok(listener.accepted() > 0)
    })

    it('a listener that accepts and never reads (HTTPS): no TLS answer is no connection', async () => {
      const listener = (hole = await startBlackHole())
      const http = new ApiHttp(await limitedKc(`https://${listener.address}`))
      await assert.rejects(
        listKubeletDirectory(http, 'cp-1', KUBEADM_DIR),
        (error: unknown) =>
          error instanceof UserError &&
          error.message ===
            `could not connect to the API server at https://${listener.address} within 300ms (to read node/cp-1:${KUBEADM_DIR} through the kubelet)`,
      )
    })
  })

  describe('answers the server asks to be retried (429, 503 with Retry-After)', () => {
    it('retries a REST call after the delay the server states, then goes on', async () => {
      fake.fail({method: 'GET', path: /^\/api\/v1\/nodes$/, code: 429, retryAfter: '1', times: 2})
      const nodes = await new ControlPlane(await limitedKc()).nodes()
      assert.deepEqual([...nodes.byName!.keys()], ['cp-1'])
      assert.equal(fake.requests.filter((r) => r.method === 'GET' && r.path === '/api/v1/nodes').length, 3)
    })

    it('retries a create (503), sending its body again', async () => {
      fake.fail({method: 'POST', path: /\/pods$/, code: 503, retryAfter: '0', times: 1})
      const readers = new ReaderPods(
        await limitedKc(),
        {image: 'busybox:1.37', namespace: 'kube-system', timeoutSeconds: 600},
        testRun(),
      )
      const pod = await readers.open('cp-1', ['/var/log/kubernetes/audit'])
      assert.equal(pod.node, 'cp-1')
      assert.equal(fake.requests.filter((r) => r.method === 'POST').length, 2)
      await readers.close()
    })

    it('retries a raw GET (the kubelet /logs/ proxy), then goes on', async () => {
      fake.fail({path: /\/proxy\/logs\//, code: 429, retryAfter: '1', times: 1})
      const cluster = await openClusterSources(clusterOptions(), testRun())
      assert.deepEqual((await readAll(cluster.sources[0]!)).bytes, log)
      assert.equal(fake.requests.filter((r) => r.path === `/api/v1/nodes/cp-1/proxy/logs/kubernetes/audit/`).length, 2)
      await cluster.close()
    })

    it('gives up after 3 retries with one line', async () => {
      fake.fail({
        path: /\/proxy\/logs\//,
        code: 429,
        retryAfter: '0',
        message: 'too many requests, please try again later',
      })
      await assert.rejects(
        openClusterSources(clusterOptions(), testRun()),
        (error: unknown) =>
          error instanceof UserError &&
          error.message ===
            `no audit log could be read from the cluster: node cp-1: the API server at ${fake.url} is throttling requests ` +
              `(429 Too Many Requests, still after 3 retries as it asked) when asked to read node/cp-1:${KUBEADM_DIR} through the kubelet: too many requests, please try again later` &&
          /API Priority and Fairness/.test(error.hint ?? ''),
      )
      assert.equal(fake.requests.filter((r) => r.path.includes('/proxy/logs/')).length, 4)
    })

    it('does not retry a 429 without Retry-After', async () => {
      fake.fail({method: 'GET', path: /^\/api\/v1\/nodes$/, code: 429})
      const nodes = await new ControlPlane(await limitedKc()).nodes()
      assert.equal(nodes.failure?.status, 429)
      assert.equal(fake.requests.filter((r) => r.path === '/api/v1/nodes').length, 1)
    })
  })

  describe('through the CLI', () => {
    const policies = (args: string[]) =>
      runCli([
        'policies',
        '--kubeconfig',
        fake.kubeconfigPath,
        '--node',
        'cp-1',
        '--log-path',
        KUBEADM_LOG,
        '--since',
        'all',
        '-o',
        'json',
        ...args,
      ])

    it('a source that stops mid-way is "could not read it all": the report, a warning, exit 3', async () => {
      // A log long enough for events to be read before the stall, however reading gathers its chunks.
      const lines = exampleLines()
      const long = Buffer.from(
        joinLines(Array.from({length: Math.ceil((4 * 1024 * 1024) / log.length)}, () => lines).flat()),
      )
      writeOnNode(root, KUBEADM_LOG, long)
      fake.stall({path: /\/audit\.log$/, after: {bodyBytes: long.indexOf('\n', 3 * 1024 * 1024) + 1}})
      const result = await policies(['--via', 'kubelet', '--request-timeout', '1s'])
      assert.equal(result.code, 3, result.stderr)
      assert.match(
        result.stderr,
        new RegExp(
          `^warning: node/cp-1:${KUBEADM_LOG}: the kubelet on node cp-1 stopped sending: nothing for 1s, after [0-9.]+ MiB read; the rest of this source is missing\n`,
        ),
      )
      const report = JSON.parse(result.stdout) as PolicyChangeReport & {sources: Array<{complete: boolean}>}
      assert.equal(report.sources[0]?.complete, false)
    })

    const podNames = async () => {
      const k8s = await import('@kubernetes/client-node')
      const kc = await loadKubeConfig({kubeconfig: fake.kubeconfigPath, requestTimeoutMs: 0})
      return (await kc.makeApiClient(k8s.CoreV1Api).listNamespacedPod({namespace: 'kube-system'})).items.map(
        (p) => p.metadata!.name!,
      )
    }

    for (const [signal, exitCode] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      it(`ends on ${signal} while a reader pod's create is unanswered (exit ${exitCode}), and deletes the pod it made`, async () => {
        fake.pods.createAnswerDelayMs = 'never'
        const child = spawn(
          process.execPath,
          [
            RUN,
            'policies',
            '--kubeconfig',
            fake.kubeconfigPath,
            '--node',
            'cp-1',
            '--log-path',
            KUBEADM_LOG,
            '--via',
            'pod',
            '--since',
            'all',
          ],
          {cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe']},
        )
        let stderr = ''
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString()
        })
        const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
        while ((await podNames()).length === 0) await new Promise((resolve) => setTimeout(resolve, 20))
        child.kill(signal)
        assert.equal(await exited, exitCode, stderr)
        assert.deepEqual(await podNames(), [])
      })
    }

    // The DELETE is aborted at the first-byte limit (30s): the process does not outlive it.
    it("exits once the report is out when a reader pod's DELETE is never answered, with the warning", async () => {
      fake.stall({method: 'DELETE', path: /\/pods\//})
      const result = await policies(['--via', 'pod'])
      assert.equal(result.code, 0, result.stderr)
      assert.match(
        result.stderr,
        new RegExp(
          `^warning: could not delete reader pod kube-system/kubectl-audit-reader-\\w+ \\(the API server at ${fake.url} accepted the connection ` +
            'but sent no answer within 30s when asked to delete reader pod kubectl-audit-reader-\\w+\\); it ends by itself within 600s\n$',
        ),
      )
      assert.ok((JSON.parse(result.stdout) as PolicyChangeReport).changes.length > 0)
    })

    it('an API server that speaks HTTPS, asked in plain HTTP', async () => {
      const server = fake.url.replace('https:', 'http:')
      const result = await runCli(['policies', '--kubeconfig', fake.writeKubeconfig({server}), '--since', 'all'])
      assert.equal(result.code, 2)
      assert.equal(
        result.stderr,
        `error: the API server at ${server} speaks HTTPS, not plain HTTP\nhint: write the address with https://: ${fake.url}\n`,
      )
    })

    it('a listener that accepts and never reads (HTTPS), with the default limits: no connection within 10s', async () => {
      const listener = (hole = await startBlackHole())
      const kubeconfig = fake.writeKubeconfig({server: `https://${listener.address}`})
      const result = await runCli(['policies', '--kubeconfig', kubeconfig, '--since', 'all'])
      assert.equal(result.code, 2)
      assert.match(
        result.stderr,
        new RegExp(
          `^error: could not connect to the API server at https://${listener.address} within 10s \\(to .+\\)\nhint: check the server address, your network and VPN`,
        ),
      )
    })
  })
})

describe('stall rules of the fake apiserver', () => {
  let fake: FakeApiserver
  let dir: string
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stall-rules-'))
    mkdirSync(join(dir, 'var/log'), {recursive: true})
    writeFileSync(join(dir, 'var/log/a.log'), 'x'.repeat(5000))
    fake = await startFakeApiserver({nodes: [{name: 'cp-1', root: dir}]})
  })
  afterEach(async () => {
    await fake.close()
    rmSync(dir, {recursive: true, force: true})
  })

  it('stalls only as many requests as `times` says', async () => {
    fake.stall({path: /\/proxy\/logs\/a\.log$/, after: {bodyBytes: 10}, times: 1})
    const http = new ApiHttp(
      await loadKubeConfig({kubeconfig: fake.kubeconfigPath, requestTimeoutMs: 0, limits: LIMITS}),
    )
    const first = await http.get('/api/v1/nodes/cp-1/proxy/logs/a.log', {})
    await assert.rejects(readText(first, 100_000), /nothing sent for 300ms/)
    const second = await http.get('/api/v1/nodes/cp-1/proxy/logs/a.log', {})
    let size = 0
    for await (const chunk of second) size += (chunk as Buffer).length
    assert.equal(size, 5000)
  })
})
