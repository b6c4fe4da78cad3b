// What every command shares: errors become one line on stderr and an exit code, never a stack.
import {Command, Errors} from '@oclif/core'

import {UserError} from '../errors.js'
import {sanitize} from '../render/sanitize.js'

export abstract class BaseCommand extends Command {
  override async init(): Promise<void> {
    await super.init()
    // `… -o json | head` closes the pipe early: that is the reader's choice, not an error.
    // First in line: oclif's own listener rethrows anything but EPIPE, as a stack trace.
    process.stdout.prependListener('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0)
      // `> /dev/full` (ENOSPC), a failing disk (EIO): the output is lost, and that is said in one line.
      process.stderr.write(`error: cannot write the output: ${error.code ?? error.message}${error.code === 'ENOSPC' ? ' (no space left on device)' : ''}\n`)
      process.exit(2)
    })
  }

  protected override async catch(error: Error & {exitCode?: number}): Promise<void> {
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
}

/** oclif's multi-line messages (`Parsing --limit` / `Expected an integer…`) as one line, without its own pointer to --help. */
function oneLine(message: string): string {
  const lines = message.split('\n').map((line) => line.trim()).filter((line) => line !== '' && line !== 'See more help with --help')
  return lines.reduce((text, line) => (text === '' ? line : /[:.]$/.test(text) ? `${text} ${line}` : `${text}: ${line}`), '')
}
