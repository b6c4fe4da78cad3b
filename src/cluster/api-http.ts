// Raw streamed GETs against the API server with the kubeconfig's credentials and TLS settings,
// for bodies client-node would buffer whole (kubelet logs through the node proxy). The kubeconfig's
// agent carries its proxy-url, as for client-node's own requests. Every wait is bounded by the
// kubeconfig's limits (wait-limits.ts): connecting, the first byte of the answer, and each pause
// in the body; an answer the server asks to be retried later (429, 503 with Retry-After) is.
import http, {type ClientRequest, type IncomingMessage} from 'node:http'
import https from 'node:https'
import type {Socket} from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'
import {TLSSocket} from 'node:tls'

import type {ConfigurationOptions, KubeConfig, RequestContext, ResponseContext} from '@kubernetes/client-node'

import {HttpStatusError} from './api-errors.js'
import {limitsOf, serverOf} from './kubeconfig.js'
import {throttleRetryDelayMs} from './throttle.js'
import {RequestStall, type WaitLimits} from './wait-limits.js'

export class ApiHttp {
  readonly server: string
  private readonly limits: WaitLimits
  private options?: Promise<https.RequestOptions>

  /** `runSignal`: the run's; aborting it ends every request made here, besides each request's own signal. */
  constructor(
    private readonly kc: KubeConfig,
    private readonly runSignal?: AbortSignal,
  ) {
    this.server = serverOf(kc)
    this.limits = limitsOf(kc)
  }

  /**
   * GET `path` (already escaped) and resolve with the response once headers arrive; its body fails
   * with a RequestStall if the server stops sending. Non-2xx answers other than those in `accept`
   * reject with HttpStatusError carrying the body.
   */
  async get(
    path: string,
    headers: Record<string, string>,
    requestSignal?: AbortSignal,
    accept: number[] = [],
  ): Promise<IncomingMessage> {
    const base = await this.requestOptions()
    const signals = [this.runSignal, requestSignal].filter((s): s is AbortSignal => s !== undefined)
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0]
    const url = apiUrl(this.server, path)
    for (let retries = 0; ; retries++) {
      const res = await this.send(url, {...base, headers: {...base.headers, ...headers}, signal})
      const status = res.statusCode ?? 0
      if ((status >= 200 && status < 300) || accept.includes(status)) return res
      const body = await readText(res, 64 * 1024)
      const delay = throttleRetryDelayMs(status, res.headers['retry-after'], retries)
      if (delay === undefined) throw new HttpStatusError(status, body, res.headers)
      await sleep(delay, undefined, {signal})
    }
  }

  /** One request: connecting and the first byte of the answer bounded, then the body watched for pauses. */
  private send(url: URL, options: https.RequestOptions): Promise<IncomingMessage> {
    const {connectMs, firstByteMs, idleMs} = this.limits
    return new Promise((resolve, reject) => {
      const client = url.protocol === 'http:' ? http : https
      let timer: NodeJS.Timeout | undefined
      const limit = (stall: RequestStall) => {
        clearTimeout(timer)
        // Unref'd: a request in flight keeps the process alive by its socket, not by its limit.
        timer = setTimeout(() => req.destroy(stall), stall.limitMs).unref()
      }
      const req: ClientRequest = client.get(url, options, (res) => {
        clearTimeout(timer)
        watchIdle(res, idleMs)
        resolve(res)
      })
      limit(new RequestStall('connect', connectMs))
      req.on('socket', (socket: Socket) => {
        const answer = () => limit(new RequestStall('first-byte', firstByteMs))
        // Connecting takes TCP and, for https, TLS (as undici counts it): a TLS socket has a cipher
        // once its handshake is done. A kept-alive socket has done both.
        const tls = socket instanceof TLSSocket
        if (tls ? (socket.getCipher() as unknown) !== undefined : !socket.connecting) answer()
        else socket.once(tls ? 'secureConnect' : 'connect', answer)
      })
      req.on('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
    })
  }

  /** Credentials are resolved once: exec plugins and token files are not re-run per request. */
  private requestOptions(): Promise<https.RequestOptions> {
    this.options ??= (async () => {
      const opts: https.RequestOptions = {headers: {}}
      await this.kc.applyToHTTPSOptions(opts)
      return opts
    })()
    return this.options
  }
}

/**
 * Ends `res` with a RequestStall once a whole `idleMs` passes with no byte from the server while
 * none waits for its reader (a reader that is behind is not a server that stalled).
 */
function watchIdle(res: IncomingMessage, idleMs: number): void {
  const socket = res.socket
  if (!socket) return
  let seen = socket.bytesRead
  const check = () => {
    if (res.complete || res.destroyed) return
    if (socket.bytesRead !== seen || res.readableLength > 0 || socket.readableLength > 0) {
      seen = socket.bytesRead
      timer = setTimeout(check, idleMs).unref()
      return
    }
    res.destroy(new RequestStall('idle', idleMs))
  }
  let timer = setTimeout(check, idleMs).unref()
  res.once('close', () => clearTimeout(timer))
}

/**
 * `path` (absolute, maybe with a query) under the server URL, keeping the server's own path: a
 * server at https://rancher/k8s/clusters/c-1 serves /api/v1/nodes at /k8s/clusters/c-1/api/v1/nodes.
 */
export function apiUrl(server: string, path: string): URL {
  return new URL(server.replace(/\/+$/, '') + path)
}

export async function readText(res: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res) {
    if (size < limit) chunks.push(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8')
}

/**
 * Stops waiting for a client-node call after `timeoutMs` (0 = none). The request itself is not
 * aborted (abortingOn does that): this bounds a wait made of several requests.
 */
export async function withRequestTimeout<T>(call: Promise<T>, timeoutMs: number): Promise<T> {
  if (timeoutMs <= 0) return call
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('request timed out'), {code: 'ETIMEDOUT'})), timeoutMs)
  })
  try {
    return await Promise.race([call, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Stops waiting for a client-node call when the run is interrupted: rejects with the signal's
 * reason. The request itself may still land; what must happen anyway (deleting reader pods) is
 * not waited for through this.
 */
export async function abortable<T>(call: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return call
  signal.throwIfAborted()
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, {once: true})
  })
  try {
    return await Promise.race([call, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort!)
  }
}

/**
 * Per-call options for a client-node call that `signal` aborts: the request itself, not just the
 * wait for it (abortable), so that nothing of it is left running. Besides --request-timeout's.
 */
export async function abortingOn(signal: AbortSignal): Promise<ConfigurationOptions> {
  const {Observable} = await import('@kubernetes/client-node')
  const middleware = {
    pre: (context: RequestContext) => {
      const own = context.getSignal()
      context.setSignal(own ? AbortSignal.any([own, signal]) : signal)
      return new Observable(Promise.resolve(context))
    },
    post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
  }
  return {middleware: [middleware], middlewareMergeStrategy: 'append'}
}
