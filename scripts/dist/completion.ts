// Generates `kubectl_complete-audit`, the executable kubectl (1.26+) runs to complete
// `kubectl audit …`: a POSIX shell script, so it needs no Node.js and starts in a millisecond.
// The command and flag table comes from oclif.manifest.json, so it follows the commands as built.
import {chmod, readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {FILE_VALUE} from '../../src/flags/help-values.js'

export const COMPLETION_FILE = 'kubectl_complete-audit'

/** The part of oclif.manifest.json that completion needs. */
export interface OclifManifest {
  commands: Record<string, ManifestCommand>
}

interface ManifestCommand {
  id: string
  summary?: string
  description?: string
  hidden?: boolean
  aliases?: string[]
  args?: Record<string, unknown>
  flags?: Record<string, ManifestFlag>
}

interface ManifestFlag {
  name: string
  char?: string
  type: 'boolean' | 'option'
  summary?: string
  description?: string
  hidden?: boolean
  options?: string[]
  helpValue?: string
}

// kubectl reads cobra's directives from the last line (cobra's ShellCompDirective values).
const DIRECTIVE_DEFAULT = ':0' // the shell may offer file names
const DIRECTIVE_NO_FILES = ':4'

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`
}

/** The first line of a summary, with nothing a terminal would interpret and no tabs (the separator). */
function oneLine(text: string | undefined): string {
  const first = (text ?? '').split('\n')[0] ?? ''
  return first.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim()
}

function flagWords(flag: ManifestFlag): string[] {
  return [`--${flag.name}`, ...(flag.char ? [`-${flag.char}`] : [])]
}

function commandCase(command: ManifestCommand, ids: string[]): string {
  const flags = Object.values(command.flags ?? {}).filter((flag) => !flag.hidden)
  const valueFlags = flags.filter((flag) => flag.type === 'option')
  const lines: string[] = [`  ${ids.map(shellQuote).join('|')})`]

  // The word before the cursor is a flag that takes a value: complete the value.
  if (valueFlags.length > 0) {
    lines.push('    case "$previous" in')
    for (const flag of valueFlags) {
      const choices = flag.options ?? []
      const offers = choices.map((choice) => `offer ${shellQuote(choice)} ''; `).join('')
      // File names only where the flag takes a file: not after --since, -n, --context…
      const directive = flag.helpValue === FILE_VALUE ? DIRECTIVE_DEFAULT : DIRECTIVE_NO_FILES
      lines.push(`      ${flagWords(flag).map(shellQuote).join('|')}) ${offers}finish ${directive} ;;`)
    }
    lines.push('    esac')
  }

  lines.push('    case "$current" in')
  // --flag=value in one word.
  for (const flag of valueFlags.filter((flag) => (flag.options ?? []).length > 0)) {
    const offers = (flag.options ?? []).map((choice) => `offer ${shellQuote(`--${flag.name}=${choice}`)} ''; `).join('')
    lines.push(`      ${shellQuote(`--${flag.name}=`)}*) ${offers}finish ${DIRECTIVE_NO_FILES} ;;`)
  }
  const flagOffers = [
    ...flags.map((flag) => `offer ${shellQuote(`--${flag.name}`)} ${shellQuote(oneLine(flag.summary ?? flag.description))}`),
    // oclif answers --help for every command, declared or not.
    ...(flags.some((flag) => flag.name === 'help') ? [] : [`offer '--help' 'Show help for this command.'`]),
  ]
  lines.push('      -*)', ...flagOffers.map((offer) => `        ${offer}`), `        finish ${DIRECTIVE_NO_FILES} ;;`)
  lines.push('    esac')
  const takesArguments = Object.keys(command.args ?? {}).length > 0
  lines.push(`    finish ${takesArguments ? DIRECTIVE_DEFAULT : DIRECTIVE_NO_FILES} ;;`)
  return lines.join('\n')
}

export function renderCompletionScript(manifest: OclifManifest): string {
  const nested = Object.keys(manifest.commands).filter((id) => id.includes(':'))
  // Topics (`kubectl audit a b`) would need the script to walk several command words.
  if (nested.length > 0) throw new Error(`completion: commands under a topic are not supported yet: ${nested.join(', ')}`)
  const commands = Object.values(manifest.commands)
    .filter((command) => !command.hidden)
    .sort((a, b) => (a.id < b.id ? -1 : 1))
  const commandOffers = commands.flatMap((command) =>
    [command.id, ...(command.aliases ?? [])].map(
      (id) => `        offer ${shellQuote(id)} ${shellQuote(oneLine(command.summary ?? command.description))}`,
    ),
  )
  return `#!/bin/sh
# Shell completion for \`kubectl audit\`. kubectl 1.26 and later run this executable (found on PATH
# as kubectl_complete-audit) with the words typed after \`kubectl audit\`, the last one being the
# word to complete. It prints candidates, one per line as "word<TAB>description", then a cobra
# directive: :4 offers no file names, :0 lets the shell offer file names.
# Generated from oclif.manifest.json by \`npm run dist\` (scripts/dist/completion.ts): do not edit.

command=
previous=
if [ "$#" -gt 1 ]; then
  case "$1" in -*) ;; *) command=$1 ;; esac
fi
while [ "$#" -gt 1 ]; do
  previous=$1
  shift
done
current=\${1-}

# offer WORD DESCRIPTION: print WORD when it starts with the word being completed.
offer() {
  case "$1" in
    "$current"*) if [ -n "$2" ]; then printf '%s\\t%s\\n' "$1" "$2"; else printf '%s\\n' "$1"; fi ;;
  esac
}

finish() {
  printf '%s\\n' "$1"
  exit 0
}

case "$command" in
  '')
    case "$current" in
      -*)
        offer '--help' 'Show help.'
        offer '--version' 'Show the version.' ;;
      *)
${commandOffers.join('\n')} ;;
    esac
    finish ${DIRECTIVE_NO_FILES} ;;
${commands.map((command) => commandCase(command, [command.id, ...(command.aliases ?? [])])).join('\n')}
  *) finish ${DIRECTIVE_NO_FILES} ;;
esac
`
}

/** The completion executable for the project's oclif.manifest.json. */
export async function renderCompletionExecutable(projectRoot: string): Promise<Buffer> {
  const manifestText = await readFile(join(projectRoot, 'oclif.manifest.json'), 'utf8').catch(() => {
    throw new Error('oclif.manifest.json is missing: run `npm run build` first')
  })
  return Buffer.from(renderCompletionScript(JSON.parse(manifestText) as OclifManifest))
}

/** Writes bin/kubectl_complete-audit from the project's oclif.manifest.json; returns its bytes. */
export async function writeCompletionExecutable(projectRoot: string): Promise<Buffer> {
  const script = await renderCompletionExecutable(projectRoot)
  const file = join(projectRoot, 'bin', COMPLETION_FILE)
  await writeFile(file, script)
  await chmod(file, 0o755)
  return script
}
