// What every command shares: errors become one line on stderr and an exit code, never a stack.
import {Command, Errors} from '@oclif/core'

import {UserError} from '../errors.js'
import {sanitize} from '../render/sanitize.js'
import type {RunContext} from '../run-context.js'
import {Interrupt} from './interrupt.js'

export abstract class BaseCommand extends Command {
  /** Ctrl-C and SIGTERM for this run: one AbortSignal, and the cleanups that run before the exit. */
  protected readonly interrupt = new Interrupt()

  override async init(): Promise<void> {
    await super.init()
    this.interrupt.listen()
    // `… -o json | head` closes the pipe early: that is the reader's choice, not an error.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0)
      throw error
    })
  }

  protected override async catch(error: Error & {exitCode?: number}): Promise<void> {
    // Whatever failed once the run was interrupted, the exit is the signal's, after the cleanups.
    if (this.interrupt.interrupted) return this.interrupt.untilExit()
    if (error instanceof UserError) {
      process.stderr.write(`error: ${sanitize(error.message)}\n`)
      if (error.hint) process.stderr.write(`hint: ${sanitize(error.hint)}\n`)
      process.exitCode = error.exitCode
      return
    }
    if (error instanceof Errors.ExitError) throw error
    // oclif's own errors (an unknown flag, a bad value): one line and where to look, instead of
    // the whole help on stderr; keep their exit code (2).
    if (error instanceof Errors.CLIError || 'oclif' in error) {
      process.stderr.write(`error: ${sanitize(oneLine(error.message))}\n`)
      process.stderr.write(`hint: see ${this.config.bin} ${this.id} --help\n`)
      process.exitCode = (error as {oclif?: {exit?: number}}).oclif?.exit ?? 2
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
}

/** oclif's multi-line messages (`Parsing --limit` / `Expected an integer…`) as one line, without its own pointer to --help. */
function oneLine(message: string): string {
  const lines = message.split('\n').map((line) => line.trim()).filter((line) => line !== '' && line !== 'See more help with --help')
  return lines.reduce((text, line) => (text === '' ? line : /[:.]$/.test(text) ? `${text} ${line}` : `${text}: ${line}`), '')
}
