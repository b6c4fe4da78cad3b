// Reader pods against the fake apiserver: the pod they create, reading through exec, and the
// cleanup and error paths (image pull, Pod Security, a pod that never starts, RBAC).
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {KubeConfig} from '@kubernetes/client-node'

import {loadKubeConfig} from '../../src/cluster/kubeconfig.js'
import {UserError} from '../../src/errors.js'
import {listReaderPodDirectory, ReaderPodFileSource, readCommand} from '../../src/sources/reader-pod-files.js'
import {NoSuchHostDirectory, ReaderPods} from '../../src/sources/reader-pods.js'
import type {ByteRange, LogSource} from '../../src/sources/source.js'
import {type FakeApiserver, startFakeApiserver} from '../support/fake-apiserver/index.js'
import {testRun, type TestRun} from '../support/run-context.js'

async function readAll(source: LogSource, range?: ByteRange): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of source.read(range)) chunks.push(chunk)
  return Buffer.concat(chunks)
}

const dir = '/var/lib/rancher/rke2/server/logs'

describe('reader pods', () => {
  let fake: FakeApiserver
  let root: string
  let kc: KubeConfig
  let run: TestRun
  const content = Buffer.from(Array.from({length: 3000}, (_, i) => `{"line":${i}}\n`).join(''))
  const settings = {image: 'busybox:1.37', namespace: 'kube-system', timeoutSeconds: 600}
  const pods = (overrides: Partial<typeof settings & {startTimeoutMs: number}> = {}) =>
    new ReaderPods(kc, {...settings, ...overrides}, run)
  /** Reader pods as the CLI makes them with --request-timeout: the kubeconfig carries the limit. */
  const timedPods = async (requestTimeoutMs: number) =>
    new ReaderPods(await loadKubeConfig({kubeconfig: fake.kubeconfigPath, requestTimeoutMs}), settings, run)
  /** Pods as plain JSON (client-node returns model classes). */
  const listPods = async () => {
    const k8s = await import('@kubernetes/client-node')
    const list = await kc.makeApiClient(k8s.CoreV1Api).listPodForAllNamespaces()
    return JSON.parse(JSON.stringify(list.items)) as typeof list.items
  }

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'reader-pod-'))
    mkdirSync(join(root, dir), {recursive: true})
    writeFileSync(join(root, dir, 'audit.log'), content)
    writeFileSync(join(root, dir, 'audit-2026-11-24T10-00-00.000.log.gz'), '')
    fake = await startFakeApiserver({nodes: [{name: 'cp-1', root}]})
    kc = await loadKubeConfig({kubeconfig: fake.kubeconfigPath, requestTimeoutMs: 0})
    run = testRun()
  })
  afterEach(async () => {
    await fake.close()
    rmSync(root, {recursive: true, force: true})
  })

  it('creates a pinned, read-only, deadline-bound pod, reads through it, and deletes it', async () => {
    const readers = pods()
    const pod = await readers.open('cp-1', [dir])
    const [spec] = await listPods()
    assert.equal(spec?.metadata?.labels?.['app.kubernetes.io/managed-by'], 'kubectl-audit')
    assert.match(spec?.metadata?.labels?.['kubectl-audit.io/run'] ?? '', /^[0-9a-f]{12}$/)
    assert.equal(spec?.spec?.nodeName, 'cp-1')
    assert.equal(spec?.spec?.activeDeadlineSeconds, 600)
    assert.deepEqual(spec?.spec?.tolerations, [{operator: 'Exists'}])
    assert.deepEqual(spec?.spec?.volumes, [{name: 'host-0', hostPath: {path: dir, type: 'Directory'}}])
    assert.deepEqual(spec?.spec?.containers[0]?.volumeMounts, [
      {name: 'host-0', mountPath: `/host${dir}`, readOnly: true},
    ])
    assert.equal(spec?.spec?.containers[0]?.image, 'busybox:1.37')

    const source = new ReaderPodFileSource(pod, `${dir}/audit.log`)
    assert.equal(source.name, `node/cp-1:${dir}/audit.log`)
    assert.equal(await source.size(), content.length)
    assert.deepEqual(await readAll(source), content)
    assert.deepEqual(await readAll(source, {start: 0, end: 64}), content.subarray(0, 64))
    assert.deepEqual(await readAll(source, {start: 1000, end: 1500}), content.subarray(1000, 1500))
    assert.deepEqual(await readAll(source, {start: 30000}), content.subarray(30000))
    assert.deepEqual(await listReaderPodDirectory(pod, dir), ['audit-2026-11-24T10-00-00.000.log.gz', 'audit.log'])

    await readers.close()
    await readers.close()
    assert.deepEqual(await listPods(), [])
  })

  it('stops the command on the node when the reader leaves early', async () => {
    const readers = pods()
    const source = new ReaderPodFileSource(await readers.open('cp-1', [dir]), `${dir}/audit.log`)
    for await (const chunk of source.read()) {
      assert.ok(chunk.length > 0)
      break
    }
    assert.deepEqual(await readAll(source, {start: 10, end: 20}), content.subarray(10, 20))
    await readers.close()
  })

  for (const protocol of ['v5.channel.k8s.io', 'v4.channel.k8s.io']) {
    it(`reports a read cut short (closed without the exit status, ${protocol}) naming the node and path`, async () => {
      fake.exec.protocols = [protocol]
      const readers = pods()
      const source = new ReaderPodFileSource(await readers.open('cp-1', [dir]), `${dir}/audit.log`)
      fake.exec.cutStdout = {afterBytes: 1000}
      const read: Buffer[] = []
      await assert.rejects(
        (async () => {
          for await (const chunk of source.read()) read.push(chunk)
        })(),
        (error: unknown) =>
          error instanceof UserError &&
          error.message ===
            `reading ${dir}/audit.log on node cp-1 was cut short: the exec stream closed without the command's exit status`,
      )
      assert.deepEqual(Buffer.concat(read), content.subarray(0, 1000))
      // A command whose output ends before the cut still ends with its status.
      assert.deepEqual(await readAll(source, {start: 0, end: 10}), content.subarray(0, 10))
      await readers.close()
    })
  }

  it('reports a missing file with the command and its exit status', async () => {
    const readers = pods()
    const source = new ReaderPodFileSource(await readers.open('cp-1', [dir]), `${dir}/nope.log`)
    await assert.rejects(
      source.size(),
      (error: unknown) =>
        error instanceof UserError &&
        /^stat failed on node cp-1 \(exit 1\): .*No such file or directory/.test(error.message),
    )
    await readers.close()
  })

  it('starts again without a directory the node does not have, and says which it left out', async () => {
    const readers = pods()
    const pod = await readers.open('cp-1', ['/var/log/calico/audit', dir, '/var/log/nope/'])
    assert.deepEqual(pod.missingDirs, ['/var/log/calico/audit', '/var/log/nope'])
    assert.deepEqual(pod.dirs, [dir])
    assert.deepEqual(await listReaderPodDirectory(pod, dir), ['audit-2026-11-24T10-00-00.000.log.gz', 'audit.log'])
    assert.equal(fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/pods')).length, 2)
    await readers.close()
    assert.deepEqual(await listPods(), [])
  })

  it('reports at once that none of the directories exists on the node', async () => {
    const readers = pods()
    await assert.rejects(
      readers.open('cp-1', ['/var/log/calico/audit']),
      (error: unknown) =>
        error instanceof NoSuchHostDirectory &&
        error.message === 'no such directory on node cp-1: /var/log/calico/audit',
    )
    await readers.close()
    assert.deepEqual(await listPods(), [])
  })

  it('waits for the pod as before when it may not list events', async () => {
    fake.fail({method: 'GET', path: /\/events$/, code: 403})
    const readers = pods({startTimeoutMs: 500})
    await assert.rejects(
      readers.open('cp-1', ['/var/log/calico/audit']),
      (error: unknown) =>
        error instanceof UserError && /did not start within 1s \(phase Pending\)$/.test(error.message),
    )
    await readers.close()
    assert.deepEqual(await listPods(), [])
  })

  const failures: Array<[string, () => void, Partial<typeof settings & {startTimeoutMs: number}>, RegExp]> = [
    [
      'an image the node cannot pull',
      () => {
        fake.pods.startup = 'image-pull-error'
      },
      {},
      /^node cp-1 cannot pull the reader image "busybox:1.37" \(ImagePullBackOff\)$/,
    ],
    [
      'a pod that never starts',
      () => {
        fake.pods.startup = 'pending'
      },
      {startTimeoutMs: 300},
      /^the reader pod kube-system\/kubectl-audit-reader-\w+ on node cp-1 did not start within 0s \(phase Pending\)$/,
    ],
    [
      'Pod Security admission',
      () =>
        fake.fail({
          method: 'POST',
          path: /\/pods$/,
          code: 403,
          message:
            'pods "kubectl-audit-reader-x" is forbidden: violates PodSecurity "baseline:latest": hostPath volumes (volume "host-0")',
        }),
      {},
      /^Pod Security admission refused the reader pod in namespace "kube-system": violates PodSecurity "baseline:latest": hostPath volumes \(volume "host-0"\)$/,
    ],
    [
      'no permission to create pods',
      () => fake.fail({method: 'POST', path: /\/pods$/, code: 403}),
      {},
      /^permission denied: "create pods" in namespace "kube-system" is needed to start a reader pod on node cp-1$/,
    ],
  ]
  for (const [what, arrange, overrides, message] of failures) {
    it(`reports ${what} in one line and leaves no pod behind`, async () => {
      arrange()
      const readers = pods(overrides)
      await assert.rejects(
        readers.open('cp-1', [dir]),
        (error: unknown) => error instanceof UserError && message.test(error.message),
      )
      await readers.close()
      assert.deepEqual(await listPods(), [])
    })
  }

  // The Ctrl-C handler exits as soon as close() resolves: by then no pod may exist or be on its way.
  it('creates no pod once closed while opening one', async () => {
    const readers = pods()
    const opening = readers.open('cp-1', [dir])
    opening.catch(() => {})
    await readers.close()
    const creates = () => fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/pods')).length
    const createdBeforeClose = creates()
    await assert.rejects(
      opening,
      (error: unknown) => error instanceof UserError && error.message === 'reading was cancelled',
    )
    assert.equal(creates(), createdBeforeClose, 'a pod was created after close() returned')
    assert.deepEqual(await listPods(), [])
  })

  it('has deleted a pod whose create was in flight when close() returns', async () => {
    const readers = pods()
    let closing: Promise<void> | undefined
    const record = fake.requests.push.bind(fake.requests)
    fake.requests.push = (...requests) => {
      // Closes while the server holds the create, as a Ctrl-C at that moment would.
      if (!closing && requests.some((r) => r.method === 'POST' && r.path.endsWith('/pods'))) closing = readers.close()
      return record(...requests)
    }
    await assert.rejects(
      readers.open('cp-1', [dir]),
      (error: unknown) => error instanceof UserError && error.message === 'reading was cancelled',
    )
    assert.ok(closing)
    await closing
    assert.ok(
      fake.requests.some((r) => r.method === 'DELETE' && r.path.includes('/pods/kubectl-audit-reader-')),
      'close() returned before the pod was deleted',
    )
    assert.deepEqual(await listPods(), [])
  })

  // What Ctrl-C does to a run: its signal aborts, then its cleanups run before the exit.
  it('stops reading when the run is interrupted, and its cleanup deletes the pod', async () => {
    // Big enough to come in many pieces, each held back a while.
    const big = Buffer.alloc(4 * 1024 * 1024, 'x\n')
    writeFileSync(join(root, dir, 'big.log'), big)
    fake.exec.chunkDelayMs = 200
    const source = new ReaderPodFileSource(await pods().open('cp-1', [dir]), `${dir}/big.log`)
    const read: Buffer[] = []
    const reading = (async () => {
      for await (const chunk of source.read()) read.push(chunk)
    })()
    reading.catch(() => {})
    while (read.length === 0) await new Promise((resolve) => setTimeout(resolve, 20))
    await run.interrupt()
    await assert.rejects(reading, (error: unknown) => error === run.signal.reason)
    assert.ok(Buffer.concat(read).length < big.length)
    assert.deepEqual(await listPods(), [])
  })

  it('starts no pod once the run is interrupted', async () => {
    const readers = pods()
    await run.interrupt()
    await assert.rejects(
      readers.open('cp-1', [dir]),
      (error: unknown) => error instanceof UserError && error.message === 'reading was cancelled',
    )
    assert.ok(!fake.requests.some((r) => r.method === 'POST'))
  })

  // Ctrl-C while the create waits for an answer that never comes: the pod was stored all the same.
  it('ends a run interrupted while a create is unanswered, and deletes the pod it made', async () => {
    fake.pods.createAnswerDelayMs = 'never'
    const opening = pods().open('cp-1', [dir])
    opening.catch(() => {})
    while ((await listPods()).length === 0) await new Promise((resolve) => setTimeout(resolve, 20))
    await run.interrupt()
    await assert.rejects(
      opening,
      (error: unknown) => error instanceof UserError && error.message === 'reading was cancelled',
    )
    assert.deepEqual(await listPods(), [])
    assert.ok(
      fake.requests.some(
        (r) =>
          r.method === 'GET' &&
          r.path === '/api/v1/namespaces/kube-system/pods' &&
          r.query.includes('kubectl-audit.io%2Frun%3D'),
      ),
    )
    assert.deepEqual(run.warnings, [])
  })

  it('gives up on a DELETE that is never answered, aborting it, and says how long the pod has', async () => {
    const limited = await loadKubeConfig({
      kubeconfig: fake.kubeconfigPath,
      requestTimeoutMs: 0,
      limits: {firstByteMs: 300},
    })
    const readers = new ReaderPods(limited, settings, run)
    const pod = await readers.open('cp-1', [dir])
    fake.stall({method: 'DELETE', path: /\/pods\//})
    await readers.close()
    assert.deepEqual(run.warnings, [
      `could not delete reader pod kube-system/${pod.name} (the API server at ${fake.url} accepted the connection but sent no answer ` +
        `within 300ms when asked to delete reader pod ${pod.name}); it ends by itself within 600s`,
    ])
  })

  // --request-timeout gave up on the create, but the pod exists: its generated name was never seen.
  it('deletes a pod whose create timed out but landed', async () => {
    fake.pods.createAnswerDelayMs = 3000
    const readers = await timedPods(300)
    await assert.rejects(
      readers.open('cp-1', [dir]),
      (error: unknown) =>
        error instanceof UserError &&
        error.message ===
          `the API server at ${fake.url} did not answer within --request-timeout 300ms when asked to start a reader pod on node cp-1`,
    )
    assert.equal((await listPods()).length, 1, 'the create landed')
    await readers.close()
    assert.deepEqual(await listPods(), [])
  })

  it('says how to remove a pod whose create timed out when it may not look for it', async () => {
    fake.pods.createAnswerDelayMs = 3000
    fake.fail({method: 'GET', path: /^\/api\/v1\/namespaces\/kube-system\/pods$/, code: 403})
    const readers = await timedPods(300)
    await assert.rejects(readers.open('cp-1', [dir]), UserError)
    await readers.close()
    assert.deepEqual(
      run.warnings.map((w) => w.replace(/run=[0-9a-f]{12}$/, 'run=ID')),
      [
        'permission denied: "list pods" in namespace "kube-system" is needed to ' +
          'look for a reader pod whose create went unanswered; if there is one, it ends by itself within 600s, or remove it with: ' +
          'kubectl delete pod -n kube-system -l kubectl-audit.io/run=ID',
      ],
    )
  })

  it('gives up on an exec the API server never answers at the request timeout', async () => {
    const readers = await timedPods(500)
    const source = new ReaderPodFileSource(await readers.open('cp-1', [dir]), `${dir}/audit.log`)
    fake.stall({path: /\/exec$/})
    // The socket must open within connecting's limit (capped by the request timeout) and the answer's.
    await assert.rejects(
      readAll(source),
      (error: unknown) =>
        error instanceof UserError &&
        error.message ===
          `the API server at ${fake.url} accepted the connection but sent no answer within 1s when asked to run cat in the reader pod on node cp-1`,
    )
    await readers.close()
    assert.deepEqual(await listPods(), [])
  })

  it('reports a refused exec with the exact permissions', async () => {
    fake.fail({method: 'GET', path: /\/exec$/, code: 403})
    const readers = pods()
    const source = new ReaderPodFileSource(await readers.open('cp-1', [dir]), `${dir}/audit.log`)
    await assert.rejects(
      readAll(source),
      (error: unknown) =>
        error instanceof UserError &&
        error.message ===
          `permission denied: "get,create pods/exec" in namespace "kube-system" is needed to run cat in the reader pod on node cp-1`,
    )
    await readers.close()
  })

  it('warns about reader pods left by an earlier run', async () => {
    fake.add({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'kubectl-audit-reader-old',
        namespace: 'kube-system',
        labels: {'app.kubernetes.io/managed-by': 'kubectl-audit'},
      },
    })
    await pods().warnAboutLeftovers()
    assert.deepEqual(run.warnings, [
      '1 reader pod(s) from an earlier run are still in namespace kube-system (kubectl-audit-reader-old); ' +
        'remove them with: kubectl delete pod -n kube-system -l app.kubernetes.io/managed-by=kubectl-audit',
    ])
  })

  it('builds read commands that pass the path as an argument', () => {
    assert.deepEqual(readCommand('/host/a.log'), ['cat', '/host/a.log'])
    assert.deepEqual(readCommand('/host/a.log', {start: 10}), ['tail', '-c', '+11', '/host/a.log'])
    assert.deepEqual(readCommand('/host/a.log', {start: 0, end: 5}), ['head', '-c', '5', '/host/a.log'])
    assert.deepEqual(readCommand("/host/it's.log", {start: 3, end: 5}), [
      'sh',
      '-c',
      'tail -c +"$1" "$3" | head -c "$2"',
      'sh',
      '4',
      '2',
      "/host/it's.log",
    ])
  })
})
