// The run's filter as a Loki log query (LogQL): the user's stream selector, line filters for the
// watched resources and a write verb (they see the Event in a line whether it is bare or escaped
// inside a shipper's JSON record), then the json stage, extracting only the fields it needs, and
// label filters for the exact resource, --verb, --user (globs too, as anchored regexps) and -n.
// The label filters let through every line that is no bare Event (no verb extracted): those are
// decoded and filtered here. It may ask for more than the filter, never for less: Calico's backing
// writes (crd.projectcalico.org, by the Calico API server) always come back, whatever --user and
// --verb say. The window is the filter's, in nanoseconds, with slack: a line's time in Loki is
// when its shipper read it, unless the shipper parsed the Event's own. Pure.
import {CALICO_CRD_GROUP, WATCHED_RESOURCES, WRITE_VERBS} from '../audit/catalog.js'
import type {QueryFilter} from './source.js'

/**
 * Where promtail, Alloy and the k8s-monitoring chart ship kube-apiserver's audit log: the chart's
 * audit-log collector labels it `job="integrations/kubernetes-audit"`; promtail examples name their
 * job `kube-apiserver-audit`.
 */
export const DEFAULT_SELECTOR = '{job=~"integrations/kubernetes-audit|kube-apiserver-audit"}'

/** Before the window: clocks of the control plane and the shipper may differ. */
export const START_SLACK_MS = 60_000
/** After the window: a line is shipped (and stamped) after the Event is written. */
export const END_SLACK_MS = 5 * 60_000
/** How far back a window with no start reaches: Loki needs a start, and refuses a query longer than max_query_length (721h by default). */
export const UNBOUNDED_LOOKBACK_MS = 30 * 24 * 3_600_000

/** The labels the json stage extracts, named apart from any stream label. */
const LABEL = {
  verb: 'audit_verb',
  group: 'audit_group',
  resource: 'audit_resource',
  namespace: 'audit_namespace',
  user: 'audit_user',
  impersonated: 'audit_impersonated',
} as const

const PATH: Record<keyof typeof LABEL, string> = {
  verb: 'verb',
  group: 'objectRef.apiGroup',
  resource: 'objectRef.resource',
  namespace: 'objectRef.namespace',
  user: 'user.username',
  impersonated: 'impersonatedUser.username',
}

/** The window asked of Loki, in nanoseconds since the epoch: [start, end). */
export interface LokiWindow {
  readonly startNs: bigint
  readonly endNs: bigint
}

/** The window with its slack; `now` bounds an open end, and an open start reaches back UNBOUNDED_LOOKBACK_MS. */
export function lokiWindow(filter: QueryFilter, now: number): LokiWindow {
  const endMs = Math.ceil(filter.untilMs ?? now) + END_SLACK_MS
  const startMs =
    filter.sinceMs === null ? endMs - END_SLACK_MS - UNBOUNDED_LOOKBACK_MS : Math.floor(filter.sinceMs) - START_SLACK_MS
  return {startNs: BigInt(Math.max(0, startMs)) * 1_000_000n, endNs: BigInt(endMs) * 1_000_000n}
}

/** `{selector} |~ resources |~ write verb | json … | label filters`. */
export function lokiQuery(filter: QueryFilter, selector: string): string {
  const backing = filter.resources.some((r) => r.apiGroup === CALICO_CRD_GROUP)
  const allVerbs = WRITE_VERBS.every((v) => filter.verbs.includes(v))
  // A backing write is an update or a delete whatever the user's verb was.
  const lineVerbs = allVerbs || backing ? WRITE_VERBS : filter.verbs
  const names = [...new Set(filter.resources.map((r) => r.resource))]
  // A name that holds another asked one (globalnetworkpolicies, networkpolicies) is found by it.
  const needles = names.filter((n) => !names.some((other) => other !== n && n.includes(other)))
  const stages = [
    selector.trim(),
    `|~ ${raw(needles.join('|'))}`,
    `|~ ${raw(`"verb\\\\?"\\s*:\\s*\\\\?"(?:${lineVerbs.join('|')})\\\\?"`)}`,
  ]
  const used = new Set<keyof typeof LABEL>(['verb', 'group', 'resource'])
  const conditions = [resourcesCondition(filter), verbsCondition(filter, allVerbs, backing)]
  const users = usersCondition(filter, backing)
  if (users) {
    conditions.push(users)
    used.add('user').add('impersonated')
  }
  if (filter.namespaces.length > 0) {
    conditions.push(anyOf(LABEL.namespace, filter.namespaces))
    used.add('namespace')
  }
  stages.push(`| json ${[...used].map((key) => `${LABEL[key]}=${quote(PATH[key])}`).join(', ')}`)
  // A line with no verb at the top is no bare Event (a wrapped one, another log): kept, decoded here.
  stages.push(`| ${LABEL.verb}="" or (${conditions.join(' and ')})`)
  return stages.join(' ')
}

/** Each asked resource by name; a name served by more groups than asked is tied to the groups asked. */
function resourcesCondition(filter: QueryFilter): string {
  const groupsByName = new Map<string, string[]>()
  for (const {apiGroup, resource} of filter.resources)
    groupsByName.set(resource, [...(groupsByName.get(resource) ?? []), apiGroup])
  const whole: string[] = []
  const tied: string[] = []
  for (const [resource, groups] of groupsByName) {
    if (WATCHED_RESOURCES.filter((r) => r.resource === resource).length === groups.length) whole.push(resource)
    else tied.push(`(${LABEL.resource}=${quote(resource)} and ${anyOf(LABEL.group, groups)})`)
  }
  const terms = [...(whole.length > 0 ? [anyOf(LABEL.resource, whole)] : []), ...tied]
  return terms.length === 1 ? terms[0]! : `(${terms.join(' or ')})`
}

function verbsCondition(filter: QueryFilter, allVerbs: boolean, backing: boolean): string {
  if (allVerbs || !backing) return anyOf(LABEL.verb, allVerbs ? WRITE_VERBS : filter.verbs)
  return `(${anyOf(LABEL.verb, filter.verbs)} or (${LABEL.group}=${quote(CALICO_CRD_GROUP)} and ${anyOf(LABEL.verb, WRITE_VERBS)}))`
}

/** --user against the user and the impersonated user, globs as anchored regexps; a backing write's user is the Calico API server. */
function usersCondition(filter: QueryFilter, backing: boolean): string | null {
  if (filter.users.length === 0) return null
  const pattern = filter.users.map(globRegexp).join('|')
  const terms = [`${LABEL.user}=~${quote(pattern)}`, `${LABEL.impersonated}=~${quote(pattern)}`]
  if (backing) terms.push(`${LABEL.group}=${quote(CALICO_CRD_GROUP)}`)
  return `(${terms.join(' or ')})`
}

/** Loki anchors a label regexp at both ends; `*` matches any run of characters, the rest is literal. */
export function globRegexp(glob: string): string {
  return glob.split('*').map(escapeRegexp).join('.*')
}

function anyOf(label: string, values: readonly string[]): string {
  return values.length === 1
    ? `${label}=${quote(values[0]!)}`
    : `${label}=~${quote(values.map(escapeRegexp).join('|'))}`
}

function escapeRegexp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')
}

/** A LogQL string: Go's quoting, which JSON's is a subset of. */
function quote(text: string): string {
  return JSON.stringify(text)
}

/** A LogQL raw string (backquotes): a regexp needs no second escaping. */
function raw(text: string): string {
  return `\`${text}\``
}
