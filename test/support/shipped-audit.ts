// The fake apiserver's audit events as each log service or store holds them once shipped, for
// `FakeAuditLog.deliver` (with its `delayMs`): GKE's Cloud Audit Logs entry (re-encoded, finished
// requests only, perhaps without the Audit-ID sent), a Log Analytics row of AKSAuditAdmin, Calico
// Enterprise's Elasticsearch document, a Loki line. Written from the documented shapes.
import {randomUUID} from 'node:crypto'

import {methodGroupSpellings} from '../../src/audit/records/gke.js'
import {logAnalyticsRow} from './aks-records.js'
import {gkeEntry} from './gke-entries.js'

type Event = Record<string, unknown>
type Ref = {apiGroup?: string; apiVersion?: string; resource?: string; namespace?: string; name?: string}

const events = (lines: readonly string[]) => lines.map((line) => JSON.parse(line) as Event)

/**
 * GKE: one entry per finished request (no stage, no level), the method name and resource name
 * spelled as GKE spells them (a create names the collection: no object name), the bodies with
 * Cloud Logging's `@type`. `keepAuditID: false` plays a GKE that does not pass the Audit-ID sent
 * on as operation.id (that it does is inferred, not documented): the entry has an ID of its own.
 */
export function gkeEntriesOf(
  lines: readonly string[],
  cluster: {project: string; location: string; cluster: string},
  {keepAuditID = true}: {keepAuditID?: boolean} = {},
): Array<Record<string, unknown>> {
  return events(lines)
    .filter((event) => event.stage === 'ResponseComplete')
    .map((event) => {
      const ref = (event.objectRef ?? {}) as Ref
      const group = ref.apiGroup ?? ''
      const version = ref.apiVersion ?? 'v1'
      const verb = String(event.verb)
      const path = [
        group === '' ? 'core' : group,
        version,
        ...(ref.namespace ? ['namespaces', ref.namespace] : []),
        ref.resource ?? '',
        ...(ref.name && verb !== 'create' ? [ref.name] : []),
      ].join('/')
      const typed = (body: unknown) =>
        typeof body === 'object' && body !== null
          ? {'@type': `${group === '' ? 'core' : group}/${version}.${String((body as Event).kind)}`, ...body}
          : undefined
      const code = Number((event.responseStatus as {code?: number} | undefined)?.code ?? 200)
      return gkeEntry({
        id: keepAuditID ? String(event.auditID) : randomUUID(),
        time: String(event.stageTimestamp),
        method: `${methodGroupSpellings(group)[0]}.${version}.${ref.resource}.${verb}`,
        resourceName: path,
        principal: String((event.user as {username?: string}).username),
        status: code < 300 ? 0 : code === 403 ? 7 : 3,
        request: typed(event.requestObject),
        response: typed(event.responseObject),
        ...cluster,
      })
    })
}

/** AKS with a diagnostic setting sending kube-audit-admin to a workspace: AKSAuditAdmin rows, every stage. */
export function logAnalyticsRowsOf(lines: readonly string[]): Array<Record<string, unknown>> {
  return events(lines).map((event) => logAnalyticsRow(event))
}

/** Calico Enterprise's fluentd and Linseed: the Event as it is, with the cluster's name and the time it was stored. */
export function calicoDocumentsOf(lines: readonly string[], cluster = 'cluster'): Event[] {
  return events(lines).map((event) => ({...event, cluster, generated_time: new Date().toISOString()}))
}

/** A shipper to Loki: each line as it is, at the time it was shipped (now). */
export function lokiEntriesOf(lines: readonly string[]): Array<{ns: bigint; line: string}> {
  const ns = BigInt(Date.now()) * 1_000_000n
  return lines.map((line, i) => ({ns: ns + BigInt(i), line}))
}
