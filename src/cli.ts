// The program, as bin/run.js and the release bundle start it: oclif runs the commands, and the
// mistakes made before any command runs (an unknown command, a word after a command that takes
// none) are answered here in the tool's own form, since no command's catch() exists yet for them.
// The most common command line, `policies` with its flags, goes straight to its command.
import {type Config, flush, handle, type Interfaces, run, settings} from '@oclif/core'

import {writeUserError} from './commands/base.js'
import {unexpectedArgument, unknownCommand} from './commands/usage-errors.js'
import {UserError} from './errors.js'

/** What oclif takes for help: --help, and -h (package.json's oclif.additionalHelpFlags). */
const HELP_FLAGS = new Set(['--help', '-h'])
const VERSION_FLAGS = new Set(['--version'])
const BIN = 'kubectl audit'
/** Set (to anything but empty) to start every command line through oclif's full command loading. */
export const NO_DIRECT_START = 'KUBECTL_AUDIT_NO_DIRECT_START'

export interface CliOptions {
  loadOptions: Interfaces.LoadOptions
  argv?: string[]
  /** TypeScript sources through tsx (bin/dev.js), as oclif's execute() does it. */
  development?: boolean
}

export async function runCli({
  loadOptions,
  argv: given = process.argv.slice(2),
  development = false,
}: CliOptions): Promise<void> {
  const argv = kubectlVerbosity(given)
  if (development) {
    process.env.NODE_ENV = 'development'
    settings.debug = true
  }
  // `… -o json | head`, `--help | head` close the pipe early: that is the reader's choice, not an error.
  // First in line: oclif's own listener (added when @oclif/core loads) rethrows the rest as a stack trace.
  process.stdout.prependListener('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0)
    // `> /dev/full` (ENOSPC), a failing disk (EIO): the output is lost, and that is said in one line.
    process.stderr.write(
      `error: cannot write the output: ${error.code ?? error.message}${error.code === 'ENOSPC' ? ' (no space left on device)' : ''}\n`,
    )
    process.exit(2)
  })
  try {
    if (!development && startsDirectly(argv, process.env)) {
      await runPolicies(argv.slice(1))
    } else {
      // The commands are loaded only to check a command line that names one: not for --version or --help.
      const mistake = await wrongCommand(argv, async () => (await import('./index.js')).COMMANDS)
      if (mistake) throw mistake
      await run(argv, loadOptions)
    }
    await flush()
  } catch (error) {
    if (!(error instanceof UserError)) return handle(error instanceof Error ? error : new Error(String(error)))
    writeUserError(error, process.stderr)
    process.exitCode = error.exitCode
  }
}

/**
 * Whether the command line can skip oclif's start (reading package.json and the manifest, loading
 * every command, running hooks): `policies` and then flags, no help asked for. Anything else, and
 * a run with oclif's DEBUG logging, goes through oclif, which then answers exactly as it always did.
 */
export function startsDirectly(argv: readonly string[], env: NodeJS.ProcessEnv): boolean {
  const words = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length)
  const [first, second] = words
  if (first !== 'policies' || (second !== undefined && !second.startsWith('-'))) return false
  return !words.some((word) => HELP_FLAGS.has(word)) && !env.DEBUG && !env[NO_DIRECT_START]
}

/**
 * `policies` as oclif's run() would run it, without the start that run() does first. From there
 * oclif's Command needs of its Config only what this gives: the bin name for messages, the hooks
 * to run (package.json declares none), the variable names it clears, the topic separator it
 * compares aliases with (the command has none); the tests compare the two starts.
 */
async function runPolicies(argv: string[]): Promise<void> {
  const {default: Policies} = await import('./commands/policies.js')
  Policies.id = 'policies'
  const config = {
    bin: BIN,
    topicSeparator: ':',
    runHook: async () => ({successes: [], failures: []}),
    scopedEnvVarKeys: (name: string) => [`${BIN}_${name}`.toUpperCase()],
  }
  // _run() is what Command.run() calls once it has a Config: init, run, catch, finally.
  await (new Policies(argv, config as unknown as Config) as unknown as {_run(): Promise<unknown>})._run()
}

/**
 * kubectl's log level (`-v=6`, `--v=8`, `-v 6`) as our -v: any level above 0 logs the requests,
 * which kubectl does from 6. Only before `--`, and a bare number after -v is never a file.
 */
export function kubectlVerbosity(argv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!
    if (word === '--') return [...out, ...argv.slice(i)]
    const attached = /^--?v=(\d+)$/.exec(word)
    const separate = (word === '-v' || word === '--v') && /^\d+$/.test(argv[i + 1] ?? '') ? argv[++i]! : undefined
    const level = attached?.[1] ?? separate
    if (level === undefined) out.push(word)
    else if (Number(level) > 0) out.push('--verbose')
  }
  return out
}

/** What the check needs to know of each command. */
type CommandMap = Readonly<Record<string, {readonly args?: object; readonly flags: object}>>

/**
 * What oclif would answer with `command policies:audit.log not found`: an unknown first word, or
 * a word right after a command that takes no arguments (oclif reads it as a subcommand).
 */
export async function wrongCommand(
  argv: readonly string[],
  loadCommands: () => Promise<CommandMap>,
): Promise<UserError | undefined> {
  const words = argv.slice(0, argv.includes('--') ? argv.indexOf('--') : argv.length)
  const [first, second] = words
  if (first === undefined || words.some((word) => HELP_FLAGS.has(word)) || VERSION_FLAGS.has(first)) return undefined
  const commands = await loadCommands()
  const ids = Object.keys(commands)
  if (first.startsWith('-')) {
    // `--since 1h policies`: the same words, the command first.
    const named = words.findIndex((word) => Object.hasOwn(commands, word))
    const command = named === -1 ? 'policies' : words[named]!
    const rest = argv.filter((_, i) => i !== named)
    return new UserError(`${first} comes before any command`, {
      hint: `the command comes first: ${BIN} ${command} ${rest.join(' ')}${named === -1 ? ` (commands: ${ids.join(', ')})` : ''}`,
    })
  }
  const command = Object.hasOwn(commands, first) ? commands[first] : undefined
  if (command === undefined) return unknownCommand(BIN, first, ids)
  if (second === undefined || second.startsWith('-') || Object.keys(command.args ?? {}).length > 0) return undefined
  return unexpectedArgument(BIN, first, second, 'file' in command.flags)
}
