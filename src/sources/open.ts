// Where a run's audit events come from, opened as sources: the files -f names or, without -f, the
// cluster's own log where it is (its control-plane nodes; a managed provider's log service or a
// log store are sources beside them). Each origin's code loads only when it is used.

import {UserError} from '../errors.js'
import type {RunContext} from '../run-context.js'
import type {AksLogOptions} from './aks.js'
import type {ClusterReadOptions} from './cluster.js'
import type {EksLogOptions} from './eks.js'
import type {ElasticsearchOptions} from './elasticsearch.js'
import type {GkeClusterFlags} from './gke.js'
import type {LokiOptions} from './loki.js'
import type {QueryFilter, Source} from './source.js'

/**
 * Where the cluster's log is read without -f: `auto` decides from the kubeconfig context (an EKS
 * cluster's log in CloudWatch Logs, a GKE cluster's in Cloud Logging, an AKS cluster's in Log
 * Analytics) or else reads the control-plane nodes (or Calico Enterprise's Elasticsearch, when no
 * node log can be read and the cluster has one); `loki` reads a Loki given by URL.
 */
export const LOG_LOCATIONS = [
  'auto',
  'nodes',
  'cloudwatch',
  'cloud-logging',
  'log-analytics',
  'elasticsearch',
  'loki',
] as const
export type LogLocation = (typeof LOG_LOCATIONS)[number]

export type LogInput =
  | {readonly from: 'files'; readonly files: readonly string[]}
  | {
      readonly from: 'cluster'
      readonly location: LogLocation
      readonly cluster: ClusterReadOptions
      readonly eks: EksLogOptions
      readonly gke?: GkeClusterFlags
      readonly aks?: AksLogOptions
      readonly elasticsearch: ElasticsearchOptions
    }
  | {readonly from: 'elasticsearch'; readonly elasticsearch: ElasticsearchOptions}
  | {readonly from: 'loki'; readonly loki: LokiOptions}

export interface OpenedSources {
  readonly sources: Source[]
  /** Lines for the user about what was chosen or left out (whoever prints them makes them safe). */
  readonly notices: readonly string[]
  /** One line each on what is read, when it was inferred (`reading EKS audit logs of cluster …`). */
  readonly announcements: readonly string[]
  /** Sources read at once: network sources gain from more. */
  readonly concurrency: number
  /** Ends what opening started (reader pods): call it however reading ends; idempotent. */
  close(): Promise<void>
}

export interface OpenOptions {
  /** What a log store is asked for; a store is asked for its first answer while it is opened. */
  readonly query: QueryFilter
  /**
   * Nothing in the query's window yet is expected (doctor --probe opens the log before it writes):
   * a log service or store then does not refuse an empty window as a log that is off; it looks
   * further back instead, for any record at all (Log Analytics, to decide which table to read).
   */
  readonly windowAhead?: boolean
  /**
   * Set when the nodes must not be touched (doctor --no-node-access): the log is read only where
   * it is elsewhere (a managed provider's log service, a store); where it is on the nodes, this
   * is the error.
   */
  readonly nodes?: {readonly reason: string; readonly hint: string}
  readonly stdin?: NodeJS.ReadableStream
}

export async function openSources(
  input: LogInput,
  run: RunContext,
  {query, windowAhead = false, nodes, stdin = process.stdin}: OpenOptions,
): Promise<OpenedSources> {
  if (input.from === 'files') {
    const {fileSources} = await import('./file.js')
    const files = await fileSources(input.files, stdin)
    return {sources: files.sources, notices: files.notices, announcements: [], concurrency: 2, close: async () => {}}
  }
  if (input.from === 'loki') {
    const {openLoki} = await import('./loki.js')
    const loki = await openLoki(input.loki, query, run, {windowAhead})
    return {
      sources: [loki.source],
      notices: loki.warnings,
      announcements: [loki.announcement],
      concurrency: 1,
      close: () => loki.source.close(),
    }
  }
  if (input.from === 'elasticsearch' || input.location === 'elasticsearch') {
    const {openStoreSources} = await import('./elasticsearch-open.js')
    const store = await openStoreSources(input.elasticsearch, input.from === 'cluster' ? input.cluster : undefined, run)
    return {
      sources: store.sources,
      notices: store.warnings,
      announcements: store.said,
      concurrency: 4,
      close: () => store.close(),
    }
  }
  // A GKE context (or --project, --location) first: --cluster-name alone names an EKS cluster too.
  if (input.location === 'auto' || input.location === 'cloud-logging') {
    const {openGkeSource} = await import('./gke.js')
    const gke = await openGkeSource(input.location, input.cluster, input.gke ?? {}, process.env, {windowAhead})
    if (gke)
      return {sources: [gke.source], notices: [], announcements: [gke.said], concurrency: 1, close: async () => {}}
  }
  if (input.location === 'auto' || input.location === 'log-analytics') {
    const {openAksLog} = await import('./aks.js')
    const aks = await openAksLog(
      input.location,
      input.cluster,
      {...input.aks, ...(input.eks.clusterName ? {clusterName: input.eks.clusterName} : {})},
      query,
      run,
      {},
      {windowAhead},
    )
    if (aks)
      return {
        sources: aks.sources,
        notices: aks.notices,
        announcements: [aks.announcement],
        concurrency: aks.sources.length,
        close: async () => {},
      }
  }
  if (input.location === 'auto' || input.location === 'cloudwatch') {
    const {openEksLog} = await import('./eks.js')
    const eks = await openEksLog(input.location, input.cluster, input.eks, query, run, {windowAhead})
    if (eks)
      return {
        sources: [eks.source],
        notices: [],
        announcements: [eks.announcement],
        concurrency: 1,
        close: async () => {},
      }
  }
  const {openClusterSources} = await import('./cluster.js')
  const forbidden = nodes && new UserError(nodes.reason, {hint: nodes.hint})
  const cluster = await (forbidden ? Promise.reject(forbidden) : openClusterSources(input.cluster, run)).catch(
    async (error: unknown) => {
      if (input.location !== 'auto') throw error
      const {calicoEnterpriseInstead} = await import('./elasticsearch-open.js')
      const store = await calicoEnterpriseInstead(input.elasticsearch, input.cluster, error, run)
      if (!store) throw error
      return {sources: store.sources, warnings: store.warnings, said: store.said, close: () => store.close()}
    },
  )
  return {
    sources: cluster.sources,
    notices: cluster.warnings,
    announcements: 'said' in cluster ? cluster.said : [],
    concurrency: 8,
    close: () => cluster.close(),
  }
}
