// `policies --watch` on a cluster, the CLI as a child process against the fake apiserver: the
// audit logs of two control-plane nodes grow (and one is rotated) while they are followed through
// the kubelet's /logs/ (polled with Range) or through reader pods (`tail -F` over exec); Ctrl-C at
// the end. Every change is printed once, in time order across the nodes, and no pod is left.
import assert from 'node:assert/strict'
import {appendFileSync, mkdtempSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {get} from 'node:https'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {kubeadmApiserverPod} from '../support/apiserver-pods.js'
import {KUBEADM_LOG, writeOnNode} from '../support/cluster-logs.js'
import {type FakeApiserver, type FakeNode, startFakeApiserver} from '../support/fake-apiserver/index.js'
import {namesListed, noiseNow, policyWriteNow, startWatch, type WatchRun} from '../support/watch.js'

const LOG_URL = (node: string) => `/api/v1/nodes/${node}/proxy/logs/kubernetes/audit/audit.log`

describe('policies --watch on a cluster', function () {
  this.timeout(90_000)
  let fake: FakeApiserver | undefined
  let running: WatchRun | undefined
  const roots: string[] = []

  const node = (name: string): FakeNode => {
    const root = mkdtempSync(join(tmpdir(), `watch-${name}-`))
    roots.push(root)
    return {name, root, labels: {'node-role.kubernetes.io/control-plane': ''}}
  }
  /** Two control-plane nodes whose kube-apiserver pods say where the audit log is. */
  const cluster = async () => {
    const nodes = [node('cp-1'), node('cp-2')]
    writeOnNode(nodes[0]!.root, KUBEADM_LOG, noiseNow(3) + policyWriteNow('before-cp-1'))
    writeOnNode(nodes[1]!.root, KUBEADM_LOG, policyWriteNow('before-cp-2') + noiseNow(2))
    fake = await startFakeApiserver({nodes})
    for (const n of nodes) fake.add(kubeadmApiserverPod(n.name))
    return {f: fake, logs: nodes.map((n) => join(n.root, KUBEADM_LOG))}
  }
  /** Writes changes on the nodes in turn, a little apart; returns their names in the order written. */
  const writeInTurn = async (logs: readonly string[], prefix: string, count: number) => {
    const names: string[] = []
    for (let i = 0; i < count; i++) {
      const name = `${prefix}-${i}-cp-${(i % 2) + 1}`
      appendFileSync(logs[i % 2]!, noiseNow(1) + policyWriteNow(name))
      names.push(name)
      await new Promise((resolve) => setTimeout(resolve, 120))
    }
    return names
  }
  /** The reader pods that exist (the kube-apiserver pods are there too). */
  const podNames = async (f: FakeApiserver) =>
    ((await getJson(f, '/api/v1/pods')).items as Array<{metadata: {name: string}}>)
      .map((p) => p.metadata.name)
      .filter((name) => name.startsWith('kubectl-audit-reader-'))

  afterEach(async () => {
    if (running?.child.exitCode === null) await running.stop('SIGKILL')
    running = undefined
    await fake?.close()
    fake = undefined
    for (const root of roots.splice(0)) rmSync(root, {recursive: true, force: true})
  })

  it('follows every node through the kubelet, polling with Range at most once a second, through a rotation; Ctrl-C ends it', async () => {
    const {f, logs} = await cluster()
    // The size probes below are counted over the whole run, the first read's included.
    const startedAt = Date.now()
    running = startWatch(['--kubeconfig', f.kubeconfigPath])
    await running.waitFor('following 2 logs for new changes', {stream: 'stderr'})
    await running.waitFor('before-cp-2')
    const written = await writeInTurn(logs, 'grew', 4)
    // cp-1's apiserver rotates its log: the old file renamed, a new one under the name.
    appendFileSync(logs[0]!, policyWriteNow('last-before-rotation-cp-1'))
    renameSync(logs[0]!, join(logs[0]!, '..', 'audit-2026-12-07T10-00-00.000.log'))
    writeFileSync(logs[0]!, policyWriteNow('first-after-rotation-cp-1'))
    written.push('last-before-rotation-cp-1', 'first-after-rotation-cp-1', ...(await writeInTurn(logs, 'after', 2)))
    await running.waitFor(written.at(-1)!)
    const seconds = (Date.now() - startedAt) / 1000

    const {code, stdout, stderr} = await running.stop('SIGINT')
    assert.equal(code, 0, stderr)
    assert.deepEqual(namesListed(stdout), ['before-cp-1', 'before-cp-2', ...written])
    assert.match(
      stderr,
      /node\/cp-1:\/var\/log\/kubernetes\/audit\/audit\.log was rotated to audit-2026-12-07T10-00-00\.000\.log: following the new file from its start/,
    )
    assert.match(stdout, /\nalice +10 +0 +10\n$/)
    for (const name of ['cp-1', 'cp-2']) {
      const sizes = f.requests.filter((r) => r.path === LOG_URL(name) && r.headers.range === 'bytes=0-0')
      assert.ok(sizes.length >= 2, `${name} was polled`)
      assert.ok(sizes.length <= seconds + 4, `${name} polled ${sizes.length} times in ${seconds.toFixed(1)}s`)
    }
    // cp-2's log only grew: each look read from its offset on (from the byte before it).
    assert.ok(
      f.requests.some((r) => r.path === LOG_URL('cp-2') && /^bytes=[1-9]\d*-\d+$/.test(String(r.headers.range))),
      'cp-2 read from its offset',
    )
    assert.ok(!f.requests.some((r) => r.method === 'POST' && r.path.endsWith('/pods')), 'no reader pod was started')
  })

  // A node that is away does not hold the others back: its changes come when it is back, each once, in its own order.
  it('says a node that does not answer, tries it again, and prints what it wrote meanwhile once', async () => {
    const {f, logs} = await cluster()
    running = startWatch(['--kubeconfig', f.kubeconfigPath])
    await running.waitFor('following 2 logs for new changes', {stream: 'stderr'})
    f.fail({path: new RegExp(`^${LOG_URL('cp-2')}$`), code: 503, times: 3})
    await running.waitFor(/node\/cp-2:\S+: cannot be read now \(.*\); trying again every 1s/, {stream: 'stderr'})
    const written = await writeInTurn(logs, 'away', 4)
    await running.waitFor('node/cp-2:/var/log/kubernetes/audit/audit.log: following again', {stream: 'stderr'})
    await running.waitFor(written.at(-1)!)
    const {code, stdout, stderr} = await running.stop('SIGINT')
    assert.equal(code, 0, stderr)
    const listed = namesListed(stdout)
    assert.deepEqual([...listed].sort(), ['before-cp-1', 'before-cp-2', ...written].sort())
    for (const node of ['cp-1', 'cp-2'])
      assert.deepEqual(
        listed.filter((name) => name.endsWith(node)),
        [`before-${node}`, ...written.filter((name) => name.endsWith(node))],
      )
  })

  it('follows every node through a reader pod running tail -F, deletes the pods on Ctrl-C', async () => {
    const {f, logs} = await cluster()
    running = startWatch(['--kubeconfig', f.kubeconfigPath, '--via', 'pod'])
    await running.waitFor('following 2 logs for new changes', {stream: 'stderr'})
    await running.waitFor('before-cp-2')
    assert.equal((await podNames(f)).length, 2)
    const written = await writeInTurn(logs, 'grew', 6)
    await running.waitFor(written.at(-1)!)
    assert.ok(
      f.requests.some(
        (r) => r.path.endsWith('/exec') && r.query.includes('command=tail') && r.query.includes('command=-F'),
      ),
    )

    const {code, stdout, stderr} = await running.stop('SIGINT')
    assert.equal(code, 0, stderr)
    assert.deepEqual(namesListed(stdout), ['before-cp-1', 'before-cp-2', ...written])
    assert.deepEqual(await podNames(f), [])
  })

  it('follows on through a new reader pod when the one it used is gone, and deletes both', async () => {
    const {f, logs} = await cluster()
    running = startWatch(['--kubeconfig', f.kubeconfigPath, '--via', 'pod', '--node', 'cp-1'])
    await running.waitFor('following node/cp-1:/var/log/kubernetes/audit/audit.log for new changes', {stream: 'stderr'})
    const [first] = await podNames(f)
    // The pod is deleted from under the watch (as when its node goes away, or --pod-timeout ends it).
    f.remove('v1', 'Pod', first!, 'kube-system')
    appendFileSync(logs[0]!, policyWriteNow('while-the-pod-was-gone'))
    await running.waitFor(/reader pod kube-system\/\S+ has ended .*: following through \S+/, {stream: 'stderr'})
    await running.waitFor('while-the-pod-was-gone')
    appendFileSync(logs[0]!, policyWriteNow('through-the-new-pod'))
    await running.waitFor('through-the-new-pod')
    const [second] = await podNames(f)
    assert.notEqual(second, first)

    const {code, stdout, stderr} = await running.stop('SIGTERM')
    assert.equal(code, 143, stderr)
    assert.deepEqual(namesListed(stdout), ['before-cp-1', 'while-the-pod-was-gone', 'through-the-new-pod'])
    assert.deepEqual(await podNames(f), [])
  })
})

async function getJson(f: FakeApiserver, path: string): Promise<{items: unknown[]}> {
  return new Promise((resolve, reject) => {
    get(`${f.url}${path}`, {ca: f.caPem, headers: {Authorization: `Bearer ${f.token}`}}, (res) => {
      let text = ''
      res.on('data', (d: Buffer) => {
        text += d.toString()
      })
      res.on('end', () => resolve(JSON.parse(text) as {items: unknown[]}))
    }).on('error', reject)
  })
}
