// The first wrong guesses at the command line (an unknown command, a word where none is taken, an
// unknown flag), answered as UserErrors that say what was probably meant.
import {existsSync} from 'node:fs'

import {UserError} from '../errors.js'
import {closest} from './did-you-mean.js'

export function unknownCommand(bin: string, word: string, commands: readonly string[]): UserError {
  const near = closest(word, commands)
  return new UserError(`unknown command "${word}"`, {
    hint: near ? `did you mean ${bin} ${near}?` : `the commands are ${commands.join(', ')}; see ${bin} --help`,
  })
}

/**
 * A word after the command, which takes none. For a command that reads files, a word that names
 * one (`policies audit.log`) was meant for -f: the most natural first mistake.
 */
export function unexpectedArgument(bin: string, command: string, word: string, readsFiles: boolean): UserError {
  const hint =
    readsFiles && looksLikeFile(word)
      ? `did you mean -f ${shellWord(word)}?`
      : `${command} takes flags only; see ${bin} ${command} --help`
  return new UserError(`unexpected argument "${word}"`, {hint})
}

export function unknownFlag(bin: string, command: string, flag: string, flags: readonly string[]): UserError {
  const name = flag.replace(/^--?/, '').replace(/=.*$/, '')
  const near = flag.startsWith('--') ? closest(name, flags) : undefined
  return new UserError(`unknown flag: ${flag}`, {
    hint: near ? `did you mean --${near}? (see ${bin} ${command} --help)` : `see ${bin} ${command} --help`,
  })
}

function looksLikeFile(word: string): boolean {
  return word === '-' || /[./\\*]/.test(word) || existsSync(word)
}

/** The word as a shell would need it typed back. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`
}
