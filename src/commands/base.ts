// What every command shares: errors become one line on stderr and an exit code, never a stack.
import {Command, Errors} from '@oclif/core'

import {UserError} from '../errors.js'
import {sanitize} from '../render/sanitize.js'
import type {RunContext} from '../run-context.js'
import {Interrupt} from './interrupt.js'
import {unexpectedArgument, unknownFlag} from './usage-errors.js'

export abstract class BaseCommand extends Command {
  /** Ctrl-C and SIGTERM for this run: one AbortSignal, and the cleanups that run before the exit. */
  protected readonly interrupt = new Interrupt()

  override async init(): Promise<void> {
    await super.init()
    this.interrupt.listen()
  }

  protected override async catch(error: Error & {exitCode?: number}): Promise<void> {
    // Whatever failed once the run was interrupted, the exit is the signal's, after the cleanups
    // (unless the run finishes by itself after a signal: then its failure is told as any other).
    if (this.interrupt.interrupted && !this.interrupt.finishesOnSignal) return this.interrupt.untilExit()
    if (error instanceof Errors.ExitError) throw error
    const userError = error instanceof UserError ? error : this.parseError(error)
    if (userError) {
      writeUserError(userError, process.stderr)
      process.exitCode = userError.exitCode
      return
    }
    if (process.env.DEBUG) process.stderr.write(`${error.stack}\n`)
    process.stderr.write(`error: ${sanitize(error.message)}\n`)
    if (!process.env.DEBUG) process.stderr.write('hint: run again with DEBUG=1 for details\n')
    process.exitCode = 2
  }

  protected override async finally(error: Error | undefined): Promise<void> {
    this.interrupt.stop()
    return super.finally(error)
  }

  /** What the code working for this run gets: its cancellation, its cleanups, and stderr for warnings. */
  protected runContext(): RunContext {
    return {
      signal: this.interrupt.signal,
      onCleanup: (cleanup) => this.interrupt.onCleanup(cleanup),
      warn: (line) => process.stderr.write(`warning: ${sanitize(line)}\n`),
    }
  }

  /** oclif's own errors (an unknown flag, a bad value, a stray word) in our form, with its exit code (2). */
  private parseError(error: Error): UserError | undefined {
    if (!(error instanceof Errors.CLIError) && !('oclif' in error)) return undefined
    const bin = this.config.bin
    const id = this.id ?? ''
    const flags = Object.keys(this.ctor.flags ?? {})
    // The parser's errors carry what they refused; their classes are not exported.
    const {args, flags: unknown} = error as {args?: unknown; flags?: unknown}
    if (Array.isArray(args) && typeof args[0] === 'string' && error.message.startsWith('Unexpected argument')) {
      return unexpectedArgument(bin, id, args[0], flags.includes('file'))
    }
    if (Array.isArray(unknown) && typeof unknown[0] === 'string' && error.message.startsWith('Nonexistent flag')) {
      return unknownFlag(
        bin,
        id,
        unknown[0],
        flags.filter((name) => !this.ctor.flags[name]?.hidden),
      )
    }
    return new UserError(oneLine(error.message), {
      hint: `see ${bin} ${id} --help`,
      exitCode: (error as {oclif?: {exit?: number}}).oclif?.exit ?? 2,
    })
  }
}

/** The one form of every error a user can cause: `error: …` and, when there is one, `hint: …`. */
export function writeUserError(error: UserError, stderr: NodeJS.WritableStream): void {
  stderr.write(`error: ${sanitize(error.message)}\n`)
  if (error.hint) stderr.write(`hint: ${sanitize(error.hint)}\n`)
}

/** oclif's multi-line messages (`Parsing --limit` / `Expected an integer…`) as one line, without its own pointer to --help. */
function oneLine(message: string): string {
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && line !== 'See more help with --help')
  return lines.reduce(
    (text, line) => (text === '' ? line : /[:.]$/.test(text) ? `${text} ${line}` : `${text}: ${line}`),
    '',
  )
}
