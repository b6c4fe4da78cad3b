// Enough of LogQL's log queries for the fake Loki to answer them as Loki does: a stream selector
// (=, !=, =~, !~; at least one matcher that cannot match the empty string), line filters (|=,
// !=, |~, !~), the json stage (all keys flattened with `_`, or only the named paths), and label
// filters on strings (=, !=, =~, !~) joined by `and`, `,` and `or`, with parentheses. Strings are
// "quoted" (Go escapes) or `raw`. Regexps are anchored for labels, not for lines, as in Loki.
// Anything else is a parse error, in Loki's words.

export type Labels = Record<string, string>

export type MatchOp = '=' | '!=' | '=~' | '!~'

export interface Matcher {
  readonly name: string
  readonly op: MatchOp
  readonly value: string
}

export type LabelFilter =
  | {readonly kind: 'match'; readonly matcher: Matcher}
  | {readonly kind: 'and' | 'or'; readonly left: LabelFilter; readonly right: LabelFilter}

export type Stage =
  | {readonly kind: 'line'; readonly op: '|=' | '!=' | '|~' | '!~'; readonly value: string}
  | {readonly kind: 'json'; readonly params: ReadonlyArray<{readonly label: string; readonly path: string}>}
  | {readonly kind: 'labels'; readonly filter: LabelFilter}

export interface LogQuery {
  readonly selector: readonly Matcher[]
  readonly stages: readonly Stage[]
}

export class LogQLParseError extends Error {}

type Token = {kind: 'punct' | 'string' | 'ident'; text: string; at: number}

const PUNCT = ['|=', '|~', '!=', '!~', '=~', '{', '}', '(', ')', ',', '|', '=']

function tokenize(query: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < query.length) {
    const c = query[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (c === '"') {
      let j = i + 1
      while (j < query.length && query[j] !== '"') j += query[j] === '\\' ? 2 : 1
      if (j >= query.length) throw parseError(query, i, 'unterminated string')
      let text: string
      try {
        text = JSON.parse(query.slice(i, j + 1)) as string
      } catch {
        throw parseError(query, i, 'invalid string')
      }
      tokens.push({kind: 'string', text, at: i})
      i = j + 1
      continue
    }
    if (c === '`') {
      const j = query.indexOf('`', i + 1)
      if (j === -1) throw parseError(query, i, 'unterminated raw string')
      tokens.push({kind: 'string', text: query.slice(i + 1, j), at: i})
      i = j + 1
      continue
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(query.slice(i))
    if (ident) {
      tokens.push({kind: 'ident', text: ident[0], at: i})
      i += ident[0].length
      continue
    }
    const punct = PUNCT.find((p) => query.startsWith(p, i))
    if (!punct) throw parseError(query, i, `syntax error: unexpected ${c}`)
    tokens.push({kind: 'punct', text: punct, at: i})
    i += punct.length
  }
  return tokens
}

/** Loki's own wording: `parse error at line 1, col 9: syntax error: unexpected …`. */
function parseError(query: string, at: number, what: string): LogQLParseError {
  const before = query.slice(0, at)
  const line = before.split('\n').length
  const col = at - before.lastIndexOf('\n')
  return new LogQLParseError(`parse error at line ${line}, col ${col}: ${what}`)
}

export function parseLogQuery(query: string): LogQuery {
  const tokens = tokenize(query)
  let i = 0
  const peek = () => tokens[i]
  const fail = (what?: string): never => {
    const token = tokens[i]
    throw parseError(
      query,
      token?.at ?? query.length,
      what ?? (token ? `syntax error: unexpected ${token.text}` : 'syntax error: unexpected end of query'),
    )
  }
  const expect = (text: string) => (tokens[i]?.text === text && tokens[i]?.kind !== 'string' ? tokens[i++]! : fail())
  const string = () => (tokens[i]?.kind === 'string' ? tokens[i++]!.text : fail())
  const ident = () => (tokens[i]?.kind === 'ident' ? tokens[i++]!.text : fail())
  const matcher = (): Matcher => {
    const name = ident()
    const op = tokens[i]
    if (op?.kind !== 'punct' || !['=', '!=', '=~', '!~'].includes(op.text)) return fail()
    i++
    const value = string()
    if (op.text === '=~' || op.text === '!~') compile(value, query, op.at)
    return {name, op: op.text as MatchOp, value}
  }

  expect('{')
  const selector: Matcher[] = []
  if (peek()?.text !== '}') {
    selector.push(matcher())
    while (peek()?.text === ',') {
      i++
      selector.push(matcher())
    }
  }
  expect('}')
  if (!selector.some((m) => (m.op === '=' || m.op === '=~') && !matches(m, ''))) {
    throw new LogQLParseError(
      'parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will',
    )
  }

  const orFilter = (): LabelFilter => {
    let left = andFilter()
    while (peek()?.kind === 'ident' && peek()!.text === 'or') {
      i++
      left = {kind: 'or', left, right: andFilter()}
    }
    return left
  }
  const andFilter = (): LabelFilter => {
    let left = primary()
    for (;;) {
      const next = peek()
      if (next?.kind === 'ident' && next.text === 'and') i++
      else if (next?.kind === 'punct' && next.text === ',') i++
      else break
      left = {kind: 'and', left, right: primary()}
    }
    return left
  }
  const primary = (): LabelFilter => {
    if (peek()?.text === '(' && peek()?.kind === 'punct') {
      i++
      const inner = orFilter()
      expect(')')
      return inner
    }
    return {kind: 'match', matcher: matcher()}
  }

  const stages: Stage[] = []
  while (i < tokens.length) {
    const token = tokens[i]!
    if (token.kind === 'punct' && ['|=', '!=', '|~', '!~'].includes(token.text)) {
      i++
      const value = string()
      if (token.text === '|~' || token.text === '!~') compile(value, query, token.at)
      stages.push({kind: 'line', op: token.text as '|=' | '!=' | '|~' | '!~', value})
      continue
    }
    expect('|')
    if (
      peek()?.kind === 'ident' &&
      peek()!.text === 'json' &&
      !['=', '!=', '=~', '!~'].includes(tokens[i + 1]?.text ?? '')
    ) {
      i++
      const params: Array<{label: string; path: string}> = []
      if (peek()?.kind === 'ident') {
        do {
          if (peek()?.text === ',') i++
          const label = ident()
          expect('=')
          params.push({label, path: string()})
        } while (peek()?.text === ',')
      }
      stages.push({kind: 'json', params})
      continue
    }
    stages.push({kind: 'labels', filter: orFilter()})
  }
  return {selector, stages}
}

const compiled = new Map<string, RegExp>()

/** A Go regexp as a JS one (a leading (?i) becomes the flag); `anchored` for labels. */
function compile(source: string, query?: string, at?: number, anchored = false): RegExp {
  const key = `${anchored ? '^' : ''}${source}`
  let re = compiled.get(key)
  if (!re) {
    const insensitive = source.startsWith('(?i)')
    const body = insensitive ? source.slice(4) : source
    try {
      re = new RegExp(anchored ? `^(?:${body})$` : body, insensitive ? 'i' : '')
    } catch (error) {
      throw query === undefined
        ? error
        : parseError(query, at ?? 0, `invalid regexp ${source}: ${(error as Error).message}`)
    }
    compiled.set(key, re)
  }
  return re
}

export function matches(matcher: Matcher, value: string): boolean {
  switch (matcher.op) {
    case '=':
      return value === matcher.value
    case '!=':
      return value !== matcher.value
    case '=~':
      return compile(matcher.value, undefined, undefined, true).test(value)
    case '!~':
      return !compile(matcher.value, undefined, undefined, true).test(value)
  }
}

export function selects(query: LogQuery, labels: Labels): boolean {
  return query.selector.every((m) => matches(m, labels[m.name] ?? ''))
}

/** The line through the pipeline: undefined when a stage drops it, else the labels it ends with (stream labels, extracted ones, __error__). */
export function runPipeline(query: LogQuery, labels: Labels, line: string): Labels | undefined {
  let current: Labels = labels
  for (const stage of query.stages) {
    switch (stage.kind) {
      case 'line': {
        const found =
          stage.op === '|=' || stage.op === '!=' ? line.includes(stage.value) : compile(stage.value).test(line)
        if (found !== (stage.op === '|=' || stage.op === '|~')) return undefined
        break
      }
      case 'json':
        current = {...current, ...jsonLabels(line, stage.params, current)}
        break
      case 'labels':
        if (!passes(stage.filter, current)) return undefined
        break
    }
  }
  return current
}

function passes(filter: LabelFilter, labels: Labels): boolean {
  if (filter.kind === 'match') return matches(filter.matcher, labels[filter.matcher.name] ?? '')
  return filter.kind === 'and'
    ? passes(filter.left, labels) && passes(filter.right, labels)
    : passes(filter.left, labels) || passes(filter.right, labels)
}

function jsonLabels(line: string, params: ReadonlyArray<{label: string; path: string}>, existing: Labels): Labels {
  let value: unknown
  try {
    value = JSON.parse(line)
  } catch {
    return {__error__: 'JSONParserErr'}
  }
  const out: Labels = {}
  if (params.length > 0) {
    for (const {label, path} of params) {
      const found = atPath(value, path)
      if (found !== undefined && found !== null) out[label] = typeof found === 'string' ? found : JSON.stringify(found)
    }
    return out
  }
  // The whole object, nested keys joined with `_`; arrays are skipped; a name a stream label has gets `_extracted`.
  const walk = (v: unknown, prefix: string) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return
    for (const [key, inner] of Object.entries(v)) {
      const name = `${prefix}${key.replace(/[^A-Za-z0-9_]/g, '_')}`
      if (typeof inner === 'object' && inner !== null) walk(inner, `${name}_`)
      else if (inner !== null) out[name in existing ? `${name}_extracted` : name] = String(inner)
    }
  }
  walk(value, '')
  return out
}

function atPath(value: unknown, path: string): unknown {
  let at = value
  for (const key of path.split('.')) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return undefined
    at = (at as Record<string, unknown>)[key]
  }
  return at
}
