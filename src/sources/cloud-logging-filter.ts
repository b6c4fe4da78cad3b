// The Cloud Logging query a run's filter becomes for a GKE cluster's audit log: the cluster's
// resource labels, the Admin Activity log, the watched resources and write verbs as a pattern on
// the method name, the window, and --user / -n where the query language can say them.

import {CALICO_CRD_GROUP, WRITE_VERBS} from '../audit/catalog.js'
import {methodGroupSpellings} from '../audit/records/gke.js'
import type {QueryFilter} from './source.js'

/** A GKE cluster, as Cloud Logging labels its entries. */
export interface GkeCluster {
  readonly project: string
  readonly location: string
  readonly cluster: string
}

/** Where writes go: the Admin Activity log, always on (reads go to Data Access, which must be enabled). */
export function activityLogName(project: string): string {
  return `projects/${project}/logs/cloudaudit.googleapis.com%2Factivity`
}

/** The entries of one cluster in one log: the part of every query that is not the run's filter. */
export function clusterClauses(target: GkeCluster): string[] {
  return [
    'resource.type="k8s_cluster"',
    `resource.labels.location=${quote(target.location)}`,
    `resource.labels.cluster_name=${quote(target.cluster)}`,
    `logName=${quote(activityLogName(target.project))}`,
  ]
}

/**
 * The filter of entries:list for `query`. It asks for more than the run wants where the language
 * cannot say it, never for less: everything is filtered again once decoded. Calico's backing
 * writes (crd.projectcalico.org by the Calico API server) are asked for whatever --user and --verb
 * say, since they carry the tier and object of the user's projectcalico.org request.
 */
export function entriesFilter(target: GkeCluster, query: QueryFilter): string {
  const clauses = [...clusterClauses(target), ...windowClauses(query)]
  const methods = methodPattern(query)
  clauses.push(`protoPayload.methodName=~${quote(methods)}`)
  const users = query.users.some((user) => user.includes('*')) ? [] : query.users
  if (users.length > 0) {
    const principal = `protoPayload.authenticationInfo.principalEmail=(${users.map(quote).join(' OR ')})`
    const backing = query.resources.some((r) => r.apiGroup === CALICO_CRD_GROUP)
    clauses.push(
      backing
        ? `(${principal} OR protoPayload.methodName=~${quote(`^${groupAlternatives(CALICO_CRD_GROUP)}[.]`)})`
        : principal,
    )
  }
  if (query.namespaces.length > 0)
    clauses.push(
      `protoPayload.resourceName:(${query.namespaces.map((ns) => quote(`/namespaces/${ns}/`)).join(' OR ')})`,
    )
  return clauses.join('\nAND ')
}

/** The window, as wide as the bounds' microseconds reach (the store keeps nanoseconds). */
export function windowClauses(query: Pick<QueryFilter, 'sinceMs' | 'untilMs'>): string[] {
  const clauses: string[] = []
  if (query.sinceMs !== null) clauses.push(`timestamp>=${quote(rfc3339Micros(Math.floor(query.sinceMs * 1000)))}`)
  if (query.untilMs !== null) clauses.push(`timestamp<=${quote(rfc3339Micros(Math.ceil(query.untilMs * 1000)))}`)
  return clauses
}

/**
 * One regular expression for the method names of the watched resources and verbs asked for:
 * `^(io[.]k8s[.]networking)[.]v[0-9a-z]+[.](networkpolicies)([.][a-z]+)?[.](create|patch)$|^…`,
 * one alternative per group. Dots are `[.]`: no backslash to escape twice. Subresource writes
 * are asked for too (--include-subresources).
 */
export function methodPattern(query: Pick<QueryFilter, 'resources' | 'verbs'>): string {
  const byGroup = new Map<string, string[]>()
  for (const {apiGroup, resource} of query.resources)
    byGroup.set(apiGroup, [...(byGroup.get(apiGroup) ?? []), resource])
  return [...byGroup]
    .map(([apiGroup, resources]) => {
      const verbs = apiGroup === CALICO_CRD_GROUP ? WRITE_VERBS : query.verbs
      return `^${groupAlternatives(apiGroup)}[.]v[0-9a-z]+[.](${[...new Set(resources)].join('|')})([.][a-z]+)?[.](${verbs.join('|')})$`
    })
    .join('|')
}

function groupAlternatives(apiGroup: string): string {
  return `(${methodGroupSpellings(apiGroup)
    .map((spelling) => spelling.replaceAll('.', '[.]'))
    .join('|')})`
}

/** A string in the query language: double quotes, with backslash and quote escaped. */
export function quote(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

/** Epoch microseconds as RFC 3339 in UTC, with the fraction only as long as it needs to be. */
export function rfc3339Micros(us: number): string {
  const seconds = Math.floor(us / 1_000_000)
  const fraction = String(us - seconds * 1_000_000)
    .padStart(6, '0')
    .replace(/0+$/, '')
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}${fraction === '' ? '' : `.${fraction}`}Z`
}
