// Raw streamed GETs against the API server with the kubeconfig's credentials and TLS settings,
// for bodies client-node would buffer whole (kubelet logs through the node proxy). The kubeconfig's
// agent carries its proxy-url, as for client-node's own requests.
import http, {type IncomingMessage} from 'node:http'
import https from 'node:https'

import type {KubeConfig} from '@kubernetes/client-node'

import {HttpStatusError} from './api-errors.js'
import {serverOf} from './kubeconfig.js'

export class ApiHttp {
  readonly server: string
  private options?: Promise<https.RequestOptions>

  /** `runSignal`: the run's; aborting it ends every request made here, besides each request's own signal. */
  constructor(private readonly kc: KubeConfig, private readonly requestTimeoutMs: number, private readonly runSignal?: AbortSignal) {
    this.server = serverOf(kc)
  }

  /**
   * GET `path` (already escaped) and resolve with the response once headers arrive. Non-2xx
   * answers other than those in `accept` reject with HttpStatusError carrying the body.
   */
  async get(path: string, headers: Record<string, string>, requestSignal?: AbortSignal, accept: number[] = []): Promise<IncomingMessage> {
    const base = await this.requestOptions()
    const signals = [this.runSignal, requestSignal].filter((s): s is AbortSignal => s !== undefined)
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0]
    return new Promise((resolve, reject) => {
      const url = apiUrl(this.server, path)
      const client = url.protocol === 'http:' ? http : https
      const req = client.get(url, {...base, headers: {...base.headers, ...headers}, signal}, (res) => {
        const status = res.statusCode ?? 0
        if ((status >= 200 && status < 300) || accept.includes(status)) {
          resolve(res)
          return
        }
        readText(res, 64 * 1024).then((body) => reject(new HttpStatusError(status, body)), reject)
      })
      req.on('error', reject)
      if (this.requestTimeoutMs > 0) {
        // Bounds the wait for the answer and any stall mid-body, as kubectl's --request-timeout does.
        req.setTimeout(this.requestTimeoutMs, () => req.destroy(Object.assign(new Error('request timed out'), {code: 'ETIMEDOUT'})))
      }
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
 * Stops waiting for a client-node call after `timeoutMs` (0 = none); the error maps to "did not
 * answer in time". The request itself is not aborted: loadKubeConfig's kubeconfig does that with
 * --request-timeout. This is for a wait that must end even without it (deleting reader pods).
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
