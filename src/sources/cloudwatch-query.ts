// The run's filter as a CloudWatch Logs FilterLogEvents request: the audit streams of the log
// group, the window as startTime/endTime (epoch ms, with slack: the event timestamp is when the
// line was shipped, not the event's stageTimestamp), and a JSON filter pattern for the watched
// resources and write verbs, plus --verb, --user and -n where the pattern can say them. It may ask
// for more than the filter, never for less: Calico's backing writes (crd.projectcalico.org, by the
// Calico API server) always come back, whatever --user and --verb say. Pure.
import {CALICO_CRD_GROUP, WATCHED_RESOURCES, WRITE_VERBS} from '../audit/catalog.js'
import type {QueryFilter} from './source.js'

/**
 * The audit log type's streams (`kube-apiserver-audit-<hex>`). Not `kube-apiserver-`: that also
 * matches the api log type's streams.
 */
export const AUDIT_STREAM_PREFIX = 'kube-apiserver-audit'

/** The longest filter pattern FilterLogEvents takes. */
export const MAX_FILTER_PATTERN = 1024

/** Before the window: clocks of the control plane and the log shipper may differ. */
export const START_SLACK_MS = 60_000
/** After the window: an event is shipped (and stamped) after it is written, in batches. */
export const END_SLACK_MS = 5 * 60_000

export interface FilterLogEventsRequest {
  readonly logGroupName: string
  readonly logStreamNamePrefix: string
  readonly startTime?: number
  readonly endTime?: number
  readonly filterPattern: string
}

export function filterLogEventsRequest(filter: QueryFilter, logGroupName: string): FilterLogEventsRequest {
  return {
    logGroupName,
    logStreamNamePrefix: AUDIT_STREAM_PREFIX,
    ...(filter.sinceMs === null ? {} : {startTime: Math.max(0, Math.floor(filter.sinceMs) - START_SLACK_MS)}),
    ...(filter.untilMs === null ? {} : {endTime: Math.ceil(filter.untilMs) + END_SLACK_MS}),
    filterPattern: jsonFilterPattern(filter),
  }
}

type Clause = string | null

/**
 * `{ (resources) && (verbs) && (users) && (namespaces) }`. What cannot be said (a glob, a value
 * with a quote) is left out, to be filtered after decoding; so is the least selective part when
 * the whole would be longer than FilterLogEvents takes.
 */
export function jsonFilterPattern(filter: QueryFilter): string {
  const backing = filter.resources.some((r) => r.apiGroup === CALICO_CRD_GROUP)
  const attempts: Clause[][] = [
    [
      resourcesClause(filter, true),
      verbsClause(filter, backing),
      usersClause(filter, backing),
      namespacesClause(filter),
    ],
    [resourcesClause(filter, true), verbsClause(filter, backing), usersClause(filter, backing), null],
    [resourcesClause(filter, true), verbsClause(filter, backing), null, null],
    [resourcesClause(filter, false), verbsClause(filter, backing), null, null],
    [resourcesClause(filter, false), anyOf('$.verb', WRITE_VERBS), null, null],
  ]
  for (const clauses of attempts) {
    const pattern = `{ ${clauses.filter((c): c is string => c !== null).join(' && ')} }`
    if (pattern.length <= MAX_FILTER_PATTERN) return pattern
  }
  // Never reached with the catalog as it is: the last attempt is about 700 characters.
  return ''
}

/** The resources by name; with `qualified`, a name served by more groups than asked is tied to the groups asked. */
function resourcesClause(filter: QueryFilter, qualified: boolean): string {
  const groupsByName = new Map<string, string[]>()
  for (const {apiGroup, resource} of filter.resources)
    groupsByName.set(resource, [...(groupsByName.get(resource) ?? []), apiGroup])
  const terms = [...groupsByName].map(([resource, groups]) => {
    const term = `$.objectRef.resource = ${quote(resource)}`
    const all = WATCHED_RESOURCES.filter((r) => r.resource === resource).length
    if (!qualified || groups.length === all) return term
    return `(${term} && ${anyOf('$.objectRef.apiGroup', groups)})`
  })
  return terms.length === 1 ? terms[0]! : `(${terms.join(' || ')})`
}

/** --verb; a Calico backing write is an update or a delete whatever the user's verb was. */
function verbsClause(filter: QueryFilter, backing: boolean): string {
  const all = WRITE_VERBS.every((v) => filter.verbs.includes(v))
  if (all || !backing) return anyOf('$.verb', all ? WRITE_VERBS : filter.verbs)
  return `(${anyOf('$.verb', filter.verbs)} || ($.objectRef.apiGroup = ${quote(CALICO_CRD_GROUP)} && ${anyOf('$.verb', WRITE_VERBS)}))`
}

/** --user, matched against the user and the impersonated user; a backing write's user is the Calico API server. */
function usersClause(filter: QueryFilter, backing: boolean): Clause {
  if (filter.users.length === 0 || filter.users.some((u) => u.includes('*') || !sayable(u))) return null
  const terms = filter.users.flatMap((u) => [
    `$.user.username = ${quote(u)}`,
    `$.impersonatedUser.username = ${quote(u)}`,
  ])
  if (backing) terms.push(`$.objectRef.apiGroup = ${quote(CALICO_CRD_GROUP)}`)
  return `(${terms.join(' || ')})`
}

function namespacesClause(filter: QueryFilter): Clause {
  if (filter.namespaces.length === 0 || !filter.namespaces.every(sayable)) return null
  return anyOf('$.objectRef.namespace', filter.namespaces)
}

function anyOf(selector: string, values: readonly string[]): string {
  const terms = values.map((v) => `${selector} = ${quote(v)}`)
  return terms.length === 1 ? terms[0]! : `(${terms.join(' || ')})`
}

/** A value the pattern can hold as it is: no quote, backslash, control character or wildcard. */
function sayable(value: string): boolean {
  return !/["\\*\p{Cc}]/u.test(value)
}

function quote(value: string): string {
  return `"${value}"`
}
