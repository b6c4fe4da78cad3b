// An AKS cluster's audit log in a Log Analytics workspace, as a query source: the run's filter in
// KQL (log-analytics-kql.ts), asked through @azure/monitor-query-logs. The API has no cursor and
// caps each answer (500,000 rows, and bytes), so the window is cut into slices that each hold at
// most a budget of rows, counted first by the service itself; a slice whose answer is still cut is
// halved, and one that cannot be leaves the source incomplete, said by name.
import type {
  LogsQueryClient,
  LogsQueryClientOptions,
  LogsQueryOptions,
  LogsQueryResult,
  LogsTable,
  QueryTimeInterval,
} from '@azure/monitor-query-logs'

import {diagnosticSettingCommand} from '../cluster/aks-context.js'
import {UserError} from '../errors.js'
import {
  type AuditTable,
  type ClusterScope,
  countQuery,
  histogramQuery,
  rowsQuery,
  tablesQuery,
  type TimeRange,
} from './log-analytics-kql.js'
import type {QueryFilter, QueryPage, QuerySource} from './source.js'

/** What the source needs of LogsQueryClient (a test may hand in its own). */
export type LogsQuerier = Pick<LogsQueryClient, 'queryWorkspace'>
/** An Azure credential (@azure/identity's, or a test's). */
export type AzureCredential = ConstructorParameters<typeof LogsQueryClient>[0]
/** The transport under the client (a test may hand in its own). */
export type AzureHttpClient = NonNullable<LogsQueryClientOptions['httpClient']>

/** The Log Analytics API's public address; KUBECTL_AUDIT_LOG_ANALYTICS_URL replaces it (sovereign clouds, tests). */
export const LOG_ANALYTICS_URL = 'https://api.loganalytics.io/v1'

export function logAnalyticsUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env.KUBECTL_AUDIT_LOG_ANALYTICS_URL || LOG_ANALYTICS_URL).replace(/\/+$/, '')
}

/** The most rows one answer may hold; past it the service cuts the answer. */
export const SERVICE_ROW_CAP = 500_000
/**
 * The rows a slice is planned to hold: far below the row cap, and small enough that an answer of
 * rows with bodies stays under the byte cap too (an answer cut anyway is halved and asked again).
 */
export const ROWS_PER_SLICE = 5_000
/** Bins a histogram of a stretch of time is cut into, to place the slices' edges. */
const BINS = 500
/** How far back a window without a start reaches: Log Analytics keeps at most two years to query. */
const LONGEST_RETENTION_MS = 730 * 24 * 3600_000
/** Rows are timed when AKS wrote them, a little after the event's stage time: the query reaches past the window's end by this. */
const LATE_ROWS_MS = 10 * 60_000
/** The service's own limit on a query (`Prefer: wait=`), and ours on the answer, a little longer. */
const SERVER_WAIT_S = 180
const ANSWER_TIMEOUT_MS = (SERVER_WAIT_S + 20) * 1000
/** A Retry-After longer than this is not waited for in full (the client retries 3 times, then fails). */
const LONGEST_PAUSE_S = 30

export interface LogAnalyticsTarget {
  /** The workspace ID (a GUID: the workspace's customerId). */
  readonly workspaceId: string
  readonly table: AuditTable
  readonly scope: ClusterScope
}

/** The rows of a table in a window, from the first probe: which tables to read, and whether anything is there. */
export interface TableRows {
  readonly table: AuditTable
  readonly rows: number
}

/** The client, and the bytes its answers have carried so far (for progress and the bench). */
export interface LogsConnection {
  readonly client: LogsQuerier
  bytes(): number
}

/**
 * A LogsQueryClient for the endpoint: answers counted in bytes, and Retry-After waits held to
 * LONGEST_PAUSE_S. `httpClient` replaces the transport (tests).
 */
export async function connectLogs(
  credential: AzureCredential,
  endpoint: string,
  httpClient?: AzureHttpClient,
): Promise<LogsConnection> {
  const {LogsQueryClient} = await import('@azure/monitor-query-logs')
  const client = new LogsQueryClient(credential, {
    endpoint,
    ...(httpClient ? {httpClient} : {}),
    retryOptions: {maxRetries: 3},
  })
  let bytes = 0
  client.pipeline.addPolicy(
    {
      name: 'kubectlAuditAnswers',
      async sendRequest(request, next) {
        const response = await next(request)
        bytes += response.bodyAsText?.length ?? Number(response.headers.get('content-length') ?? 0)
        const pause = Number(response.headers.get('retry-after'))
        if ((response.status === 429 || response.status === 503) && Number.isFinite(pause) && pause > LONGEST_PAUSE_S)
          response.headers.set('retry-after', String(LONGEST_PAUSE_S))
        return response
      },
    },
    {afterPhase: 'Retry'},
  )
  return {client, bytes: () => bytes}
}

/** The range a filter's window is asked as: a start (two years back when open) and an end a little after its own. */
export function queryRange(filter: QueryFilter, now: number): TimeRange {
  const endMs = (filter.untilMs ?? now) + (filter.untilMs === null ? 60_000 : LATE_ROWS_MS)
  return {startMs: Math.floor(filter.sinceMs ?? now - LONGEST_RETENTION_MS), endMs: Math.ceil(endMs)}
}

const timespan = (range: TimeRange): QueryTimeInterval => ({
  startTime: new Date(range.startMs),
  endTime: new Date(range.endMs),
})

export class LogAnalyticsSource implements QuerySource {
  readonly format = 'log-analytics'
  /** 200 queries per 30 s per user; rows reach a workspace minutes after the event (ingestion latency). */
  readonly pace = {minIntervalMs: 10_000, lateMs: 10 * 60_000}
  readonly name: string
  private readonly rowsPerSlice: number

  constructor(
    private readonly target: LogAnalyticsTarget,
    private readonly connection: LogsConnection,
    private readonly options: {readonly now?: () => number; readonly rowsPerSlice?: number} = {},
  ) {
    this.name = `log-analytics:${target.workspaceId}/${target.table}`
    this.rowsPerSlice = options.rowsPerSlice ?? ROWS_PER_SLICE
  }

  async *query(filter: QueryFilter, signal?: AbortSignal): AsyncIterable<QueryPage> {
    const range = queryRange(filter, (this.options.now ?? Date.now)())
    const slices = await this.plan(filter, range, signal)
    const total = slices.reduce((sum, s) => sum + s.rows, 0)
    const cut: TimeRange[] = []
    for (const slice of slices) {
      for await (const page of this.readSlice(filter, slice, cut, signal)) yield {...page, total}
    }
    if (cut.length > 0) {
      const where = cut
        .slice(0, 3)
        .map((r) => `${new Date(r.startMs).toISOString()} to ${new Date(r.endMs).toISOString()}`)
        .join(', ')
      throw new Error(
        `${cut.length} ${cut.length === 1 ? 'answer was' : 'answers were'} cut by Log Analytics' answer limit and could not be split further (${where}): rows there are missing`,
      )
    }
  }

  /** Slices of the range, each holding at most rowsPerSlice of the rows the filter matches, as the service counts them. */
  private async plan(
    filter: QueryFilter,
    range: TimeRange,
    signal?: AbortSignal,
  ): Promise<Array<TimeRange & {rows: number}>> {
    const [totals] = rowsOfTable(
      await this.ask(countQuery(this.target.table, this.target.scope, filter, range), range, signal),
    )
    const rows = Number(totals?.Rows ?? 0)
    if (rows === 0) return []
    const first = timeMs(totals?.First) ?? range.startMs
    const last = timeMs(totals?.Last) ?? range.endMs - 1
    // The rows' own span: a two-year window of one busy day is binned over that day.
    const span = {
      startMs: Math.max(range.startMs, Math.floor(first)),
      endMs: Math.min(range.endMs, Math.floor(last) + 1),
    }
    if (rows <= this.rowsPerSlice) return [{...span, rows}]
    return this.split(filter, span, signal)
  }

  /** A histogram of the range, its bins joined into slices; a bin holding too many rows alone is split the same way. */
  private async split(
    filter: QueryFilter,
    range: TimeRange,
    signal?: AbortSignal,
  ): Promise<Array<TimeRange & {rows: number}>> {
    const width = range.endMs - range.startMs
    const binMs = Math.max(1, Math.ceil(width / BINS))
    const bins = rowsOfTable(
      await this.ask(histogramQuery(this.target.table, this.target.scope, filter, range, binMs), range, signal),
    )
      .map((bin) => ({startMs: timeMs(bin.Start) ?? Number.NaN, rows: Number(bin.Rows ?? 0)}))
      .filter((bin) => Number.isFinite(bin.startMs) && bin.rows > 0)
      .sort((a, b) => a.startMs - b.startMs)
    const slices: Array<TimeRange & {rows: number}> = []
    let open: (TimeRange & {rows: number}) | undefined
    for (const bin of bins) {
      const startMs = Math.max(range.startMs, bin.startMs)
      const endMs = Math.min(range.endMs, bin.startMs + binMs)
      if (bin.rows > this.rowsPerSlice && binMs > 1) {
        if (open) slices.push(open)
        open = undefined
        for (const slice of await this.split(filter, {startMs, endMs}, signal)) slices.push(slice)
      } else if (open && open.rows + bin.rows <= this.rowsPerSlice) {
        // Across empty bins too: a slice is a stretch of time, and the empty ones cost nothing.
        open = {startMs: open.startMs, endMs, rows: open.rows + bin.rows}
      } else {
        if (open) slices.push(open)
        open = {startMs, endMs, rows: bin.rows}
      }
    }
    if (open) slices.push(open)
    return slices
  }

  /** One slice's rows; an answer the service cut is halved and asked again, down to a millisecond. */
  private async *readSlice(
    filter: QueryFilter,
    range: TimeRange,
    cut: TimeRange[],
    signal?: AbortSignal,
  ): AsyncIterable<QueryPage> {
    const before = this.connection.bytes()
    const result = await this.ask(rowsQuery(this.target.table, this.target.scope, filter, range), range, signal)
    const rows = rowsOfTable(result)
    const wasCut = result.status !== 'Success' || rows.length >= SERVICE_ROW_CAP
    if (wasCut && range.endMs - range.startMs > 1) {
      const middle = range.startMs + Math.floor((range.endMs - range.startMs) / 2)
      yield* this.readSlice(filter, {startMs: range.startMs, endMs: middle}, cut, signal)
      yield* this.readSlice(filter, {startMs: middle, endMs: range.endMs}, cut, signal)
      return
    }
    if (wasCut) cut.push(range)
    yield {records: rows, bytes: this.connection.bytes() - before}
  }

  private async ask(query: string, range: TimeRange, signal?: AbortSignal): Promise<LogsQueryResult> {
    return askLogs(this.connection.client, this.target.workspaceId, query, range, signal)
  }
}

/** One query; a failure the user can fix is a UserError naming the fix. */
export async function askLogs(
  client: LogsQuerier,
  workspaceId: string,
  query: string,
  range: TimeRange,
  signal?: AbortSignal,
): Promise<LogsQueryResult> {
  const options: LogsQueryOptions = {
    serverTimeoutInSeconds: SERVER_WAIT_S,
    ...(signal ? {abortSignal: signal} : {}),
    requestOptions: {timeout: ANSWER_TIMEOUT_MS},
  }
  try {
    return await client.queryWorkspace(workspaceId, query, timespan(range), options)
  } catch (error) {
    throw logAnalyticsError(error, workspaceId)
  }
}

/**
 * Which audit tables of the workspace hold rows of the cluster in the range. A workspace that has
 * none of the tables has never been sent the audit log: the diagnostic setting is missing.
 */
export async function auditTables(
  client: LogsQuerier,
  workspaceId: string,
  scope: ClusterScope,
  range: TimeRange,
  signal?: AbortSignal,
): Promise<TableRows[]> {
  let result: LogsQueryResult
  try {
    result = await askLogs(client, workspaceId, tablesQuery(scope, range), range, signal)
  } catch (error) {
    if (error instanceof NoSuchTable) return []
    throw error
  }
  return rowsOfTable(result)
    .map((row) => ({table: row.Table as AuditTable, rows: Number(row.Rows ?? 0)}))
    .filter((t) => typeof t.table === 'string')
}

/** A query named a table the workspace does not know. */
export class NoSuchTable extends UserError {}

/** The rows of a query's first table as objects keyed by column name. */
export function rowsOfTable(result: LogsQueryResult): Array<Record<string, unknown>> {
  const tables: LogsTable[] = result.status === 'Success' ? result.tables : result.partialTables
  const table = tables[0]
  if (!table) return []
  const names = table.columnDescriptors.map((c) => c.name ?? '')
  return table.rows.map((cells) => {
    const row: Record<string, unknown> = {}
    for (const [i, name] of names.entries()) row[name] = cells[i]
    return row
  })
}

function timeMs(value: unknown): number | undefined {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : Number.NaN
  return Number.isFinite(ms) ? ms : undefined
}

const PERMISSION = 'Log Analytics Reader on the workspace (Microsoft.OperationalInsights/workspaces/query/read)'
const LOGIN_HINT =
  'az login (or AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET, a workload identity or a managed identity: DefaultAzureCredential)'

/** What went wrong, as the user can act on it: credentials, permission, workspace, table; else the error as it is. */
export function logAnalyticsError(error: unknown, workspaceId: string): Error {
  if (error instanceof UserError) return error
  const e = error as {
    name?: string
    message?: string
    statusCode?: number
    code?: string
    details?: {error?: {code?: string; message?: string; innererror?: {code?: string; message?: string}}}
  }
  const name = e?.name ?? ''
  if (name === 'AbortError') return error as Error
  const credentials = credentialProblem(error)
  if (credentials !== undefined)
    return new UserError(`no Azure credentials to query Log Analytics: ${credentials}`, {hint: LOGIN_HINT})
  const detail = e.details?.error
  const inner = detail?.innererror
  const said = firstLine(inner?.message ?? detail?.message ?? e.message)
  if (e.statusCode === 401)
    return new UserError(`Log Analytics refused the Azure credentials: ${said}`, {hint: LOGIN_HINT})
  if (e.statusCode === 403)
    return new UserError(`not allowed to query Log Analytics workspace ${workspaceId}: ${said}`, {
      hint: `ask for ${PERMISSION}`,
    })
  if (e.statusCode === 404) {
    return new UserError(`Log Analytics workspace ${workspaceId} was not found: ${said}`, {
      hint: 'give the workspace ID (a GUID: az monitor log-analytics workspace show -g GROUP -n NAME --query customerId)',
    })
  }
  if (
    e.statusCode === 400 &&
    (inner?.code === 'SemanticError' || detail?.code === 'SemanticError') &&
    /resolve (table|scalar|column)|table expression/i.test(`${inner?.message ?? ''} ${detail?.message ?? ''}`)
  ) {
    return new NoSuchTable(`Log Analytics workspace ${workspaceId} has no AKS audit table: ${said}`, {
      hint: SETTING_HINT,
    })
  }
  if (e.statusCode === 429)
    return new Error(`Log Analytics kept answering 429 (too many requests: 200 per 30 s per user): ${said}`)
  return new Error(`Log Analytics: ${said}${e.statusCode ? ` (HTTP ${e.statusCode})` : ''}`)
}

/** How to send a cluster's audit log to a workspace. */
export const SETTING_HINT = `send it there with a diagnostic setting: ${diagnosticSettingCommand('CLUSTER_RESOURCE_ID')}`

/**
 * What DefaultAzureCredential says when no credential worked: the first reason of its chain (the
 * Azure CLI's `az login` advice, typically) rather than "ChainedTokenCredential authentication failed".
 */
export function credentialProblem(error: unknown): string | undefined {
  const e = error as {name?: string; message?: string; errors?: Array<{message?: string}>}
  if (
    e?.name !== 'CredentialUnavailableError' &&
    e?.name !== 'AggregateAuthenticationError' &&
    e?.name !== 'AuthenticationError'
  )
    return undefined
  const reasons = (e.errors ?? []).map((inner) => firstLine(inner.message)).filter((m) => m !== 'no message')
  return reasons[0] ?? firstLine(e.message)
}

function firstLine(text: string | undefined): string {
  return (text ?? 'no message').split('\n')[0]!.trim()
}
