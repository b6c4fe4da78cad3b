// The README's --watch example: the example log in a directory, followed while new changes are
// written to it and it is rotated, then Ctrl-C. The CLI runs on a terminal of the README's width
// (script(1)), stdout and stderr both, so they show in the order a user sees them; `^C` where the
// signal was sent. The changes written carry fixed times and IDs, so the output is the same on every run.
import {spawn} from 'node:child_process'
import {appendFileSync, copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {auditLine} from '../test/support/events.js'

interface Written {
  readonly name: string
  readonly user: string
  readonly verb: string
  readonly code: number
  readonly time: string
}

/** What is written while the log is followed: one change, then a rotation, then two more. */
const BEFORE_ROTATION: readonly Written[] = [
  {name: 'allow-metrics', user: 'alice', verb: 'patch', code: 200, time: '2026-11-24T09:41:07.512301Z'},
]
const AFTER_ROTATION: readonly Written[] = [
  {name: 'default-deny', user: 'mallory', verb: 'delete', code: 403, time: '2026-11-24T09:41:09.100420Z'},
  {name: 'allow-web', user: 'bob', verb: 'update', code: 200, time: '2026-11-24T09:41:12.730011Z'},
]

const line = (w: Written, i: number) =>
  auditLine({
    auditID: `7a1c0e52-0d6b-4c6e-9d0e-00000000000${i}`,
    verb: w.verb,
    user: w.user,
    apiGroup: 'networking.k8s.io',
    resource: 'networkpolicies',
    namespace: 'shop',
    name: w.name,
    code: w.code,
    time: w.time,
    userAgent: 'kubectl/v1.34.1 (linux/amd64) kubernetes/93248f9',
  }) + '\n'

/** Runs `args` (with `audit/` holding the example log as audit.log) through the scenario; the console text it shows. */
export async function runWatchExample(args: readonly string[], root: string, columns: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'readme-watch-'))
  mkdirSync(join(dir, 'audit'))
  const log = join(dir, 'audit', 'audit.log')
  copyFileSync(join(root, 'examples', 'audit.log'), log)
  const command = [process.execPath, join(root, 'bin/run.js'), ...args]
    .map((w) => `'${w.replaceAll("'", "'\\''")}'`)
    .join(' ')
  const child = spawn('script', ['-qefc', `stty cols ${columns} rows 500 && exec ${command}`, '/dev/null'], {
    cwd: dir,
    env: {...process.env, NO_COLOR: '1', COLUMNS: undefined, FORCE_COLOR: undefined},
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let shown = ''
  child.stdout.on('data', (d: Buffer) => {
    shown += d.toString().replaceAll('\r\n', '\n')
  })
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  const waitFor = async (text: string) => {
    const deadline = Date.now() + 30_000
    while (!shown.includes(text)) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`--watch example: never saw ${text}: ${shown}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  try {
    await waitFor('Ctrl-C to stop')
    appendFileSync(log, line(BEFORE_ROTATION[0]!, 1))
    await waitFor(BEFORE_ROTATION[0]!.name)
    // Rotated as kube-apiserver rotates it: renamed, and a new file under the name.
    renameSync(log, join(dir, 'audit', 'audit-2026-11-24T09-41-08.000.log'))
    writeFileSync(log, line(AFTER_ROTATION[0]!, 2))
    await waitFor(AFTER_ROTATION[0]!.name)
    appendFileSync(log, line(AFTER_ROTATION[1]!, 3))
    await waitFor(AFTER_ROTATION[1]!.name)
    // Ctrl-C: the signal goes to the CLI, which script(1) runs in its place.
    const cli = await childOf(child.pid!)
    shown += '^C\n'
    process.kill(cli, 'SIGINT')
    const code = await exited
    if (code !== 0) throw new Error(`--watch example: exit ${code}: ${shown}`)
    // The progress line while the log is read is drawn over, and gone once it is read.
    return shown.replace(/\r\u001b\[2K[^\r\n]*(?=\r\u001b\[2K)/g, '').replaceAll('\r\u001b[2K', '')
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
    rmSync(dir, {recursive: true, force: true})
  }
}

/** The process script(1) started. */
async function childOf(pid: number): Promise<number> {
  const {execFileSync} = await import('node:child_process')
  const found = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], {encoding: 'utf8'})
    .trim()
    .split('\n')[0]
  if (!found) throw new Error('--watch example: the CLI is not running under script(1)')
  return Number(found)
}
