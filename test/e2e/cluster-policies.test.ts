// `kubectl audit policies` without -f: the audit logs read from the nodes through the fake
// apiserver. The oracle is the same command reading the same bytes from local files.
import assert from 'node:assert/strict'
import {execFile, spawn} from 'node:child_process'
import {accessSync, constants, mkdtempSync, rmSync, statSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'
import {promisify} from 'node:util'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {kubeadmApiserverPod} from '../support/apiserver-pods.js'
import {ROOT, RUN, runCli} from '../support/cli.js'
import {
  exampleLines,
  EXAMPLE_LOG,
  gzipLines,
  joinLines,
  KUBEADM_LOG,
  recentLog,
  RKE2_LOG,
  rotatedName,
  splitByRequest,
  splitByRotation,
  writeOnNode,
} from '../support/cluster-logs.js'
import {type FakeApiserver, type FakeNode, startFakeApiserver} from '../support/fake-apiserver/index.js'
import {withoutSource} from '../support/reports.js'

type Change = PolicyChangeReport['changes'][number]

async function fromFiles(files: string[], extra: string[] = ['--since', 'all']): Promise<PolicyChangeReport> {
  const result = await runCli(['policies', ...files.flatMap((f) => ['-f', f]), ...extra, '-o', 'json'])
  assert.equal(result.code, 0, result.stderr)
  return JSON.parse(result.stdout) as PolicyChangeReport
}

describe('policies from the cluster', function () {
  this.timeout(60_000)
  let fake: FakeApiserver | undefined
  const roots: string[] = []

  const node = (name: string): FakeNode => {
    const root = mkdtempSync(join(tmpdir(), `node-${name}-`))
    roots.push(root)
    return {name, root, labels: {'node-role.kubernetes.io/control-plane': ''}}
  }
  const start = async (nodes: FakeNode[]) => {
    fake = await startFakeApiserver({nodes})
    return fake
  }
  const policies = (f: FakeApiserver, args: string[]) =>
    runCli(['policies', '--kubeconfig', f.kubeconfigPath, '-o', 'json', ...args])
  const report = (stdout: string) => JSON.parse(stdout) as PolicyChangeReport
  const podNames = async (f: FakeApiserver) => {
    const result = await fetchJson(f, '/api/v1/pods')
    return (result.items as Array<{metadata: {name: string}}>).map((p) => p.metadata.name)
  }

  afterEach(async () => {
    await fake?.close()
    fake = undefined
    for (const root of roots.splice(0)) rmSync(root, {recursive: true, force: true})
  })

  it('reads a node log through the kubelet proxy, as the file reader reads it', async () => {
    const cp1 = node('cp-1')
    writeOnNode(cp1.root, KUBEADM_LOG, joinLines(exampleLines()))
    const f = await start([cp1])
    const result = await policies(f, ['--node', 'cp-1', '--log-path', KUBEADM_LOG, '--since', 'all'])
    assert.equal(result.code, 0, result.stderr)
    const got = report(result.stdout)
    assert.deepEqual(withoutSource(got), withoutSource(await fromFiles([EXAMPLE_LOG])))
    assert.equal(got.changes.length, 32)
    assert.ok(got.changes.every((c: Change) => c.source === `node/cp-1:${KUBEADM_LOG}`))
    assert.deepEqual(
      got.sources.map((s) => s.name),
      [`node/cp-1:${KUBEADM_LOG}`],
    )
    assert.ok(f.requests.some((r) => r.path === '/api/v1/nodes/cp-1/proxy/logs/kubernetes/audit/'))
    assert.ok(!f.requests.some((r) => r.path.endsWith('/pods')), 'no pod was created')
  })

  it('falls back to a reader pod when nodes/proxy is forbidden, and deletes it', async () => {
    const cp1 = node('cp-1')
    writeOnNode(cp1.root, KUBEADM_LOG, joinLines(exampleLines()))
    const f = await start([cp1])
    f.fail({path: /\/proxy\/logs\//, code: 403})
    const result = await policies(f, ['--node', 'cp-1', '--log-path', KUBEADM_LOG, '--since', 'all'])
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(withoutSource(report(result.stdout)), withoutSource(await fromFiles([EXAMPLE_LOG])))
    assert.ok(f.requests.some((r) => r.method === 'POST' && r.path === '/api/v1/namespaces/kube-system/pods'))
    assert.ok(f.requests.some((r) => r.path.endsWith('/exec')))
    assert.deepEqual(await podNames(f), [])
  })

  it('reads a path outside /var/log (RKE2) through a reader pod, without asking the kubelet', async () => {
    const cp1 = node('cp-1')
    writeOnNode(cp1.root, RKE2_LOG, joinLines(exampleLines()))
    const f = await start([cp1])
    // One left by a run that was killed outright: reported, not touched.
    f.add({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'kubectl-audit-reader-old',
        namespace: 'kube-system',
        labels: {'app.kubernetes.io/managed-by': 'kubectl-audit'},
      },
    })
    const result = await policies(f, ['--node', 'cp-1', '--log-path', RKE2_LOG, '--since', 'all'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(
      result.stderr,
      'warning: 1 reader pod(s) from an earlier run are still in namespace kube-system (kubectl-audit-reader-old); ' +
        'remove them with: kubectl delete pod -n kube-system -l app.kubernetes.io/managed-by=kubectl-audit\n',
    )
    const got = report(result.stdout)
    assert.deepEqual(withoutSource(got), withoutSource(await fromFiles([EXAMPLE_LOG])))
    assert.equal(got.changes[0]?.source, `node/cp-1:${RKE2_LOG}`)
    assert.ok(!f.requests.some((r) => r.path.includes('/proxy/')))
    assert.deepEqual(await podNames(f), ['kubectl-audit-reader-old'])
  })

  it('merges three control-plane nodes in time order, each change naming its node', async () => {
    const nodes = [node('cp-1'), node('cp-2'), node('cp-3')]
    const parts = splitByRequest(exampleLines(), 3)
    const local = parts.map((lines, i) => writeOnNode(nodes[i]!.root, KUBEADM_LOG, joinLines(lines)))
    const f = await start(nodes)
    const result = await policies(f, [
      '--node',
      'cp-1,cp-2',
      '--node',
      'cp-3',
      '--log-path',
      KUBEADM_LOG,
      '--since',
      'all',
    ])
    assert.equal(result.code, 0, result.stderr)
    const got = report(result.stdout)
    assert.deepEqual(withoutSource(got), withoutSource(await fromFiles(local)))
    assert.equal(got.changes.length, 32)
    const times = got.changes.map((c: Change) => c.time)
    assert.deepEqual(times, [...times].sort())
    assert.deepEqual(
      new Set(got.changes.map((c: Change) => c.source.split(':')[0])),
      new Set(['node/cp-1', 'node/cp-2', 'node/cp-3']),
    )
  })

  it('reads rotated and gzipped siblings next to the active log', async () => {
    const cp1 = node('cp-1')
    const [h7, h8, h9] = splitByRotation(exampleLines(), [
      Date.parse('2026-11-24T08:00:00Z'),
      Date.parse('2026-11-24T09:00:00Z'),
    ])
    const dir = '/var/log/kubernetes/audit'
    writeOnNode(cp1.root, `${dir}/${rotatedName('audit.log', Date.parse('2026-11-24T08:00:00Z'))}.gz`, gzipLines(h7!))
    writeOnNode(cp1.root, `${dir}/${rotatedName('audit.log', Date.parse('2026-11-24T09:00:00Z'))}`, joinLines(h8!))
    writeOnNode(cp1.root, KUBEADM_LOG, joinLines(h9!))
    // Not the audit log's: another log in the same folder, and a directory.
    writeOnNode(cp1.root, `${dir}/kube-apiserver.log`, 'not an audit log\n')
    writeOnNode(cp1.root, `${dir}/old/audit.log`, 'also not read\n')
    const f = await start([cp1])
    const result = await policies(f, ['--node', 'cp-1', '--log-path', KUBEADM_LOG, '--since', 'all'])
    assert.equal(result.code, 0, result.stderr)
    const got = report(result.stdout)
    assert.deepEqual(
      got.sources.map((s) => s.name),
      [
        `node/cp-1:${dir}/audit-2026-11-24T08-00-00.000.log.gz`,
        `node/cp-1:${dir}/audit-2026-11-24T09-00-00.000.log`,
        `node/cp-1:${KUBEADM_LOG}`,
      ],
    )
    assert.deepEqual(withoutSource(got), withoutSource(await fromFiles([EXAMPLE_LOG])))
  })

  it('moves only a fraction of a long log for --since 1h, through the kubelet and through a pod', async () => {
    const cp1 = node('cp-1')
    // Twelve hours ending five minutes ago: the last hour is about a twelfth of the bytes.
    const file = writeOnNode(cp1.root, KUBEADM_LOG, recentLog(4, 5 * 60_000))
    const size = Buffer.byteLength(recentLog(1, 0)) * 4
    const expected = withoutSource(await fromFiles([file], ['--since', '1h']))
    assert.equal(expected.length, 11)
    const f = await start([cp1])
    for (const via of ['kubelet', 'pod']) {
      const before = f.bytesServed
      const result = await policies(f, ['--node', 'cp-1', '--log-path', KUBEADM_LOG, '--since', '1h', '--via', via])
      assert.equal(result.code, 0, result.stderr)
      assert.deepEqual(withoutSource(report(result.stdout)), expected)
      const moved = f.bytesServed - before
      assert.ok(moved < size / 5, `${via}: moved ${moved} of ${size} bytes`)
    }
  })

  // Each bisection probe would stream from byte 0: the log is read once, from the start, instead.
  it('reads a log once when a proxy on the way drops the Range header, with the answer -f gives', async () => {
    const cp1 = node('cp-1')
    const file = writeOnNode(cp1.root, KUBEADM_LOG, recentLog(4, 5 * 60_000))
    const size = statSync(file).size
    const expected = withoutSource(await fromFiles([file], ['--since', '1h']))
    const f = await start([cp1])
    f.logs.honourRange = false
    const result = await policies(f, ['--node', 'cp-1', '--log-path', KUBEADM_LOG, '--since', '1h', '--via', 'kubelet'])
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(withoutSource(report(result.stdout)), expected)
    assert.ok(f.bytesServed < size * 1.5, `moved ${f.bytesServed} bytes for a log of ${size}`)
  })

  it('goes on when one node fails, and says which', async () => {
    const nodes = [node('cp-1'), node('cp-2'), node('cp-3')]
    const parts = splitByRequest(exampleLines(), 3)
    parts.forEach((lines, i) => writeOnNode(nodes[i]!.root, KUBEADM_LOG, joinLines(lines)))
    const f = await start(nodes)
    f.fail({
      path: /^\/api\/v1\/nodes\/cp-2\/proxy\//,
      code: 503,
      message: 'error trying to reach service: dial tcp 10.0.0.2:10250: connect: connection refused',
    })
    const result = await policies(f, ['--node', 'cp-1,cp-2,cp-3,ghost', '--log-path', KUBEADM_LOG, '--since', 'all'])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stderr, /^warning: node ghost does not exist$/m)
    assert.ok(!f.requests.some((r) => r.path.includes('/nodes/ghost/')), 'a node that does not exist is not asked')
    assert.match(
      result.stderr,
      /^warning: node cp-2: could not read node\/cp-2:\/var\/log\/kubernetes\/audit\/ through the kubelet: 503 error trying to reach service/m,
    )
    const got = report(result.stdout)
    const expected = await fromFiles(
      [1, 3].map((i) => writeOnNode(nodes[i - 1]!.root, '/copy.log', joinLines(parts[i - 1]!))),
    )
    assert.deepEqual(withoutSource(got), withoutSource(expected))
    assert.ok(!got.changes.some((c: Change) => c.source.startsWith('node/cp-2:')))
  })

  it('reports a read through a reader pod cut short on the way like any node failure, and goes on', async () => {
    const nodes = [node('cp-1'), node('cp-2')]
    splitByRequest(exampleLines(), 2).forEach((lines, i) => writeOnNode(nodes[i]!.root, KUBEADM_LOG, joinLines(lines)))
    const f = await start(nodes)
    f.exec.cutStdout = {afterBytes: 256 * 1024, nodes: ['cp-2']}
    const result = await policies(f, [
      '--node',
      'cp-1,cp-2',
      '--log-path',
      KUBEADM_LOG,
      '--via',
      'pod',
      '--since',
      'all',
    ])
    // Exit 3: the report is out, but cp-2's log was not read to its end.
    assert.equal(result.code, 3, result.stderr)
    assert.equal(
      result.stderr,
      `warning: node/cp-2:${KUBEADM_LOG}: reading ${KUBEADM_LOG} on node cp-2 was cut short: the exec stream closed without ` +
        "the command's exit status, after 256 KiB read; the rest of this source is missing\n",
    )
    assert.ok(report(result.stdout).changes.some((c: Change) => c.source === `node/cp-1:${KUBEADM_LOG}`))
    assert.deepEqual(await podNames(f), [])
  })

  // A request left unanswered ends at --request-timeout, and the run goes on without its answer.
  it('gives up on the apiserver lookup at --request-timeout and finds the control plane by node label', async () => {
    const cp1 = node('cp-1')
    writeOnNode(cp1.root, KUBEADM_LOG, joinLines(exampleLines()))
    const f = await start([cp1])
    f.stall({method: 'GET', path: /^\/api\/v1\/namespaces\/kube-system\/pods$/})
    const result = await policies(f, ['--log-path', KUBEADM_LOG, '--since', 'all', '--request-timeout', '1s'])
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(withoutSource(report(result.stdout)), withoutSource(await fromFiles([EXAMPLE_LOG])))
  })

  it('gives up on the server version at --request-timeout when it looks for a managed control plane', async () => {
    const f = await start([node('cp-1')])
    f.stall({method: 'GET', path: /^\/version$/})
    const result = await policies(f, ['--request-timeout', '1s'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /^error: found no kube-apiserver audit log: looked for kube-system pods/)
  })

  it('exits 2 with one line per node when no node can be read', async () => {
    const cp1 = node('cp-1')
    const f = await start([cp1, {...node('cp-2'), ready: false}])
    f.fail({path: /\/proxy\//, code: 405})
    f.fail({method: 'POST', path: /\/pods$/, code: 403})
    const result = await policies(f, ['--node', 'cp-1,cp-2', '--log-path', KUBEADM_LOG])
    assert.equal(result.code, 2)
    assert.equal(result.stdout, '')
    assert.equal(result.stderr.split('\n').filter(Boolean).length, 2, result.stderr)
    assert.match(
      result.stderr,
      /^error: no audit log could be read from the cluster: node cp-2 is NotReady: its audit log cannot be read now; node cp-1: through the kubelet: the kubelet on node cp-1 has its \/logs\/ handler disabled .*; through a reader pod: permission denied: "create pods" in namespace "kube-system" is needed to start a reader pod on node cp-1\n/,
    )
    assert.match(result.stderr, /^hint: /m)
  })

  it('gives the remedy for the permission that is missing when nothing else was tried', async () => {
    const cp1 = node('cp-1')
    writeOnNode(cp1.root, KUBEADM_LOG, joinLines(exampleLines()))
    const f = await start([cp1])
    f.fail({path: /\/proxy\//, code: 403})
    const result = await policies(f, ['--node', 'cp-1', '--log-path', KUBEADM_LOG, '--via', 'kubelet'])
    assert.equal(result.code, 2)
    assert.equal(
      result.stderr,
      'error: no audit log could be read from the cluster: node cp-1: permission denied: "get nodes/proxy" (cluster-wide) ' +
        'is needed to read node/cp-1:/var/log/kubernetes/audit/ through the kubelet\nhint: check with: kubectl auth can-i get nodes/proxy\n',
    )
    assert.ok(!f.requests.some((r) => r.path.endsWith('/pods')), '--via kubelet never starts a pod')
  })

  // Ctrl-C, and SIGTERM as from `timeout`, a CI runner or a container stop.
  for (const [signal, exitCode] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`leaves no reader pod behind on ${signal} mid-read, and exits ${exitCode}`, async () => {
      const cp1 = node('cp-1')
      writeOnNode(cp1.root, KUBEADM_LOG, joinLines(exampleLines()))
      const f = await start([cp1])
      f.exec.chunkDelayMs = 200
      const child = spawn(
        process.execPath,
        [
          RUN,
          'policies',
          '--kubeconfig',
          f.kubeconfigPath,
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
      // Interrupt once bytes are flowing out of the pod.
      while (!f.requests.some((r) => r.path.endsWith('/exec') && r.query.includes('command=cat')))
        await new Promise((r) => setTimeout(r, 20))
      while (f.bytesServed === 0) await new Promise((r) => setTimeout(r, 20))
      assert.equal((await podNames(f)).length, 1)
      child.kill(signal)
      assert.equal(await exited, exitCode, stderr)
      assert.deepEqual(await podNames(f), [])
      assert.ok(
        f.requests.some(
          (r) =>
            r.method === 'DELETE' && r.path.startsWith('/api/v1/namespaces/kube-system/pods/kubectl-audit-reader-'),
        ),
      )
    })
  }

  it('reads the Calico Enterprise API server log too, and joins it on auditID', async () => {
    const cp1 = node('cp-1')
    const auditID = '5b1c0f8e-9f3d-4c56-a0a8-3f7e2c1d9a10'
    const user = {username: 'alice', groups: ['developers', 'system:authenticated']}
    const common = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      auditID,
      stage: 'ResponseComplete',
      verb: 'create',
      user,
      sourceIPs: ['10.0.0.50'],
      userAgent: 'kubectl/v1.34.2 (linux/amd64) kubernetes/8cc511e',
      requestReceivedTimestamp: '2026-11-24T07:15:31.907000Z',
    }
    // kube-apiserver proxies the aggregated request: Metadata, and no name (it never decodes the body).
    writeOnNode(
      cp1.root,
      KUBEADM_LOG,
      `${JSON.stringify({
        ...common,
        level: 'Metadata',
        requestURI: '/apis/projectcalico.org/v3/globalnetworkpolicies',
        objectRef: {resource: 'globalnetworkpolicies', apiGroup: 'projectcalico.org', apiVersion: 'v3'},
        responseStatus: {metadata: {}, code: 201},
        stageTimestamp: '2026-11-24T07:15:31.951000Z',
      })}\n`,
    )
    const body = {
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkPolicy',
      metadata: {name: 'security.allow-dns'},
      spec: {tier: 'security', order: 100},
    }
    writeOnNode(
      cp1.root,
      '/var/log/calico/audit/tsee-audit.log',
      `${JSON.stringify({
        ...common,
        level: 'RequestResponse',
        requestURI: '/apis/projectcalico.org/v3/globalnetworkpolicies',
        objectRef: {
          resource: 'globalnetworkpolicies',
          name: 'security.allow-dns',
          apiGroup: 'projectcalico.org',
          apiVersion: 'v3',
        },
        responseStatus: {metadata: {}, code: 201},
        requestObject: body,
        responseObject: body,
        stageTimestamp: '2026-11-24T07:15:31.949000Z',
      })}\n`,
    )
    const f = await start([cp1])
    const kubeOnly = await policies(f, ['--node', 'cp-1', '--log-path', KUBEADM_LOG, '--since', 'all'])
    assert.equal(kubeOnly.code, 0, kubeOnly.stderr)
    assert.equal(report(kubeOnly.stdout).changes[0]?.name, null)

    f.add(kubeadmApiserverPod('cp-1'))
    f.add(tigeraApiserverPod('cp-1'))
    const result = await policies(f, ['--since', 'all'])
    assert.equal(result.code, 0, result.stderr)
    const got = report(result.stdout)
    assert.deepEqual(got.sources.map((s) => s.name).sort(), [
      'node/cp-1:/var/log/calico/audit/tsee-audit.log',
      `node/cp-1:${KUBEADM_LOG}`,
    ])
    assert.equal(got.changes.length, 1)
    assert.deepEqual(
      {...got.changes[0], source: undefined},
      {
        time: '2026-11-24T07:15:31.949000Z',
        auditID,
        user: 'alice',
        impersonatedUser: null,
        verb: 'create',
        apiGroup: 'projectcalico.org',
        resource: 'globalnetworkpolicies',
        kind: 'GlobalNetworkPolicy',
        namespace: null,
        name: 'security.allow-dns',
        tier: 'security',
        code: 201,
        outcome: 'succeeded',
        dryRun: false,
        userAgent: common.userAgent,
        sourceIPs: ['10.0.0.50'],
        source: undefined,
      },
    )
  })

  // OSS Calico's API server writes no audit log: its usual place is only asked of the kubelet.
  it('starts no reader pod for a guessed Calico log (OSS Calico on every node, nodes/proxy forbidden)', async () => {
    const [cp1, worker1] = [node('cp-1'), node('worker-1')]
    writeOnNode(cp1.root, KUBEADM_LOG, joinLines(exampleLines()))
    const f = await start([cp1, worker1])
    f.add(kubeadmApiserverPod('cp-1'))
    f.add(calicoApiserverPod('cp-1'))
    f.add(calicoApiserverPod('worker-1'))
    f.fail({path: /\/proxy\/logs\//, code: 403})
    const result = await policies(f, ['--since', 'all'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stderr, '')
    const got = report(result.stdout)
    assert.deepEqual(
      got.sources.map((s) => s.name),
      [`node/cp-1:${KUBEADM_LOG}`],
    )
    assert.deepEqual(withoutSource(got), withoutSource(await fromFiles([EXAMPLE_LOG])))
    assert.equal(
      f.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/pods')).length,
      1,
      'one reader pod, for the kube-apiserver log',
    )
    assert.deepEqual(
      (await podNames(f)).filter((name) => name.startsWith('kubectl-audit-reader-')),
      [],
    )
  })

  it('reports a log directory missing on the node at once, and still reads the other logs there', async () => {
    const cp1 = node('cp-1')
    writeOnNode(cp1.root, KUBEADM_LOG, joinLines(exampleLines()))
    const f = await start([cp1])
    f.add(kubeadmApiserverPod('cp-1'))
    // Its pod says where the log is, but the directory is not on the node.
    f.add(tigeraApiserverPod('cp-1'))
    f.fail({path: /\/proxy\/logs\//, code: 403})
    const started = Date.now()
    const result = await policies(f, ['--since', 'all'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stderr, 'warning: no such directory on node cp-1: /var/log/calico/audit\n')
    assert.ok(Date.now() - started < 20_000, 'did not wait for the pod to start')
    const got = report(result.stdout)
    assert.deepEqual(
      got.sources.map((s) => s.name),
      [`node/cp-1:${KUBEADM_LOG}`],
    )
    assert.deepEqual(withoutSource(got), withoutSource(await fromFiles([EXAMPLE_LOG])))
    assert.deepEqual(
      (await podNames(f)).filter((name) => name.startsWith('kubectl-audit-reader-')),
      [],
    )
  })

  it('finds the apiservers and their log on the nodes by itself', async () => {
    const nodes = [node('cp-1'), node('cp-2')]
    const parts = splitByRequest(exampleLines(), 2)
    parts.forEach((lines, i) => writeOnNode(nodes[i]!.root, KUBEADM_LOG, joinLines(lines)))
    const f = await start(nodes)
    f.add(kubeadmApiserverPod('cp-1'))
    f.add(kubeadmApiserverPod('cp-2'))
    const result = await policies(f, ['--since', 'all'])
    assert.equal(result.code, 0, result.stderr)
    const got = report(result.stdout)
    assert.deepEqual(withoutSource(got), withoutSource(await fromFiles([EXAMPLE_LOG])))
    assert.deepEqual(got.sources.map((s) => s.name).sort(), [`node/cp-1:${KUBEADM_LOG}`, `node/cp-2:${KUBEADM_LOG}`])
  })

  it('says where the apiservers are when --node names another node', async () => {
    const f = await start([node('cp-1'), node('worker-1')])
    f.add(kubeadmApiserverPod('cp-1'))
    const result = await policies(f, ['--node', 'worker-1'])
    assert.equal(result.code, 2)
    assert.equal(
      result.stderr,
      'error: no kube-apiserver runs on worker-1; they run on cp-1\n' +
        "hint: pick those nodes with --node, or give the log's path on your nodes with --log-path\n",
    )
  })

  it('says the credentials were rejected (401) in one line, whether it finds the logs or is told where they are', async () => {
    const f = await start([node('cp-1')])
    f.add(kubeadmApiserverPod('cp-1'))
    const kubeconfig = f.writeKubeconfig({token: 'expired'})
    for (const args of [[], ['--node', 'cp-1', '--log-path', KUBEADM_LOG]]) {
      const result = await runCli(['policies', '--kubeconfig', kubeconfig, ...args])
      assert.equal(result.code, 2)
      assert.equal(result.stdout, '')
      assert.equal(
        result.stderr,
        `error: the API server at ${f.url} rejected the credentials (401 Unauthorized)\n` +
          'hint: log in again or refresh the kubeconfig credentials (they may have expired), or choose another context\n',
      )
    }
  })

  it('says what it looked for when it finds no apiserver', async () => {
    const f = await start([node('cp-1')])
    const result = await policies(f, [])
    assert.equal(result.code, 2)
    assert.match(
      result.stderr,
      /^error: found no kube-apiserver audit log: looked for kube-system pods labelled component=kube-apiserver or k8s-app=kube-apiserver/,
    )
    assert.match(result.stderr, /^hint: point at the log with --node NAME --log-path PATH, or read a copy with -f$/m)
  })

  it('runs as `kubectl audit policies` through the real kubectl, against the cluster', async function () {
    const kubectl = findOnPath('kubectl')
    if (!kubectl) {
      console.log('      (kubectl is not installed here: the cluster read through kubectl is not exercised)')
      this.skip()
    }
    const cp1 = node('cp-1')
    writeOnNode(cp1.root, KUBEADM_LOG, joinLines(exampleLines()))
    const f = await start([cp1])
    const bin = mkdtempSync(join(tmpdir(), 'kubectl-audit-bin-'))
    roots.push(bin)
    symlinkSync(RUN, join(bin, 'kubectl-audit'))
    const env = {
      ...process.env,
      NO_COLOR: '1',
      PATH: [bin, join(ROOT, 'node_modules', '.bin'), process.env.PATH].join(delimiter),
    }
    const {stdout} = await promisify(execFile)(
      kubectl,
      [
        'audit',
        'policies',
        '--kubeconfig',
        f.kubeconfigPath,
        '--node',
        'cp-1',
        '--log-path',
        KUBEADM_LOG,
        '--since',
        'all',
        '-o',
        'json',
      ],
      {cwd: ROOT, env, maxBuffer: 1 << 26},
    )
    assert.deepEqual(withoutSource(report(stdout)), withoutSource(await fromFiles([EXAMPLE_LOG])))
  })
})

/** The OSS Calico API server as the Tigera operator renders it: no audit flags (peers.md §5). */
function calicoApiserverPod(nodeName: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `calico-apiserver-5f7d8c9b4-${nodeName}`,
      namespace: 'calico-apiserver',
      labels: {'k8s-app': 'calico-apiserver', apiserver: 'true'},
    },
    spec: {
      nodeName,
      containers: [
        {
          name: 'calico-apiserver',
          image: 'quay.io/calico/apiserver:v3.30.0',
          args: ['--secure-port=5443', '--tls-private-key-file=/calico-apiserver-certs/tls.key'],
        },
      ],
    },
  }
}

/** The Calico Enterprise API server as the Tigera operator renders it (peers.md §5). */
function tigeraApiserverPod(nodeName: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'tigera-apiserver-7d9c8b6f5-x2x9q',
      namespace: 'tigera-system',
      labels: {'k8s-app': 'tigera-apiserver', apiserver: 'true'},
    },
    spec: {
      nodeName,
      containers: [
        {
          name: 'tigera-apiserver',
          image: 'quay.io/tigera/cnx-apiserver:v3.21.0',
          args: [
            '--secure-port=5443',
            '--audit-policy-file=/etc/tigera/audit/policy.conf',
            '--audit-log-path=/var/log/calico/audit/tsee-audit.log',
          ],
          volumeMounts: [
            {name: 'tigera-audit-logs', mountPath: '/var/log/calico/audit'},
            {name: 'tigera-audit-policy', mountPath: '/etc/tigera/audit'},
          ],
        },
        {name: 'tigera-queryserver', image: 'quay.io/tigera/cnx-queryserver:v3.21.0'},
      ],
      volumes: [
        {name: 'tigera-audit-logs', hostPath: {path: '/var/log/calico/audit', type: 'DirectoryOrCreate'}},
        {name: 'tigera-audit-policy', configMap: {name: 'tigera-audit-policy'}},
      ],
    },
  }
}

async function fetchJson(f: FakeApiserver, path: string): Promise<{items: unknown[]}> {
  const https = await import('node:https')
  return new Promise((resolve, reject) => {
    https
      .get(`${f.url}${path}`, {ca: f.caPem, headers: {Authorization: `Bearer ${f.token}`}}, (res) => {
        let text = ''
        res.on('data', (d: Buffer) => {
          text += d.toString()
        })
        res.on('end', () => resolve(JSON.parse(text) as {items: unknown[]}))
      })
      .on('error', reject)
  })
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK)
      return join(dir, name)
    } catch {}
  }
  return undefined
}
