// Runs the built CLI as users do (node bin/run.js …) and captures everything it says.
import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const ROOT = fileURLToPath(new URL('../..', import.meta.url))
export const RUN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Pieces of stdin written apart, as a slow pipe delivers them. */
const PIECE_PAUSE_MS = 300

export function runCli(
  args: readonly string[],
  options: {stdin?: string | Buffer | Array<string | Buffer>; env?: NodeJS.ProcessEnv; cwd?: string} = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: {...process.env, NO_COLOR: '1', ...options.env},
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => err.push(d))
    child.on('error', reject)
    child.on('close', (code) =>
      resolve({code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString()}),
    )
    child.stdin.on('error', () => {})
    const pieces = Array.isArray(options.stdin) ? options.stdin : [options.stdin ?? '']
    const writeFrom = (i: number) => {
      if (i === pieces.length - 1) child.stdin.end(pieces[i])
      else child.stdin.write(pieces[i], () => setTimeout(() => writeFrom(i + 1), PIECE_PAUSE_MS))
    }
    writeFrom(0)
  })
}
