// The run's filter as Kusto (KQL) for the tables AKS's audit log lands in: the time range, the
// cluster, the watched resources and write verbs, and --user/--verb/-n where KQL can say them.
// Pure text building: the source (log-analytics.ts) sends it and the fake in the tests reads it.
import {CALICO_CRD_GROUP, WRITE_VERBS} from '../audit/catalog.js'
import type {QueryFilter} from './source.js'

/**
 * Where AKS's audit log is in a workspace: the resource-specific tables (kube-audit-admin,
 * kube-audit), in the order they are preferred, then the legacy AzureDiagnostics table.
 */
export const AUDIT_TABLES = ['AKSAuditAdmin', 'AKSAudit', 'AzureDiagnostics'] as const
export type AuditTable = (typeof AUDIT_TABLES)[number]

/** Which cluster's rows: its ARM resource ID (exact) or its name (the end of the ID); none: every cluster the workspace holds. */
export interface ClusterScope {
  readonly resourceId?: string
  readonly clusterName?: string
}

/** Epoch ms; the start is included, the end is not. */
export interface TimeRange {
  readonly startMs: number
  readonly endMs: number
}

/** A KQL string literal (double quotes, backslash escapes). */
export function kqlString(value: string): string {
  return JSON.stringify(value)
}

/** A KQL datetime literal, to the millisecond. */
export function kqlTime(ms: number): string {
  return `datetime(${new Date(Math.floor(ms)).toISOString()})`
}

const list = (values: readonly string[]) => `(${values.map(kqlString).join(', ')})`

/** How each Event field is reached in a table's row. */
function fields(table: AuditTable) {
  if (table === 'AzureDiagnostics') {
    const event = (path: string) => `tostring(parse_json(log_s).${path})`
    return {
      verb: event('verb'),
      resource: event('objectRef.resource'),
      group: event('objectRef.apiGroup'),
      namespace: event('objectRef.namespace'),
      user: event('user.username'),
      impersonated: event('impersonatedUser.username'),
    }
  }
  return {
    verb: 'Verb',
    resource: 'tostring(ObjectRef.resource)',
    group: 'tostring(ObjectRef.apiGroup)',
    namespace: 'tostring(ObjectRef.namespace)',
    user: 'tostring(User.username)',
    // Not every workspace's table has the column: a missing one is null, not an error.
    impersonated: 'tostring(column_ifexists("ImpersonatedUser", dynamic(null)).username)',
  }
}

/** The table's rows of the cluster in the range: what every query starts with. */
export function rowsOf(table: AuditTable, scope: ClusterScope, range: TimeRange): string[] {
  const lines = [
    table,
    `| where TimeGenerated >= ${kqlTime(range.startMs)} and TimeGenerated < ${kqlTime(range.endMs)}`,
  ]
  if (table === 'AzureDiagnostics') lines.push(`| where Category in ${list(['kube-audit-admin', 'kube-audit'])}`)
  if (scope.resourceId !== undefined) lines.push(`| where _ResourceId =~ ${kqlString(scope.resourceId)}`)
  else if (scope.clusterName !== undefined)
    lines.push(`| where _ResourceId endswith ${kqlString(`/managedclusters/${scope.clusterName}`)}`)
  return lines
}

/**
 * The run's filter as `where` lines. Asks for more, never for less: the resources and their groups
 * are asked apart (a watched name in an unwatched group comes along, and is dropped after
 * decoding), and Calico's backing writes (crd.projectcalico.org, written by the Calico API server
 * under its own name, a patch becoming an update) pass --user and --verb: they are joined to the
 * user's request.
 */
export function filterLines(table: AuditTable, filter: QueryFilter): string[] {
  const f = fields(table)
  const resources = [...new Set(filter.resources.map((r) => r.resource))].sort()
  const groups = [...new Set(filter.resources.map((r) => r.apiGroup))].sort()
  const lines = [`| where ${f.resource} in ${list(resources)} and ${f.group} in ${list(groups)}`]
  const calicoBacking = `${f.group} == ${kqlString(CALICO_CRD_GROUP)}`
  const allVerbs = WRITE_VERBS.every((verb) => filter.verbs.includes(verb))
  if (allVerbs) lines.push(`| where ${f.verb} in ${list(WRITE_VERBS)}`)
  else
    lines.push(`| where ${f.verb} in ${list(filter.verbs)} or (${calicoBacking} and ${f.verb} in ${list(WRITE_VERBS)})`)
  if (filter.namespaces.length > 0) lines.push(`| where ${f.namespace} in ${list(filter.namespaces)}`)
  if (filter.users.length > 0) {
    const exact = filter.users.filter((u) => !u.includes('*'))
    const globs = filter.users.filter((u) => u.includes('*'))
    const terms: string[] = []
    for (const who of [f.user, f.impersonated]) {
      if (exact.length > 0) terms.push(`${who} in ${list(exact)}`)
      if (globs.length > 0) terms.push(`${who} matches regex ${kqlString(globsRegex(globs))}`)
    }
    lines.push(`| where ${terms.join(' or ')} or ${calicoBacking}`)
  }
  return lines
}

/** --user globs (`*` for any run of characters) as one anchored regular expression (RE2, as Kusto's). */
export function globsRegex(globs: readonly string[]): string {
  const one = (glob: string) =>
    glob
      .split('*')
      .map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'))
      .join('.*')
  return `^(?:${globs.map(one).join('|')})$`
}

/** The Event's columns as the recognizer reads them; times as text, which keeps all their digits. */
const EVENT_COLUMNS =
  '| project TimeGenerated, AuditId, Stage, Level, RequestUri, Verb, User, ImpersonatedUser = column_ifexists("ImpersonatedUser", dynamic(null)), SourceIps, UserAgent, ObjectRef, ResponseStatus, RequestObject, ResponseObject, Annotations, RequestReceivedTime = tostring(RequestReceivedTime), StageReceivedTime = tostring(StageReceivedTime)'

/** The query for the rows themselves. */
export function rowsQuery(table: AuditTable, scope: ClusterScope, filter: QueryFilter, range: TimeRange): string {
  const project = table === 'AzureDiagnostics' ? '| project TimeGenerated, Category, log_s' : EVENT_COLUMNS
  return [...rowsOf(table, scope, range), ...filterLines(table, filter), project].join('\n')
}

/** How many rows the filter matches in the range, and the first and last row's time. */
export function countQuery(table: AuditTable, scope: ClusterScope, filter: QueryFilter, range: TimeRange): string {
  return [
    ...rowsOf(table, scope, range),
    ...filterLines(table, filter),
    '| summarize Rows = count(), First = min(TimeGenerated), Last = max(TimeGenerated)',
  ].join('\n')
}

/** How many rows the filter matches in each bin of `binMs` from the range's start (bins with none are left out). */
export function histogramQuery(
  table: AuditTable,
  scope: ClusterScope,
  filter: QueryFilter,
  range: TimeRange,
  binMs: number,
): string {
  return [
    ...rowsOf(table, scope, range),
    ...filterLines(table, filter),
    `| summarize Rows = count() by Start = bin_at(TimeGenerated, ${binMs}ms, ${kqlTime(range.startMs)})`,
  ].join('\n')
}

/**
 * How many audit rows of the cluster each table holds in the range, whatever they are about: which
 * table the diagnostic setting fills, and whether it sends anything. A table the workspace does
 * not know is left out (isfuzzy); when it knows none, the query fails.
 */
export function tablesQuery(scope: ClusterScope, range: TimeRange): string {
  const legs = AUDIT_TABLES.map(
    (table) =>
      `    (${[...rowsOf(table, scope, range), '| summarize Rows = count()', `| extend Table = ${kqlString(table)}`].join(' ')})`,
  )
  return `union isfuzzy=true\n${legs.join(',\n')}`
}
