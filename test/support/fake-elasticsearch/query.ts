// The search the fake Elasticsearch implements: the query DSL clauses the CLI sends (bool with
// filter, must, should and must_not; term, terms, range, match, wildcard, prefix, exists), sorting
// on keyword and date fields with search_after, terms aggregations, and the errors a real server
// gives for what it refuses (an unknown clause, sorting on text, a page past the result window).
// Fields behave by their mapped type: a term query on a text field compares with its words, as in
// a real index, so a query that ignores the mapping misses hits here as it would there.
import type {DocumentCollection} from './documents.js'
import {analyze, dateValue, type FieldType, type Mapping, resolveField} from './mapping.js'

/** A refusal, answered with the status and the error type and reason a real server uses. */
export class SearchError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    reason: string,
  ) {
    super(reason)
  }
}

export interface SearchIndex {
  readonly name: string
  readonly mapping: Mapping
  readonly docs: DocumentCollection
  /** Bumped on every change: sort orders are cached per version. */
  version: number
  readonly orders: Map<string, {version: number; order: Int32Array; keys: unknown[][]}>
}

export interface FoundHit {
  readonly index: SearchIndex
  readonly position: number
  readonly sort: unknown[]
}

export interface SearchResult {
  readonly total: number | null
  readonly hits: FoundHit[]
  readonly aggregations?: Record<string, unknown>
}

export const MAX_RESULT_WINDOW = 10_000
const DEFAULT_TRACK = 10_000

type Predicate = (i: number) => boolean
type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

export function search(indices: readonly SearchIndex[], body: Json): SearchResult {
  for (const key of Object.keys(body)) {
    if (
      ![
        'query',
        'size',
        'from',
        'sort',
        'search_after',
        'track_total_hits',
        'aggs',
        'aggregations',
        '_source',
      ].includes(key)
    ) {
      throw new SearchError(400, 'parsing_exception', `Unknown key for a START_OBJECT in [${key}].`)
    }
  }
  const size = body.size === undefined ? 10 : Number(body.size)
  const from = body.from === undefined ? 0 : Number(body.from)
  if (from + size > MAX_RESULT_WINDOW) {
    throw new SearchError(
      400,
      'illegal_argument_exception',
      `Result window is too large, from + size must be less than or equal to: [${MAX_RESULT_WINDOW}] but was [${from + size}]. See the scroll api for a more efficient way to request large data sets. This limit can be set by changing the [index.max_result_window] index level setting.`,
    )
  }
  const sort = sortSpec(body.sort)
  const after = body.search_after
  if (after !== undefined) {
    if (!Array.isArray(after)) throw new SearchError(400, 'parsing_exception', '[search_after] must be an array')
    if (after.length !== sort.length)
      throw new SearchError(
        400,
        'illegal_argument_exception',
        `search_after has ${after.length} value(s) but sort has ${sort.length}.`,
      )
    if (from > 0)
      throw new SearchError(
        400,
        'illegal_argument_exception',
        '[from] parameter must be set to 0 when [search_after] is used.',
      )
  }
  const track = body.track_total_hits ?? DEFAULT_TRACK
  let total = 0
  const pages: FoundHit[][] = []
  const matchers = new Map<SearchIndex, Predicate>()
  for (const index of indices) {
    const test = compileQuery(body.query, index.mapping, index.docs)
    // Each document is tested once per search, however many times it is looked at.
    const known = new Int8Array(index.docs.size)
    const matches = (i: number) => (known[i] === 0 ? (known[i] = test(i) ? 1 : -1) : known[i]) === 1
    matchers.set(index, matches)
    const {order, keys} = sortedOrder(index, sort)
    const start = after === undefined ? 0 : firstAfter(order, keys, after as unknown[], sort)
    const page: FoundHit[] = []
    for (let k = start; k < order.length && page.length < from + size; k++) {
      const i = order[k]!
      if (matches(i)) page.push({index, position: i, sort: keys[i]!})
    }
    pages.push(page)
    if (track !== false) for (let i = 0; i < index.docs.size; i++) if (matches(i)) total++
  }
  const merged = pages
    .flat()
    .sort((a, b) => compareKeys(a.sort, b.sort, sort))
    .slice(from, from + size)
  const aggs = (body.aggs ?? body.aggregations) as Json | undefined
  return {
    total: track === false ? null : typeof track === 'number' ? Math.min(total, track) : total,
    hits: merged,
    ...(aggs ? {aggregations: aggregate(indices, matchers, aggs)} : {}),
  }
}

interface SortKey {
  readonly field: string
  readonly desc: boolean
  readonly millis: boolean
}

function sortSpec(given: unknown): SortKey[] {
  if (given === undefined) return []
  const list = Array.isArray(given) ? given : [given]
  return list.map((entry) => {
    if (typeof entry === 'string') return {field: entry, desc: false, millis: false}
    if (!isObject(entry) || Object.keys(entry).length !== 1)
      throw new SearchError(400, 'parsing_exception', 'malformed sort format')
    const [field, options] = Object.entries(entry)[0]!
    if (typeof options === 'string') return {field, desc: options === 'desc', millis: false}
    if (!isObject(options)) throw new SearchError(400, 'parsing_exception', `malformed sort format for [${field}]`)
    return {field, desc: options.order === 'desc', millis: options.numeric_type === 'date'}
  })
}

/** The hits' order by a sort, cached per index version: the sort values of every document, and the positions sorted by them. */
function sortedOrder(index: SearchIndex, sort: readonly SortKey[]): {order: Int32Array; keys: unknown[][]} {
  const cacheKey = JSON.stringify(sort)
  const cached = index.orders.get(cacheKey)
  if (cached && cached.version === index.version) return cached
  const readers = sort.map((key) => sortReader(index, key))
  const keys: unknown[][] = new Array(index.docs.size)
  for (let i = 0; i < index.docs.size; i++) keys[i] = readers.map((read) => read(i))
  const order = Int32Array.from({length: index.docs.size}, (_, i) => i)
  // Ties keep the order documents were added in, as a shard's doc ids do.
  order.sort((a, b) => compareKeys(keys[a]!, keys[b]!, sort) || a - b)
  const entry = {version: index.version, order, keys}
  index.orders.set(cacheKey, entry)
  return entry
}

function sortReader(index: SearchIndex, key: SortKey): (i: number) => unknown {
  const resolved = resolveField(index.mapping, key.field)
  if (!resolved)
    throw new SearchError(400, 'query_shard_exception', `No mapping found for [${key.field}] in order to sort on`)
  const {type, path} = resolved
  if (type === 'text') {
    throw new SearchError(
      400,
      'illegal_argument_exception',
      `Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [${key.field}] in order to load field data by uninverting the inverted index. Note that this can use significant memory.`,
    )
  }
  if (type === 'disabled' || type === 'flattened')
    throw new SearchError(
      400,
      'illegal_argument_exception',
      `Field [${key.field}] of type [${type}] does not support sorting`,
    )
  const read = index.docs.reader(path)
  return (i) => {
    const values = read(i)
      .map((v) => fieldValue(v, type))
      .filter((v) => v !== undefined)
    if (values.length === 0) return null
    let best = values[0]
    for (const v of values) if (compareValues(v, best) < 0 !== key.desc) best = v
    if (type === 'date_nanos' && !key.millis) return Math.round((best as number) * 1e6)
    if (type === 'date_nanos') return Math.floor(best as number)
    return best
  }
}

function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0
  if (a === null) return 1
  if (b === null) return -1
  if (typeof a === 'number' && typeof b === 'number') return a - b
  const x = String(a)
  const y = String(b)
  return x < y ? -1 : x > y ? 1 : 0
}

function compareKeys(a: readonly unknown[], b: readonly unknown[], sort: readonly SortKey[]): number {
  for (let k = 0; k < sort.length; k++) {
    // Missing values go last whatever the order.
    const x = a[k] ?? null
    const y = b[k] ?? null
    if (x === null || y === null) {
      if (x !== y) return x === null ? 1 : -1
      continue
    }
    const c = compareValues(x, y)
    if (c !== 0) return sort[k]!.desc ? -c : c
  }
  return 0
}

/** The first place in the order whose sort values come strictly after `after`: equal values are skipped, as a real server does. */
function firstAfter(order: Int32Array, keys: unknown[][], after: readonly unknown[], sort: readonly SortKey[]): number {
  let low = 0
  let high = order.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (compareKeys(keys[order[mid]!]!, after, sort) <= 0) low = mid + 1
    else high = mid
  }
  return low
}

/** A JSON value as the field indexes it: a string for keyword and text, a number for dates and longs. */
function fieldValue(value: unknown, type: FieldType): unknown {
  switch (type) {
    case 'date':
    case 'date_nanos':
      return dateValue(value, type)
    case 'long':
      return typeof value === 'number'
        ? value
        : typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))
          ? Number(value)
          : undefined
    case 'boolean':
      return typeof value === 'boolean' ? value : value === 'true' ? true : value === 'false' ? false : undefined
    default:
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
        ? String(value)
        : undefined
  }
}

/** The query as a test on a document's position. */
export function compileQuery(query: unknown, mapping: Mapping, docs: DocumentCollection): Predicate {
  if (query === undefined) return () => true
  if (!isObject(query) || Object.keys(query).length !== 1)
    throw new SearchError(400, 'parsing_exception', '[_na] query malformed, must start with start_object')
  const [type, spec] = Object.entries(query)[0]!
  const field = (): [string, unknown] => {
    if (!isObject(spec) || Object.keys(spec).length !== 1)
      throw new SearchError(
        400,
        'parsing_exception',
        `[${type}] query doesn't support multiple fields, found [${Object.keys(spec as object).join(', ')}]`,
      )
    return Object.entries(spec)[0]!
  }
  switch (type) {
    case 'match_all':
      return () => true
    case 'match_none':
      return () => false
    case 'bool':
      return compileBool(spec, mapping, docs)
    case 'term': {
      const [name, given] = field()
      const value = isObject(given) ? given.value : given
      return valueTest(
        name,
        mapping,
        docs,
        (values, t) => values.some((v) => termEquals(v, value, t)),
        (v, t) => termEquals(v, value, t),
      )
    }
    case 'terms': {
      const [name, given] = field()
      if (!Array.isArray(given))
        throw new SearchError(400, 'parsing_exception', `[terms] query does not support [${name}]`)
      const strings = new Set(given.map(String))
      const each = (v: unknown, t: FieldType) =>
        t === 'keyword' ? strings.has(v as string) : given.some((g) => termEquals(v, g, t))
      return valueTest(name, mapping, docs, (values, t) => values.some((v) => each(v, t)), each)
    }
    case 'match': {
      const [name, given] = field()
      const text = String(isObject(given) ? given.query : given)
      const operator = isObject(given) && given.operator === 'and' ? 'and' : 'or'
      return valueTest(name, mapping, docs, (values, t) => {
        if (t !== 'text') return values.some((v) => termEquals(v, text, t))
        const words = new Set(values.flatMap((v) => analyze(String(v))))
        const asked = analyze(text)
        return (
          asked.length > 0 && (operator === 'and' ? asked.every((w) => words.has(w)) : asked.some((w) => words.has(w)))
        )
      })
    }
    case 'wildcard':
    case 'prefix': {
      const [name, given] = field()
      const raw = String(isObject(given) ? given.value : given)
      const test = type === 'prefix' ? (s: string) => s.startsWith(raw) : wildcardTest(raw)
      return valueTest(name, mapping, docs, (values, t) =>
        (t === 'text' ? values.flatMap((v) => analyze(String(v))) : values.map(String)).some(test),
      )
    }
    case 'range': {
      const [name, given] = field()
      if (!isObject(given)) throw new SearchError(400, 'parsing_exception', '[range] query malformed')
      let compiled: ((v: unknown) => boolean) | undefined
      const each = (v: unknown, t: FieldType) => (compiled ??= rangeTest(given, t))(v)
      return valueTest(name, mapping, docs, (values, t) => values.some((v) => each(v, t)), each)
    }
    case 'exists': {
      const name = String((spec as Json).field)
      const resolved = resolveField(mapping, name)
      return (i) => resolved !== undefined && resolved.type !== 'disabled' && docs.values(i, resolved.path).length > 0
    }
    default:
      throw new SearchError(400, 'parsing_exception', `unknown query [${type}]`)
  }
}

function compileBool(spec: unknown, mapping: Mapping, docs: DocumentCollection): Predicate {
  if (!isObject(spec)) throw new SearchError(400, 'parsing_exception', '[bool] query malformed')
  const list = (key: string): Predicate[] => {
    const given = spec[key]
    if (given === undefined) return []
    return (Array.isArray(given) ? given : [given]).map((q) => compileQuery(q, mapping, docs))
  }
  for (const key of Object.keys(spec)) {
    if (!['filter', 'must', 'should', 'must_not', 'minimum_should_match', 'boost'].includes(key))
      throw new SearchError(400, 'parsing_exception', `[bool] query does not support [${key}]`)
  }
  const required = [...list('filter'), ...list('must')]
  const excluded = list('must_not')
  const should = list('should')
  const least =
    spec.minimum_should_match !== undefined
      ? Number(spec.minimum_should_match)
      : required.length === 0 && should.length > 0
        ? 1
        : 0
  return (i) =>
    required.every((p) => p(i)) &&
    !excluded.some((p) => p(i)) &&
    (least === 0 || should.filter((p) => p(i)).length >= least)
}

/**
 * A test on the values of a field, value by value (or on all of them at once, for text searched by
 * its words); an unmapped or unindexed field matches nothing.
 */
function valueTest(
  name: string,
  mapping: Mapping,
  docs: DocumentCollection,
  test: (values: unknown[], type: FieldType) => boolean,
  each?: (value: unknown, type: FieldType) => boolean,
): Predicate {
  const resolved = resolveField(mapping, name)
  if (!resolved || resolved.type === 'disabled') return () => false
  const {type, path} = resolved
  const read = docs.reader(path)
  if (type === 'flattened') return (i) => test(read(i).flatMap(leaves), 'keyword')
  if (each && type !== 'text') {
    return (i) => {
      for (const raw of read(i)) {
        const value = fieldValue(raw, type)
        if (value !== undefined && each(value, type)) return true
      }
      return false
    }
  }
  return (i) => {
    const raw = read(i)
    return (
      raw.length > 0 &&
      test(
        raw.map((v) => fieldValue(v, type)).filter((v) => v !== undefined),
        type,
      )
    )
  }
}

function leaves(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(leaves)
  if (isObject(value)) return Object.values(value).flatMap(leaves)
  return value === null || value === undefined ? [] : [String(value)]
}

function termEquals(indexed: unknown, asked: unknown, type: FieldType): boolean {
  if (type === 'text') return analyze(String(indexed)).includes(String(asked))
  if (type === 'date' || type === 'date_nanos') return indexed === dateValue(asked, type)
  if (type === 'long') return indexed === Number(asked)
  if (type === 'boolean') return indexed === (asked === true || asked === 'true')
  return indexed === String(asked)
}

/** A range's bounds, parsed once, as a test on the field's values. */
function rangeTest(range: Json, type: FieldType): (value: unknown) => boolean {
  if (type === 'text') return () => false
  const bound = (b: unknown) =>
    b === undefined
      ? undefined
      : type === 'date' || type === 'date_nanos'
        ? dateValue(b, 'date_nanos')
        : type === 'long'
          ? Number(b)
          : String(b)
  const [gte, gt, lte, lt] = [bound(range.gte), bound(range.gt), bound(range.lte), bound(range.lt)]
  return (value) =>
    (gte === undefined || compareValues(value, gte) >= 0) &&
    (gt === undefined || compareValues(value, gt) > 0) &&
    (lte === undefined || compareValues(value, lte) <= 0) &&
    (lt === undefined || compareValues(value, lt) < 0)
}

/** `*` any run, `?` one character, `\` escapes the next. */
function wildcardTest(pattern: string): (s: string) => boolean {
  let source = ''
  for (let k = 0; k < pattern.length; k++) {
    const c = pattern[k]!
    if (c === '\\' && k + 1 < pattern.length) source += escapeRegExp(pattern[++k]!)
    else if (c === '*') source += '.*'
    else if (c === '?') source += '.'
    else source += escapeRegExp(c)
  }
  const re = new RegExp(`^${source}$`, 's')
  return (s) => re.test(s)
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** `terms` aggregations, nested ones too; `_index` is the index's name. */
function aggregate(
  indices: readonly SearchIndex[],
  matchers: Map<SearchIndex, Predicate>,
  aggs: Json,
  within?: (index: SearchIndex, i: number) => boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(aggs)) {
    if (!isObject(spec) || !isObject(spec.terms))
      throw new SearchError(400, 'parsing_exception', `Unknown aggregation type [${Object.keys(spec as object)[0]}]`)
    const field = String(spec.terms.field)
    const size = Number(spec.terms.size ?? 10)
    const counts = new Map<string, number>()
    for (const index of indices) {
      const matches = matchers.get(index)!
      const key = (i: number): string[] => {
        if (field === '_index') return [index.name]
        const resolved = resolveField(index.mapping, field)
        if (!resolved) return []
        if (resolved.type === 'text')
          throw new SearchError(
            400,
            'illegal_argument_exception',
            `Text fields are not optimised for operations that require per-document field data like aggregations and sorting, so these operations are disabled by default. Please use a keyword field instead. Alternatively, set fielddata=true on [${field}] in order to load field data by uninverting the inverted index. Note that this can use significant memory.`,
          )
        return index.docs.values(i, resolved.path).map(String)
      }
      for (let i = 0; i < index.docs.size; i++) {
        if (!matches(i) || (within && !within(index, i))) continue
        for (const k of new Set(key(i))) counts.set(k, (counts.get(k) ?? 0) + 1)
      }
    }
    const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    const sub = (spec.aggs ?? spec.aggregations) as Json | undefined
    out[name] = {
      doc_count_error_upper_bound: 0,
      sum_other_doc_count: sorted.slice(size).reduce((n, [, c]) => n + c, 0),
      buckets: sorted.slice(0, size).map(([key, count]) => ({
        key,
        doc_count: count,
        ...(sub
          ? aggregate(
              indices,
              matchers,
              sub,
              (index, i) =>
                (within ? within(index, i) : true) &&
                (field === '_index'
                  ? index.name === key
                  : index.docs.values(i, resolveField(index.mapping, field)!.path).map(String).includes(key)),
            )
          : {}),
      })),
    }
  }
  return out
}
