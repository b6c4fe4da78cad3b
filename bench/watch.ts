// The --watch rows of `npm run bench`: how long a change written to the log takes to appear,
// for a local file and for a node's log read through the kubelet's /logs/ of the fake apiserver
// (polled once a second). A change is appended (among noise, as an apiserver writes) at times
// spread over the polling interval, and timed from the write to its JSON line on stdout.
import {type ChildProcess, spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {appendFileSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {KUBEADM_LOG, writeOnNode} from '../test/support/cluster-logs.js'
import {auditLine} from '../test/support/events.js'
import {startFakeApiserver} from '../test/support/fake-apiserver/index.js'
import {median} from './lib/measure.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const CLI = path.join(ROOT, 'bin', 'run.js')
/** The target: a change shows within about two seconds of being written. */
const TARGET_S = 2
const NOISE_LINES = 200

export interface WatchRow {
  readonly path: string
  /** Seconds from each write to its line on stdout. */
  readonly latencies: readonly number[]
  readonly missing: number
}

/** Latency of `policies --watch` on a file and through the kubelet, `changes` writes each. */
export async function benchWatch(changes: number, progress: (message: string) => void): Promise<WatchRow[]> {
  const rows: WatchRow[] = []
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-watch-'))
  try {
    const file = path.join(dir, 'audit.log')
    appendFileSync(file, noise())
    progress(`  watch: a local file, ${changes} changes`)
    rows.push(await timeWrites('-f (local file)', ['-f', file], file, changes))

    const root = path.join(dir, 'cp-1')
    const log = writeOnNode(root, KUBEADM_LOG, noise())
    const fake = await startFakeApiserver({
      nodes: [{name: 'cp-1', root, labels: {'node-role.kubernetes.io/control-plane': ''}}],
    })
    try {
      progress(`  watch: the kubelet /logs/ of the fake apiserver, ${changes} changes`)
      rows.push(
        await timeWrites(
          'kubelet /logs/ (fake apiserver, --watch-interval 1s)',
          ['--kubeconfig', fake.kubeconfigPath, '--node', 'cp-1', '--log-path', KUBEADM_LOG, '--via', 'kubelet'],
          log,
          changes,
        ),
      )
    } finally {
      await fake.close()
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
  return rows
}

export function watchTable(
  rows: readonly WatchRow[],
  table: (head: readonly string[], body: ReadonlyArray<readonly string[]>) => string,
): string {
  const body = rows.map((r) => {
    const sorted = [...r.latencies].sort((a, b) => a - b)
    const p90 = sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.9) - 1)] ?? Number.NaN
    const max = sorted.at(-1) ?? Number.NaN
    return [
      r.path,
      String(r.latencies.length),
      r.missing > 0 ? `${r.missing} never shown` : '0',
      median(r.latencies).toFixed(2),
      p90.toFixed(2),
      max.toFixed(2),
      max <= TARGET_S + 0.5 && r.missing === 0 ? '✓' : '✗',
    ]
  })
  return `\n### --watch: from a write to its line on stdout\n\nEach change appended at a random point of the polling second, among ${NOISE_LINES} lines of noise; timed to its JSON line (\`policies --watch -o json\`). Target (issue 9): about ${TARGET_S} s.\n\n${table(['variant', 'changes', 'missing', 'median s', 'p90 s', 'max s', 'within ~2 s'], body)}`
}

async function timeWrites(label: string, args: readonly string[], log: string, changes: number): Promise<WatchRow> {
  const child = spawn(process.execPath, [CLI, 'policies', '--watch', '-o', 'json', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {...process.env, NO_COLOR: '1'},
  })
  const shown = new Map<string, number>()
  let stderr = ''
  let pending = ''
  child.stdout.on('data', (d: Buffer) => {
    const at = performance.now()
    pending += d.toString()
    const lines = pending.split('\n')
    pending = lines.pop()!
    for (const line of lines) {
      const name = (JSON.parse(line) as {name?: string}).name
      if (name) shown.set(name, at)
    }
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  try {
    await until(
      child,
      () => stderr.includes('Ctrl-C to stop'),
      () => stderr,
    )
    const written = new Map<string, number>()
    for (let i = 0; i < changes; i++) {
      // Spread over the polling interval: the worst case is a write just after a look.
      await sleep(700 + Math.random() * 1000)
      const name = `bench-watch-${i}`
      appendFileSync(log, noise() + change(name))
      written.set(name, performance.now())
    }
    const lastDeadline = performance.now() + 10_000
    while ([...written.keys()].some((name) => !shown.has(name)) && performance.now() < lastDeadline) await sleep(50)
    const latencies = [...written]
      .filter(([name]) => shown.has(name))
      .map(([name, at]) => (shown.get(name)! - at) / 1000)
    return {path: label, latencies, missing: changes - latencies.length}
  } finally {
    child.kill('SIGINT')
    await new Promise((resolve) => child.once('close', resolve))
  }
}

function change(name: string): string {
  return (
    auditLine({
      auditID: randomUUID(),
      verb: 'patch',
      user: 'alice',
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      namespace: 'shop',
      name,
      time: now(),
    }) + '\n'
  )
}

function noise(): string {
  const time = now()
  return Array.from(
    {length: NOISE_LINES},
    (_, i) =>
      auditLine({
        auditID: randomUUID(),
        verb: 'update',
        user: 'system:node:cp-1',
        resource: 'leases',
        namespace: 'kube-node-lease',
        name: `lease-${i}`,
        time,
      }) + '\n',
  ).join('')
}

function now(): string {
  return new Date().toISOString().replace('Z', '000Z')
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function until(child: ChildProcess, holds: () => boolean, said: () => string): Promise<void> {
  const deadline = performance.now() + 30_000
  while (!holds()) {
    if (child.exitCode !== null || performance.now() > deadline) throw new Error(`--watch did not start: ${said()}`)
    await sleep(25)
  }
}
