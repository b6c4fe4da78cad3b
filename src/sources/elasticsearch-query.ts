// The run's filter as Elasticsearch query DSL (the same on Elasticsearch 7, 8 and OpenSearch):
// which field of the store holds each part of an audit Event and how it may be searched (a keyword
// exactly, text only by its words), then one `_search` body per page. Pure: the caller asks the
// store for the field types (`_field_caps`) and sends the bodies.
import {CALICO_CRD_GROUP, CALICO_GROUP, WRITE_VERBS} from '../audit/catalog.js'
import type {QueryFilter} from './source.js'

/** The Event fields the query filters on, by their names in the Event. */
export const FILTERED_FIELDS = [
  'verb',
  'objectRef.apiGroup',
  'objectRef.resource',
  'objectRef.namespace',
  'user.username',
  'impersonatedUser.username',
] as const
export type FilteredField = (typeof FILTERED_FIELDS)[number]

const TIME_FIELDS = ['requestReceivedTimestamp', 'stageTimestamp'] as const

/** What `_field_caps` says of one field: its type(s) across the indices searched. */
export type FieldCaps = Readonly<Record<string, Readonly<Record<string, unknown>>>>

/**
 * How one Event field is searched: `terms` on a keyword field (exact), `match` on text (by words:
 * finds more, never less); `absent` when no index maps it, so no document has it.
 */
export interface FieldMatch {
  readonly field: string
  readonly how: 'terms' | 'match' | 'absent'
}

/** Where a store keeps the Event's fields, and how the filter can use them. */
export interface FieldPlan {
  /** Bounds the window's start: the stage's time (exact), or the request's time less a slack. */
  readonly since: {readonly field: string; readonly slackMs: number}
  /** Bounds the window's end: the request's time (exact: a later stage of a request begun in the window must come too), or the stage's time plus a slack. */
  readonly until: {readonly field: string; readonly slackMs: number}
  /** The date field pages are sorted on. */
  readonly sort: {readonly field: string; readonly nanos: boolean}
  /** A keyword field of the audit ID, the second sort key; null when the store has none. */
  readonly auditID: string | null
  /** Each filtered field, or null when the store cannot filter on it (the filter is applied after decoding). */
  readonly fields: Readonly<Record<FilteredField, FieldMatch | null>>
}

/**
 * How long a write request may take, from its arrival to its last stage: the slack when only one
 * of the two times can be searched. kube-apiserver ends a request after --request-timeout (1m by
 * default); an hour covers raised timeouts.
 */
export const REQUEST_SLACK_MS = 3_600_000

const KEYWORD_TYPES = new Set(['keyword', 'constant_keyword', 'wildcard'])
const TEXT_TYPES = new Set(['text', 'match_only_text'])
const DATE_TYPES = new Set(['date', 'date_nanos'])

/** The field names to ask `_field_caps` about, for Events kept under `prefix` (`''`, `kubernetes.audit.`). */
export function fieldCapsNames(prefix: string): string[] {
  const names = [...FILTERED_FIELDS, 'auditID'].flatMap((f) => [`${prefix}${f}`, `${prefix}${f}.keyword`])
  return [...names, ...TIME_FIELDS.map((f) => `${prefix}${f}`)]
}

/**
 * The plan for Events under `prefix`, from what `_field_caps` answered (`fields`), or why there is
 * none: without a date field, the store can neither bound the window nor page in time order.
 */
export function planFields(prefix: string, caps: FieldCaps): FieldPlan | {problem: string} {
  const types = (name: string): string[] => Object.keys(caps[name] ?? {})
  const only = (name: string, kinds: ReadonlySet<string>) =>
    types(name).length > 0 && types(name).every((t) => kinds.has(t))
  const keyword = (name: string): string | null =>
    only(name, KEYWORD_TYPES) ? name : only(`${name}.keyword`, KEYWORD_TYPES) ? `${name}.keyword` : null
  const received = `${prefix}requestReceivedTimestamp`
  const stage = `${prefix}stageTimestamp`
  const hasReceived = only(received, DATE_TYPES)
  const hasStage = only(stage, DATE_TYPES)
  if (!hasReceived && !hasStage) {
    return {problem: `neither ${received} nor ${stage} is a date field there`}
  }
  const fields = Object.fromEntries(
    FILTERED_FIELDS.map((f) => {
      const name = `${prefix}${f}`
      const exact = keyword(name)
      // Text of mixed or unknown types is searched by its words: a superset of the exact values.
      const searchable = types(name).some((t) => TEXT_TYPES.has(t) || KEYWORD_TYPES.has(t))
      const match: FieldMatch | null = exact
        ? {field: exact, how: 'terms'}
        : searchable
          ? {field: name, how: 'match'}
          : types(name).length === 0
            ? {field: name, how: 'absent'}
            : null
      return [f, match]
    }),
  ) as Record<FilteredField, FieldMatch | null>
  const sortField = hasReceived ? received : stage
  return {
    since: hasStage ? {field: stage, slackMs: 0} : {field: received, slackMs: REQUEST_SLACK_MS},
    until: hasReceived ? {field: received, slackMs: 0} : {field: stage, slackMs: REQUEST_SLACK_MS},
    sort: {field: sortField, nanos: types(sortField).includes('date_nanos')},
    auditID: keyword(`${prefix}auditID`),
    fields,
  }
}

export interface SearchOptions {
  readonly size: number
  /** The sort values of the last hit already read: the page starts after it. */
  readonly after?: readonly unknown[]
  /** Ask for the exact number of hits (the first page: progress shows fetched of total). */
  readonly trackTotal: boolean
  /** Clauses every hit must match besides the filter (the cluster of a shared index). */
  readonly scope?: readonly object[]
  /** Only the window: every event in it travels, and the filter is applied here (for measuring the push-down). */
  readonly windowOnly?: boolean
}

/** The `_search` body for one page. */
export function searchBody(plan: FieldPlan, filter: QueryFilter, options: SearchOptions): Record<string, unknown> {
  const clauses: object[] = [...windowClauses(plan, filter), ...(options.scope ?? [])]
  if (!options.windowOnly) {
    for (const clause of [
      resourceClause(plan, filter),
      verbClause(plan, filter),
      userClause(plan, filter),
      namespaceClause(plan, filter),
    ]) {
      // A clause on fields no document has would match nothing: left out, the store answers more, never less.
      if (clause && clause !== NOTHING) clauses.push(clause)
    }
  }
  const sort: object[] = [{[plan.sort.field]: plan.sort.nanos ? {order: 'asc', numeric_type: 'date'} : {order: 'asc'}}]
  if (plan.auditID) sort.push({[plan.auditID]: {order: 'asc'}})
  return {
    size: options.size,
    sort,
    track_total_hits: options.trackTotal,
    query: {bool: {filter: clauses}},
    ...(options.after ? {search_after: options.after} : {}),
  }
}

/**
 * Whole milliseconds (what a `date` field holds), rounded outwards. `lt` the next millisecond
 * keeps every time within the last one, also in a `date_nanos` field.
 */
function windowClauses(plan: FieldPlan, filter: QueryFilter): object[] {
  const ranges = new Map<string, Record<string, unknown>>()
  const bound = (field: string, key: string, value: number) =>
    ranges.set(field, {...ranges.get(field), [key]: value, format: 'epoch_millis'})
  if (filter.sinceMs !== null) bound(plan.since.field, 'gte', Math.floor(filter.sinceMs) - plan.since.slackMs)
  if (filter.untilMs !== null) bound(plan.until.field, 'lt', Math.floor(filter.untilMs) + 1 + plan.until.slackMs)
  return [...ranges].map(([field, range]) => ({range: {[field]: range}}))
}

/** A clause on a field no document has: it matches nothing. */
const NOTHING = Object.freeze({})
type Clause = object | undefined

/** A clause matching any of `values` in a field, or undefined when the store cannot filter on it. */
function anyOf(match: FieldMatch | null, values: readonly string[]): Clause {
  if (!match || values.length === 0) return undefined
  if (match.how === 'absent') return NOTHING
  if (match.how === 'terms') return {terms: {[match.field]: [...values]}}
  const each = values.map((value) => ({match: {[match.field]: {query: value, operator: 'and'}}}))
  return each.length === 1 ? each[0] : {bool: {should: each, minimum_should_match: 1}}
}

/** Any of the clauses; undefined when one of them cannot be expressed (then nothing can be narrowed). */
function either(clauses: readonly Clause[]): Clause {
  if (clauses.some((c) => c === undefined)) return undefined
  const given = clauses.filter((c): c is object => c !== NOTHING)
  if (given.length === 0) return NOTHING
  return given.length === 1 ? given[0] : {bool: {should: given, minimum_should_match: 1}}
}

/** All of the clauses, leaving out those that cannot be expressed. */
function all(clauses: readonly Clause[]): Clause {
  if (clauses.includes(NOTHING)) return NOTHING
  const given = clauses.filter((c): c is object => c !== undefined)
  return given.length === 0 ? undefined : given.length === 1 ? given[0] : {bool: {filter: given}}
}

/** The watched resources asked for: groups that share their list of resources are asked together. */
function resourceClause(plan: FieldPlan, filter: QueryFilter): Clause {
  const byGroup = new Map<string, string[]>()
  for (const {apiGroup, resource} of filter.resources)
    byGroup.set(apiGroup, [...(byGroup.get(apiGroup) ?? []), resource])
  const byList = new Map<string, {groups: string[]; resources: string[]}>()
  for (const [group, resources] of byGroup) {
    const key = JSON.stringify(resources)
    const entry = byList.get(key) ?? {groups: [], resources}
    entry.groups.push(group)
    byList.set(key, entry)
  }
  const {'objectRef.apiGroup': group, 'objectRef.resource': resource} = plan.fields
  if (!resource) return undefined
  // Without the group, the resource names alone (a superset: the same plural in another group comes too).
  if (!group) return anyOf(resource, [...new Set(filter.resources.map((r) => r.resource))])
  return either(
    [...byList.values()].map(({groups, resources}) => all([anyOf(group, groups), anyOf(resource, resources)])),
  )
}

/** The verbs asked for; Calico's backing writes whatever the verb (a user's patch is an update there). */
function verbClause(plan: FieldPlan, filter: QueryFilter): Clause {
  const {verb, 'objectRef.apiGroup': group} = plan.fields
  const asked = anyOf(verb, filter.verbs)
  if (!filter.resources.some((r) => r.apiGroup === CALICO_CRD_GROUP) || filter.verbs.length === WRITE_VERBS.length)
    return asked
  return either([asked, all([anyOf(group, [CALICO_CRD_GROUP]), anyOf(verb, WRITE_VERBS)])])
}

/**
 * --user as the user or the impersonated user: exact names as terms, `*` globs as wildcards (on
 * keyword fields; on text a glob cannot be searched, and the clause is left out). Calico's records
 * come whoever wrote them: a backing write by the Calico API server is one change with the user's
 * request only when both are read (else it counts as the API server's own), and the Calico API
 * server's log records a request under the user it saw (the impersonated one) with its tier.
 */
function userClause(plan: FieldPlan, filter: QueryFilter): Clause {
  if (filter.users.length === 0) return undefined
  const names = filter.users.filter((u) => !u.includes('*'))
  const globs = filter.users.filter((u) => u.includes('*'))
  const byUser = (match: FieldMatch | null): Clause[] => [
    ...(names.length > 0 ? [anyOf(match, names)] : []),
    ...globs.map((glob) =>
      match?.how === 'terms'
        ? {wildcard: {[match.field]: {value: wildcardPattern(glob)}}}
        : match?.how === 'absent'
          ? NOTHING
          : undefined,
    ),
  ]
  const group = plan.fields['objectRef.apiGroup']
  const calico = [CALICO_GROUP, CALICO_CRD_GROUP].filter((g) => filter.resources.some((r) => r.apiGroup === g))
  const escape = calico.length > 0 ? [anyOf(group, calico)] : []
  return either([
    ...byUser(plan.fields['user.username']),
    ...byUser(plan.fields['impersonatedUser.username']),
    ...escape,
  ])
}

function namespaceClause(plan: FieldPlan, filter: QueryFilter): Clause {
  return anyOf(plan.fields['objectRef.namespace'], filter.namespaces)
}

/** Our glob (`*` only, the rest literal) in the wildcard query's syntax, where `?` and `\` are special too. */
export function wildcardPattern(glob: string): string {
  return glob.replace(/[\\?]/g, (c) => `\\${c}`)
}
