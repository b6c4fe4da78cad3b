// kube-apiserver started with --audit-log-path=-: its audit events are read from its mirror pod's
// log (pods/log), where they are mixed with its klog lines and split by the container runtime
// when long. The oracle is the same command reading the same events from a local file.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {openClusterSources} from '../../src/sources/cluster.js'
import {kubeadmApiserverPod} from '../support/apiserver-pods.js'
import {runCli} from '../support/cli.js'
import {
  exampleLines,
  joinLines,
  KUBEADM_LOG,
  recentLog,
  splitByRequest,
  stageTimeOf,
  writeOnNode,
} from '../support/cluster-logs.js'
import {apiserverStderrNoise, CRI_MAX_LINE_BYTES, criLog, klogLine, type OutputLine} from '../support/container-logs.js'
import {auditLine} from '../support/events.js'
import {type FakeApiserver, type FakeNode, startFakeApiserver} from '../support/fake-apiserver/index.js'
import {podLogKey} from '../support/fake-apiserver/pod-logs.js'
import {testRun} from '../support/run-context.js'
import {withoutSource} from '../support/reports.js'

describe('policies from an apiserver that writes audit events to stdout', function () {
  this.timeout(60_000)
  let fake: FakeApiserver | undefined
  const dirs: string[] = []
  const tempDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix))
    dirs.push(dir)
    return dir
  }
  const node = (name: string): FakeNode => ({
    name,
    root: tempDir(`node-${name}-`),
    labels: {'node-role.kubernetes.io/control-plane': ''},
  })

  /** A cluster whose apiserver on each node writes to stdout; `stdout[i]` is what node i's log holds. */
  const startWithStdout = async (stdout: Buffer[]) => {
    const nodes = stdout.map((_, i) => node(`cp-${i + 1}`))
    const dir = tempDir('pod-logs-')
    const podLogs: Record<string, string> = {}
    stdout.forEach((log, i) => {
      const file = join(dir, `${i}.log`)
      writeFileSync(file, log)
      podLogs[podLogKey('kube-system', `kube-apiserver-cp-${i + 1}`, 'kube-apiserver')] = file
    })
    fake = await startFakeApiserver({
      nodes,
      podLogs,
      objects: nodes.map((n) => kubeadmApiserverPod(n.name, {auditLogPath: '-'})),
    })
    return fake
  }
  const policies = (f: FakeApiserver, args: string[]) =>
    runCli(['policies', '--kubeconfig', f.kubeconfigPath, '-o', 'json', ...args])
  const fromFile = async (lines: readonly string[], extra: string[] = ['--since', 'all']) => {
    const file = join(tempDir('copy-'), 'audit.log')
    writeFileSync(file, joinLines(lines))
    const result = await runCli(['policies', '-f', file, ...extra, '-o', 'json'])
    assert.equal(result.code, 0, result.stderr)
    return JSON.parse(result.stdout) as PolicyChangeReport
  }

  afterEach(async () => {
    await fake?.close()
    fake = undefined
    for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
  })

  it('reads the events from the pod log, drops the klog lines, and rejoins lines the runtime split', async () => {
    const lines = [...exampleLines(), longPolicyEvent()]
    const f = await startWithStdout([criLog(apiserverOutput(lines))])
    const result = await policies(f, ['--since', 'all'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stderr, '')
    const got = JSON.parse(result.stdout) as PolicyChangeReport
    const expected = await fromFile(lines)
    assert.deepEqual(withoutSource(got), withoutSource(expected))
    assert.equal(got.changes.length, 33)
    assert.ok(
      got.changes.some((c) => c.name === 'default.allow-everything-long'),
      'the event split into partial records is read',
    )
    assert.ok(got.changes.every((c) => c.source === 'pod/kube-system/kube-apiserver-cp-1'))
    assert.deepEqual(
      got.sources.map(({name, events, malformed}) => ({name, events, malformed})),
      [{name: 'pod/kube-system/kube-apiserver-cp-1', events: lines.length, malformed: 0}],
    )
    const read = f.requests.filter((r) => r.path === '/api/v1/namespaces/kube-system/pods/kube-apiserver-cp-1/log')
    assert.deepEqual(
      read.map((r) => Object.fromEntries(new URLSearchParams(r.query))),
      [
        {container: 'kube-apiserver', timestamps: 'false', limitBytes: '1'},
        {container: 'kube-apiserver', timestamps: 'false'},
      ],
    )
    assert.ok(
      !f.requests.some((r) => r.path.includes('/proxy/') || r.method === 'POST'),
      'no node file is read and no pod is started',
    )
  })

  it('merges an apiserver writing to stdout with one writing to a file', async () => {
    const [toFile, toStdout] = splitByRequest(exampleLines(), 2)
    const cp1 = node('cp-1')
    const cp2 = node('cp-2')
    writeOnNode(cp1.root, KUBEADM_LOG, joinLines(toFile!))
    const logFile = join(tempDir('pod-logs-'), 'cp-2.log')
    writeFileSync(logFile, criLog(apiserverOutput(toStdout!)))
    fake = await startFakeApiserver({
      nodes: [cp1, cp2],
      objects: [
        kubeadmApiserverPod('cp-1', {auditLogPath: KUBEADM_LOG}),
        kubeadmApiserverPod('cp-2', {auditLogPath: '-'}),
      ],
      podLogs: {[podLogKey('kube-system', 'kube-apiserver-cp-2', 'kube-apiserver')]: logFile},
    })
    const result = await policies(fake, ['--since', 'all'])
    assert.equal(result.code, 0, result.stderr)
    const got = JSON.parse(result.stdout) as PolicyChangeReport
    assert.deepEqual(withoutSource(got), withoutSource(await fromFile(exampleLines())))
    assert.deepEqual(
      got.sources.map((s) => s.name),
      [`node/cp-1:${KUBEADM_LOG}`, 'pod/kube-system/kube-apiserver-cp-2'],
    )
    assert.deepEqual(
      new Set(got.changes.map((c) => c.source)),
      new Set([`node/cp-1:${KUBEADM_LOG}`, 'pod/kube-system/kube-apiserver-cp-2']),
    )
  })

  it('keeps to the window with --since, as -f does', async () => {
    // Twelve hours ending five minutes ago.
    const lines = recentLog(4, 5 * 60_000)
      .split('\n')
      .filter(Boolean)
    const f = await startWithStdout([criLog(apiserverOutput(lines))])
    const result = await policies(f, ['--since', '1h'])
    assert.equal(result.code, 0, result.stderr)
    const expected = withoutSource(await fromFile(lines, ['--since', '1h']))
    assert.equal(expected.length, 11)
    assert.deepEqual(withoutSource(JSON.parse(result.stdout) as PolicyChangeReport), expected)
  })

  it('asks the API only for what was written since the window started (less slack)', async () => {
    const lines = recentLog(4, 5 * 60_000)
      .split('\n')
      .filter(Boolean)
    const output = apiserverOutput(lines)
    const log = criLog(output)
    const f = await startWithStdout([log])
    const sinceMs = Date.now() - 3600_000
    const cluster = await openClusterSources(
      {
        kubeconfig: f.kubeconfigPath,
        requestTimeoutMs: 10_000,
        nodes: [],
        via: 'auto',
        image: 'busybox',
        podNamespace: 'kube-system',
        podTimeoutSeconds: 600,
        sinceMs,
      },
      testRun(),
    )
    assert.equal(cluster.sources.length, 1)
    const read: Buffer[] = []
    for await (const chunk of cluster.sources[0]!.read()) read.push(chunk)
    await cluster.close()
    // Whole seconds, five minutes early: lines are not quite in time order.
    const sinceTimeMs = Math.floor((sinceMs - 5 * 60_000) / 1000) * 1000
    assert.equal(
      new URLSearchParams(f.requests.at(-1)!.query).get('sinceTime'),
      new Date(sinceTimeMs).toISOString().replace('.000Z', 'Z'),
    )
    const expected = output.filter((o) => o.stream === 'stdout' && o.timeMs >= sinceTimeMs).map((o) => o.text)
    assert.ok(expected.length > 0 && expected.length < lines.length / 5)
    assert.deepEqual(Buffer.concat(read).toString().split('\n').filter(Boolean), expected)
    // Twelve hours of log, an hour and five minutes of it asked for.
    assert.ok(f.bytesServed < log.length / 5, `moved ${f.bytesServed} of ${log.length} bytes`)
  })

  it('says which permission is missing when pods/log is forbidden, and exits 2', async () => {
    const f = await startWithStdout([criLog(apiserverOutput(exampleLines()))])
    f.fail({method: 'GET', path: /\/pods\/[^/]+\/log$/, code: 403})
    const result = await policies(f, ['--since', 'all'])
    assert.equal(result.code, 2)
    assert.equal(result.stdout, '')
    assert.equal(
      result.stderr,
      'error: no audit log could be read from the cluster: node cp-1: permission denied: "get pods/log" in namespace "kube-system" ' +
        'is needed to read the audit events kube-system/kube-apiserver-cp-1 writes to its stdout\n' +
        'hint: check with: kubectl auth can-i get pods/log -n kube-system\n',
    )
  })

  it('says it cannot read the stdout of an apiserver that runs outside any pod (k3s)', async () => {
    const cp1 = {
      ...node('cp-1'),
      annotations: {'k3s.io/node-args': JSON.stringify(['server', '--kube-apiserver-arg', 'audit-log-path=-'])},
    }
    fake = await startFakeApiserver({nodes: [cp1]})
    const result = await policies(fake, [])
    assert.equal(result.code, 2)
    assert.match(
      result.stderr,
      /^error: node\/cp-1 writes audit events to the stdout of a process outside any pod \(--audit-log-path=-\), which the API cannot read; capture that output to a file and use -f$/m,
    )
  })
})

/**
 * kube-apiserver's output as the runtime records it: each audit line on stdout when it was
 * written (in arrival order, so times never go back), start-up and trace klog lines on stderr.
 */
function apiserverOutput(auditLines: readonly string[]): OutputLine[] {
  const start = stageTimeOf(auditLines[0]!) - 1000
  const output: OutputLine[] = apiserverStderrNoise(start).map((text) => ({timeMs: start, stream: 'stderr', text}))
  let timeMs = start
  auditLines.forEach((text, i) => {
    timeMs = Math.max(timeMs, stageTimeOf(text) + 1)
    if (i % 50 === 25) {
      output.push({
        timeMs,
        stream: 'stderr',
        text: klogLine(
          timeMs,
          'I',
          'trace.go:236',
          `Trace[${i}]: "Update" url:/api/v1/namespaces/kube-system/leases/x,verb:PUT (total time: 612ms)`,
        ),
      })
    }
    output.push({timeMs, stream: 'stdout', text})
  })
  return output
}

/**
 * A Calico policy write whose event is over twice containerd's 16 KiB limit, with a three-byte
 * character placed so that the first split falls inside it.
 */
function longPolicyEvent(): string {
  const rules = Array.from({length: 400}, (_, i) => ({
    action: 'Allow',
    protocol: 'TCP',
    destination: {ports: [1000 + i]},
  }))
  const event = (pad: number) =>
    auditLine({
      auditID: 'f0000000-0000-4000-8000-00000000long',
      verb: 'create',
      resource: 'globalnetworkpolicies',
      apiGroup: 'projectcalico.org',
      apiVersion: 'v3',
      name: 'default.allow-everything-long',
      code: 201,
      level: 'RequestResponse',
      time: '2026-11-24T08:30:00.000000Z',
      user: 'alice@example.com',
      requestObject: {
        kind: 'GlobalNetworkPolicy',
        apiVersion: 'projectcalico.org/v3',
        metadata: {name: 'default.allow-everything-long', annotations: {note: `${'-'.repeat(pad)}✓ Zugriff für alle`}},
        spec: {tier: 'default', ingress: rules},
      },
    })
  const at = Buffer.from(event(0)).indexOf('✓')
  const line = event(CRI_MAX_LINE_BYTES - 1 - at)
  assert.ok(Buffer.byteLength(line) > 2 * CRI_MAX_LINE_BYTES)
  return line
}
