// Just enough Kusto (KQL) to answer the queries the Log Analytics source sends: tables, `union
// isfuzzy=true` of sub-queries, `where` with and/or, comparisons, `in`, `endswith`, `=~`,
// `matches regex`, and the summarize/extend/project forms it uses. Anything else is refused, as a
// SemanticError, so a query the source changes without the fake following fails loudly.

export type Row = Record<string, unknown>
export type ColumnType = 'string' | 'datetime' | 'dynamic' | 'long'

export interface Answer {
  readonly columns: Array<{name: string; type: ColumnType}>
  readonly rows: Row[]
}

/** The tables a workspace holds: rows keyed by column, datetimes as text with 7 fraction digits, dynamic values as objects. */
export type Tables = ReadonlyMap<
  string,
  {readonly columns: ReadonlyArray<{name: string; type: ColumnType}>; readonly rows: readonly Row[]}
>

export class KqlError extends Error {}

/** Runs a query over the tables, within the API's timespan. */
export function runKql(query: string, tables: Tables, within: {startMs: number; endMs: number}): Answer {
  const text = query.trim()
  if (text.startsWith('union isfuzzy=true')) {
    const legs = topLevelParens(text.slice('union isfuzzy=true'.length))
    const answers: Answer[] = []
    let unresolved = 0
    for (const leg of legs) {
      try {
        answers.push(runPipeline(leg, tables, within))
      } catch (error) {
        if (!(error instanceof UnknownTable)) throw error
        unresolved++
      }
    }
    if (answers.length === 0)
      throw new UnknownTable(
        `'union' operator: Failed to resolve table expression named '${unresolved > 0 ? 'all legs' : ''}'`,
      )
    const columns = answers[0]!.columns
    return {columns, rows: answers.flatMap((a) => a.rows)}
  }
  return runPipeline(text, tables, within)
}

export class UnknownTable extends KqlError {}

function runPipeline(text: string, tables: Tables, within: {startMs: number; endMs: number}): Answer {
  const [head, ...stages] = splitTop(text, '|').map((s) => s.trim())
  const table = tables.get(head!)
  if (!table) throw new UnknownTable(`Failed to resolve table expression named '${head}'`)
  let columns = [...table.columns]
  let rows = table.rows.filter((row) => {
    const t = timeOf(row.TimeGenerated)
    return t >= within.startMs && t < within.endMs
  })
  for (const stage of stages) {
    const [verb, rest] = [stage.split(/\s/, 1)[0]!, stage.slice(stage.split(/\s/, 1)[0]!.length).trim()]
    if (verb === 'where') {
      const predicate = parseExpression(tokenize(rest))
      rows = rows.filter((row) => truthy(predicate(row)))
    } else if (verb === 'summarize') {
      ;({columns, rows} = summarize(rest, rows))
    } else if (verb === 'extend') {
      const m = /^(\w+) = "([^"]*)"$/.exec(rest)
      if (!m) throw new KqlError(`extend not understood: ${rest}`)
      columns.push({name: m[1]!, type: 'string'})
      rows = rows.map((row) => ({...row, [m[1]!]: m[2]}))
    } else if (verb === 'project') {
      ;({columns, rows} = project(rest, columns, rows))
    } else throw new KqlError(`operator not understood: ${verb}`)
  }
  return {columns, rows}
}

function summarize(text: string, rows: Row[]): Answer {
  if (text === 'Rows = count(), First = min(TimeGenerated), Last = max(TimeGenerated)') {
    const times = rows.map((r) => String(r.TimeGenerated)).sort((a, b) => timeOf(a) - timeOf(b))
    return {
      columns: [
        {name: 'Rows', type: 'long'},
        {name: 'First', type: 'datetime'},
        {name: 'Last', type: 'datetime'},
      ],
      rows: [{Rows: rows.length, First: times[0] ?? null, Last: times.at(-1) ?? null}],
    }
  }
  if (text === 'Rows = count()') return {columns: [{name: 'Rows', type: 'long'}], rows: [{Rows: rows.length}]}
  const m = /^Rows = count\(\) by Start = bin_at\(TimeGenerated, (\d+)ms, datetime\(([^)]+)\)\)$/.exec(text)
  if (!m) throw new KqlError(`summarize not understood: ${text}`)
  const binMs = Number(m[1])
  const at = Date.parse(m[2]!)
  const bins = new Map<number, number>()
  for (const row of rows) {
    const start = at + Math.floor((timeOf(row.TimeGenerated) - at) / binMs) * binMs
    bins.set(start, (bins.get(start) ?? 0) + 1)
  }
  return {
    columns: [
      {name: 'Start', type: 'datetime'},
      {name: 'Rows', type: 'long'},
    ],
    rows: [...bins].map(([start, count]) => ({
      Start: `${new Date(start).toISOString().slice(0, -1)}0000Z`,
      Rows: count,
    })),
  }
}

function project(text: string, columns: ReadonlyArray<{name: string; type: ColumnType}>, rows: Row[]): Answer {
  const out: Array<{name: string; type: ColumnType; value: (row: Row) => unknown}> = []
  for (const item of splitTop(text, ',').map((s) => s.trim())) {
    const m = /^(\w+)(?: = (.+))?$/.exec(item)
    if (!m) throw new KqlError(`project not understood: ${item}`)
    const name = m[1]!
    if (m[2] === undefined) {
      const column = columns.find((c) => c.name === name)
      if (!column) throw new KqlError(`Failed to resolve scalar expression named '${name}'`)
      out.push({name, type: column.type, value: (row) => row[name]})
    } else {
      const expression = parseValue(tokenize(m[2]))
      const type: ColumnType = m[2].startsWith('tostring(') ? 'string' : 'dynamic'
      out.push({name, type, value: expression})
    }
  }
  return {
    columns: out.map(({name, type}) => ({name, type})),
    rows: rows.map((row) => Object.fromEntries(out.map((c) => [c.name, c.value(row)]))),
  }
}

/** A datetime cell or literal in epoch ms, keeping the digits below a millisecond. */
export function timeOf(value: unknown): number {
  const text = String(value)
  const m = /^(.*?)(\.\d+)?Z$/.exec(text)
  if (!m) return Number.NaN
  return Date.parse(`${m[1]}Z`) + Number(`0${m[2] ?? ''}`) * 1000
}

// ---- expressions ----

type Token = {kind: 'word' | 'string' | 'punct' | 'datetime'; text: string}
type Evaluate = (row: Row) => unknown

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  const re = /\s*(?:datetime\(([^)]*)\)|("(?:[^"\\]|\\.)*")|(>=|==|=~|<|[(),.])|([\w$-]+))/gy
  let m: RegExpExecArray | null
  let at = 0
  while (at < text.length && (m = re.exec(text)) !== null) {
    at = re.lastIndex
    if (m[1] !== undefined) tokens.push({kind: 'datetime', text: m[1]})
    else if (m[2] !== undefined) tokens.push({kind: 'string', text: JSON.parse(m[2]) as string})
    else if (m[3] !== undefined) tokens.push({kind: 'punct', text: m[3]})
    else tokens.push({kind: 'word', text: m[4]!})
  }
  if (text.slice(at).trim() !== '') throw new KqlError(`cannot read: ${text.slice(at)}`)
  return tokens
}

class Tokens {
  i = 0
  constructor(readonly list: Token[]) {}
  peek(): Token | undefined {
    return this.list[this.i]
  }
  next(): Token {
    const t = this.list[this.i++]
    if (!t) throw new KqlError('query ends too early')
    return t
  }
  take(text: string): void {
    const t = this.next()
    if (t.text !== text) throw new KqlError(`expected ${text}, found ${t.text}`)
  }
  is(text: string): boolean {
    return this.peek()?.text === text && this.peek()?.kind !== 'string'
  }
}

function parseExpression(tokens: Token[]): Evaluate {
  const t = new Tokens(tokens)
  const expression = orExpression(t)
  if (t.peek()) throw new KqlError(`unexpected ${t.peek()!.text}`)
  return expression
}

function orExpression(t: Tokens): Evaluate {
  const parts = [andExpression(t)]
  while (t.is('or')) {
    t.next()
    parts.push(andExpression(t))
  }
  return parts.length === 1 ? parts[0]! : (row) => parts.some((p) => truthy(p(row)))
}

function andExpression(t: Tokens): Evaluate {
  const parts = [comparison(t)]
  while (t.is('and')) {
    t.next()
    parts.push(comparison(t))
  }
  return parts.length === 1 ? parts[0]! : (row) => parts.every((p) => truthy(p(row)))
}

function comparison(t: Tokens): Evaluate {
  if (t.is('(')) {
    t.next()
    const inner = orExpression(t)
    t.take(')')
    return inner
  }
  const left = parseValueFrom(t)
  const op = t.next().text
  if (op === 'in') {
    t.take('(')
    const values: string[] = []
    while (!t.is(')')) {
      values.push(t.next().text)
      if (t.is(',')) t.next()
    }
    t.take(')')
    return (row) => values.includes(String(left(row) ?? ''))
  }
  if (op === 'matches') {
    t.take('regex')
    const re = new RegExp(t.next().text)
    return (row) => re.test(String(left(row) ?? ''))
  }
  const right = parseValueFrom(t)
  switch (op) {
    case '==':
      return (row) => String(left(row) ?? '') === String(right(row) ?? '')
    case '=~':
      return (row) => String(left(row) ?? '').toLowerCase() === String(right(row) ?? '').toLowerCase()
    case 'endswith':
      return (row) =>
        String(left(row) ?? '')
          .toLowerCase()
          .endsWith(String(right(row) ?? '').toLowerCase())
    case '>=':
      return (row) => timeOf(left(row)) >= timeOf(right(row))
    case '<':
      return (row) => timeOf(left(row)) < timeOf(right(row))
    default:
      throw new KqlError(`operator not understood: ${op}`)
  }
}

function parseValue(tokens: Token[]): Evaluate {
  const t = new Tokens(tokens)
  const value = parseValueFrom(t)
  if (t.peek()) throw new KqlError(`unexpected ${t.peek()!.text}`)
  return value
}

/** A literal, a column, or tostring/parse_json/column_ifexists of one, with a `.path` after it. */
function parseValueFrom(t: Tokens): Evaluate {
  const first = t.next()
  if (first.kind === 'string' || first.kind === 'datetime') return () => first.text
  let value: Evaluate
  if (first.text === 'tostring' || first.text === 'parse_json') {
    t.take('(')
    const inner = parseValueFrom(t)
    t.take(')')
    value =
      first.text === 'tostring'
        ? (row) => {
            const v = inner(row)
            return v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)
          }
        : (row) => {
            const v = inner(row)
            try {
              return typeof v === 'string' ? JSON.parse(v) : v
            } catch {
              return null
            }
          }
  } else if (first.text === 'column_ifexists') {
    t.take('(')
    const name = t.next().text
    t.take(',')
    t.take('dynamic')
    t.take('(')
    t.take('null')
    t.take(')')
    t.take(')')
    value = (row) => (name in row ? row[name] : null)
  } else {
    const name = first.text
    value = (row) => {
      if (!(name in row)) throw new KqlError(`Failed to resolve scalar expression named '${name}'`)
      return row[name]
    }
  }
  while (t.is('.')) {
    t.next()
    const key = t.next().text
    const parent = value
    value = (row) => {
      const v = parent(row)
      return v !== null && typeof v === 'object' ? (v as Row)[key] : null
    }
  }
  return value
}

function truthy(v: unknown): boolean {
  return v === true
}

/** Splits at a separator outside quotes and parentheses. */
function splitTop(text: string, separator: string): string[] {
  const parts: string[] = []
  let depth = 0
  let quoted = false
  let from = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '\\') i++
      else if (c === '"') quoted = false
    } else if (c === '"') quoted = true
    else if (c === '(') depth++
    else if (c === ')') depth--
    else if (c === separator && depth === 0) {
      parts.push(text.slice(from, i))
      from = i + 1
    }
  }
  parts.push(text.slice(from))
  return parts
}

/** The insides of the top-level parenthesised groups of `(a), (b)`. */
function topLevelParens(text: string): string[] {
  return splitTop(text, ',').map((part) => {
    const trimmed = part.trim()
    if (!trimmed.startsWith('(') || !trimmed.endsWith(')')) throw new KqlError(`union leg not understood: ${trimmed}`)
    return trimmed.slice(1, -1)
  })
}
