// How long any wait on the cluster may last. kubectl's --request-timeout (0 = none) bounds a
// whole request; whatever it says, no wait is unbounded: connecting, the start of an answer, a
// body or stream that stops sending, and the kubeconfig's credential command each have a limit,
// so a server that accepts and never answers ends the run with a line naming it, not a hang.

/** Limits in milliseconds, each for one kind of wait. */
export interface WaitLimits {
  /** Connecting to the API server, TCP and TLS. */
  readonly connectMs: number
  /** From a request sent to the first byte of its answer (the status line and headers). */
  readonly firstByteMs: number
  /** A body or stream being read that sends nothing for this long is cut off. */
  readonly idleMs: number
  /** The kubeconfig user's credential command (exec plugin) must answer within this. */
  readonly credentialMs: number
  /** kubectl's --request-timeout: a REST request's whole life; 0 = no such limit. */
  readonly requestMs: number
}

export const CONNECT_MS = 10_000
export const FIRST_BYTE_MS = 30_000
export const IDLE_MS = 60_000
/** kubectl has no limit here; a plugin that waits for a login nobody can see (its stderr is not shown) would hang. */
export const CREDENTIAL_MS = 30_000

/**
 * The limits for a run. A --request-timeout above 0 is the user saying how long an answer may
 * take: it then replaces the first-byte and idle limits (longer or shorter), and caps connecting.
 * `overrides` are for callers with their own needs (tests use short limits).
 */
export function waitLimits(requestTimeoutMs: number, overrides: Partial<WaitLimits> = {}): WaitLimits {
  const given = requestTimeoutMs > 0
  return {
    connectMs: given ? Math.min(CONNECT_MS, requestTimeoutMs) : CONNECT_MS,
    firstByteMs: given ? requestTimeoutMs : FIRST_BYTE_MS,
    idleMs: given ? requestTimeoutMs : IDLE_MS,
    credentialMs: CREDENTIAL_MS,
    requestMs: Math.max(0, requestTimeoutMs),
    ...overrides,
  }
}

/** Which wait ran out. */
export type StallPhase = 'connect' | 'first-byte' | 'idle' | 'request'

/**
 * A wait that ran out: thrown by the requests made here (raw GETs, exec streams) and made from
 * client-node's and fetch's timeouts, so that every stall is told the same way (api-errors.ts).
 */
export class RequestStall extends Error {
  readonly code = 'ETIMEDOUT'

  constructor(
    readonly phase: StallPhase,
    readonly limitMs: number,
    options: {cause?: unknown} = {},
  ) {
    super(stallText(phase, limitMs), options)
    this.name = 'RequestStall'
  }
}

function stallText(phase: StallPhase, limitMs: number): string {
  const limit = formatLimit(limitMs)
  switch (phase) {
    case 'connect':
      return `no connection within ${limit}`
    case 'first-byte':
      return `no answer within ${limit}`
    case 'idle':
      return `nothing sent for ${limit}`
    case 'request':
      return `not done within --request-timeout ${limit}`
  }
}

/** 30s, 1.5s, 300ms: as a duration flag is written. */
export function formatLimit(ms: number): string {
  if (ms < 1000) return `${ms}ms`
  const seconds = ms / 1000
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)}s`
}

/** A signal that aborts after `ms` with a RequestStall as its reason (what fetch then rejects with). */
export function stallSignal(phase: StallPhase, ms: number): AbortSignal {
  const controller = new AbortController()
  setTimeout(() => controller.abort(new RequestStall(phase, ms)), ms).unref()
  return controller.signal
}
