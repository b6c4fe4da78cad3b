// Reads kube-apiserver flags from a container's command and args the way the apiserver's flag
// parser (spf13/pflag) would: `--k=v` and `--k v`, last value wins, and flags written inside a
// `/bin/sh -c "..."` string (older kops). A malformed flag is reported, never guessed.

export interface ApiserverFlags {
  /** Flag name without dashes → value. */
  readonly flags: Record<string, string>
  /** One line per malformed token, e.g. `--audit-log-maxage =30`. */
  readonly problems: readonly string[]
}

/** Boolean flags take no separate value: `--profiling false` would leave a stray "false". */
const BOOLEAN_FLAGS = new Set([
  'allow-privileged',
  'anonymous-auth',
  'audit-log-compress',
  'audit-log-batch-throttle-enable',
  'audit-log-truncate-enabled',
  'audit-webhook-batch-throttle-enable',
  'audit-webhook-truncate-enabled',
  'contention-profiling',
  'enable-aggregator-routing',
  'enable-bootstrap-token-auth',
  'enable-garbage-collector',
  'enable-logs-handler',
  'enable-priority-and-fairness',
  'profiling',
  'service-account-lookup',
])

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash'])
const SHELL_OPERATORS = new Set([';', '&&', '||', '|', '&'])

/** Parses the flags of the kube-apiserver process a container runs. */
export function parseApiserverCommand(command: readonly string[], args: readonly string[]): ApiserverFlags {
  const words = [...command, ...args]
  const script = shellScript(words)
  if (script !== undefined) {
    const segment = apiserverSegment(splitShellWords(script))
    if (!segment) return {flags: {}, problems: ['the shell command does not run kube-apiserver']}
    return parseFlagTokens(segment, {shell: true})
  }
  return parseFlagTokens(dropExecutable(words), {shell: false})
}

/** `["/bin/sh", "-c", "script"]` (the script may sit in args): the script, else undefined. */
function shellScript(words: readonly string[]): string | undefined {
  if (words.length < 3 || !SHELLS.has(basename(words[0]))) return undefined
  const c = words.indexOf('-c')
  return c === -1 ? undefined : words[c + 1]
}

/** The words after the kube-apiserver executable; flags-only when the command was left to the image. */
function dropExecutable(words: readonly string[]): string[] {
  const first = words.findIndex((w) => w.startsWith('-'))
  const executable = words.findIndex((w) => isApiserverExecutable(w))
  if (executable !== -1 && (first === -1 || executable < first)) {
    const next = words[executable + 1]
    // hyperkube takes the component as a subcommand.
    const skip =
      basename(words[executable]) === 'hyperkube' && (next === 'kube-apiserver' || next === 'apiserver') ? 2 : 1
    return words.slice(executable + skip)
  }
  return first === -1 ? [] : words.slice(first)
}

function isApiserverExecutable(word: string): boolean {
  const name = basename(word)
  return name === 'kube-apiserver' || name === 'hyperkube'
}

/** The words of the shell command that runs kube-apiserver, without redirections. */
function apiserverSegment(tokens: readonly string[]): string[] | undefined {
  const segments: string[][] = [[]]
  for (const token of tokens) {
    if (SHELL_OPERATORS.has(token)) segments.push([])
    else segments.at(-1)!.push(token)
  }
  for (const segment of segments) {
    const words = withoutRedirections(segment)
    // Skip `exec` and leading VAR=value assignments.
    let start = 0
    while (start < words.length && (words[start] === 'exec' || /^[A-Za-z_]\w*=/.test(words[start]))) start++
    if (start < words.length && isApiserverExecutable(words[start])) return dropExecutable(words.slice(start))
  }
  return undefined
}

function withoutRedirections(words: readonly string[]): string[] {
  const kept: string[] = []
  for (let i = 0; i < words.length; i++) {
    const redirection = /^\d*(>>?|<)(&\d+)?(.*)$/.exec(words[i])
    if (!redirection) kept.push(words[i])
    else if (redirection[2] === undefined && redirection[3] === '') i++ // `> file`: the target is the next word
  }
  return kept
}

/** Splits a POSIX shell string into words and operators: quotes, backslashes, ; && || | &. */
export function splitShellWords(script: string): string[] {
  const tokens: string[] = []
  let word = ''
  let inWord = false
  const end = () => {
    if (inWord) tokens.push(word)
    word = ''
    inWord = false
  }
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]
    if (ch === "'") {
      const close = script.indexOf("'", i + 1)
      const stop = close === -1 ? script.length : close
      word += script.slice(i + 1, stop)
      inWord = true
      i = stop
    } else if (ch === '"') {
      inWord = true
      for (i++; i < script.length && script[i] !== '"'; i++) {
        if (script[i] === '\\' && i + 1 < script.length && '"\\$`'.includes(script[i + 1])) i++
        word += script[i]
      }
    } else if (ch === '\\' && i + 1 < script.length) {
      if (script[i + 1] !== '\n') word += script[i + 1]
      inWord = true
      i++
    } else if (/\s/.test(ch)) {
      end()
    } else if ((ch === '&' || ch === '|') && script[i + 1] === ch) {
      end()
      tokens.push(ch + ch)
      i++
    } else if (ch === ';' || ch === '|' || (ch === '&' && !word.endsWith('>'))) {
      end()
      tokens.push(ch)
    } else {
      word += ch
      inWord = true
    }
  }
  end()
  return tokens
}

function parseFlagTokens(tokens: readonly string[], context: {shell: boolean}): ApiserverFlags {
  const flags: Record<string, string> = {}
  const problems: string[] = []
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]
    if (token === '--') {
      if (i + 1 < tokens.length) problems.push(`unexpected arguments after "--": ${tokens.slice(i + 1).join(' ')}`)
      break
    }
    if (!token.startsWith('--')) {
      // klog's -v is the one shorthand kube-apiserver has.
      if (/^-v(=\d+)?$/.test(token)) continue
      problems.push(
        token.startsWith('-')
          ? `"${token}": one dash is read as shorthand letters, not as a flag; write --${token.slice(1)}`
          : `unexpected argument "${token}"`,
      )
      continue
    }
    const body = token.slice(2)
    const eq = body.indexOf('=')
    const name = eq === -1 ? body : body.slice(0, eq)
    let value: string
    let written = token
    if (name === '') {
      problems.push(`"${token}" has no flag name`)
      continue
    }
    if (/\s/.test(name)) {
      // One YAML list item `- --audit-log-maxage =30`: pflag looks up "audit-log-maxage " and fails.
      const flagName = name.split(/\s/)[0]!
      const rest = body.slice(flagName.length).replace(/^\s*=?\s*/, '')
      problems.push(
        `"${token}": kube-apiserver does not start: unknown flag "--${name}" (a space inside one argument); write --${flagName}${rest ? `=${rest}` : ''}`,
      )
      continue
    }
    if (eq !== -1) {
      value = body.slice(eq + 1)
    } else if (BOOLEAN_FLAGS.has(name)) {
      value = 'true'
    } else if (i + 1 < tokens.length) {
      value = tokens[++i]
      written = `${token} ${value}`
    } else {
      problems.push(`${token} needs a value`)
      continue
    }
    if (value.startsWith('=')) {
      problems.push(`"${written}": the space before "=" makes the value "${value}"; write --${name}${value}`)
      continue
    }
    if (value.startsWith('-') && eq === -1)
      problems.push(`"${written}": the value of --${name} looks like another flag`)
    if (!context.shell && /^(["']).*\1$/.test(value) && value.length >= 2) {
      problems.push(`"${written}": no shell runs this command, so the quotes are part of the value`)
    }
    flags[name] = value
  }
  return {flags, problems}
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

/**
 * An int flag's value as pflag reads it (strconv.ParseInt(s, 0, 64)): an optional sign, then
 * decimal, 0x hex, 0o or leading-0 octal, or 0b binary, with `_` between digits. No spaces.
 * Undefined when kube-apiserver would refuse it and not start.
 */
export function parseIntFlag(value: string): number | undefined {
  const match =
    /^([+-]?)(0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|0(?:_?[0-7])+|[1-9](?:_?\d)*|0)$/.exec(value)
  if (!match) return undefined
  const digits = match[2]!.replaceAll('_', '')
  const prefixed = /^0[xXoObB]/.test(digits)
  const magnitude = prefixed
    ? Number(digits.toLowerCase())
    : digits.length > 1 && digits.startsWith('0')
      ? Number.parseInt(digits, 8)
      : Number(digits)
  const parsed = match[1] === '-' ? -magnitude : magnitude
  return Number.isSafeInteger(parsed) ? parsed : undefined
}
