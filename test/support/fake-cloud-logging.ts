// A loopback Cloud Logging for tests, speaking what the CLI sends: POST /v2/entries:list with a
// bearer token (the filter evaluated over the entries it holds, ordered, paged with opaque
// tokens, pageSize over 1000 refused as the real API does), and the GCE metadata server that
// google-auth-library asks for a token when GCE_METADATA_HOST points here. It records every
// request, so tests assert the filter and window they sent, and can be scripted to answer quota
// errors, empty pages that carry a token, or a refusal.
import {once} from 'node:events'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

export const FAKE_TOKEN = 'ya29.fake-cloud-logging-token'

export interface EntriesListRequest {
  readonly resourceNames: string[]
  readonly filter: string
  readonly orderBy?: string
  readonly pageSize?: number
  readonly pageToken?: string
}

export interface FakeCloudLoggingOptions {
  /** LogEntries the fake holds. */
  entries?: Array<Record<string, unknown>>
  /** At most this many entries a page, whatever was asked (the real API may return fewer). */
  maxPageSize?: number
  /** Answer this many requests with 429 RESOURCE_EXHAUSTED before serving. */
  quotaErrors?: number
  /** Answer the first request of every query with an empty page and a token (the store still searching). */
  emptyFirstPage?: boolean
  /** Answer every entries:list with this error. */
  refuse?: {http: number; status: string; message: string; reason?: string}
  /**
   * The metadata address answers as something that is no metadata server does (a proxy's 403 to
   * everything): google-auth-library finds no credentials there, in a way it does not expect.
   */
  metadataProxy?: boolean
}

export class FakeCloudLogging {
  /** Every entries:list body, in order (quota-refused ones included). */
  readonly requests: EntriesListRequest[] = []
  /** The metadata server's token requests. */
  tokenRequests = 0
  private server!: Server
  private readonly tokens = new Map<string, {request: EntriesListRequest; offset: number}>()
  private quotaLeft: number

  constructor(readonly options: FakeCloudLoggingOptions = {}) {
    this.quotaLeft = options.quotaErrors ?? 0
  }

  /** Entries that reach the log now (a write shipped late). */
  add(entries: ReadonlyArray<Record<string, unknown>>): void {
    ;(this.options.entries ??= []).push(...entries)
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res))
    this.server.listen(0, '127.0.0.1')
    await once(this.server, 'listening')
    return this
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  /** `host:port`, as GCE_METADATA_HOST takes it. */
  get metadataHost(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise((resolve) => this.server.close(resolve))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake')
    if (url.pathname.startsWith('/computeMetadata/v1/')) return this.metadata(req, res, url.pathname)
    if (req.method !== 'POST' || url.pathname !== '/v2/entries:list')
      return sendError(res, 404, 'NOT_FOUND', `no ${req.method} ${url.pathname} here`)
    if (req.headers.authorization !== `Bearer ${FAKE_TOKEN}`)
      return sendError(res, 401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.')
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const request = JSON.parse(Buffer.concat(chunks).toString()) as EntriesListRequest
    this.requests.push(request)
    const {refuse} = this.options
    if (refuse) return sendError(res, refuse.http, refuse.status, refuse.message, refuse.reason)
    if (this.quotaLeft > 0) {
      this.quotaLeft--
      return sendError(
        res,
        429,
        'RESOURCE_EXHAUSTED',
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'logging.googleapis.com'.",
        'RATE_LIMIT_EXCEEDED',
      )
    }
    if ((request.pageSize ?? 50) > 1000) return sendError(res, 400, 'INVALID_ARGUMENT', 'pageSize must be at most 1000')
    let offset = 0
    if (request.pageToken !== undefined) {
      const saved = this.tokens.get(request.pageToken)
      const same =
        saved &&
        saved.request.filter === request.filter &&
        saved.request.orderBy === request.orderBy &&
        saved.request.resourceNames.join() === request.resourceNames.join()
      if (!same) return sendError(res, 400, 'INVALID_ARGUMENT', 'page token does not match the request')
      offset = saved.offset
    } else if (this.options.emptyFirstPage) {
      return sendJson(res, {nextPageToken: this.token(request, 0)})
    }
    let matched: Array<Record<string, unknown>>
    try {
      const test = compileFilter(request.filter)
      const project = request.resourceNames.map((name) => /^projects\/([^/]+)$/.exec(name)?.[1])
      matched = (this.options.entries ?? []).filter(
        (entry) => project.includes(at(entry, 'resource.labels.project_id') as string) && test(entry),
      )
    } catch (error) {
      return sendError(res, 400, 'INVALID_ARGUMENT', `invalid filter: ${(error as Error).message}`)
    }
    const descending = request.orderBy === 'timestamp desc'
    matched.sort((a, b) => (micros(a.timestamp as string) - micros(b.timestamp as string)) * (descending ? -1 : 1))
    const size = Math.min(request.pageSize ?? 50, this.options.maxPageSize ?? 1000)
    const entries = matched.slice(offset, offset + size)
    const next = offset + size < matched.length ? this.token(request, offset + size) : undefined
    sendJson(res, {...(entries.length > 0 ? {entries} : {}), ...(next ? {nextPageToken: next} : {})})
  }

  private token(request: EntriesListRequest, offset: number): string {
    const token = `tok-${this.tokens.size + 1}-${Math.random().toString(36).slice(2)}`
    this.tokens.set(token, {request, offset})
    return token
  }

  /** The GCE metadata server, as gcp-metadata asks it: the flavor header both ways, a token for the default account. */
  private metadata(req: IncomingMessage, res: ServerResponse, path: string): void {
    if (this.options.metadataProxy) {
      res.statusCode = 403
      return sendText(res, 'Access denied by proxy policy')
    }
    if (req.headers['metadata-flavor'] !== 'Google')
      return sendError(res, 403, 'PERMISSION_DENIED', 'Missing Metadata-Flavor: Google')
    res.setHeader('Metadata-Flavor', 'Google')
    if (path === '/computeMetadata/v1/instance' || path === '/computeMetadata/v1/instance/')
      return sendText(res, 'attributes/\nservice-accounts/\n')
    if (path === '/computeMetadata/v1/instance/service-accounts/default/token') {
      this.tokenRequests++
      return sendJson(res, {access_token: FAKE_TOKEN, expires_in: 3599, token_type: 'Bearer'})
    }
    if (path === '/computeMetadata/v1/project/project-id') return sendText(res, 'shop-prod')
    sendError(res, 404, 'NOT_FOUND', `no metadata at ${path}`)
  }
}

function sendJson(res: ServerResponse, body: unknown): void {
  res.setHeader('content-type', 'application/json; charset=UTF-8')
  res.end(JSON.stringify(body))
}

function sendText(res: ServerResponse, body: string): void {
  res.setHeader('content-type', 'application/text')
  res.end(body)
}

function sendError(res: ServerResponse, http: number, status: string, message: string, reason?: string): void {
  res.statusCode = http
  sendJson(res, {
    error: {
      code: http,
      message,
      status,
      ...(reason
        ? {details: [{'@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com'}]}
        : {}),
    },
  })
}

function at(entry: unknown, path: string): unknown {
  let value = entry
  for (const key of path.split('.'))
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined
  return value
}

function micros(time: string): number {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(time)
  if (!m) throw new Error(`not an RFC 3339 time in UTC: ${time}`)
  return Date.parse(`${m[1]}Z`) * 1000 + Number((m[2] ?? '').padEnd(6, '0').slice(0, 6))
}

type Test = (entry: Record<string, unknown>) => boolean

const STRING = String.raw`"((?:[^"\\]|\\.)*)"`
const unquote = (text: string) => text.replace(/\\(.)/g, '$1')

/**
 * The part of the Logging query language the CLI sends: clauses joined by AND on their own lines,
 * each `path OP "value"` (=, =~, >=, <=), `path=("a" OR "b")`, `path:("a" OR "b")` (substring),
 * or a parenthesised OR of such clauses. Anything else is refused, as a change to the filter
 * must be.
 */
function compileFilter(filter: string): Test {
  const clauses = filter.split('\nAND ').map(compileClause)
  return (entry) => clauses.every((clause) => clause(entry))
}

function compileClause(clause: string): Test {
  if (clause.startsWith('(') && clause.endsWith(')') && / OR [a-zA-Z]/.test(clause)) {
    const parts = splitTopLevelOr(clause.slice(1, -1)).map(compileClause)
    return (entry) => parts.some((part) => part(entry))
  }
  const list = new RegExp(`^([\\w.]+)(=|:)\\((${STRING}(?: OR ${STRING})*)\\)$`).exec(clause)
  if (list) {
    const values = [...list[3].matchAll(new RegExp(STRING, 'g'))].map((m) => unquote(m[1]))
    const [path, op] = [list[1], list[2]]
    return (entry) => {
      const value = String(at(entry, path) ?? '')
      return values.some((wanted) =>
        op === '=' ? value === wanted : value.toLowerCase().includes(wanted.toLowerCase()),
      )
    }
  }
  const single = new RegExp(`^([\\w.]+)(=~|>=|<=|=)${STRING}$`).exec(clause)
  if (!single) throw new Error(`cannot read the clause ${JSON.stringify(clause)}`)
  const [, path, op, raw] = single
  const wanted = unquote(raw)
  if (op === '=~') {
    const pattern = new RegExp(wanted)
    return (entry) => pattern.test(String(at(entry, path) ?? ''))
  }
  if (op === '=') return (entry) => at(entry, path) === wanted
  const bound = micros(wanted)
  return (entry) => {
    const value = at(entry, path)
    if (typeof value !== 'string') return false
    return op === '>=' ? micros(value) >= bound : micros(value) <= bound
  }
}

function splitTopLevelOr(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let inString = false
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
    } else if (c === '"') inString = true
    else if (c === '(') depth++
    else if (c === ')') depth--
    else if (depth === 0 && text.startsWith(' OR ', i)) {
      parts.push(text.slice(start, i))
      start = i + 4
      i += 3
    }
  }
  parts.push(text.slice(start))
  return parts
}
