// A Log Analytics query API on loopback HTTPS (a test CA), speaking what @azure/monitor-query-logs
// sends: POST /v1/workspaces/{id}/query with a bearer token and {query, timespan}, answered with
// {tables: [{name, columns, rows}]} (dynamic cells as JSON text), partial answers with an error
// when the row cap cuts them, 429 with Retry-After, and the service's error bodies. It runs the
// KQL it gets (kql.ts) and keeps every request, so tests assert the query and timespan asked.
import {createServer, type Server} from 'node:https'
import type {AddressInfo} from 'node:net'

import {testCertificates} from '../fake-apiserver/tls.js'
import {AKS_AUDIT_COLUMNS, wireCell} from '../aks-records.js'
import {type ColumnType, KqlError, type Row, runKql, UnknownTable} from './kql.js'

export const FAKE_TOKEN = 'fake-log-analytics-token'

export interface LogAnalyticsRequest {
  readonly workspace: string
  readonly query: string
  readonly timespan: string | undefined
  readonly prefer: string | undefined
  readonly authorization: string | undefined
}

const AZURE_DIAGNOSTICS_COLUMNS: ReadonlyArray<{name: string; type: ColumnType}> = [
  {name: 'TimeGenerated', type: 'datetime'},
  {name: 'Category', type: 'string'},
  {name: 'ResourceProvider', type: 'string'},
  {name: 'Resource', type: 'string'},
  {name: 'ResourceId', type: 'string'},
  {name: 'log_s', type: 'string'},
  {name: 'pod_s', type: 'string'},
  {name: 'Type', type: 'string'},
  {name: '_ResourceId', type: 'string'},
]

export interface FakeWorkspace {
  /** Rows per table (AKSAudit, AKSAuditAdmin, AzureDiagnostics), as test/support/aks-records.ts makes them. */
  tables: Map<string, Row[]>
  /** Answer 403 to every query. */
  forbidden?: boolean
}

/**
 * The same server plays Azure Resource Manager for the lookups doctor and policies make (read
 * only): resources by ID (any case, as ARM takes them), each a JSON body, and the GETs asked.
 */
export interface FakeArm {
  readonly resources: Map<string, unknown>
  readonly requests: Array<{path: string; apiVersion: string | null; authorization: string | undefined}>
  /** IDs answered 403. */
  readonly forbidden: Set<string>
}

export class FakeLogAnalytics {
  readonly requests: LogAnalyticsRequest[] = []
  readonly arm: FakeArm = {resources: new Map(), requests: [], forbidden: new Set()}
  readonly workspaces = new Map<string, FakeWorkspace>()
  /** Rows one answer may hold before it is cut (the service's is 500,000). */
  rowCap = 500_000
  /** Answer the next requests 429 with this Retry-After (seconds), one per entry. */
  throttle: number[] = []
  private server: Server | undefined
  private port = 0

  get url(): string {
    return `https://127.0.0.1:${this.port}/v1`
  }

  /** Azure Resource Manager's base URL (the same server). */
  get armUrl(): string {
    return `https://127.0.0.1:${this.port}`
  }

  /** Puts a resource where ARM serves it (its body's id is the path). */
  armResource(id: string, body: unknown): void {
    this.arm.resources.set(id.toLowerCase(), body)
  }

  get caPem(): string {
    return testCertificates().caPem
  }

  workspace(id: string, tables: Record<string, Row[]> = {}): FakeWorkspace {
    const workspace: FakeWorkspace = {tables: new Map(Object.entries(tables))}
    this.workspaces.set(id, workspace)
    return workspace
  }

  async start(): Promise<this> {
    const {certPem, keyPem} = testCertificates()
    this.server = createServer({cert: certPem, key: keyPem}, (req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () =>
        this.answer(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks).toString('utf8'), res),
      )
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
    return this
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  /** The queries asked, in order (the KQL text). */
  get queries(): string[] {
    return this.requests.map((r) => r.query)
  }

  private answer(
    method: string,
    url: string,
    headers: NodeJS.Dict<string | string[]>,
    body: string,
    res: import('node:http').ServerResponse,
  ): void {
    const send = (status: number, value: unknown, extra: Record<string, string> = {}) => {
      const text = JSON.stringify(value)
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(text)),
        ...extra,
      })
      res.end(text)
    }
    const error = (status: number, code: string, message: string, inner?: {code: string; message: string}) =>
      send(status, {error: {code, message, ...(inner ? {innererror: inner} : {})}})
    if (method === 'GET' && url.startsWith('/subscriptions/')) return this.answerArm(url, headers, send, error)
    const m = /^\/v1\/workspaces\/([^/]+)\/query$/.exec(url)
    if (method !== 'POST' || !m)
      return error(404, 'PathNotFoundError', `The requested path does not exist: ${method} ${url}`)
    let parsed: {query?: string; timespan?: string}
    try {
      parsed = JSON.parse(body) as {query?: string; timespan?: string}
    } catch {
      return error(400, 'BadArgumentError', 'The request body is not JSON')
    }
    const authorization = typeof headers.authorization === 'string' ? headers.authorization : undefined
    this.requests.push({
      workspace: decodeURIComponent(m[1]!),
      query: parsed.query ?? '',
      timespan: parsed.timespan,
      prefer: headers.prefer as string | undefined,
      authorization,
    })
    if (authorization !== `Bearer ${FAKE_TOKEN}`)
      return error(401, 'AuthorizationRequiredError', 'Valid authentication was not provided')
    const pause = this.throttle.shift()
    if (pause !== undefined)
      return send(
        429,
        {error: {code: 'TooManyRequests', message: 'Rate limit is exceeded. Try again later.'}},
        {'retry-after': String(pause)},
      )
    const workspace = this.workspaces.get(decodeURIComponent(m[1]!))
    if (!workspace) return error(404, 'WorkspaceNotFoundError', `Workspace ${m[1]} not found`)
    if (workspace.forbidden)
      return error(
        403,
        'InsufficientAccessError',
        'The provided credentials have insufficient access to perform the requested operation',
      )
    const within = parseTimespan(parsed.timespan)
    if (!within) return error(400, 'BadArgumentError', `timespan not understood: ${parsed.timespan}`)
    const tables = new Map(
      [...workspace.tables].map(([name, rows]) => [
        name,
        {
          columns:
            name === 'AzureDiagnostics'
              ? AZURE_DIAGNOSTICS_COLUMNS
              : (AKS_AUDIT_COLUMNS as Array<{name: string; type: ColumnType}>),
          rows,
        },
      ]),
    )
    let answer
    try {
      answer = runKql(parsed.query ?? '', tables, within)
    } catch (e) {
      if (e instanceof UnknownTable || e instanceof KqlError) {
        return error(400, 'BadArgumentError', 'The request had some invalid properties', {
          code: 'SemanticError',
          message: e.message,
        })
      }
      throw e
    }
    const cut = answer.rows.length > this.rowCap
    const rows = cut ? answer.rows.slice(0, this.rowCap) : answer.rows
    const table = {
      name: 'PrimaryResult',
      columns: answer.columns,
      rows: rows.map((row) => answer.columns.map((c) => wireCell(row[c.name], c.type))),
    }
    const partial = {
      code: 'PartialError',
      message: 'There were some errors when processing your query.',
      details: [
        {
          code: 'EngineError',
          message: 'Something went wrong processing your query on the server.',
          innererror: {
            code: '-2133196797',
            message: `Query result set has exceeded the internal record count limit ${this.rowCap} (E_QUERY_RESULT_SET_TOO_LARGE; see https://aka.ms/kustoquerylimits)`,
          },
        },
      ],
    }
    send(200, {tables: [table], ...(cut ? {error: partial} : {})})
  }

  private answerArm(
    url: string,
    headers: NodeJS.Dict<string | string[]>,
    send: (status: number, value: unknown) => void,
    error: (status: number, code: string, message: string) => void,
  ): void {
    const parsed = new URL(url, 'https://arm.invalid')
    const path = decodeURIComponent(parsed.pathname).toLowerCase()
    const authorization = typeof headers.authorization === 'string' ? headers.authorization : undefined
    this.arm.requests.push({path, apiVersion: parsed.searchParams.get('api-version'), authorization})
    if (authorization !== `Bearer ${FAKE_TOKEN}`)
      return error(401, 'InvalidAuthenticationToken', 'The access token is invalid.')
    if (!parsed.searchParams.get('api-version'))
      return error(
        400,
        'MissingApiVersionParameter',
        'The api-version query parameter (?api-version=) is required for all requests.',
      )
    if ([...this.arm.forbidden].some((id) => path.startsWith(id.toLowerCase()))) {
      return error(
        403,
        'AuthorizationFailed',
        `The client does not have authorization to perform action over scope '${path}' or the scope is invalid.`,
      )
    }
    const body = this.arm.resources.get(path)
    if (body === undefined) return error(404, 'ResourceNotFound', `The Resource '${path}' was not found.`)
    send(200, body)
  }
}

/** `start/end` (ISO), the only form the source sends. */
function parseTimespan(text: string | undefined): {startMs: number; endMs: number} | undefined {
  const [start, end] = (text ?? '').split('/')
  const startMs = Date.parse(start ?? '')
  const endMs = Date.parse(end ?? '')
  return Number.isFinite(startMs) && Number.isFinite(endMs) ? {startMs, endMs} : undefined
}

/** An HTTP client for @azure/monitor-query-logs that trusts the fake's CA: the client's own transport, with its TLS settings. */
export async function trustingHttpClient(
  caPem: string,
): Promise<import('../../../src/sources/log-analytics.js').AzureHttpClient> {
  const {createDefaultHttpClient} = await import('@azure/core-rest-pipeline')
  const inner = createDefaultHttpClient()
  return {
    sendRequest(request) {
      request.tlsSettings = {ca: caPem}
      return inner.sendRequest(request)
    },
  }
}

/** A credential that hands out the fake's token, counting how often it was asked. */
export function fakeCredential(): {
  getToken: () => Promise<{token: string; expiresOnTimestamp: number}>
  asked: number
} {
  const credential = {
    asked: 0,
    async getToken() {
      credential.asked++
      return {token: FAKE_TOKEN, expiresOnTimestamp: Date.now() + 3600_000}
    },
  }
  return credential
}
