// Runs a command several times and keeps what the benchmark reports: wall time and CPU time of
// each run, the peak RSS of the process tree, and the stdout of the last run (to check its answer).
// CPU time is reported too because a shared machine stretches wall time but not CPU time.

import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const GNU_TIME = '/usr/bin/time'
const RSS_PRELOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'report-rss.ts')

/** How peak RSS is measured on this machine, for the report's header. */
export const RSS_METHOD = existsSync(GNU_TIME)
  ? `${GNU_TIME} (max RSS of the process tree)`
  : 'process.resourceUsage().maxRSS of node children (others: n/a)'

export interface Measurement {
  readonly seconds: readonly number[]
  /** User + system CPU seconds of each run; empty when they could not be measured. */
  readonly cpuSeconds: readonly number[]
  /** KiB; null when it could not be measured. */
  readonly peakRssKiB: number | null
  readonly stdout: string
  /** Why the last run failed (its exit code or signal, and the end of its stderr), when failures were allowed. */
  readonly failure?: string
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

interface RunResult {
  seconds: number
  stdout: string
  failure?: string
}

/** What becomes of a command's stdout: kept (to check its answer), discarded, or handed on as it comes. */
type StdoutUse = 'keep' | 'discard' | ((chunk: Buffer) => void)

function runOnce(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  stdoutUse: StdoutUse,
  allowFailure: boolean,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint()
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', stdoutUse === 'discard' ? 'ignore' : 'pipe', 'pipe'],
      env,
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout?.on('data', typeof stdoutUse === 'function' ? stdoutUse : (b: Buffer) => out.push(b))
    child.stderr?.on('data', (b: Buffer) => err.push(b))
    child.on('error', reject)
    child.on('close', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      if (code !== 0) {
        const lines = Buffer.concat(err).toString('utf8').trim().split('\n')
        if (allowFailure) {
          const reason = lines.find((line) => /out of memory|error:/i.test(line)) ?? lines.at(-1) ?? ''
          resolve({seconds, stdout: '', failure: `exit ${code ?? signal}: ${reason.trim()}`})
          return
        }
        reject(new Error(`${argv.join(' ')} exited with ${code ?? signal}\n${lines.slice(-5).join('\n')}`))
        return
      }
      resolve({seconds, stdout: Buffer.concat(out).toString('utf8')})
    })
  })
}

/**
 * Runs `command` `runs` times, one after another. Throws if any run fails. `discardStdout` sends
 * stdout to /dev/null (for commands whose output is the whole input, like `gzip -dc`); a function
 * gets stdout as it comes, for output too big to keep (then Measurement.stdout is empty). With
 * `allowFailure`, a failed run ends the runs and is reported in Measurement.failure instead.
 */
export async function measure(
  command: readonly string[],
  runs: number,
  discardStdout: boolean | ((chunk: Buffer) => void) = false,
  allowFailure = false,
): Promise<Measurement> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kubectl-audit-bench-'))
  const rssFile = path.join(dir, 'rss')
  try {
    const seconds: number[] = []
    const cpuSeconds: number[] = []
    let peak: number | null = null
    let stdout = ''
    for (let i = 0; i < runs; i++) {
      let argv = [...command]
      const env = {...process.env}
      if (existsSync(GNU_TIME)) argv = [GNU_TIME, '-f', '%M %U %S', '-o', rssFile, ...argv]
      else if (argv[0] === process.execPath) {
        argv.splice(1, 0, `--import=${RSS_PRELOAD}`)
        env.BENCH_RSS_FILE = rssFile
      }
      const result = await runOnce(
        argv,
        env,
        typeof discardStdout === 'function' ? discardStdout : discardStdout ? 'discard' : 'keep',
        allowFailure,
      )
      seconds.push(result.seconds)
      stdout = result.stdout
      // The last line: GNU time writes a status line first when the command fails.
      const usage = await readFile(rssFile, 'utf8').then(
        (text) => (text.trim().split('\n').pop() ?? '').split(' ').map(Number),
        () => [],
      )
      const [rss, user, system] = usage
      if (rss !== undefined && Number.isFinite(rss)) peak = Math.max(peak ?? 0, rss)
      if (user !== undefined && system !== undefined && Number.isFinite(user + system)) cpuSeconds.push(user + system)
      await rm(rssFile, {force: true})
      if (result.failure !== undefined) return {seconds, cpuSeconds, peakRssKiB: peak, stdout, failure: result.failure}
    }
    return {seconds, cpuSeconds, peakRssKiB: peak, stdout}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}
