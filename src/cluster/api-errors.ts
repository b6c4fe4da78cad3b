// Turns API and network failures into one actionable line (UserError, exit 2): what was refused
// and what to do about it. Works on client-node ApiExceptions, raw HTTP answers (HttpStatusError),
// WebSocket upgrade refusals and Node network/TLS errors.
import {UserError} from '../errors.js'

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
  constructor(readonly code: number, readonly body: string) {
    super(`HTTP ${code}: ${body.split('\n')[0]}`)
    this.name = 'HttpStatusError'
  }
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_SIGNATURE_FAILURE', 'ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO',
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
  const canI = attempt.verb.split(',').map((verb) => `kubectl auth can-i ${verb} ${attempt.resource}${attempt.namespace ? ` -n ${attempt.namespace}` : ''}`).join('; ')
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
      return new UserError(`permission denied: "${attempt.verb} ${attempt.resource}"${scope} is needed to ${attempt.purpose}`, {
        hint: `check with: ${canI}`,
        cause: error,
      })
    default:
      return new UserError(`could not ${attempt.purpose}: ${code} ${serverMessage ?? 'error'}`, {cause: error})
  }
}

function networkError(error: unknown, attempt: ApiAttempt): UserError {
  const code = networkCodeOf(error)
  const server = attempt.server
  if (code === 'ECONNREFUSED') {
    return new UserError(`cannot connect to the API server at ${server}: connection refused`, {
      hint: 'is the cluster running, and is the server address in the kubeconfig right? (kubectl cluster-info)', cause: error,
    })
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new UserError(`cannot resolve the API server host of ${server}`, {hint: 'check the server address in the kubeconfig and your DNS', cause: error})
  }
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT' || code === 'TimeoutError') {
    return new UserError(`the API server at ${server} did not answer in time`, {hint: 'check connectivity, or raise --request-timeout', cause: error})
  }
  if (code && TLS_CODES.has(code)) {
    return new UserError(`TLS verification of the API server at ${server} failed (${code})`, {
      hint: "the kubeconfig's certificate-authority does not match the server's certificate", cause: error,
    })
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new UserError(`the connection to the API server at ${server} was reset while trying to ${attempt.purpose}`, {cause: error})
  }
  return new UserError(`could not ${attempt.purpose}: ${firstLine(error)}`, {cause: error})
}

/** Node's error code, wherever fetch/ws wrapped it (cause chain, ErrorEvent.error). */
function networkCodeOf(error: unknown): string | undefined {
  let current: unknown = error
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const {code, name, message, cause, error: inner} = current as {code?: unknown; name?: unknown; message?: unknown; cause?: unknown; error?: unknown}
    if (typeof code === 'string') return code
    // An aborted fetch (AbortSignal.timeout), and ws's handshakeTimeout, which says it only in words.
    if (name === 'TimeoutError' || message === 'Opening handshake has timed out') return 'TimeoutError'
    current = cause ?? inner
  }
  return undefined
}

function afterColon(message: string): string {
  const index = message.indexOf('violates PodSecurity')
  return index === -1 ? message : message.slice(index)
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : (error as {message?: string} | null)?.message ?? String(error)
  return message.split('\n')[0]!
}
