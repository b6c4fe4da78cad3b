// How client-node's REST calls travel: its own fetch transport, with what client-node has no
// setting for. An answer the server asks to be retried later (429 or 503 with Retry-After) is
// retried after that delay (throttle.ts), and fetch's timeouts (connect, headers, body, and
// --request-timeout's abort) come out as RequestStall, told the same way as every other stall.
import type {HttpLibrary, RequestContext, ResponseBody, ResponseContext} from '@kubernetes/client-node'
import {setTimeout as sleep} from 'node:timers/promises'

import {HTTP_TO_HTTPS, PlainHttpToTls} from './api-errors.js'
import {throttleRetryDelayMs} from './throttle.js'
import {RequestStall, type WaitLimits} from './wait-limits.js'

type ClientNode = typeof import('@kubernetes/client-node')

export function boundedTransport(k8s: ClientNode, limits: WaitLimits): HttpLibrary {
  const fetchTransport = new k8s.IsomorphicFetchHttpLibrary()
  return k8s.wrapHttpLibrary({
    async send(request: RequestContext): Promise<ResponseContext> {
      for (let retries = 0; ; retries++) {
        let response: ResponseContext
        try {
          response = await fetchTransport.send(request).toPromise()
        } catch (error) {
          throw stallOf(error, limits) ?? error
        }
        const delay = throttleRetryDelayMs(response.httpStatusCode, response.headers['retry-after'], retries)
        if (delay === undefined) {
          if (response.httpStatusCode === 400) return notPlainHttpToTls(k8s, response, limits)
          return new k8s.ResponseContext(response.httpStatusCode, response.headers, boundedBody(response.body, limits))
        }
        // Read to the end, so the connection serves the retry.
        await response.body.text().catch(() => undefined)
        try {
          await sleep(delay, undefined, {signal: request.getSignal()})
        } catch (error) {
          throw stallOf(error, limits) ?? error
        }
      }
    },
  })
}

/**
 * A 400 is read here: Go's net/http answers a plain-HTTP request on its TLS port with one, and that
 * is no API answer (nothing was asked of the API) but a connection that could not be made.
 */
async function notPlainHttpToTls(
  k8s: ClientNode,
  response: ResponseContext,
  limits: WaitLimits,
): Promise<ResponseContext> {
  const text = await boundedBody(response.body, limits).text()
  if (text.includes(HTTP_TO_HTTPS)) throw new PlainHttpToTls()
  const body: ResponseBody = {text: async () => text, binary: async () => Buffer.from(text), stream: () => null}
  return new k8s.ResponseContext(response.httpStatusCode, response.headers, body)
}

/** The body, whose read fails with a RequestStall when the server stops sending. */
function boundedBody(body: ResponseBody, limits: WaitLimits): ResponseBody {
  const told = <T>(read: Promise<T>) =>
    read.catch((error: unknown) => {
      throw stallOf(error, limits) ?? error
    })
  return {
    text: () => told(body.text()),
    binary: () => told(body.binary()),
    stream: () => body.stream(),
  }
}

/** The RequestStall a fetch failure is, if it is one: fetch wraps undici's errors in `cause`. */
export function stallOf(error: unknown, limits: WaitLimits): RequestStall | undefined {
  for (let current = error, depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth++) {
    const {code, message} = current as {code?: unknown; message?: unknown}
    // A signal made by stallSignal (--request-timeout) aborts with one.
    if (current instanceof RequestStall) return current
    if (code === 'UND_ERR_CONNECT_TIMEOUT') {
      // undici's connect limit is its agent's (client-node makes the agent): the message says which.
      const ms = /timeout: (\d+)ms/.exec(String(message))
      return new RequestStall('connect', ms ? Number(ms[1]) : limits.connectMs, {cause: error})
    }
    if (code === 'UND_ERR_HEADERS_TIMEOUT') return new RequestStall('first-byte', limits.firstByteMs, {cause: error})
    if (code === 'UND_ERR_BODY_TIMEOUT') return new RequestStall('idle', limits.idleMs, {cause: error})
    current = (current as {cause?: unknown}).cause
  }
  return undefined
}
