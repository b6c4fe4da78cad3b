// The flags for reading the audit log from Elasticsearch or OpenSearch (Calico Enterprise's, found
// through the cluster, or a store given by URL), and their validation into ElasticsearchOptions.
// Credentials come from the environment only: a secret on the command line is in ps and history.
import {Flags} from '@oclif/core'

import {UserError} from '../errors.js'
import type {ClusterReadOptions} from '../sources/cluster.js'
import type {EksLogOptions} from '../sources/eks.js'
import type {AksLogOptions} from '../sources/aks.js'
import type {ElasticsearchOptions} from '../sources/elasticsearch.js'
import type {GkeClusterFlags} from '../sources/gke.js'
import {CALICO_EE_PREFIX, CALICO_KUBE_PREFIX, DEFAULT_CLUSTER} from '../sources/elasticsearch-indices.js'
import type {LogInput, LogLocation} from '../sources/open.js'
import {FILE_VALUE} from './help-values.js'
import {storeUrl} from './store-url.js'

const helpGroup = 'ELASTICSEARCH'
/** A store's requests wait this long without --request-timeout: no wait is unbounded. */
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000

export const elasticsearchFlags = {
  es: Flags.string({
    helpValue: 'URL',
    summary:
      "Read the audit log from this Elasticsearch or OpenSearch (https://HOST:9200). Credentials: ES_USERNAME and ES_PASSWORD, or ES_API_KEY. [default: with --source elasticsearch, Calico Enterprise's, through the cluster]",
    helpGroup,
  }),
  'es-index': Flags.string({
    helpValue: 'PATTERN',
    summary: `The index, pattern or data stream holding the audit events, e.g. logs-kubernetes.audit_logs-* (the Elastic integration's). [default: Calico Enterprise's ${CALICO_KUBE_PREFIX}.<cluster>.* and ${CALICO_EE_PREFIX}.<cluster>.*]`,
    helpGroup,
  }),
  'es-cluster': Flags.string({
    helpValue: 'NAME',
    summary: `Whose audit logs to read from a store of Calico Enterprise's indices (a management cluster holds its managed clusters'). [default: ${DEFAULT_CLUSTER}]`,
    helpGroup,
  }),
  'es-clusters': Flags.boolean({summary: 'List the clusters whose audit logs the store holds, and exit.', helpGroup}),
  'es-ca': Flags.string({
    helpValue: FILE_VALUE,
    summary:
      "The CA certificate (PEM) the store's certificate must chain to. [default: the system's; for Calico Enterprise, the operator's CA from the cluster]",
    helpGroup,
  }),
  'es-insecure-skip-tls-verify': Flags.boolean({
    summary: "Do not check the store's certificate: anyone on the way can read the audit log and the credentials.",
    helpGroup,
  }),
  // Sends only the window and filters here: what the push-down saves is measured against it (npm run bench).
  'es-push-down': Flags.boolean({
    allowNo: true,
    hidden: true,
    summary: 'Filter in the store (default), or fetch every event of the window.',
    helpGroup,
  }),
}

export interface ElasticsearchFlagValues {
  es?: string
  'es-index'?: string
  'es-cluster'?: string
  'es-clusters'?: boolean
  'es-ca'?: string
  'es-insecure-skip-tls-verify'?: boolean
  'es-push-down'?: boolean
}

/** The Elasticsearch flags given on the command line, as `--name`. */
export function givenElasticsearchFlags(flags: ElasticsearchFlagValues): string[] {
  return (Object.keys(elasticsearchFlags) as Array<keyof typeof elasticsearchFlags>)
    .filter((name) => flags[name] !== undefined && flags[name] !== false)
    .map((name) => `--${name}`)
}

/**
 * Validates the flags and the credentials in the environment; nothing is read or contacted yet.
 * `requestTimeoutMs`: --request-timeout, 0 when not given.
 */
export function elasticsearchOptions(
  flags: ElasticsearchFlagValues,
  requestTimeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): ElasticsearchOptions {
  const url = flags.es === undefined ? undefined : esUrl(flags.es)
  const index = flags['es-index']?.trim()
  if (index === '')
    throw new UserError('--es-index is empty', {
      hint: 'name an index, a pattern or a data stream, e.g. --es-index logs-kubernetes.audit_logs-*',
    })
  if (index !== undefined && /[\s/]/.test(index))
    throw new UserError(`--es-index "${index}" is not an index name or pattern`, {
      hint: 'index names have no spaces or slashes; separate several with commas',
    })
  const cluster = flags['es-cluster']?.trim()
  if (cluster !== undefined && !/^[^\s*,/?]+$/.test(cluster)) {
    throw new UserError(`--es-cluster "${flags['es-cluster']}" is not a cluster name`, {
      hint: 'name one cluster; see which the store holds with --es-clusters',
    })
  }
  if (index !== undefined && (cluster !== undefined || flags['es-clusters'])) {
    throw new UserError(
      `${cluster === undefined ? '--es-clusters' : '--es-cluster'} chooses among Calico Enterprise's indices, which --es-index replaces`,
      {hint: 'drop one of them'},
    )
  }
  if (flags['es-ca'] !== undefined && flags['es-insecure-skip-tls-verify']) {
    throw new UserError('--es-ca and --es-insecure-skip-tls-verify cannot be used together', {
      hint: "check the store's certificate with its CA, or skip the check, not both",
    })
  }
  if (flags['es-ca']?.trim() === '')
    throw new UserError('--es-ca is empty', {hint: 'give a PEM file, or leave --es-ca out'})
  const given = credentialsFromEnv(env)
  return {
    url,
    index,
    cluster: cluster ?? DEFAULT_CLUSTER,
    listClusters: flags['es-clusters'] ?? false,
    caFile: flags['es-ca'],
    insecure: flags['es-insecure-skip-tls-verify'] ?? false,
    credentials: 'problem' in given ? null : given.credentials,
    credentialsFrom: 'problem' in given ? null : given.from,
    credentialsProblem: 'problem' in given ? given.problem : undefined,
    pushDown: flags['es-push-down'] ?? true,
    requestTimeoutMs: requestTimeoutMs > 0 ? requestTimeoutMs : DEFAULT_REQUEST_TIMEOUT_MS,
  }
}

/** The store's base URL, without a trailing slash. */
function esUrl(text: string): string {
  storeUrl(text, {
    flag: '--es',
    scheme: 'https://',
    hostPort: 'HOST:9200',
    whose: "the store's",
    credentialVars: 'ES_USERNAME and ES_PASSWORD (or ES_API_KEY)',
  })
  return text.trim().replace(/\/+$/, '')
}

type FromEnv = {credentials: ElasticsearchOptions['credentials']; from: string | null} | {problem: string}

/** ES_USERNAME and ES_PASSWORD, or ES_API_KEY (`id:key`, or the encoded form Kibana shows); none at all is fine. */
function credentialsFromEnv(env: NodeJS.ProcessEnv): FromEnv {
  const username = env.ES_USERNAME || undefined
  const password = env.ES_PASSWORD || undefined
  const key = env.ES_API_KEY || undefined
  if (key !== undefined && (username !== undefined || password !== undefined))
    return {problem: 'ES_API_KEY and ES_USERNAME or ES_PASSWORD are both set: set one way of signing in'}
  if (key !== undefined) return {credentials: {kind: 'api-key', key}, from: 'ES_API_KEY'}
  if (username !== undefined && password === undefined) return {problem: 'ES_USERNAME is set without ES_PASSWORD'}
  if (password !== undefined && username === undefined) return {problem: 'ES_PASSWORD is set without ES_USERNAME'}
  if (username !== undefined)
    return {credentials: {kind: 'basic', username, password: password!}, from: 'ES_USERNAME and ES_PASSWORD'}
  return {credentials: null, from: null}
}

/**
 * Where the log is read without -f, from --source and --es, refusing flags that do not go with it:
 * a store given by URL needs no cluster, and the nodes or a managed cluster's log service need no
 * store. `kubeFlags` and `elsewhere` are the connection flags given, and those for reading the
 * nodes, CloudWatch, Cloud Logging and Log Analytics.
 */
export function logInputWithoutFiles(
  flags: ElasticsearchFlagValues & {source?: LogLocation},
  kubeFlags: readonly string[],
  elsewhere: {nodes: readonly string[]; eks: readonly string[]; gke: readonly string[]; aks: readonly string[]},
  cluster: ClusterReadOptions,
  {
    eks,
    gke,
    aks,
    elasticsearch,
  }: {eks: EksLogOptions; gke: GkeClusterFlags; aks: AksLogOptions; elasticsearch: ElasticsearchOptions},
): LogInput {
  const storeFlags = givenElasticsearchFlags(flags)
  const refuse = (given: readonly string[], why: string, hint: string) => {
    if (given.length > 0) throw new UserError(`${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} ${why}`, {hint})
  }
  if (
    flags.source === 'nodes' ||
    flags.source === 'cloudwatch' ||
    flags.source === 'cloud-logging' ||
    flags.source === 'log-analytics'
  ) {
    refuse(
      storeFlags,
      `for reading Elasticsearch, which --source ${flags.source} does not`,
      `drop ${storeFlags.join(' ')}, or use --source elasticsearch`,
    )
  }
  const fromStore = flags.es !== undefined || flags.source === 'elasticsearch' || flags['es-clusters'] === true
  if (fromStore) {
    refuse(
      elsewhere.nodes,
      "for reading the control-plane nodes' log files, which Elasticsearch replaces",
      `drop ${elsewhere.nodes.join(' ')}`,
    )
    refuse(
      elsewhere.eks,
      'for reading CloudWatch Logs (EKS), which Elasticsearch replaces',
      `drop ${elsewhere.eks.join(' ')}`,
    )
    refuse(
      elsewhere.gke,
      'for reading Cloud Logging (GKE), which Elasticsearch replaces',
      `drop ${elsewhere.gke.join(' ')}`,
    )
    refuse(
      elsewhere.aks,
      'for reading Log Analytics (AKS), which Elasticsearch replaces',
      `drop ${elsewhere.aks.join(' ')}`,
    )
    if (elasticsearch.credentialsProblem)
      throw new UserError(elasticsearch.credentialsProblem, {
        hint: 'set ES_USERNAME and ES_PASSWORD, or ES_API_KEY alone',
      })
  }
  if (flags.es !== undefined) {
    if (flags.source !== undefined && flags.source !== 'elasticsearch')
      throw new UserError(`--es reads Elasticsearch, which --source ${flags.source} does not`, {
        hint: 'drop --source, or --es',
      })
    // --request-timeout bounds the store's requests too.
    const connection = kubeFlags.filter((f) => f !== '--request-timeout')
    refuse(connection, 'for finding the store through the cluster, which --es replaces', `drop ${connection.join(' ')}`)
    return {from: 'elasticsearch', elasticsearch}
  }
  return {
    from: 'cluster',
    location: fromStore ? 'elasticsearch' : (flags.source ?? 'auto'),
    cluster,
    eks,
    ...(Object.keys(gke).length > 0 ? {gke} : {}),
    ...(Object.keys(aks).length > 0 ? {aks} : {}),
    elasticsearch,
  }
}
