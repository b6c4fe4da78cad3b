// The audit log where a Grafana Loki keeps it: /loki/api/v1/query_range with the run's filter
// pushed into the LogQL (loki-query.ts), so Loki does the scan. Loki has no cursor: entries come
// in time order (direction=forward), `limit` at a time, and the next request starts at the last
// timestamp had, dropping the entries at that nanosecond it already sent. A window longer than
// the server's max_query_length is split where Loki says so, a limit above its
// max_entries_limit_per_query lowered to it. Errors before anything was read are one line and
// what fixes it (exit 2); after that, the source keeps what it read and is incomplete (exit 3).
import {readFile} from 'node:fs/promises'

import {UserError} from '../errors.js'
import type {RunContext} from '../run-context.js'
import {
  DEFAULT_RETRIES,
  type LokiAnswer,
  LokiClient,
  type LokiCredentials,
  type LokiEndpoint,
  LokiRequestError,
  type LokiRetries,
} from './loki-http.js'
import {lokiQuery, lokiWindow, type LokiWindow, UNBOUNDED_LOOKBACK_MS} from './loki-query.js'
import type {QueryFilter, QueryPage, QuerySource} from './source.js'

/** What the Loki flags (src/flags/loki.ts) compile to. */
export interface LokiOptions {
  readonly url: string
  /** The LogQL stream selector of the audit log's streams. */
  readonly selector: string
  readonly tenant?: string
  readonly credentials: LokiCredentials
  readonly credentialsFrom: string | null
  readonly caFile?: string
  readonly insecure: boolean
  readonly requestTimeoutMs: number
  /** Filter in Loki (the default), or fetch every line of the selector's streams in the window. */
  readonly pushDown: boolean
}

/** Most entries Loki sends in one answer by default (max_entries_limit_per_query). */
export const DEFAULT_LIMIT = 5000
const QUERY_RANGE = '/loki/api/v1/query_range'
/** How far back a window still ahead looks for the selector's streams. */
const RECENT_MS = 24 * 3600_000
const INSECURE_WARNING =
  "Loki's certificate is not checked (--loki-insecure-skip-tls-verify): anyone on the way can read the audit log and the credentials"

export interface OpenedLoki {
  readonly source: LokiSource
  readonly announcement: string
  readonly warnings: string[]
}

/** The Loki source, opened: its first answer is in, so a wrong URL, credential, tenant or selector is a UserError here. */
export async function openLoki(
  options: LokiOptions,
  filter: QueryFilter,
  run: RunContext,
  {windowAhead = false}: {windowAhead?: boolean} = {},
): Promise<OpenedLoki> {
  const ca =
    options.caFile === undefined
      ? undefined
      : await readFile(options.caFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
          throw new UserError(
            `--loki-ca ${options.caFile}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
            {hint: "give the PEM file of the CA that signed Loki's certificate"},
          )
        })
  const endpoint: LokiEndpoint = {
    url: options.url,
    tenant: options.tenant,
    credentials: options.credentials,
    credentialsFrom: options.credentialsFrom,
    ca,
    insecure: options.insecure,
    requestTimeoutMs: options.requestTimeoutMs,
  }
  const source = new LokiSource(endpoint, options.selector, {pushDown: options.pushDown})
  const warnings = [
    ...(options.insecure ? [INSECURE_WARNING] : []),
    ...(options.credentials && options.url.startsWith('http:') && !isLoopback(options.url)
      ? [
          `${options.credentialsFrom} ${options.credentialsFrom?.includes(' and ') ? 'are' : 'is'} sent in the clear to ${options.url}: use https://`,
        ]
      : []),
    ...(filter.sinceMs === null
      ? [
          `Loki is read back ${UNBOUNDED_LOOKBACK_MS / 86_400_000} days, to ${iso(source.window(filter).startNs)}: a Loki query needs a start; give --since or --since-time to read further back`,
        ]
      : []),
  ]
  try {
    await source.start(filter, run.signal, {windowAhead})
  } catch (error) {
    await source.close()
    throw error
  }
  const tenant = options.tenant ? ` (tenant ${options.tenant})` : ''
  return {
    source,
    announcement: `reading the audit log in ${options.selector}${tenant} from Loki at ${options.url}`,
    warnings,
  }
}

export interface LokiSourceSettings {
  /** Entries asked for in one request (lowered to what the server allows). */
  readonly limit?: number
  readonly retries?: LokiRetries
  readonly pushDown?: boolean
  /** The clock an open window ends at. */
  readonly now?: () => number
}

/** What the push-down saved: requests made, entries and bytes that came back, windows split. */
export interface LokiCounters {
  requests: number
  entries: number
  bytes: number
  splits: number
}

/** One entry of an answer: its stream's labels, its time in nanoseconds, its line. */
interface Entry {
  readonly stream: Record<string, unknown>
  readonly labels: string
  readonly ns: bigint
  readonly time: string
  readonly line: string
}

export class LokiSource implements QuerySource {
  readonly name: string
  readonly format = 'loki'
  /** Shippers push in batches of about a second; Loki takes lines a little out of order. */
  readonly pace = {minIntervalMs: 1000, lateMs: 60_000}
  readonly counters: LokiCounters = {requests: 0, entries: 0, bytes: 0, splits: 0}
  private readonly client: LokiClient
  private limit: number
  private readonly pushDown: boolean
  private readonly now: () => number
  /** max_query_length, once the server said it. */
  private maxLengthNs: bigint | null = null
  private started: {filter: QueryFilter; buffered: QueryPage[]; rest: AsyncIterator<QueryPage>} | undefined

  constructor(
    readonly endpoint: LokiEndpoint,
    readonly selector: string,
    settings: LokiSourceSettings = {},
  ) {
    this.name = `loki:${endpoint.url}`
    this.client = new LokiClient(endpoint, settings.retries ?? DEFAULT_RETRIES)
    this.limit = settings.limit ?? DEFAULT_LIMIT
    this.pushDown = settings.pushDown ?? true
    this.now = settings.now ?? Date.now
  }

  /** The window asked of Loki for this filter. */
  window(filter: QueryFilter): LokiWindow {
    return lokiWindow(filter, this.now())
  }

  /**
   * Asks until the first entries come (or the answer is complete), so what stops the run before
   * anything was read (no such Loki, credentials, tenant, a bad selector, no stream in the window)
   * is a UserError. The rest is read by query().
   */
  async start(
    filter: QueryFilter,
    signal?: AbortSignal,
    {windowAhead = false}: {windowAhead?: boolean} = {},
  ): Promise<void> {
    const pages = this.pages(filter, signal)[Symbol.asyncIterator]()
    const buffered: QueryPage[] = []
    try {
      for (;;) {
        const next = await pages.next()
        if (next.done) break
        buffered.push(next.value)
        if (next.value.records.length > 0) break
      }
      // A window still ahead (doctor --probe, before its write) holds nothing yet: the streams are looked for in the day before.
      const checked = windowAhead ? {...filter, sinceMs: this.now() - RECENT_MS, untilMs: null} : filter
      if (buffered.every((p) => p.records.length === 0)) await this.checkStreams(checked, signal)
    } catch (error) {
      throw error instanceof UserError ? error : this.problem(error)
    }
    this.started = {filter, buffered, rest: pages}
  }

  async *query(filter: QueryFilter, signal?: AbortSignal): AsyncIterable<QueryPage> {
    const started = this.started?.filter === filter ? this.started : undefined
    this.started = undefined
    if (!started) {
      yield* this.pages(filter, signal)
      return
    }
    for (const page of started.buffered) yield page
    for (;;) {
      const next = await started.rest.next()
      if (next.done) return
      yield next.value
    }
  }

  close(): Promise<void> {
    return this.client.close()
  }

  /** The filter's lines, page by page, each entry once. */
  private async *pages(filter: QueryFilter, signal?: AbortSignal): AsyncIterable<QueryPage> {
    const query = this.pushDown ? lokiQuery(filter, this.selector) : this.selector
    const crowded: string[] = []
    for await (const answer of this.entries(query, this.window(filter), this.limit, signal, crowded)) {
      yield {records: answer.entries.map((e) => ({stream: e.stream, values: [[e.time, e.line]]})), bytes: answer.bytes}
    }
    if (crowded.length > 0) {
      throw new Error(
        `Loki holds as many lines at one nanosecond as one answer may carry (${this.limit}), at ${crowded.slice(0, 3).join(', ')}${crowded.length > 3 ? ` and ${crowded.length - 3} more` : ''}: any past those there were not read`,
      )
    }
  }

  /**
   * Every entry of `query` in the window, in time order. The next request starts at the last
   * timestamp had; entries at that nanosecond already sent are dropped. A nanosecond filling a
   * whole answer (it may hold more) is stepped over and named in `crowded`.
   */
  private async *entries(
    query: string,
    window: LokiWindow,
    limit: number,
    signal: AbortSignal | undefined,
    crowded: string[],
  ): AsyncIterable<{entries: Entry[]; bytes: number}> {
    const pending: LokiWindow[] = [window]
    while (pending.length > 0) {
      const {startNs, endNs} = pending.shift()!
      const longest = this.maxLengthNs
      if (longest !== null && endNs - startNs > longest) {
        pending.unshift(...splitWindow({startNs, endNs}, longest))
        continue
      }
      let cursor = startNs
      let seenAt: bigint | null = null
      let seen = new Set<string>()
      for (;;) {
        let answer: LokiAnswer
        const asked = Math.min(limit, this.limit)
        try {
          answer = await this.send(
            QUERY_RANGE,
            {query, start: String(cursor), end: String(endNs), limit: String(asked), direction: 'forward'},
            signal,
          )
        } catch (error) {
          const length = refusedLength(error)
          if (length !== undefined && (this.maxLengthNs === null || length < this.maxLengthNs)) {
            this.maxLengthNs = length
            this.counters.splits++
            pending.unshift({startNs: cursor, endNs})
            break
          }
          const entriesLimit = refusedLimit(error)
          if (entriesLimit !== undefined && entriesLimit < this.limit) {
            this.limit = entriesLimit
            continue
          }
          throw error
        }
        const entries = answerEntries(answer.json)
        const fresh: Entry[] = []
        for (const entry of entries) {
          const key = `${entry.labels}\u0000${entry.line}`
          if (entry.ns === seenAt && seen.has(key)) continue
          if (entry.ns !== seenAt) {
            seenAt = entry.ns
            seen = new Set()
          }
          seen.add(key)
          fresh.push(entry)
        }
        this.counters.entries += fresh.length
        yield {entries: fresh, bytes: answer.bytes}
        if (entries.length < asked) break
        const last = entries.at(-1)!.ns
        if (entries[0]!.ns === last) {
          // A whole answer at one nanosecond: no request starting there gets past it.
          crowded.push(iso(last))
          cursor = last + 1n
          continue
        }
        cursor = last
      }
    }
  }

  /** When nothing matched: whether the selector holds any line in the window at all; if not, say so. */
  private async checkStreams(filter: QueryFilter, signal?: AbortSignal): Promise<void> {
    const window = this.window(filter)
    for await (const answer of this.entries(this.selector, window, 1, signal, [])) if (answer.entries.length > 0) return
    const jobs = await this.send(
      '/loki/api/v1/label/job/values',
      {start: String(window.startNs), end: String(window.endNs)},
      signal,
    ).then(
      ({json}) => (Array.isArray(json.data) ? json.data.filter((v): v is string => typeof v === 'string') : []),
      () => [],
    )
    const known =
      jobs.length === 0
        ? ''
        : ` (jobs in this Loki then: ${jobs.slice(0, 8).join(', ')}${jobs.length > 8 ? ', …' : ''})`
    throw new UserError(
      `no line in Loki matches ${this.selector} from ${iso(window.startNs)} to ${iso(window.endNs)}: the audit log is shipped with other labels, or was not shipped then`,
      {
        hint: `give the audit log's stream selector, e.g. --loki-selector '{job="NAME"}'${known}, or widen --since`,
      },
    )
  }

  private async send(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<LokiAnswer> {
    this.counters.requests++
    const answer = await this.client.get(path, params, signal)
    this.counters.bytes += answer.bytes
    return answer
  }

  /** A failure before anything was read, as one line and what fixes it. */
  private problem(error: unknown): Error {
    const {url, credentialsFrom, tenant} = this.endpoint
    const where = `Loki at ${url}`
    if (error instanceof LokiRequestError) {
      const said = error.reason
      if (/no org id/i.test(said)) {
        return new UserError(`${where} is multi-tenant and was asked without a tenant (${error.status}: ${said})`, {
          hint: 'name the tenant (X-Scope-OrgID): --loki-tenant TENANT',
          cause: error,
        })
      }
      switch (error.status) {
        case 401:
          return new UserError(
            credentialsFrom
              ? `${where} refused the credentials in ${credentialsFrom} (401: ${said})`
              : `${where} asks for credentials (401: ${said})`,
            {
              hint: credentialsFrom
                ? `check ${credentialsFrom}`
                : 'set LOKI_USERNAME and LOKI_PASSWORD, or LOKI_BEARER_TOKEN',
              cause: error,
            },
          )
        case 403:
          return new UserError(
            `not allowed to read logs from ${where}${tenant ? ` (tenant ${tenant})` : ''}${credentialsFrom ? ` with the credentials in ${credentialsFrom}` : ''} (403: ${said})`,
            {
              hint: credentialsFrom
                ? `the credentials in ${credentialsFrom} need read access to the logs${tenant ? ` of tenant ${tenant}` : ''} (Grafana Cloud: an access policy with logs:read)`
                : 'set LOKI_USERNAME and LOKI_PASSWORD, or LOKI_BEARER_TOKEN, for a user that may read the logs',
              cause: error,
            },
          )
        case 404:
          return new UserError(`${where} has no query API (404 on ${QUERY_RANGE})`, {
            hint: 'give the base URL Loki (or its gateway) serves its API under, without /loki/api/v1, e.g. --loki http://loki-gateway.loki.svc',
            cause: error,
          })
        case 400:
          return new UserError(`Loki refused the query: ${said}`, {
            hint: /parse error|matcher|selector/i.test(said)
              ? `check --loki-selector ${this.selector}: a LogQL stream selector, e.g. '{job="NAME"}'`
              : 'narrow the window (--since) or the streams (--loki-selector)',
            cause: error,
          })
      }
      return new UserError(`${where} failed the query (${error.status}: ${said})`, {
        hint: 'try again later; if it persists, narrow the window with --since',
        cause: error,
      })
    }
    return networkProblem(error, url)
  }
}

/** The window in pieces no longer than `longest`, in time order. */
export function splitWindow(window: LokiWindow, longest: bigint): LokiWindow[] {
  const pieces: LokiWindow[] = []
  for (let start = window.startNs; start < window.endNs; start += longest) {
    pieces.push({startNs: start, endNs: start + longest < window.endNs ? start + longest : window.endNs})
  }
  return pieces
}

/** The entries of a query_range answer of streams, in time order (stable: a stream's own order is kept). */
function answerEntries(json: Record<string, unknown>): Entry[] {
  const data = json.data as {resultType?: unknown; result?: unknown} | undefined
  if (!data || data.resultType !== 'streams' || !Array.isArray(data.result))
    throw new Error(`Loki answered a log query with ${JSON.stringify(data?.resultType ?? null)} results, not streams`)
  const entries: Entry[] = []
  for (const item of data.result as Array<{stream?: unknown; values?: unknown}>) {
    const stream =
      typeof item.stream === 'object' && item.stream !== null ? (item.stream as Record<string, unknown>) : {}
    const labels = JSON.stringify(Object.entries(stream).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    if (!Array.isArray(item.values)) continue
    for (const value of item.values) {
      if (
        !Array.isArray(value) ||
        typeof value[0] !== 'string' ||
        !/^\d{1,20}$/.test(value[0]) ||
        typeof value[1] !== 'string'
      )
        continue
      entries.push({stream, labels, ns: BigInt(value[0]), time: value[0], line: value[1]})
    }
  }
  return entries.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0))
}

/** A max_query_length refusal: `the query time range exceeds the limit (query length: 744h0m0s, limit: 721h0m0s)`; the length to ask for, in ns. */
function refusedLength(error: unknown): bigint | undefined {
  if (!(error instanceof LokiRequestError) || error.status !== 400) return undefined
  const match = /exceeds the limit \(query length: [^,]*, limit: ([^)]+)\)/.exec(error.reason)
  const ms = match ? goDurationMs(match[1]!) : undefined
  if (ms === undefined || ms <= 0) return undefined
  // Loki rounds the end up to its millisecond: a piece a minute short of the limit is never refused.
  const piece = ms > 120_000 ? ms - 60_000 : ms / 2
  return BigInt(Math.floor(piece)) * 1_000_000n
}

/** A max_entries_limit_per_query refusal: `max entries limit per query exceeded, limit > max_entries_limit_per_query (5000 > 1000)`. */
function refusedLimit(error: unknown): number | undefined {
  if (!(error instanceof LokiRequestError) || error.status !== 400) return undefined
  const match = /max entries limit per query exceeded.*\((\d+) > (\d+)\)/.exec(error.reason)
  const most = match ? Number(match[2]) : NaN
  return Number.isInteger(most) && most > 0 ? most : undefined
}

/** A Go duration (`721h0m0s`, `30m`, `1h30m0.5s`) in ms. */
export function goDurationMs(text: string): number | undefined {
  const units: Record<string, number> = {ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000}
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.trim()) return undefined
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0)
}

/** A connection that could not be made, as one line. */
function networkProblem(error: unknown, url: string): Error {
  const chain: Array<{code?: unknown; message?: unknown}> = []
  for (let e: unknown = error; e && typeof e === 'object' && chain.length < 6; e = (e as {cause?: unknown}).cause)
    chain.push(e as {code?: unknown; message?: unknown})
  const code = chain.map((e) => e.code).find((c): c is string => typeof c === 'string')
  const message = String(chain.at(-1)?.message ?? error).split('\n')[0]
  const unreachable = (why: string, hint: string) =>
    new UserError(`Loki at ${url} cannot be reached: ${why}`, {hint, cause: error})
  if (code === 'ECONNREFUSED')
    return unreachable(
      'connection refused',
      'check --loki; for a Loki in a cluster, forward its port first, e.g. kubectl port-forward -n loki svc/loki-gateway 3100:80, then --loki http://localhost:3100',
    )
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return unreachable(`cannot resolve ${new URL(url).hostname}`, 'check the host in --loki and your DNS')
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT')
    return unreachable('no connection within 10 s', 'check --loki, your network and VPN')
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return new UserError(`Loki at ${url} did not answer in time`, {
      hint: 'narrow the window (--since), or wait longer with --request-timeout',
      cause: error,
    })
  if (code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_|ERR_TLS/.test(code)) {
    return unreachable(
      `its certificate is not trusted (${code}: ${message})`,
      'give the CA that signed it: --loki-ca FILE (or, knowing the risk, --loki-insecure-skip-tls-verify)',
    )
  }
  if (code !== undefined && /ERR_SSL|EPROTO/.test(code))
    return unreachable(
      `it does not speak TLS (${code})`,
      `if it serves plain HTTP, write the address with http://: ${url.replace(/^https:/, 'http:')}`,
    )
  if (error instanceof Error && !code)
    return new UserError(`Loki at ${url}: ${error.message.split('\n')[0]}`, {hint: 'check --loki', cause: error})
  return unreachable(`${code ?? 'error'}: ${message}`, 'check --loki and your connection to it')
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host)
}

function iso(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
