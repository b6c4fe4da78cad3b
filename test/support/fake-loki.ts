// A loopback Grafana Loki answering GET /loki/api/v1/query_range (and the label values API) over
// in-memory streams, as a real one does: the LogQL it is sent is parsed and applied (support/
// logql.ts: stream selector, line filters, json stage, label filters), entries come in time order
// up to `limit`, grouped in streams by their labels (extracted ones included), and its limits are
// enforced with Loki's own errors: max_entries_limit_per_query, max_query_length, an unparsable
// query (400), a missing tenant (401 "no org id"), wrong credentials (401), a refused tenant
// (403), a busy scheduler (429 "too many outstanding requests"). It records every request, to
// assert what it was asked. Plain HTTP, or HTTPS with a throwaway CA.
import {createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import type {AddressInfo} from 'node:net'

import {testCertificates} from './fake-apiserver/tls.js'
import {type Labels, LogQLParseError, type LogQuery, parseLogQuery, runPipeline, selects} from './logql.js'

export interface FakeEntry {
  readonly ns: bigint
  readonly line: string
}

export interface FakeStream {
  readonly labels: Labels
  /** In time order. */
  readonly entries: FakeEntry[]
  readonly tenant: string
}

export interface RecordedLokiRequest {
  readonly path: string
  readonly params: Record<string, string>
  readonly tenant: string | null
  readonly authorization: string | null
  /** The status answered. */
  status?: number
  /** Entries in the answer (query_range). */
  entries?: number
}

export interface FakeLokiOptions {
  /** max_entries_limit_per_query (Loki: 5000). */
  maxEntries?: number
  /** max_query_length in ms (Loki: 721h); 0: none. */
  maxQueryLengthMs?: number
  /** Answer over HTTPS, with a certificate from a throwaway CA (`caPem`). */
  tls?: boolean
  /** Multi-tenant: X-Scope-OrgID is required (a single-tenant Loki reads everything as tenant "fake"). */
  multiTenant?: boolean
  /** Credentials the gateway in front of it asks for. */
  auth?: {username: string; password: string} | {token: string}
}

const SINGLE_TENANT = 'fake'

export class FakeLoki {
  readonly streams: FakeStream[] = []
  readonly requests: RecordedLokiRequest[] = []
  /** Bytes of query_range answers sent, and their entries. */
  bytesSent = 0
  entriesSent = 0
  /** The next n query_range requests are answered 429 "too many outstanding requests". */
  busyNext = 0
  /** The next n query_range requests are answered 503 by the gateway. */
  unavailableNext = 0
  /** After this many query_range answers, every one fails with a 500. */
  failAfter: number | null = null
  /** Tenants refused (403). */
  readonly forbiddenTenants = new Set<string>()
  private server: Server | undefined
  private answered = 0

  constructor(readonly options: FakeLokiOptions = {}) {}

  get url(): string {
    const address = this.server?.address() as AddressInfo | null
    if (!address) throw new Error('the fake Loki is not listening')
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${address.port}`
  }

  get caPem(): string {
    return testCertificates().caPem
  }

  async start(): Promise<this> {
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res)
    const {certPem, keyPem} = this.options.tls ? testCertificates() : {certPem: '', keyPem: ''}
    this.server = this.options.tls
      ? createHttpsServer({cert: certPem, key: keyPem}, handler)
      : createHttpServer(handler)
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    return this
  }

  async close(): Promise<void> {
    const server = this.server
    if (!server) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  /** A stream of lines, each at its nanosecond (epoch ns), kept in time order. */
  addStream(labels: Labels, entries: ReadonlyArray<{ns: bigint; line: string}>, tenant = SINGLE_TENANT): FakeStream {
    const stream: FakeStream = {
      labels,
      entries: [...entries].sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0)),
      tenant,
    }
    this.streams.push(stream)
    return stream
  }

  /** The query_range requests, in order. */
  queries(): RecordedLokiRequest[] {
    return this.requests.filter((r) => r.path === '/loki/api/v1/query_range')
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake')
    const header = (name: string) => {
      const value = req.headers[name]
      return typeof value === 'string' ? value : null
    }
    const recorded: RecordedLokiRequest = {
      path: url.pathname,
      params: Object.fromEntries(url.searchParams),
      tenant: header('x-scope-orgid'),
      authorization: header('authorization'),
    }
    this.requests.push(recorded)
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      recorded.status = status
      res.writeHead(status, {'content-type': type, 'content-length': Buffer.byteLength(body)})
      res.end(body)
      return Buffer.byteLength(body)
    }
    if (req.method !== 'GET') return void send(405, 'method not allowed')
    const {auth} = this.options
    if (auth) {
      const expected =
        'token' in auth
          ? `Bearer ${auth.token}`
          : `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
      if (recorded.authorization !== expected)
        return void send(401, '<html><body><h1>401 Unauthorized</h1></body></html>', 'text/html')
    }
    let tenant = SINGLE_TENANT
    if (this.options.multiTenant) {
      if (!recorded.tenant) return void send(401, 'no org id\n')
      tenant = recorded.tenant
      if (this.forbiddenTenants.has(tenant)) return void send(403, `tenant ${tenant} may not read logs\n`)
    }
    const labelValues = /^\/loki\/api\/v1\/label\/([^/]+)\/values$/.exec(url.pathname)
    if (labelValues) {
      const values = [
        ...new Set(
          this.tenantStreams(tenant)
            .map((s) => s.labels[labelValues[1]!])
            .filter((v): v is string => v !== undefined),
        ),
      ].sort()
      return void send(200, JSON.stringify({status: 'success', data: values}), 'application/json')
    }
    if (url.pathname !== '/loki/api/v1/query_range') return void send(404, '404 page not found\n')
    if (this.busyNext > 0) {
      this.busyNext--
      return void send(429, 'too many outstanding requests\n')
    }
    if (this.unavailableNext > 0) {
      this.unavailableNext--
      return void send(503, '<html><body>503 Service Temporarily Unavailable</body></html>', 'text/html')
    }
    if (this.failAfter !== null && this.answered >= this.failAfter)
      return void send(500, 'rpc error: code = Unavailable desc = connection refused\n')
    let query: LogQuery
    try {
      query = parseLogQuery(url.searchParams.get('query') ?? '')
    } catch (error) {
      if (error instanceof LogQLParseError) return void send(400, `${error.message}\n`)
      throw error
    }
    const limit = Number(url.searchParams.get('limit') ?? 100)
    const maxEntries = this.options.maxEntries ?? 5000
    if (limit > maxEntries)
      return void send(
        400,
        `max entries limit per query exceeded, limit > max_entries_limit_per_query (${limit} > ${maxEntries})\n`,
      )
    const endNs = BigInt(url.searchParams.get('end') ?? `${Date.now()}000000`)
    const startNs = BigInt(url.searchParams.get('start') ?? `${endNs - 3_600_000_000_000n}`)
    const maxLengthMs = this.options.maxQueryLengthMs ?? 721 * 3_600_000
    // Loki rounds the end up to its millisecond before it compares.
    const lengthMs = Number((endNs + 999_999n) / 1_000_000n - startNs / 1_000_000n)
    if (maxLengthMs > 0 && lengthMs > maxLengthMs) {
      return void send(
        400,
        `the query time range exceeds the limit (query length: ${goDuration(lengthMs)}, limit: ${goDuration(maxLengthMs)})\n`,
      )
    }
    const forward = url.searchParams.get('direction') === 'forward'
    const found: Array<{ns: bigint; line: string; labels: Labels}> = []
    for (const stream of this.tenantStreams(tenant)) {
      if (!selects(query, stream.labels)) continue
      // The answer's entries are among each stream's first `limit` in its direction.
      const first = firstAtOrAfter(stream.entries, startNs)
      const end = firstAtOrAfter(stream.entries, endNs)
      let taken = 0
      for (let k = 0; k < end - first && taken < limit; k++) {
        const entry = stream.entries[forward ? first + k : end - 1 - k]!
        const labels = runPipeline(query, stream.labels, entry.line)
        if (!labels) continue
        found.push({ns: entry.ns, line: entry.line, labels})
        taken++
      }
    }
    found.sort((a, b) => (a.ns === b.ns ? 0 : a.ns < b.ns === forward ? -1 : 1))
    const kept = found.slice(0, limit)
    const byLabels = new Map<string, {stream: Labels; values: Array<[string, string]>}>()
    for (const entry of kept) {
      const key = JSON.stringify(Object.entries(entry.labels).sort())
      let stream = byLabels.get(key)
      if (!stream) byLabels.set(key, (stream = {stream: entry.labels, values: []}))
      stream.values.push([String(entry.ns), entry.line])
    }
    this.answered++
    recorded.entries = kept.length
    this.entriesSent += kept.length
    const body = {
      status: 'success',
      data: {
        resultType: 'streams',
        result: [...byLabels.values()],
        stats: {summary: {totalEntriesReturned: kept.length}},
      },
    }
    this.bytesSent += send(200, JSON.stringify(body), 'application/json')
  }

  private tenantStreams(tenant: string): FakeStream[] {
    return this.streams.filter((s) => s.tenant === tenant || (!this.options.multiTenant && s.tenant === SINGLE_TENANT))
  }
}

function firstAtOrAfter(entries: readonly FakeEntry[], ns: bigint): number {
  let low = 0
  let high = entries.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (entries[mid]!.ns < ns) low = mid + 1
    else high = mid
  }
  return low
}

/** As Go prints a time.Duration: 721h0m0s, 1m30s. */
export function goDuration(ms: number): string {
  const s = Math.floor(ms / 1000)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const rest = (s % 60) + (ms % 1000) / 1000
  return h > 0 ? `${h}h${m}m${rest}s` : m > 0 ? `${m}m${rest}s` : `${rest}s`
}

/** Epoch ns of an RFC3339 time with up to nanosecond digits. */
export function nsOf(time: string): bigint {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(time)
  if (!m) throw new Error(`not a UTC RFC3339 time: ${time}`)
  return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0').slice(0, 9) || '0')
}

/** Audit lines as a shipper sends them: each at its event's stageTimestamp plus `delayMs` (when it was read). */
export function shippedLines(lines: readonly string[], delayMs = 0): Array<{ns: bigint; line: string}> {
  return lines
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const event = JSON.parse(line) as {stageTimestamp?: string}
      return {ns: nsOf(String(event.stageTimestamp)) + BigInt(delayMs) * 1_000_000n, line}
    })
}
