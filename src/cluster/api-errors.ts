// Turns API and network failures into one actionable line (UserError, exit 2): what was refused
// and what to do about it. Works on client-node ApiExceptions, raw HTTP answers (HttpStatusError),
// WebSocket upgrade refusals, waits that ran out (RequestStall) and Node network/TLS errors.
import type {IncomingHttpHeaders} from 'node:http'

import {UserError} from '../errors.js'
import {credentialError} from './credential-errors.js'
import {THROTTLE_RETRIES, wasRetried} from './throttle.js'
import {formatLimit, RequestStall} from './wait-limits.js'

/** What we were doing when a call failed: the RBAC permission it needs and why. */
export interface ApiAttempt {
  /** RBAC verb(s), comma-separated when several are needed: `get`, `get,create`. */
  verb: string
  /** `resource` or `resource/subresource`: `nodes/proxy`, `pods/exec`. */
  resource: string
  /** Namespace of a namespaced resource; absent for cluster-wide. */
  namespace?: string
  /** Finishes "... needed to <purpose>": `read the audit log on node cp-1`. */
  purpose: string
  /** API server URL, for network errors. */
  server: string
}

/** A non-2xx HTTP answer read without client-node (raw node:https requests). */
export class HttpStatusError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
    readonly headers: IncomingHttpHeaders = {},
  ) {
    super(`HTTP ${code}: ${body.split('\n')[0]}`)
    this.name = 'HttpStatusError'
  }
}

/** Go's net/http answers a plain-HTTP request on a TLS port with this (a 400). */
export const HTTP_TO_HTTPS = 'Client sent an HTTP request to an HTTPS server'

/** That answer, to a REST call: a connection that could not be made rather than an API answer. */
export class PlainHttpToTls extends Error {
  readonly code = 'ERR_PLAIN_HTTP_TO_TLS'

  constructor() {
    super(HTTP_TO_HTTPS)
    this.name = 'PlainHttpToTls'
  }
}
/** What a TLS client sees when the server answers in plain HTTP. */
const NOT_TLS_CODES = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
])
const WAIT_LONGER =
  'it may be overloaded, or something on the way holds requests; to wait longer, give --request-timeout (e.g. --request-timeout 2m)'

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
])

/** The HTTP status of a failed call, when it got that far. */
export function statusCodeOf(error: unknown): number | undefined {
  if (error instanceof HttpStatusError) return error.code
  if (typeof error !== 'object' || error === null) return undefined
  const {code, message} = error as {code?: unknown; message?: unknown}
  if (typeof code === 'number' && code >= 100 && code < 600) return code
  // ws (under client-node's Exec) rejects an upgrade with only this text.
  const upgrade = typeof message === 'string' ? /^Unexpected server response: (\d{3})/.exec(message) : null
  return upgrade ? Number(upgrade[1]) : undefined
}

/**
 * The status of a refused request that a lookup can go on without (403, 404, ...). Not 401: wrong
 * credentials fail every request, and are reported as such rather than as one lookup's refusal.
 */
export function refusalCodeOf(error: unknown): number | undefined {
  const code = statusCodeOf(error)
  return code === 401 ? undefined : code
}

/** The response headers of a failed call, when it got an answer. */
function headersOf(error: unknown): Record<string, string | string[] | undefined> {
  const headers = (error as {headers?: unknown} | null)?.headers
  return typeof headers === 'object' && headers !== null
    ? (headers as Record<string, string | string[] | undefined>)
    : {}
}

/** The Status `message` (or plain text) the server sent with a failure. */
export function serverMessageOf(error: unknown): string | undefined {
  const body = error instanceof HttpStatusError ? error.body : (error as {body?: unknown} | null)?.body
  if (body === undefined || body === null || body === '') return undefined
  if (typeof body === 'object') return (body as {message?: string}).message
  const text = String(body)
  try {
    const status = JSON.parse(text) as {message?: unknown}
    if (typeof status.message === 'string') return status.message
  } catch {
    // not JSON: the kubelet answers in plain text
  }
  return text.trim().split('\n')[0]
}

export function apiErrorToUserError(error: unknown, attempt: ApiAttempt): UserError {
  if (error instanceof UserError) return error
  const code = statusCodeOf(error)
  const serverMessage = serverMessageOf(error)
  const scope = attempt.namespace ? ` in namespace "${attempt.namespace}"` : ' (cluster-wide)'
  const canI = attempt.verb
    .split(',')
    .map(
      (verb) => `kubectl auth can-i ${verb} ${attempt.resource}${attempt.namespace ? ` -n ${attempt.namespace}` : ''}`,
    )
    .join('; ')
  switch (code) {
    case undefined:
      return networkError(error, attempt)
    case 401:
      return new UserError(`the API server at ${attempt.server} rejected the credentials (401 Unauthorized)`, {
        hint: 'log in again or refresh the kubeconfig credentials (they may have expired), or choose another context',
        cause: error,
      })
    case 403:
      if (serverMessage?.includes('violates PodSecurity')) {
        return new UserError(`Pod Security admission refused the reader pod${scope}: ${afterColon(serverMessage)}`, {
          hint: 'use --pod-namespace with a namespace labelled pod-security.kubernetes.io/enforce=privileged, or read the log with -f',
          cause: error,
        })
      }
      return new UserError(
        `permission denied: "${attempt.verb} ${attempt.resource}"${scope} is needed to ${attempt.purpose}`,
        {
          hint: `check with: ${canI}`,
          cause: error,
        },
      )
    case 429:
    case 503: {
      const retried = wasRetried(code, headersOf(error)['retry-after'])
      if (code === 503 && !retried) break
      const what =
        code === 429 ? 'is throttling requests (429 Too Many Requests' : 'is unavailable (503 Service Unavailable'
      return new UserError(
        `the API server at ${attempt.server} ${what}${retried ? `, still after ${THROTTLE_RETRIES} retries as it asked` : ''}) ` +
          `when asked to ${attempt.purpose}${serverMessage ? `: ${serverMessage}` : ''}`,
        {
          hint:
            code === 429
              ? 'it is overloaded, or limits this user (API Priority and Fairness): run again later'
              : 'run again later; `kubectl get --raw /readyz` tells when it is ready',
          cause: error,
        },
      )
    }
    case 400:
      if (serverMessage?.includes(HTTP_TO_HTTPS)) return speaksHttps(attempt.server, error)
      break
  }
  return new UserError(`could not ${attempt.purpose}: ${code} ${serverMessage ?? 'error'}`, {cause: error})
}

/** A wait that ran out, said as what stalled: connecting, the answer, or its body. */
function stallError(stall: RequestStall, attempt: ApiAttempt, error: unknown): UserError {
  const limit = formatLimit(stall.limitMs)
  const {server, purpose} = attempt
  switch (stall.phase) {
    case 'connect':
      return new UserError(`could not connect to the API server at ${server} within ${limit} (to ${purpose})`, {
        hint: 'check the server address, your network and VPN: a firewall that drops packets looks like this',
        cause: error,
      })
    case 'first-byte':
      return new UserError(
        `the API server at ${server} accepted the connection but sent no answer within ${limit} when asked to ${purpose}`,
        {hint: WAIT_LONGER, cause: error},
      )
    case 'idle':
      return new UserError(
        `the API server at ${server} stopped sending its answer (nothing for ${limit}) when asked to ${purpose}`,
        {hint: WAIT_LONGER, cause: error},
      )
    case 'request':
      return new UserError(
        `the API server at ${server} did not answer within --request-timeout ${limit} when asked to ${purpose}`,
        {hint: 'check connectivity, or raise --request-timeout', cause: error},
      )
  }
}

/** A plain-HTTP request to a TLS port. */
function speaksHttps(server: string, error: unknown): UserError {
  return new UserError(`the API server at ${server} speaks HTTPS, not plain HTTP`, {
    hint: `write the address with https://: ${server.replace(/^http:/, 'https:')}`,
    cause: error,
  })
}

/** The RequestStall in an error's cause chain, if a wait ran out. */
export function stallIn(error: unknown): RequestStall | undefined {
  return causeChain(error).find((e): e is RequestStall => e instanceof RequestStall)
}

function networkError(error: unknown, attempt: ApiAttempt): UserError {
  const credentials = credentialError(error, null)
  if (credentials) return credentials
  const chain = causeChain(error)
  const stall = chain.find((e): e is RequestStall => e instanceof RequestStall)
  if (stall) return stallError(stall, attempt, error)
  const code = chain.map((e) => e.code).find((c): c is string => typeof c === 'string')
  const server = attempt.server
  if (code === 'ERR_PLAIN_HTTP_TO_TLS') return speaksHttps(server, error)
  const unreachable = (cause: string, hint: string) =>
    new UserError(`the API server at ${server} cannot be reached: ${cause}`, {hint, cause: error})
  const timedOut = chain.some((e) => e.name === 'TimeoutError' || e.message === 'Opening handshake has timed out')
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT' || (code === undefined && timedOut)) {
    return new UserError(`the API server at ${server} did not answer in time`, {
      hint: 'check connectivity, or raise --request-timeout',
      cause: error,
    })
  }
  if (code === 'ECONNREFUSED') {
    return unreachable(
      'connection refused',
      'is the cluster running, and is the server address right? (kubectl cluster-info; --server or the kubeconfig)',
    )
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return unreachable(
      `cannot resolve the host ${hostOf(server)}`,
      'check the server address in the kubeconfig (or --server) and your DNS',
    )
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') {
    return unreachable(`no route to ${hostOf(server)} (${code})`, 'check the server address, your network and VPN')
  }
  if (code && NOT_TLS_CODES.has(code)) {
    return unreachable(
      `it does not speak TLS (${code})`,
      `if it serves plain HTTP (such as kubectl proxy), write the address with http://: ${server.replace(/^https:/, 'http:')}`,
    )
  }
  const plainHttp = server.startsWith('http:')
  if (code === 'UND_ERR_SOCKET' || (plainHttp && code === 'ECONNRESET')) {
    // A TLS server drops a plain-HTTP request without a word (Go's answers with a 400, above).
    return new UserError(
      `the API server at ${server} closed the connection without answering when asked to ${attempt.purpose}`,
      {
        hint: plainHttp
          ? `if it serves HTTPS, write the address with https://: ${server.replace(/^http:/, 'https:')}`
          : 'check the server address: is it the API server that listens there?',
        cause: error,
      },
    )
  }
  if (code && TLS_CODES.has(code)) {
    return unreachable(
      `TLS verification failed (${code}${tlsReason(chain)})`,
      "the kubeconfig's certificate-authority (or --certificate-authority) does not match the server's certificate",
    )
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new UserError(`the connection to the API server at ${server} was reset while trying to ${attempt.purpose}`, {
      cause: error,
    })
  }
  if (chain.some((e) => e.message === 'bad port')) {
    // fetch (undici) refuses ports browsers block, such as 1, 6000 and 10080, before connecting.
    return unreachable(
      `port ${portOf(server)} is one that fetch refuses to connect to (a "bad port")`,
      'serve or forward the API server on another port, e.g. kubectl proxy --port 8001',
    )
  }
  if (chain.length > 1 && chain[0]!.message === 'fetch failed') {
    // fetch's own message says nothing: the cause, deepest first, is what went wrong.
    const inner = chain.at(-1)!
    return unreachable(firstLine(inner) || 'fetch failed', 'check the server address and your connection to it')
  }
  return new UserError(`could not ${attempt.purpose}: ${firstLine(error)}`, {cause: error})
}

interface ChainLink {
  code?: unknown
  name?: unknown
  message?: unknown
  reason?: unknown
}

/** The error and what it wraps (fetch's cause, ws's ErrorEvent.error), outermost first. */
function causeChain(error: unknown): ChainLink[] {
  const chain: ChainLink[] = []
  let current: unknown = error
  for (let depth = 0; depth < 8 && current && typeof current === 'object'; depth++) {
    chain.push(current as ChainLink)
    const {cause, error: inner} = current as {cause?: unknown; error?: unknown}
    current = cause ?? inner
  }
  return chain
}

/** Node's TLS errors say why in words after the code (`self-signed certificate in certificate chain`). */
function tlsReason(chain: ChainLink[]): string {
  const message = chain
    .map((e) => e.message)
    .find((m): m is string => typeof m === 'string' && m !== 'fetch failed' && m !== '')
  return message ? `: ${message.split('\n')[0]}` : ''
}

function hostOf(server: string): string {
  try {
    return new URL(server).hostname
  } catch {
    return server
  }
}

function portOf(server: string): string {
  try {
    const url = new URL(server)
    return url.port || (url.protocol === 'http:' ? '80' : '443')
  } catch {
    return '?'
  }
}

function afterColon(message: string): string {
  const index = message.indexOf('violates PodSecurity')
  return index === -1 ? message : message.slice(index)
}

function firstLine(error: unknown): string {
  const message =
    error instanceof Error ? error.message : ((error as {message?: string} | null)?.message ?? String(error))
  return message.split('\n')[0]!
}
