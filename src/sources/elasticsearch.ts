// Audit logs kept in Elasticsearch or OpenSearch, queried where they are: Calico Enterprise's
// indices (the kube-apiserver's log and the Calico API server's, per cluster), any index of audit
// Events, or the Elastic integration's data stream. The run's filter becomes the store's query
// (elasticsearch-query.ts) and pages come in time order with search_after, so only candidate
// events travel, however long the history and however many clusters the store holds.
import {readFile} from 'node:fs/promises'

import {UserError} from '../errors.js'
import {type StoreAnswer, StoreClient, type StoreEndpoint, StoreRequestError} from './elasticsearch-http.js'
import {CALICO_EE_PREFIX, CALICO_KUBE_PREFIX, CALICO_SINGLE_INDEX, clusterOfIndex} from './elasticsearch-indices.js'
import {type FieldCaps, type FieldPlan, fieldCapsNames, planFields, searchBody} from './elasticsearch-query.js'
import type {QueryFilter, QueryPage, QuerySource} from './source.js'

/** What the Elasticsearch flags compile to (src/flags/elasticsearch.ts). */
export interface ElasticsearchOptions {
  /** --es: a store reached directly; undefined: Calico Enterprise's, found through the cluster. */
  readonly url?: string
  /** --es-index: any index, pattern or data stream of audit Events; undefined: Calico Enterprise's indices. */
  readonly index?: string
  /** --es-cluster: whose logs, in a store of Calico Enterprise's indices. */
  readonly cluster: string
  /** --es-clusters: list the clusters the store holds instead of reading. */
  readonly listClusters: boolean
  /** --es-ca: the CA bundle the store's certificate must chain to. */
  readonly caFile?: string
  /** --es-insecure-skip-tls-verify. */
  readonly insecure: boolean
  /** From ES_USERNAME and ES_PASSWORD, or ES_API_KEY; null when the environment has none. */
  readonly credentials: StoreEndpoint['credentials']
  readonly credentialsFrom: string | null
  /** Why the environment's credentials cannot be used (half of a pair, two kinds at once); said when the store is opened. */
  readonly credentialsProblem?: string
  /** false: only the window is sent, every event in it travels and is filtered here (to measure the push-down). */
  readonly pushDown: boolean
  /** Milliseconds per request; 0: none. */
  readonly requestTimeoutMs: number
  /** Hits per page. */
  readonly pageSize?: number
}

const INTEGRATION_PREFIX = 'kubernetes.audit.'
const DEFAULT_PAGE_SIZE = 1000
/** index.max_result_window's default: no page may reach past it. */
const MAX_WINDOW = 10_000
const FILTER_PATH =
  'hits.total,hits.hits._index,hits.hits._id,hits.hits._source,hits.hits.sort,_shards.failed,_shards.failures,timed_out'

export interface OpenedStore {
  readonly sources: QuerySource[]
  /** Lines for the user about what is read, and what is not. */
  readonly notices: string[]
  readonly warnings: string[]
  close(): Promise<void>
}

/** One cluster's audit logs in a store of Calico Enterprise's indices. */
export interface StoredCluster {
  readonly name: string
  readonly layout: 'multi-index' | 'single-index'
  /** Documents of the kube-apiserver's log and of the Calico API server's. */
  readonly kube: number
  readonly ee: number
}

/** Opens the store's audit logs as query sources; a wrong index, credential or permission is said here (exit 2), before any reading. */
export async function openElasticsearch(
  endpoint: StoreEndpoint,
  options: ElasticsearchOptions,
  signal?: AbortSignal,
): Promise<OpenedStore> {
  const client = new StoreClient(await withCa(endpoint, options), signal)
  try {
    const opened =
      options.index === undefined
        ? await openCalicoIndices(client, options)
        : await openIndex(client, options.index, options)
    return {...opened, close: () => client.close()}
  } catch (error) {
    await client.close()
    throw storeUserError(error, client.endpoint, options.index ?? `${CALICO_KUBE_PREFIX}.*`)
  }
}

/** The clusters whose logs a store of Calico Enterprise's indices holds, with their document counts. */
export async function listStoredClusters(
  endpoint: StoreEndpoint,
  options: ElasticsearchOptions,
  signal?: AbortSignal,
): Promise<StoredCluster[]> {
  const client = new StoreClient(await withCa(endpoint, options), signal)
  try {
    return await storedClusters(client)
  } catch (error) {
    throw storeUserError(error, client.endpoint, `${CALICO_KUBE_PREFIX}.*`)
  } finally {
    await client.close()
  }
}

async function withCa(endpoint: StoreEndpoint, options: ElasticsearchOptions): Promise<StoreEndpoint> {
  if (options.caFile === undefined) return endpoint
  try {
    return {...endpoint, ca: await readFile(options.caFile, 'utf8')}
  } catch (error) {
    throw new UserError(
      `cannot read --es-ca ${options.caFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      {hint: "give a PEM file of the CA that signed the store's certificate"},
    )
  }
}

async function openCalicoIndices(
  client: StoreClient,
  options: ElasticsearchOptions,
): Promise<Omit<OpenedStore, 'close'>> {
  const caps = await fieldCaps(client, `${CALICO_KUBE_PREFIX}.*,${CALICO_EE_PREFIX}.*,${CALICO_SINGLE_INDEX}`, [''])
  const {cluster} = options
  const kube = caps.indices.filter((i) => clusterOfIndex(i, CALICO_KUBE_PREFIX) === cluster)
  const ee = caps.indices.filter((i) => clusterOfIndex(i, CALICO_EE_PREFIX) === cluster)
  const single = caps.indices.some((i) => i.startsWith('calico_auditlogs'))
  const notices: string[] = []
  const warnings: string[] = []
  const sources: QuerySource[] = []
  const plan = (indices: string) => planOrThrow('', caps.fields, indices, client.endpoint)
  if (kube.length > 0 || ee.length > 0) {
    for (const [prefix, found, what] of [
      [CALICO_KUBE_PREFIX, kube, "kube-apiserver's"],
      [CALICO_EE_PREFIX, ee, "the Calico API server's"],
    ] as const) {
      const pattern = `${prefix}.${cluster}.*`
      if (found.length === 0) {
        warnings.push(
          `${client.endpoint.description} holds no index ${pattern}: ${what} audit log of cluster "${cluster}" is not there${prefix === CALICO_EE_PREFIX ? ' (Calico changes keep their requests, without tier or body)' : ''}`,
        )
        continue
      }
      sources.push(new ElasticsearchSource(client, pattern, plan(pattern), options))
    }
  } else if (single) {
    const clusters = await singleIndexClusters(client)
    if (!clusters.has(cluster)) throw noSuchCluster(cluster, await storedClusters(client), client.endpoint)
    const scope = [{term: {[clusters.field]: cluster}}]
    sources.push(
      new ElasticsearchSource(client, CALICO_SINGLE_INDEX, plan(CALICO_SINGLE_INDEX), {
        ...options,
        scope,
        label: `${CALICO_SINGLE_INDEX}[cluster=${cluster}]`,
      }),
    )
  } else {
    throw noSuchCluster(cluster, await storedClusters(client), client.endpoint)
  }
  const others = storedClustersFromIndices(caps.indices)
    .map((c) => c.name)
    .filter((name) => name !== cluster)
  notices.push(
    `reading the audit logs of cluster "${cluster}" from ${client.endpoint.description}${others.length > 0 ? ` (it also holds: ${others.join(', ')}; choose with --es-cluster)` : ''}`,
  )
  return {sources, notices, warnings}
}

async function openIndex(
  client: StoreClient,
  index: string,
  options: ElasticsearchOptions,
): Promise<Omit<OpenedStore, 'close'>> {
  const caps = await fieldCaps(client, index, ['', INTEGRATION_PREFIX], true)
  if (caps.indices.length === 0) {
    throw new UserError(`${client.endpoint.description} has no index matching ${index}`, {
      hint: 'see which it has with GET /_cat/indices, and give one with --es-index',
    })
  }
  const atRoot = planFields('', caps.fields)
  const underIntegration = planFields(INTEGRATION_PREFIX, caps.fields)
  const warnings: string[] = []
  let plan: FieldPlan
  let format = 'elasticsearch'
  if (!('problem' in atRoot)) {
    plan = atRoot
    if (!('problem' in underIntegration))
      warnings.push(
        `${index} holds both audit Events and the Elastic integration's documents (kubernetes.audit.*): only the Events are read; give the integration's data stream with its own --es-index`,
      )
  } else if (!('problem' in underIntegration)) {
    plan = underIntegration
    format = 'elastic-integration'
  } else {
    throw new UserError(
      `${index} in ${client.endpoint.description} does not hold audit events: ${atRoot.problem}, nor is it the Elastic integration's (${underIntegration.problem})`,
      {
        hint: 'give the index or data stream the audit log is shipped to, e.g. --es-index logs-kubernetes.audit_logs-*',
      },
    )
  }
  const source = new ElasticsearchSource(client, index, plan, {...options, format})
  return {
    sources: [source],
    notices: [`reading the audit log in ${index} from ${client.endpoint.description}`],
    warnings,
  }
}

function planOrThrow(prefix: string, caps: FieldCaps, index: string, endpoint: StoreEndpoint): FieldPlan {
  const plan = planFields(prefix, caps)
  if ('problem' in plan)
    throw new UserError(`${index} in ${endpoint.description} does not hold audit events: ${plan.problem}`)
  return plan
}

interface CapsAnswer {
  readonly indices: string[]
  readonly fields: FieldCaps
}

/** `_field_caps` (the `read` privilege allows it): the concrete indices a pattern names and the types of the fields asked. */
async function fieldCaps(
  client: StoreClient,
  index: string,
  prefixes: readonly string[],
  named = false,
): Promise<CapsAnswer> {
  const fields = prefixes.flatMap(fieldCapsNames).join(',')
  // Indices the user named must exist (404 says which does not); Calico Enterprise's may not all.
  const answer = await client.get(
    `/${indexPath(index)}/_field_caps?fields=${encodeURIComponent(fields)}${named ? '' : '&ignore_unavailable=true&allow_no_indices=true'}`,
  )
  const indices = Array.isArray(answer.json.indices)
    ? answer.json.indices.filter((i): i is string => typeof i === 'string')
    : []
  const given = answer.json.fields
  return {indices, fields: typeof given === 'object' && given !== null ? (given as FieldCaps) : {}}
}

async function storedClusters(client: StoreClient): Promise<StoredCluster[]> {
  const answer = await client.post(
    `/${indexPath(`${CALICO_KUBE_PREFIX}.*,${CALICO_EE_PREFIX}.*`)}/_search?ignore_unavailable=true&allow_no_indices=true`,
    {
      size: 0,
      track_total_hits: false,
      aggs: {indices: {terms: {field: '_index', size: MAX_WINDOW}}},
    },
  )
  const multi = storedClustersFromCounts(
    bucketsIn(answer.json.aggregations, 'indices').map((b) => [String(b.key), Number(b.doc_count ?? 0)]),
  )
  const single = await singleIndexClusters(client)
  for (const [name, docs] of single.counts) multi.push({name, layout: 'single-index', kube: docs.kube, ee: docs.ee})
  return multi.sort((a, b) => a.name.localeCompare(b.name))
}

function storedClustersFromIndices(indices: readonly string[]): StoredCluster[] {
  return storedClustersFromCounts(indices.map((index) => [index, 0]))
}

function storedClustersFromCounts(counts: ReadonlyArray<readonly [string, number]>): StoredCluster[] {
  const byName = new Map<string, {kube: number; ee: number}>()
  for (const [index, docs] of counts) {
    for (const [prefix, key] of [
      [CALICO_KUBE_PREFIX, 'kube'],
      [CALICO_EE_PREFIX, 'ee'],
    ] as const) {
      const name = clusterOfIndex(index, prefix)
      if (name === undefined) continue
      const entry = byName.get(name) ?? {kube: 0, ee: 0}
      entry[key] += docs
      byName.set(name, entry)
    }
  }
  return [...byName]
    .map(([name, docs]) => ({name, layout: 'multi-index' as const, ...docs}))
    .sort((a, b) => a.name.localeCompare(b.name))
}

/** The clusters of the single-index layout, by its `cluster` field (a keyword, or text with a keyword twin). */
async function singleIndexClusters(
  client: StoreClient,
): Promise<{field: string; counts: Map<string, {kube: number; ee: number}>; has(name: string): boolean}> {
  const caps = await client.get(
    `/${indexPath(CALICO_SINGLE_INDEX)}/_field_caps?fields=cluster,cluster.keyword,audit_type,audit_type.keyword&ignore_unavailable=true&allow_no_indices=true`,
  )
  const fields = (caps.json.fields ?? {}) as FieldCaps
  const keyword = (name: string) =>
    fields[name]?.keyword ? name : fields[`${name}.keyword`]?.keyword ? `${name}.keyword` : null
  const field = keyword('cluster')
  const counts = new Map<string, {kube: number; ee: number}>()
  if (field !== null) {
    const type = keyword('audit_type')
    const answer = await client.post(
      `/${indexPath(CALICO_SINGLE_INDEX)}/_search?ignore_unavailable=true&allow_no_indices=true`,
      {
        size: 0,
        track_total_hits: false,
        aggs: {
          clusters: {
            terms: {field, size: MAX_WINDOW},
            ...(type ? {aggs: {types: {terms: {field: type, size: 10}}}} : {}),
          },
        },
      },
    )
    for (const bucket of bucketsIn(answer.json.aggregations, 'clusters')) {
      const types = bucketsIn(bucket, 'types')
      const of = (name: string) => Number(types.find((t) => t.key === name)?.doc_count ?? 0)
      counts.set(String(bucket.key), {kube: type ? of('kube') : Number(bucket.doc_count ?? 0), ee: type ? of('ee') : 0})
    }
  }
  return {field: field ?? 'cluster', counts, has: (name) => counts.has(name)}
}

/** The buckets of the aggregation `name` in a response (`aggregations`) or in a bucket of an outer one. */
function bucketsIn(container: unknown, name: string): Array<Record<string, unknown>> {
  const agg = (container as Record<string, {buckets?: unknown} | undefined> | undefined)?.[name]
  return Array.isArray(agg?.buckets) ? (agg.buckets as Array<Record<string, unknown>>) : []
}

function noSuchCluster(cluster: string, clusters: StoredCluster[], endpoint: StoreEndpoint): UserError {
  if (clusters.length === 0) {
    return new UserError(
      `${endpoint.description} holds no Calico Enterprise audit index (${CALICO_KUBE_PREFIX}.*, ${CALICO_EE_PREFIX}.*, ${CALICO_SINGLE_INDEX})`,
      {
        hint: `is audit log collection on (kubectl get logcollector)? The user may also not read them: that needs the "read" privilege on tigera_secure_ee_audit_*. For another store's index, give --es-index`,
      },
    )
  }
  return new UserError(`${endpoint.description} holds no audit log of cluster "${cluster}"`, {
    hint: `it holds: ${clusters.map((c) => c.name).join(', ')}; choose with --es-cluster NAME`,
  })
}

/** Index names and patterns in a path: each escaped, the commas between them kept. */
function indexPath(index: string): string {
  return index
    .split(',')
    .map((part) => encodeURIComponent(part.trim()))
    .join(',')
}

interface SourceSettings extends ElasticsearchOptions {
  readonly scope?: readonly object[]
  /** The name after `elasticsearch:`; the index pattern by default. */
  readonly label?: string
  readonly format?: string
}

/**
 * One index pattern of a store, read in pages sorted by time and audit ID. search_after with no
 * point in time works alike on Elasticsearch 7, 8 and OpenSearch; it skips hits whose sort values
 * equal the cursor's, so a page ending inside a run of equal values (the stages of one request
 * share both) is continued from before that run, and the hits already read are dropped.
 */
export class ElasticsearchSource implements QuerySource {
  readonly name: string
  readonly format: string
  /** fluentd (Calico Enterprise's) and Beats flush every few seconds; an index refreshes every second. */
  readonly pace = {minIntervalMs: 1000, lateMs: 60_000}

  constructor(
    private readonly client: StoreClient,
    readonly index: string,
    readonly plan: FieldPlan,
    private readonly settings: SourceSettings,
  ) {
    this.name = `elasticsearch:${settings.label ?? index}`
    this.format = settings.format ?? 'elasticsearch'
  }

  async *query(filter: QueryFilter, signal?: AbortSignal): AsyncIterable<QueryPage> {
    const pageSize = this.settings.pageSize ?? DEFAULT_PAGE_SIZE
    let after: unknown[] | undefined
    let seen = new Set<string>()
    let first = true
    for (;;) {
      signal?.throwIfAborted()
      const size = pageSize + seen.size
      if (size > MAX_WINDOW)
        throw new Error(
          `more than ${MAX_WINDOW - pageSize} events share one time and audit ID: they cannot be paged through`,
        )
      const body = searchBody(this.plan, filter, {
        size,
        after,
        trackTotal: first,
        scope: this.settings.scope,
        windowOnly: !this.settings.pushDown,
      })
      const answer = await this.client.post(`/${indexPath(this.index)}/_search?filter_path=${FILTER_PATH}`, body)
      const hits = checkedHits(answer)
      const total = first ? totalOf(answer.json) : undefined
      first = false
      const fresh = seen.size === 0 ? hits : hits.filter((hit) => !seen.has(hitKey(hit)))
      yield {records: fresh, bytes: answer.bytes, ...(total === undefined ? {} : {total})}
      if (hits.length < size) return
      const last = hits.at(-1)!.sort
      let start = hits.length - 1
      while (start > 0 && sameSort(hits[start - 1]!.sort, last)) start--
      if (start > 0) {
        after = hits[start - 1]!.sort
        seen = new Set(hits.slice(start).map(hitKey))
      } else {
        // The whole page is one sort value: ask again from the same place for more than was seen.
        for (const hit of hits) seen.add(hitKey(hit))
      }
    }
  }
}

interface Hit {
  readonly _index: string
  readonly _id: string
  readonly sort: unknown[]
}

function checkedHits(answer: StoreAnswer): Hit[] {
  const {json} = answer
  const shards = json._shards as
    {failed?: number; failures?: Array<{reason?: {reason?: string; type?: string}}>} | undefined
  if (shards?.failed) {
    const reason = shards.failures?.[0]?.reason
    throw new Error(
      `${shards.failed} shard(s) of the store failed the search${reason ? `: ${reason.type ?? ''} ${reason.reason ?? ''}`.trimEnd() : ''}`,
    )
  }
  if (json.timed_out === true) throw new Error('the store timed out the search and answered with part of the hits')
  const hits = (json.hits as {hits?: unknown} | undefined)?.hits
  if (hits === undefined) return []
  if (!Array.isArray(hits)) throw new Error('the store answered without a list of hits')
  for (const hit of hits) {
    if (typeof hit !== 'object' || hit === null || !Array.isArray((hit as Hit).sort))
      throw new Error('the store answered a hit without sort values')
  }
  return hits as Hit[]
}

function totalOf(json: Record<string, unknown>): number | undefined {
  const total = (json.hits as {total?: unknown} | undefined)?.total
  if (typeof total === 'number') return total
  const value = (total as {value?: unknown} | undefined)?.value
  return typeof value === 'number' ? value : undefined
}

const hitKey = (hit: Hit): string => `${hit._index}\u0000${hit._id}`

function sameSort(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i])
}

/** A failure to open the store, as one line naming what to do. */
export function storeUserError(error: unknown, endpoint: StoreEndpoint, index: string): unknown {
  if (error instanceof UserError) return error
  const what = endpoint.description
  if (error instanceof StoreRequestError) {
    switch (error.status) {
      case 401:
        return new UserError(
          `${what} rejected the credentials${endpoint.credentialsFrom ? ` from ${endpoint.credentialsFrom}` : ' (none were given)'} (401: ${error.reason})`,
          {
            hint: 'set ES_USERNAME and ES_PASSWORD, or ES_API_KEY, to a user of the store that may read the audit indices',
          },
        )
      case 403:
        return new UserError(`${what} refused to let the user read ${index} (403: ${error.reason})`, {
          hint: `the user needs the "read" index privilege on ${index}; give another with ES_USERNAME and ES_PASSWORD, or ES_API_KEY`,
        })
      case 404:
        return new UserError(`${what} has no index ${index} (${error.reason})`, {
          hint: 'see which it has with GET /_cat/indices, and give one with --es-index',
        })
      case 429:
        return new UserError(`${what} is too busy to answer (429: ${error.reason})`, {
          hint: 'try again later, or narrow the window with --since',
        })
      default:
        return new UserError(`${what} answered ${error.message}`)
    }
  }
  return networkUserError(error, endpoint)
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
])

function networkUserError(error: unknown, endpoint: StoreEndpoint): unknown {
  const chain: Array<{code?: unknown; message?: unknown}> = []
  for (let e: unknown = error; e && typeof e === 'object' && chain.length < 6; e = (e as {cause?: unknown}).cause)
    chain.push(e as {code?: unknown; message?: unknown})
  const code = chain.map((e) => e.code).find((c): c is string => typeof c === 'string')
  const message = String(chain.at(-1)?.message ?? error).split('\n')[0]
  const what = endpoint.description
  if (code && TLS_CODES.has(code)) {
    return new UserError(`${what}: TLS verification failed (${code}: ${message})`, {
      hint: 'give the CA that signed its certificate with --es-ca FILE (or, knowing the risk, --es-insecure-skip-tls-verify)',
      cause: error,
    })
  }
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'EHOSTUNREACH' ||
    code === 'ECONNRESET'
  ) {
    return new UserError(`${what} cannot be reached (${code}: ${message})`, {
      hint: 'check the URL and that the store is running',
      cause: error,
    })
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new UserError(`${what} did not answer in time`, {
      hint: 'check the connection to it, or raise --request-timeout',
      cause: error,
    })
  }
  if (error instanceof Error && error.name === 'AbortError') return error
  return new UserError(`${what}: ${message}`, {cause: error})
}
