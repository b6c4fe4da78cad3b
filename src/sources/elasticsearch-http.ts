// Requests to an Elasticsearch or OpenSearch store over plain HTTP(S), with no client library:
// the search API used here is the same on Elasticsearch 7, 8 and OpenSearch, and a client tied to
// one server major would refuse the others. The store is reached directly (--es URL) or through a
// port-forward made by the API server (`connect`), verifying TLS either way unless told not to.
import type {Duplex} from 'node:stream'
import type {ConnectionOptions, TLSSocket} from 'node:tls'

import type {Dispatcher} from 'undici'

/** How to authenticate: taken from the environment or the cluster, never from the command line. */
export type StoreCredentials =
  | {readonly kind: 'basic'; readonly username: string; readonly password: string}
  | {readonly kind: 'api-key'; readonly key: string}
  | null

export interface StoreEndpoint {
  /** The store's base URL; through a port-forward, the service's name (for TLS and the Host header). */
  readonly url: string
  /** What the store is, for messages: `Elasticsearch at https://…`, `Calico Enterprise's Elasticsearch`. */
  readonly description: string
  readonly credentials: StoreCredentials
  /** Where the credentials came from, for messages: `ES_USERNAME`, `secret tigera-elasticsearch/…`. */
  readonly credentialsFrom: string | null
  /** PEM bundle the store's certificate must chain to; undefined: the system's roots. */
  readonly ca?: string
  /** --es-insecure-skip-tls-verify: no check of the certificate at all. */
  readonly insecure: boolean
  /** Host names the certificate may be for, besides the URL's (a service reached through a port-forward). */
  readonly serverNames?: readonly string[]
  /** Opens a byte stream to the store (a port-forward); undefined: a TCP connection to the URL's host. */
  readonly connect?: (signal?: AbortSignal) => Promise<Duplex>
  /** Milliseconds; 0: no timeout. */
  readonly requestTimeoutMs: number
}

/** A failed request, with what the store said (its error type and reason when it answered in JSON). */
export class StoreRequestError extends Error {
  constructor(
    readonly status: number,
    readonly type: string | null,
    readonly reason: string,
    readonly retryAfterMs: number | null,
  ) {
    super(`${status}${type ? ` ${type}` : ''}: ${reason}`)
    this.name = 'StoreRequestError'
  }
}

export interface StoreAnswer {
  readonly json: Record<string, unknown>
  /** Bytes of the answer's body. */
  readonly bytes: number
}

/** Answers worth asking again after a pause: the store is busy (429), or a node is (502, 503, 504). */
const RETRIED = new Set([429, 502, 503, 504])
const RETRIES = 5
const FIRST_PAUSE_MS = 500
/** A Retry-After longer than this is not waited for in full. */
const LONGEST_PAUSE_MS = 30_000
const ERROR_BODY_LIMIT = 64 * 1024

export class StoreClient {
  private dispatcher?: Promise<Dispatcher>

  /** `runSignal`: the run's; aborting it ends every request. `pause` is for tests. */
  constructor(
    readonly endpoint: StoreEndpoint,
    private readonly runSignal?: AbortSignal,
    private readonly pause: (ms: number, signal?: AbortSignal) => Promise<void> = sleep,
  ) {}

  /** POST a JSON body; retried while the store says it is busy. */
  post(path: string, body: object): Promise<StoreAnswer> {
    return this.send('POST', path, JSON.stringify(body))
  }

  get(path: string): Promise<StoreAnswer> {
    return this.send('GET', path)
  }

  async close(): Promise<void> {
    if (this.dispatcher) await (await this.dispatcher).close().catch(() => undefined)
  }

  private async send(method: 'GET' | 'POST', path: string, body?: string): Promise<StoreAnswer> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(method, path, body)
      } catch (error) {
        if (!(error instanceof StoreRequestError) || !RETRIED.has(error.status) || attempt >= RETRIES) throw error
        await this.pause(
          Math.min(error.retryAfterMs ?? FIRST_PAUSE_MS * 2 ** attempt, LONGEST_PAUSE_MS),
          this.runSignal,
        )
      }
    }
  }

  private async once(method: 'GET' | 'POST', path: string, body?: string): Promise<StoreAnswer> {
    const {request} = await import('undici')
    const dispatcher = await this.dispatcherOnce()
    const headers: Record<string, string> = {accept: 'application/json'}
    if (body !== undefined) headers['content-type'] = 'application/json'
    const auth = authorization(this.endpoint.credentials)
    if (auth) headers.authorization = auth
    const timeout = this.endpoint.requestTimeoutMs
    const answer = await request(storeUrl(this.endpoint.url, path), {
      method,
      headers,
      body,
      dispatcher,
      signal: this.runSignal,
      headersTimeout: timeout,
      bodyTimeout: timeout,
    })
    const bytes = Buffer.from(await answer.body.arrayBuffer())
    if (answer.statusCode < 200 || answer.statusCode >= 300) {
      const retryAfter = Number(answer.headers['retry-after'])
      throw storeError(
        answer.statusCode,
        bytes.subarray(0, ERROR_BODY_LIMIT).toString('utf8'),
        Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : null,
      )
    }
    let json: unknown
    try {
      json = JSON.parse(bytes.toString('utf8'))
    } catch {
      throw new Error(`${this.endpoint.description} answered ${path.split('?')[0]} with something that is not JSON`)
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new Error(`${this.endpoint.description} answered ${path.split('?')[0]} with JSON that is not an object`)
    return {json: json as Record<string, unknown>, bytes: bytes.length}
  }

  private dispatcherOnce(): Promise<Dispatcher> {
    this.dispatcher ??= (async () => {
      const {Agent} = await import('undici')
      const {endpoint} = this
      const tlsOptions: ConnectionOptions = {ca: endpoint.ca, rejectUnauthorized: !endpoint.insecure}
      if (endpoint.serverNames && endpoint.serverNames.length > 0)
        tlsOptions.checkServerIdentity = await anyOfNames(endpoint.serverNames)
      const timeout = endpoint.requestTimeoutMs > 0 ? endpoint.requestTimeoutMs : undefined
      if (!endpoint.connect) return new Agent({connect: {...tlsOptions, timeout}})
      const open = endpoint.connect
      const signal = this.runSignal
      const {connect: tlsConnect} = await import('node:tls')
      return new Agent({
        connect: (options, callback) => {
          open(signal)
            .then((stream) => {
              if (options.protocol !== 'https:')
                throw new Error('a store reached through a port-forward is only read over HTTPS')
              const socket: TLSSocket = tlsConnect({
                ...tlsOptions,
                socket: stream,
                servername: options.servername ?? options.hostname,
              })
              const failed = (error: Error) => {
                socket.destroy()
                callback(error, null)
              }
              socket.once('error', failed)
              socket.once('secureConnect', () => {
                socket.off('error', failed)
                callback(null, socket)
              })
            })
            .catch((error: unknown) => callback(error as Error, null))
        },
      })
    })()
    return this.dispatcher
  }
}

/** Node's own host name check, passing when the certificate is for any of the names. */
async function anyOfNames(names: readonly string[]): Promise<NonNullable<ConnectionOptions['checkServerIdentity']>> {
  const {checkServerIdentity} = await import('node:tls')
  return (_host, cert) => {
    let first: Error | undefined
    for (const name of names) {
      const problem = checkServerIdentity(name, cert)
      if (!problem) return undefined
      first ??= problem
    }
    return first
  }
}

export function authorization(credentials: StoreCredentials): string | undefined {
  if (!credentials) return undefined
  if (credentials.kind === 'basic')
    return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
  // Kibana hands out the encoded form; `id:key` is the raw one the encoded form is made of.
  const key = credentials.key.includes(':') ? Buffer.from(credentials.key).toString('base64') : credentials.key
  return `ApiKey ${key}`
}

/** `path` (absolute, maybe with a query) under the base URL, keeping the base's own path (a store behind a proxy prefix). */
export function storeUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path
}

/** What the store said, from the JSON error body of Elasticsearch and OpenSearch, or their plain text. */
export function storeError(status: number, text: string, retryAfterMs: number | null): StoreRequestError {
  let type: string | null = null
  let reason = text.trim().split('\n')[0] || httpReason(status)
  try {
    const body = JSON.parse(text) as {error?: unknown}
    if (typeof body.error === 'string') reason = body.error
    else if (body.error && typeof body.error === 'object') {
      const error = body.error as {
        type?: unknown
        reason?: unknown
        root_cause?: Array<{type?: unknown; reason?: unknown}>
      }
      const cause = error.root_cause?.[0]
      type = typeof error.type === 'string' ? error.type : null
      reason =
        typeof error.reason === 'string' ? error.reason : typeof cause?.reason === 'string' ? cause.reason : reason
    }
  } catch {
    // Not JSON: OpenSearch's security plugin answers 401 in plain text.
  }
  return new StoreRequestError(status, type, reason, retryAfterMs)
}

function httpReason(status: number): string {
  return (
    ({401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests'} as Record<number, string>)[
      status
    ] ?? 'error'
  )
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, {once: true})
  })
}
