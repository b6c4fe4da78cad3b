// A GKE cluster's audit log read where it is: Cloud Logging's entries:list (REST, plain fetch), with
// the run's filter pushed into the query, page by page. Credentials come from Google's Application
// Default Credentials (google-auth-library, loaded only here). Not @google-cloud/logging: it hands
// AuditLog payloads back as undecoded protobuf and adds a hidden 24-hour window.

import {retryAfterMs} from '../cluster/throttle.js'
import {UserError} from '../errors.js'
import {clusterClauses, entriesFilter, type GkeCluster, windowClauses} from './cloud-logging-filter.js'
import type {QueryFilter, QueryPage, QuerySource} from './source.js'

/** Cloud Logging's own address; KUBECTL_AUDIT_CLOUD_LOGGING_URL (or gcloud's override) replaces it. */
export const CLOUD_LOGGING_URL = 'https://logging.googleapis.com'
/** What reading logs needs: the read-only logging scope. */
export const LOGGING_READ_SCOPE = 'https://www.googleapis.com/auth/logging.read'
/** entries:list refuses more than 1000 entries a page. */
export const PAGE_SIZE = 1000

/** The base URL of the Logging API: ours, then gcloud's override (Private Service Connect users set it), then Google's. */
export function cloudLoggingUrl(env: NodeJS.ProcessEnv = process.env): string {
  const given = env.KUBECTL_AUDIT_CLOUD_LOGGING_URL || env.CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING || CLOUD_LOGGING_URL
  // gcloud's override names the versioned root (`https://…/`); the path is ours to add.
  return given.replace(/\/+$/, '').replace(/\/v2$/, '')
}

/** The headers that authorise one request (Authorization, and x-goog-user-project when the credentials name one). */
export type RequestHeaders = () => Promise<Headers | Record<string, string>>

export interface CloudLoggingOptions {
  readonly target: GkeCluster
  readonly baseUrl: string
  readonly headers: RequestHeaders
  /** Per request, reading the answer included; 0: DEFAULT_REQUEST_TIMEOUT_MS. */
  readonly requestTimeoutMs?: number
  /** The first wait after a quota error; doubled on each retry. */
  readonly backoffMs?: number
  /** Tries of one request, the first included. */
  readonly attempts?: number
  /**
   * Nothing in a query's window yet is expected (doctor --probe asks before its write lands): an
   * empty answer is not checked for a cluster without entries (checkHasEntries does that once).
   */
  readonly windowAhead?: boolean
}

/** No wait is unbounded: a request that --request-timeout does not bound gets this long. */
const DEFAULT_REQUEST_TIMEOUT_MS = 120_000
/** Read quota is counted per minute: 1+2+4+8+16+32 s of waiting spans one. */
const DEFAULT_BACKOFF_MS = 1000
const DEFAULT_ATTEMPTS = 7
const MAX_WAIT_MS = 60_000
/** How far back a window still ahead looks for the cluster's entries. */
const RECENT_MS = 24 * 3600_000

export class CloudLoggingSource implements QuerySource {
  readonly name: string
  readonly format = 'cloud-logging'
  /** entries.list: a read quota of some 60 a minute per project, shared with every other reader. */
  readonly pace = {minIntervalMs: 10_000, lateMs: 5 * 60_000}
  /** Requests made, for the run's figures and the tests. */
  requests = 0

  constructor(private readonly options: CloudLoggingOptions) {
    const {project, location, cluster} = options.target
    this.name = `cloud-logging:${project}/${location}/${cluster}`
  }

  async *query(filter: QueryFilter, signal?: AbortSignal): AsyncIterable<QueryPage> {
    const {project} = this.options.target
    const request = {
      resourceNames: [`projects/${project}`],
      filter: entriesFilter(this.options.target, filter),
      orderBy: 'timestamp asc',
      pageSize: PAGE_SIZE,
    }
    let pageToken: string | undefined
    let entries = 0
    do {
      const answer = await this.entriesList(pageToken === undefined ? request : {...request, pageToken}, signal)
      const records = Array.isArray(answer.body.entries) ? (answer.body.entries as unknown[]) : []
      entries += records.length
      // An empty page with a token is the store still searching: go on.
      yield {records, bytes: answer.bytes}
      pageToken =
        typeof answer.body.nextPageToken === 'string' && answer.body.nextPageToken !== ''
          ? answer.body.nextPageToken
          : undefined
    } while (pageToken !== undefined)
    if (entries === 0 && !this.options.windowAhead) await this.checkWindowHoldsEntries(filter, signal)
  }

  /**
   * Before a window that is still ahead: the cluster has audit entries at all, in the last day
   * (a GKE cluster writes some every few seconds), so a wrong name or project is said up front.
   */
  async checkHasEntries(nowMs: number, signal?: AbortSignal): Promise<void> {
    const since = nowMs - RECENT_MS
    const filter = {sinceMs: since, untilMs: nowMs, resources: [], verbs: [], users: [], namespaces: []}
    try {
      await this.checkWindowHoldsEntries(filter, signal)
    } catch (error) {
      if (error instanceof UserError || signal?.aborted) throw error
      // Said as the first answer of a run is: one line, here before anything is sent.
      throw new UserError(`${this.name}: ${(error as Error).message.replace(/, or widen --since$/, '')}`, {
        cause: error,
      })
    }
  }

  /**
   * No policy write in the window is an answer; no audit entry of the cluster at all is not (a
   * wrong name, location or project, or a window before the cluster): one cheap query tells.
   */
  private async checkWindowHoldsEntries(filter: QueryFilter, signal?: AbortSignal): Promise<void> {
    const {project, location, cluster} = this.options.target
    const probe = {
      resourceNames: [`projects/${project}`],
      filter: [...clusterClauses(this.options.target), ...windowClauses(filter)].join('\nAND '),
      orderBy: 'timestamp desc',
      pageSize: 1,
    }
    let pageToken: string | undefined
    do {
      const answer = await this.entriesList(pageToken === undefined ? probe : {...probe, pageToken}, signal)
      if (Array.isArray(answer.body.entries) && answer.body.entries.length > 0) return
      pageToken =
        typeof answer.body.nextPageToken === 'string' && answer.body.nextPageToken !== ''
          ? answer.body.nextPageToken
          : undefined
    } while (pageToken !== undefined)
    throw new Error(
      `no audit entry of GKE cluster ${cluster} (${location}) in project ${project} ${describeWindow(filter)}: check the names (gcloud container clusters list --project ${project}), or widen --since`,
    )
  }

  private async entriesList(
    body: object,
    signal?: AbortSignal,
  ): Promise<{body: Record<string, unknown>; bytes: number}> {
    const url = `${this.options.baseUrl}/v2/entries:list`
    const attempts = this.options.attempts ?? DEFAULT_ATTEMPTS
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted()
      const timeout = AbortSignal.timeout(this.options.requestTimeoutMs || DEFAULT_REQUEST_TIMEOUT_MS)
      const requestSignal = signal ? AbortSignal.any([signal, timeout]) : timeout
      let status: number
      let text: string
      let retryAfter: string | null
      try {
        const headers = new Headers(await this.options.headers())
        headers.set('content-type', 'application/json')
        this.requests++
        const response = await fetch(url, {method: 'POST', headers, body: JSON.stringify(body), signal: requestSignal})
        status = response.status
        retryAfter = response.headers.get('retry-after')
        text = await response.text()
      } catch (error) {
        signal?.throwIfAborted()
        if (timeout.aborted)
          throw new Error(
            `Cloud Logging did not answer within ${Math.round((this.options.requestTimeoutMs || DEFAULT_REQUEST_TIMEOUT_MS) / 1000)}s (${url})`,
          )
        if (error instanceof UserError) throw error
        throw new Error(`cannot reach Cloud Logging at ${url}: ${causeOf(error)}`)
      }
      if (status >= 200 && status < 300) return {body: parseAnswer(text), bytes: Buffer.byteLength(text)}
      const failure = googleError(status, text)
      if (isRetryable(status, failure) && attempt < attempts) {
        await sleep(waitBefore(attempt, this.options.backoffMs ?? DEFAULT_BACKOFF_MS, retryAfter), signal)
        continue
      }
      throw new Error(describeFailure(failure, this.options.target, attempt))
    }
  }
}

/** Google's error body: `{"error": {"code", "message", "status", "details": [{"reason"}]}}`. */
interface GoogleFailure {
  readonly http: number
  readonly status: string
  readonly message: string
  readonly reason: string
}

function googleError(http: number, text: string): GoogleFailure {
  let error: Record<string, unknown> = {}
  try {
    const parsed = JSON.parse(text) as {error?: unknown}
    if (typeof parsed.error === 'object' && parsed.error !== null) error = parsed.error as Record<string, unknown>
  } catch {
    // Not Google's JSON (a proxy's page): the HTTP status says what there is to say.
  }
  const details = Array.isArray(error.details) ? (error.details as Array<Record<string, unknown>>) : []
  const reason = details.map((d) => d.reason).find((r): r is string => typeof r === 'string') ?? ''
  const message =
    typeof error.message === 'string' ? error.message.split('\n')[0] : (text.trim().split('\n')[0]?.slice(0, 200) ?? '')
  return {http, status: typeof error.status === 'string' ? error.status : '', message, reason}
}

function isRetryable(http: number, failure: GoogleFailure): boolean {
  return (
    http === 429 ||
    failure.status === 'RESOURCE_EXHAUSTED' ||
    failure.status === 'UNAVAILABLE' ||
    http === 500 ||
    http === 502 ||
    http === 503 ||
    http === 504
  )
}

/** Retry-After when the server says it, else doubling from `backoffMs`, with jitter; at most a minute. */
function waitBefore(attempt: number, backoffMs: number, retryAfter: string | null): number {
  const base = retryAfterMs(retryAfter ?? undefined) ?? backoffMs * 2 ** (attempt - 1)
  return Math.min(MAX_WAIT_MS, base * (1 + Math.random() * 0.2))
}

/** One line that names what fixes it: the permission, the command, the flag. */
function describeFailure(failure: GoogleFailure, target: GkeCluster, attempts: number): string {
  const {project} = target
  const said = `${failure.http}${failure.status ? ` ${failure.status}` : ''}${failure.message ? `: ${failure.message}` : ''}`
  if (failure.http === 401)
    return `Cloud Logging refused the credentials (${said}); log in again: gcloud auth application-default login`
  if (
    failure.http === 403 &&
    (failure.reason === 'SERVICE_DISABLED' || /has not been used|is disabled/.test(failure.message))
  ) {
    return `the Cloud Logging API is not enabled in project ${project} (${said}); enable it: gcloud services enable logging.googleapis.com --project ${project}`
  }
  if (failure.http === 403)
    return `permission denied reading the logs of project ${project} (${said}); it needs logging.logEntries.list, in roles/logging.viewer: gcloud projects add-iam-policy-binding ${project} --member=user:EMAIL --role=roles/logging.viewer`
  if (failure.http === 404) return `project ${project} was not found (${said}); check --project (gcloud projects list)`
  if (failure.http === 429 || failure.status === 'RESOURCE_EXHAUSTED')
    return `Cloud Logging's read quota of project ${project} stayed exhausted through ${attempts} tries (${said}); try again in a minute, or with a shorter --since`
  return `Cloud Logging answered ${said}`
}

function parseAnswer(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>
  } catch {
    // Said below.
  }
  throw new Error(`Cloud Logging's answer is not a JSON object (${text.trim().slice(0, 80) || 'empty'})`)
}

function describeWindow(filter: QueryFilter): string {
  const at = (ms: number) => new Date(Math.floor(ms)).toISOString().replace('.000Z', 'Z')
  if (filter.sinceMs !== null && filter.untilMs !== null)
    return `between ${at(filter.sinceMs)} and ${at(filter.untilMs)}`
  if (filter.sinceMs !== null) return `since ${at(filter.sinceMs)}`
  if (filter.untilMs !== null) return `until ${at(filter.untilMs)}`
  return 'in its whole retention'
}

function causeOf(error: unknown): string {
  const cause = (error as {cause?: {code?: unknown; message?: unknown}}).cause
  if (cause && typeof cause.code === 'string') return cause.code
  if (cause && typeof cause.message === 'string') return cause.message
  return (error as Error).message
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms)
    function done() {
      signal?.removeEventListener('abort', aborted)
      resolve()
    }
    function aborted() {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    signal?.addEventListener('abort', aborted, {once: true})
  })
}

/**
 * Application Default Credentials with the logging.read scope: GOOGLE_APPLICATION_CREDENTIALS,
 * then gcloud's ADC file, then the metadata server. Checked once before the first query, so a
 * missing login is one line before any reading starts.
 */
export async function googleCredentials(): Promise<RequestHeaders> {
  quietMetadataLookup()
  const {GoogleAuth} = await import('google-auth-library')
  const auth = new GoogleAuth({scopes: [LOGGING_READ_SCOPE]})
  const headers: RequestHeaders = async () => {
    try {
      return await auth.getRequestHeaders()
    } catch (error) {
      throw credentialsError(error)
    }
  }
  await headers()
  return headers
}

let quieted = false

/**
 * google-auth-library asks for a metadata server (gcp-metadata), and when that look fails in a
 * way it did not expect (a proxy's 403, a DNS error) it calls process.emitWarning, which Node
 * prints on stderr as `(node:PID) MetadataLookupWarning: …`. Off a Google VM that is no news:
 * the error this module raises says what is missing, in one line. Other warnings pass.
 */
function quietMetadataLookup(): void {
  if (quieted) return
  quieted = true
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void
  process.emitWarning = ((...args: unknown[]) => {
    const [warning, options] = args
    const type =
      typeof options === 'string'
        ? options
        : ((options as {type?: unknown} | undefined)?.type ?? (warning as Error)?.name)
    if (type === 'MetadataLookupWarning') return
    emit(...args)
  }) as typeof process.emitWarning
}

function credentialsError(error: unknown): UserError {
  const message = (error as Error).message ?? String(error)
  if (message.startsWith('Could not load the default credentials')) {
    return new UserError(
      "no Google credentials to read Cloud Logging with (none in GOOGLE_APPLICATION_CREDENTIALS, in gcloud's application-default file, or from a metadata server)",
      {
        hint: 'log in with: gcloud auth application-default login (the account needs roles/logging.viewer on the project)',
        cause: error,
      },
    )
  }
  if (/invalid_grant|invalid_rapt|reauth/i.test(message)) {
    return new UserError(`the Google credentials were refused: ${message.split('\n')[0]}`, {
      hint: 'log in again with: gcloud auth application-default login',
      cause: error,
    })
  }
  return new UserError(`cannot get Google credentials: ${message.split('\n')[0]}`, {
    hint: 'check GOOGLE_APPLICATION_CREDENTIALS, or log in with: gcloud auth application-default login',
    cause: error,
  })
}
