// What every command shares: errors become one line on stderr and an exit code, never a stack.
import {Command, Errors} from '@oclif/core'

import {UserError} from '../errors.js'
import {sanitize} from '../render/sanitize.js'

export abstract class BaseCommand extends Command {
  override async init(): Promise<void> {
    await super.init()
    // `… -o json | head` closes the pipe early: that is the reader's choice, not an error.
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(0)
      throw error
    })
  }

  protected override async catch(error: Error & {exitCode?: number}): Promise<void> {
    if (error instanceof UserError) {
      process.stderr.write(`error: ${sanitize(error.message)}\n`)
      if (error.hint) process.stderr.write(`hint: ${sanitize(error.hint)}\n`)
      process.exitCode = error.exitCode
      return
    }
    // oclif's own errors (unknown flag, bad value) already read well; keep their exit code (2).
    if (error instanceof Errors.CLIError || 'oclif' in error) throw error
    if (process.env.DEBUG) process.stderr.write(`${error.stack}\n`)
    process.stderr.write(`error: ${sanitize(error.message)}\n`)
    if (!process.env.DEBUG) process.stderr.write('hint: run again with DEBUG=1 for details\n')
    process.exitCode = 2
  }
}
