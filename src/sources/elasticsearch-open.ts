// Elasticsearch as where a run reads: the store given by URL, or Calico Enterprise's found through
// the cluster (with --source elasticsearch, or with auto when no node log could be read and the
// cluster has Calico Enterprise's log storage). Says which store is read, and warns each run when
// its certificate is not checked.
import type {KubeConfig} from '@kubernetes/client-node'

import {type KubeConnectionOptions, loadKubeConfig, NoKubeconfigError} from '../cluster/kubeconfig.js'
import {UserError} from '../errors.js'
import type {RunContext} from '../run-context.js'
import {calicoEnterpriseEndpoint, hasCalicoLogStorage} from './calico-enterprise.js'
import {type ElasticsearchOptions, listStoredClusters, openElasticsearch, type StoredCluster} from './elasticsearch.js'
import type {StoreEndpoint} from './elasticsearch-http.js'
import type {QuerySource} from './source.js'

export interface OpenedStoreSources {
  readonly sources: QuerySource[]
  /** What is read, said once. */
  readonly said: string[]
  readonly warnings: string[]
  close(): Promise<void>
}

const INSECURE_WARNING =
  "the store's certificate is not checked (--es-insecure-skip-tls-verify): anyone on the way can read the audit log and the credentials"

/** The store's audit logs as sources: `cluster` is how to reach the cluster when the store is Calico Enterprise's. */
export async function openStoreSources(
  options: ElasticsearchOptions,
  cluster: KubeConnectionOptions | undefined,
  run: RunContext,
): Promise<OpenedStoreSources> {
  const endpoint = await storeEndpoint(options, cluster, run.signal)
  const store = await openElasticsearch(endpoint, options, run.signal)
  return {
    sources: store.sources,
    said: store.notices,
    warnings: [...(options.insecure ? [INSECURE_WARNING] : []), ...store.warnings],
    close: () => store.close(),
  }
}

export interface StoreClusterList {
  readonly store: string
  readonly clusters: StoredCluster[]
  readonly warnings: string[]
}

/** --es-clusters: the clusters whose logs the store holds. */
export async function listStoreClusters(
  options: ElasticsearchOptions,
  cluster: KubeConnectionOptions | undefined,
  run: RunContext,
): Promise<StoreClusterList> {
  const endpoint = await storeEndpoint(options, cluster, run.signal)
  return {
    store: endpoint.description,
    clusters: await listStoredClusters(endpoint, options, run.signal),
    warnings: options.insecure ? [INSECURE_WARNING] : [],
  }
}

/**
 * `--source auto` when no node log could be read: Calico Enterprise's Elasticsearch, when the
 * cluster has it. undefined when it has not (or that cannot be told): the nodes' failure stands.
 * Only asked after that failure, so a cluster whose logs are on its nodes pays nothing for it.
 */
export async function calicoEnterpriseInstead(
  options: ElasticsearchOptions,
  cluster: KubeConnectionOptions,
  nodeFailure: unknown,
  run: RunContext,
): Promise<OpenedStoreSources | undefined> {
  if (!(nodeFailure instanceof UserError) || nodeFailure instanceof NoKubeconfigError) return undefined
  const kc = await loadKubeConfig(cluster).catch(() => undefined)
  if (!kc || !(await hasCalicoLogStorage(kc, run.signal))) return undefined
  try {
    const opened = await openStoreSources(options, cluster, run)
    return {...opened, said: opened.said.map((line) => `${line}: no node log could be read (${nodeFailure.message})`)}
  } catch (error) {
    if (!(error instanceof UserError)) throw error
    throw new UserError(
      `no audit log could be read: not from the nodes (${nodeFailure.message}), nor from Calico Enterprise's Elasticsearch (${error.message})`,
      {hint: error.hint ?? nodeFailure.hint, cause: error},
    )
  }
}

async function storeEndpoint(
  options: ElasticsearchOptions,
  cluster: KubeConnectionOptions | undefined,
  signal: AbortSignal,
): Promise<StoreEndpoint> {
  if (options.credentialsProblem)
    throw new UserError(options.credentialsProblem, {hint: 'set ES_USERNAME and ES_PASSWORD, or ES_API_KEY alone'})
  if (options.url !== undefined) {
    return {
      url: options.url,
      description: `Elasticsearch at ${options.url}`,
      credentials: options.credentials,
      credentialsFrom: options.credentialsFrom,
      insecure: options.insecure,
      requestTimeoutMs: options.requestTimeoutMs,
    }
  }
  if (!cluster) throw new Error('a store found through the cluster needs the cluster')
  const kc: KubeConfig = await loadKubeConfig(cluster).catch((error: unknown) => {
    if (!(error instanceof NoKubeconfigError)) throw error
    throw new UserError("no kubeconfig to find Calico Enterprise's Elasticsearch with", {
      hint: 'point at the cluster with --kubeconfig or KUBECONFIG, or give the store with --es URL',
    })
  })
  return calicoEnterpriseEndpoint(kc, options, options.requestTimeoutMs, signal)
}
