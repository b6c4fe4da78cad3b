// A loopback Elasticsearch for tests: in-memory indices (or an audit log file read in place), the
// REST calls the CLI makes (`_search` with the query DSL of query.ts, sort and search_after,
// terms aggregations, `_field_caps`), index patterns and data streams, basic and API-key auth with
// read privileges per index, and the error bodies a real server answers with (400, 401, 403, 404,
// 429, 503, a shard failure). It records every request, so tests assert the query they sent.
import {randomBytes} from 'node:crypto'
import {createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'

import {FileDocuments, ObjectDocuments} from './documents.js'
import {mapDynamically, type Mapping} from './mapping.js'
import {search, SearchError, type SearchIndex} from './query.js'
import {storeCertificates} from './tls.js'

export {calicoAuditMapping, calicoSingleIndexMapping, elasticIntegrationMapping} from './mapping.js'

export interface StoreUser {
  password: string
  /** Index patterns the user may read (`*` globs); everything else is refused (403) or left out of a wildcard. */
  indices: string[]
}

export interface FakeElasticsearchOptions {
  /** Serve HTTPS with a test CA whose certificate is for 127.0.0.1 and Calico Enterprise's service names. */
  tls?: boolean
  /** When given, every request must authenticate (basic or ApiKey); without, the store is open. */
  users?: Record<string, StoreUser>
  /** `ApiKey` credentials: the encoded key → the indices it may read. */
  apiKeys?: Record<string, {indices: string[]}>
  /** OpenSearch answers 401 in plain text and says so in GET /. */
  distribution?: 'elasticsearch' | 'opensearch'
}

export interface StoreRequest {
  method: string
  path: string
  query: URLSearchParams
  body: Record<string, unknown> | undefined
  /** Who it authenticated as (the user name, or `apikey`), null when the store is open. */
  user: string | null
}

export interface FailRule {
  path: RegExp
  status: 400 | 401 | 403 | 404 | 429 | 500 | 503
  /** Answer this many matching requests so, then stop failing; forever when absent. */
  times?: number
}

export interface FakeElasticsearch {
  url: string
  /** The CA of the HTTPS certificate (tls: true). */
  caPem?: string
  /** Creates an index (or a data stream's backing index) with a mapping; unmapped fields are mapped dynamically. */
  createIndex(name: string, mapping?: Mapping): void
  /** A data stream: its name resolves to one backing index, `.ds-NAME-2026.11.24-000001`. */
  createDataStream(name: string, mapping?: Mapping): void
  /** Adds documents to an index (or a data stream), creating it with dynamic mapping if needed. */
  index(name: string, docs: readonly unknown[]): void
  /** An audit log file as an index, read in place (the benchmark's logs). */
  loadFile(name: string, path: string, mapping?: Mapping): Promise<number>
  fail(rule: FailRule): void
  /** The next matching searches answer with one shard failed (200, part of the hits). */
  failShard(times?: number): void
  requests: StoreRequest[]
  /** The `_search` request bodies, in order. */
  searches(): Array<Record<string, unknown>>
  /** Bytes of every answer body, and hits sent in them. */
  bytesSent: number
  hitsSent: number
  close(): Promise<void>
}

const BACKING_DATE = '2026.11.24'

export async function startFakeElasticsearch(options: FakeElasticsearchOptions = {}): Promise<FakeElasticsearch> {
  const indices = new Map<string, SearchIndex>()
  const dataStreams = new Map<string, string>()
  const failRules: FailRule[] = []
  let shardFailures = 0
  let nextId = 1
  const certs = options.tls ? storeCertificates() : undefined

  const ensureIndex = (name: string, mapping: Mapping = new Map()): SearchIndex => {
    const concrete = dataStreams.get(name) ?? name
    let index = indices.get(concrete)
    if (!index) {
      index = {name: concrete, mapping, docs: new ObjectDocuments(), version: 0, orders: new Map()}
      indices.set(concrete, index)
    }
    return index
  }

  const fake: FakeElasticsearch = {
    url: '',
    caPem: certs?.caPem,
    createIndex: (name, mapping) => {
      ensureIndex(name, mapping ? new Map(mapping) : undefined)
    },
    createDataStream: (name, mapping) => {
      dataStreams.set(name, `.ds-${name}-${BACKING_DATE}-000001`)
      ensureIndex(name, mapping ? new Map(mapping) : undefined)
    },
    index: (name, docs) => {
      const index = ensureIndex(name)
      if (!(index.docs instanceof ObjectDocuments)) throw new Error(`${name} is a file; it takes no more documents`)
      for (const doc of docs) {
        mapDynamically(index.mapping, doc)
        index.docs.add(doc, String(nextId++))
      }
      index.version++
    },
    loadFile: async (name, path, mapping) => {
      const docs = await FileDocuments.load(path)
      const index: SearchIndex = {
        name,
        mapping: mapping ? new Map(mapping) : new Map(),
        docs,
        version: 0,
        orders: new Map(),
      }
      if (docs.first !== undefined) mapDynamically(index.mapping, docs.first)
      indices.set(name, index)
      return docs.size
    },
    fail: (rule) => failRules.push({...rule}),
    failShard: (times = 1) => {
      shardFailures += times
    },
    requests: [],
    searches: () => fake.requests.filter((r) => r.path.endsWith('/_search')).map((r) => r.body ?? {}),
    bytesSent: 0,
    hitsSent: 0,
    close: async () => {
      for (const index of indices.values()) index.docs.close?.()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }

  const send = (
    res: ServerResponse,
    status: number,
    body: string,
    contentType = 'application/json; charset=UTF-8',
    headers: Record<string, string> = {},
  ) => {
    fake.bytesSent += Buffer.byteLength(body)
    res.writeHead(status, {'content-type': contentType, 'content-length': Buffer.byteLength(body), ...headers})
    res.end(body)
  }
  const sendError = (
    res: ServerResponse,
    status: number,
    type: string,
    reason: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) => {
    const cause = {type, reason, ...extra}
    send(res, status, JSON.stringify({error: {root_cause: [cause], ...cause}, status}), undefined, headers)
  }

  /** Who the request is from, and what it may read; undefined after answering 401. */
  const authenticate = (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
  ): {user: string | null; may: (index: string) => boolean} | undefined => {
    if (!options.users && !options.apiKeys) return {user: null, may: () => true}
    const header = req.headers.authorization ?? ''
    const refuse = (reason: string) => {
      if (options.distribution === 'opensearch') send(res, 401, 'Unauthorized', 'text/plain; charset=UTF-8')
      else
        sendError(
          res,
          401,
          'security_exception',
          reason,
          {header: {'WWW-Authenticate': ['Basic realm="security" charset="UTF-8"', 'ApiKey']}},
          {'www-authenticate': 'Basic realm="security" charset="UTF-8"'},
        )
      return undefined
    }
    if (header.startsWith('Basic ')) {
      const [name, ...rest] = Buffer.from(header.slice(6), 'base64').toString('utf8').split(':')
      const user = options.users?.[name!]
      if (!user || user.password !== rest.join(':'))
        return refuse(`unable to authenticate user [${name}] for REST request [${path}]`)
      return {user: name!, may: (index) => user.indices.some((p) => globMatch(p, index))}
    }
    if (header.startsWith('ApiKey ')) {
      const key = options.apiKeys?.[header.slice(7)]
      if (!key)
        return refuse(
          `unable to authenticate with provided credentials and anonymous access is not allowed for this request`,
        )
      return {user: 'apikey', may: (index) => key.indices.some((p) => globMatch(p, index))}
    }
    return refuse(`missing authentication credentials for REST request [${path}]`)
  }

  /** The indices a target names: wildcards quietly skip what the user may not read, names are refused (403) or missing (404). */
  const resolve = (
    target: string,
    query: URLSearchParams,
    auth: {user: string | null; may: (index: string) => boolean},
    action: string,
  ): SearchIndex[] => {
    const ignoreUnavailable = query.get('ignore_unavailable') === 'true'
    const allowNoIndices = query.get('allow_no_indices') !== 'false'
    const found = new Set<SearchIndex>()
    for (const part of target.split(',').map((p) => decodeURIComponent(p))) {
      if (part.includes('*')) {
        const names = [
          ...dataStreams.keys(),
          ...[...indices.keys()].filter((n) => ![...dataStreams.values()].includes(n)),
        ]
        const matched = names
          .filter((n) => globMatch(part, n) && (!n.startsWith('.') || part.startsWith('.')))
          .map((n) => indices.get(dataStreams.get(n) ?? n)!)
        const readable = matched.filter(
          (i) => auth.may(i.name) || [...dataStreams].some(([ds, backing]) => backing === i.name && auth.may(ds)),
        )
        if (readable.length === 0 && !allowNoIndices)
          throw new SearchError(404, 'index_not_found_exception', `no such index [${part}]`)
        for (const index of readable) found.add(index)
        continue
      }
      const index = indices.get(dataStreams.get(part) ?? part)
      if (!index) {
        if (ignoreUnavailable) continue
        throw new SearchError(404, 'index_not_found_exception', `no such index [${part}]`)
      }
      if (!auth.may(part) && !auth.may(index.name)) {
        throw new SearchError(
          403,
          'security_exception',
          `action [${action}] is unauthorized for user [${auth.user}] with effective roles [audit_reader] on indices [${part}], this action is granted by the index privileges [read,all]`,
        )
      }
      found.add(index)
    }
    return [...found]
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const text = await readBody(req)
    let body: Record<string, unknown> | undefined
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text) as Record<string, unknown>
      } catch {
        return sendError(res, 400, 'x_content_parse_exception', 'Failed to parse the request body')
      }
    }
    const record: StoreRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      body,
      user: null,
    }
    fake.requests.push(record)
    const auth = authenticate(req, res, url.pathname)
    if (!auth) return
    record.user = auth.user
    const rule = failRules.find((r) => r.path.test(url.pathname) && (r.times === undefined || r.times > 0))
    if (rule) {
      if (rule.times !== undefined) rule.times--
      return sendFailure(res, rule.status, url.pathname, sendError, send)
    }
    try {
      if (url.pathname === '/') {
        const distribution =
          options.distribution === 'opensearch' ? {distribution: 'opensearch', number: '2.17.0'} : {number: '8.15.0'}
        return send(
          res,
          200,
          JSON.stringify({
            name: 'fake-node',
            cluster_name: 'fake',
            version: {...distribution, lucene_version: '9.11.1'},
            tagline: 'You Know, for Search',
          }),
        )
      }
      const route = /^\/([^/]+)\/(_search|_field_caps)$/.exec(url.pathname)
      if (!route)
        return sendError(
          res,
          400,
          'illegal_argument_exception',
          `request [${req.method} ${url.pathname}] contains unrecognized parameters or route`,
        )
      const [, target, action] = route
      if (action === '_field_caps') {
        const targets = resolve(target!, url.searchParams, auth, 'indices:data/read/field_caps')
        return send(
          res,
          200,
          JSON.stringify(fieldCaps(targets, (url.searchParams.get('fields') ?? body?.fields ?? '').toString())),
        )
      }
      const targets = resolve(target!, url.searchParams, auth, 'indices:data/read/search')
      const result = search(targets, body ?? {})
      const failed = shardFailures > 0 ? (shardFailures--, 1) : 0
      const hits = failed ? result.hits.slice(0, Math.floor(result.hits.length / 2)) : result.hits
      fake.hitsSent += hits.length
      const response: Record<string, unknown> = {
        took: 1,
        timed_out: false,
        _shards: {
          total: targets.length + failed,
          successful: targets.length,
          skipped: 0,
          failed,
          ...(failed
            ? {
                failures: [
                  {
                    shard: 0,
                    index: targets[0]?.name ?? 'x',
                    node: 'fake-node',
                    reason: {type: 'node_disconnected_exception', reason: '[fake-node-2] disconnected'},
                  },
                ],
              }
            : {}),
        },
        hits: {
          ...(result.total === null ? {} : {total: {value: result.total, relation: 'eq'}}),
          max_score: null,
          hits: hits.map((h) => ({
            _index: h.index.name,
            _id: h.index.docs.id(h.position),
            _score: null,
            _source: new RawJson(h.index.docs.source(h.position)),
            sort: h.sort,
          })),
        },
        ...(result.aggregations ? {aggregations: result.aggregations} : {}),
      }
      const filterPath = url.searchParams.get('filter_path')
      return send(res, 200, serialize(filterPath ? (filtered(response, filterPath.split(',')) ?? {}) : response))
    } catch (error) {
      if (error instanceof SearchError) {
        // A refused search is wrapped as the coordinating node does.
        if (
          error.status === 400 &&
          action(url.pathname) === '_search' &&
          error.type !== 'parsing_exception' &&
          error.type !== 'x_content_parse_exception'
        ) {
          const cause = {type: error.type, reason: error.message}
          return send(
            res,
            400,
            JSON.stringify({
              error: {
                root_cause: [cause],
                type: 'search_phase_execution_exception',
                reason: 'all shards failed',
                phase: 'query',
                grouped: true,
                failed_shards: [{shard: 0, index: 'x', node: 'fake-node', reason: cause}],
                caused_by: cause,
              },
              status: 400,
            }),
          )
        }
        return sendError(
          res,
          error.status,
          error.type,
          error.message,
          error.type === 'index_not_found_exception'
            ? {'resource.type': 'index_or_alias', 'resource.id': error.message.slice(15, -1), index_uuid: '_na_'}
            : {},
        )
      }
      return sendError(res, 500, 'exception', String(error))
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'exception', String(error))
      else res.destroy()
    })
  }
  const server: Server = certs
    ? createHttpsServer({cert: certs.certPem, key: certs.keyPem}, listener)
    : createHttpServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('fake elasticsearch: no port')
  fake.url = `${certs ? 'https' : 'http'}://127.0.0.1:${address.port}`
  return fake
}

function action(pathname: string): string {
  return pathname.slice(pathname.lastIndexOf('/') + 1)
}

function sendFailure(
  res: ServerResponse,
  status: number,
  path: string,
  sendError: (
    res: ServerResponse,
    status: number,
    type: string,
    reason: string,
    extra?: Record<string, unknown>,
  ) => void,
  send: (res: ServerResponse, status: number, body: string, contentType?: string) => void,
): void {
  switch (status) {
    case 401:
      return sendError(
        res,
        401,
        'security_exception',
        `unable to authenticate user [elastic] for REST request [${path}]`,
      )
    case 403:
      return sendError(
        res,
        403,
        'security_exception',
        `action [indices:data/read/search] is unauthorized for user [elastic] with effective roles [] on indices [${path.split('/')[1]}], this action is granted by the index privileges [read,all]`,
      )
    case 404:
      return sendError(res, 404, 'index_not_found_exception', `no such index [${path.split('/')[1]}]`, {
        'resource.type': 'index_or_alias',
        index_uuid: '_na_',
      })
    case 429:
      return sendError(
        res,
        429,
        'es_rejected_execution_exception',
        'rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=52428800, max_coordinating_and_primary_bytes=52428800]',
      )
    case 503:
      return sendError(
        res,
        503,
        'cluster_block_exception',
        'blocked by: [SERVICE_UNAVAILABLE/1/state not recovered / initialized];',
      )
    case 500:
      return sendError(res, 500, 'null_pointer_exception', 'Cannot invoke "Object.toString()" because "x" is null')
    default:
      return send(
        res,
        status,
        JSON.stringify({error: {root_cause: [], type: 'parsing_exception', reason: 'bad request'}, status}),
      )
  }
}

/** `_field_caps`: for each asked field (`*` globs too) that some index maps, its type(s), and which indices when they differ. */
function fieldCaps(targets: readonly SearchIndex[], fields: string): Record<string, unknown> {
  const asked = fields
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)
  const out: Record<string, Record<string, {type: string; indices: string[]}>> = {}
  for (const index of targets) {
    for (const [path, type] of index.mapping) {
      if (type === 'disabled' || !asked.some((p) => globMatch(p, path))) continue
      const entry = (out[path] ??= {})
      const byType = (entry[type] ??= {type, indices: []})
      byType.indices.push(index.name)
    }
  }
  const result: Record<string, Record<string, unknown>> = {}
  for (const [path, types] of Object.entries(out)) {
    const mixed = Object.keys(types).length > 1
    result[path] = Object.fromEntries(
      Object.entries(types).map(([type, {indices}]) => [
        type,
        {
          type,
          metadata_field: false,
          searchable: true,
          aggregatable: type !== 'text',
          ...(mixed ? {indices} : {}),
        },
      ]),
    )
  }
  return {indices: targets.map((i) => i.name), fields: result}
}

/** JSON text sent as it is (a stored `_source`). */
class RawJson {
  constructor(readonly text: string) {}
}

function serialize(value: unknown): string {
  if (value instanceof RawJson) return value.text
  if (Array.isArray(value)) return `[${value.map(serialize).join(',')}]`
  if (typeof value === 'object' && value !== null)
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${serialize(v)}`)
      .join(',')}}`
  return JSON.stringify(value) ?? 'null'
}

/** `filter_path`: only the parts of the answer the patterns name (`a.b.c`, with `*` for any one key). */
function filtered(value: unknown, patterns: readonly string[], prefix = ''): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => filtered(v, patterns, prefix)).filter((v) => v !== undefined)
    return items.length > 0 ? items : undefined
  }
  if (typeof value !== 'object' || value === null || value instanceof RawJson) return value
  const out: Record<string, unknown> = {}
  for (const [key, inner] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key
    const whole = patterns.some((p) => globMatch(p, path))
    const under = patterns.some(
      (p) =>
        p.split('.').length > path.split('.').length &&
        globMatch(p.split('.').slice(0, path.split('.').length).join('.'), path),
    )
    if (whole) out[key] = inner
    else if (under) {
      const kept = filtered(inner, patterns, path)
      if (kept !== undefined) out[key] = kept
    }
  }
  return Object.keys(out).length > 0 ? out : undefined
}

export function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  )
  return re.test(text)
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** A random password for a test user. */
export function randomPassword(): string {
  return randomBytes(12).toString('hex')
}
