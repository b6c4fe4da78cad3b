// Requests to Loki's HTTP API over plain HTTP(S), with no client library: GETs with the tenant
// (X-Scope-OrgID) and the credentials from the environment, TLS checked against the system's CAs
// or the one given, unless told not to. Loki says it is busy with 429 ("too many outstanding
// requests" from its query scheduler) and its gateway with 502, 503 or 504: those are asked again
// after a pause that doubles (or what Retry-After says), a few times.
import type {Dispatcher} from 'undici'

import {retryAfterMs} from '../cluster/throttle.js'

/** How to authenticate: taken from the environment, never from the command line. */
export type LokiCredentials =
  | {readonly kind: 'basic'; readonly username: string; readonly password: string}
  | {readonly kind: 'bearer'; readonly token: string}
  | null

export interface LokiEndpoint {
  /** Loki's base URL (the API is under /loki/api/v1). */
  readonly url: string
  /** X-Scope-OrgID: the tenant of a multi-tenant Loki (`a|b` for several, where Loki allows it). */
  readonly tenant?: string
  readonly credentials: LokiCredentials
  /** The environment variables they came from, for messages. */
  readonly credentialsFrom: string | null
  /** PEM bundle Loki's certificate must chain to; undefined: the system's roots. */
  readonly ca?: string
  /** No check of the certificate at all. */
  readonly insecure: boolean
  /** The first byte of an answer, and each pause in its body, wait at most this long. */
  readonly requestTimeoutMs: number
}

/** A refused request, with what Loki said (its first line). */
export class LokiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly retryAfterMs: number | null,
  ) {
    super(`${status} ${reason}`)
    this.name = 'LokiRequestError'
  }
}

export interface LokiAnswer {
  readonly json: Record<string, unknown>
  /** Bytes of the answer's body. */
  readonly bytes: number
}

export interface LokiRetries {
  /** Tries after the first. */
  readonly retries: number
  /** The first pause; it doubles with each try. */
  readonly backoffMs: number
}

export const DEFAULT_RETRIES: LokiRetries = {retries: 5, backoffMs: 500}

/** Answers worth asking again after a pause: Loki is busy (429), or its gateway or a querier is (502, 503, 504). */
const RETRIED = new Set([429, 502, 503, 504])
/** Connections a proxy or a restarted querier dropped: asked again too. */
const RETRIED_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'])
/** A Retry-After longer than this is not waited for in full. */
const LONGEST_PAUSE_MS = 30_000
const CONNECT_MS = 10_000
const ERROR_BODY_LIMIT = 64 * 1024

export class LokiClient {
  /** Requests sent, and those that were asked again. */
  readonly counters = {requests: 0, retried: 0}
  private dispatcher?: Promise<Dispatcher>

  constructor(
    readonly endpoint: LokiEndpoint,
    private readonly retries: LokiRetries = DEFAULT_RETRIES,
  ) {}

  /** GET path?params, retried while Loki says it is busy. */
  async get(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<LokiAnswer> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(path, params, signal)
      } catch (error) {
        signal?.throwIfAborted()
        if (attempt >= this.retries.retries || !retried(error)) throw error
        this.counters.retried++
        const asked = error instanceof LokiRequestError ? error.retryAfterMs : null
        await sleep(Math.min(asked ?? this.retries.backoffMs * 2 ** attempt, LONGEST_PAUSE_MS), signal)
      }
    }
  }

  async close(): Promise<void> {
    if (this.dispatcher) await (await this.dispatcher).close().catch(() => undefined)
  }

  private async once(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<LokiAnswer> {
    const {request} = await import('undici')
    const dispatcher = await this.dispatcherOnce()
    const headers: Record<string, string> = {accept: 'application/json'}
    const auth = authorization(this.endpoint.credentials)
    if (auth) headers.authorization = auth
    if (this.endpoint.tenant) headers['x-scope-orgid'] = this.endpoint.tenant
    const timeout = this.endpoint.requestTimeoutMs
    this.counters.requests++
    const answer = await request(`${this.endpoint.url}${path}?${new URLSearchParams(params)}`, {
      method: 'GET',
      headers,
      dispatcher,
      signal,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    })
    const body = Buffer.from(await answer.body.arrayBuffer())
    if (answer.statusCode < 200 || answer.statusCode >= 300) {
      const retryAfter = answer.headers['retry-after']
      throw new LokiRequestError(
        answer.statusCode,
        lokiReason(answer.statusCode, body.subarray(0, ERROR_BODY_LIMIT).toString('utf8')),
        retryAfterMs(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) ?? null,
      )
    }
    let json: unknown
    try {
      json = JSON.parse(body.toString('utf8'))
    } catch {
      throw new Error(
        `Loki at ${this.endpoint.url} answered ${path} with something that is not JSON: is that URL Loki's?`,
      )
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new Error(`Loki at ${this.endpoint.url} answered ${path} with JSON that is not an object`)
    return {json: json as Record<string, unknown>, bytes: body.length}
  }

  private dispatcherOnce(): Promise<Dispatcher> {
    this.dispatcher ??= import('undici').then(
      ({Agent}) =>
        new Agent({connect: {ca: this.endpoint.ca, rejectUnauthorized: !this.endpoint.insecure, timeout: CONNECT_MS}}),
    )
    return this.dispatcher
  }
}

function retried(error: unknown): boolean {
  if (error instanceof LokiRequestError)
    return RETRIED.has(error.status) || /too many outstanding requests/i.test(error.reason)
  return RETRIED_CODES.has(String((error as {code?: unknown} | null)?.code))
}

export function authorization(credentials: LokiCredentials): string | undefined {
  if (!credentials) return undefined
  if (credentials.kind === 'basic')
    return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
  return `Bearer ${credentials.token}`
}

/**
 * What Loki said, as one line: its errors are plain text (`parse error at line 1, col 9: …`),
 * newer ones JSON (`{"status":"error","error":"…"}`, or `message` from a gateway); a proxy's HTML
 * says nothing worth repeating.
 */
export function lokiReason(status: number, text: string): string {
  let reason = text.trim()
  try {
    const body = JSON.parse(reason) as {error?: unknown; message?: unknown}
    if (typeof body.error === 'string') reason = body.error
    else if (typeof body.message === 'string') reason = body.message
  } catch {
    // Plain text, as Loki writes most of its errors.
  }
  if (reason.startsWith('<')) reason = ''
  return reason.split('\n')[0]!.trim().slice(0, 500) || (HTTP_REASONS[status] ?? 'error')
}

const HTTP_REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort)
      resolve()
    }, ms)
    const abort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    signal?.addEventListener('abort', abort, {once: true})
  })
}
