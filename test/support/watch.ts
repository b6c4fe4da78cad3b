// `policies --watch` as users run it: the built CLI as a child process that keeps running, its
// output read as it comes, and a signal to end it. And audit lines written now, as an apiserver
// writes them while it is followed.
import {type ChildProcessWithoutNullStreams, spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'

import {auditLine} from './events.js'
import {ROOT, RUN} from './cli.js'

export interface WatchRun {
  readonly child: ChildProcessWithoutNullStreams
  /** Everything written so far. */
  stdout(): string
  stderr(): string
  /** Waits until stdout (or stderr) holds `text`; fails after `timeoutMs`, saying what it holds. */
  waitFor(text: string | RegExp, options?: {stream?: 'stdout' | 'stderr'; timeoutMs?: number}): Promise<void>
  /** Sends the signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{code: number | null; stdout: string; stderr: string}>
}

export function startWatch(args: readonly string[], env: NodeJS.ProcessEnv = {}): WatchRun {
  return startCommand(['policies', '--watch', ...args], env)
}

/** Any command that keeps running (`history KIND/NAME --watch`), as startWatch runs policies. */
export function startCommand(args: readonly string[], env: NodeJS.ProcessEnv = {}): WatchRun {
  const child = spawn(process.execPath, [RUN, ...args], {
    cwd: ROOT,
    env: {...process.env, NO_COLOR: '1', ...env},
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    async waitFor(text, {stream = 'stdout', timeoutMs = 15_000} = {}) {
      const deadline = Date.now() + timeoutMs
      const holds = () => {
        const seen = stream === 'stdout' ? out : err
        return typeof text === 'string' ? seen.includes(text) : text.test(seen)
      }
      while (!holds()) {
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(`${stream} never held ${String(text)}; stdout:\n${out}\nstderr:\n${err}`)
        await new Promise((resolve) => setTimeout(resolve, 25))
      }
    },
    async stop(signal = 'SIGINT') {
      child.kill(signal)
      const code = await exited
      return {code, stdout: out, stderr: err}
    },
  }
}

let lastUs = 0

/** Now, in microseconds, later than any time given before: lines made one after another are in order. */
function nowTime(): string {
  lastUs = Math.max(Date.now() * 1000, lastUs + 1)
  const seconds = Math.floor(lastUs / 1e6)
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${String(lastUs % 1e6).padStart(6, '0')}Z`
}

/** A write to a Kubernetes NetworkPolicy, logged now (later than the lines before), with an audit ID of its own. */
export function policyWriteNow(name: string, spec: {verb?: string; user?: string; code?: number} = {}): string {
  return (
    auditLine({
      auditID: randomUUID(),
      verb: spec.verb ?? 'patch',
      user: spec.user ?? 'alice',
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      namespace: 'shop',
      name,
      code: spec.code ?? 200,
      time: nowTime(),
    }) + '\n'
  )
}

/** Lines that are not changes, as most of an audit log is. */
export function noiseNow(count: number): string {
  const time = nowTime()
  return Array.from(
    {length: count},
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

/** The NAME column of each change row a table printed, in order (the header and other lines left out). */
export function namesListed(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => /^\d{4}-\d\d-\d\dT/.test(line))
    .map((line) => line.split(/ {2,}/)[5]!)
}
