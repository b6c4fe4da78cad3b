// An API server that is overloaded says so with 429 Too Many Requests (API Priority and Fairness,
// max-in-flight) or 503 Service Unavailable, and says when to come back in Retry-After. As
// client-go does, such an answer is retried after that delay, whatever the verb (the request was
// not served); unlike client-go, at most a few times and never after a long wait, so that a
// saturated server ends the run with one clear line rather than keeps it waiting.

/** Retries after the first answer: four requests in all. */
export const THROTTLE_RETRIES = 3
/** The longest wait before one retry, whatever Retry-After says. */
export const MAX_RETRY_DELAY_MS = 10_000

const RETRIED_STATUSES = new Set([429, 503])

/**
 * How long to wait before retrying an answer with `status` and `retryAfter` (the header), after
 * `retriesDone` retries; undefined when it is not to be retried (another status, no Retry-After,
 * or no retries left).
 */
export function throttleRetryDelayMs(
  status: number,
  retryAfter: string | string[] | undefined,
  retriesDone: number,
  now: number = Date.now(),
): number | undefined {
  if (!RETRIED_STATUSES.has(status) || retriesDone >= THROTTLE_RETRIES) return undefined
  const delay = retryAfterMs(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, now)
  return delay === undefined ? undefined : Math.min(delay, MAX_RETRY_DELAY_MS)
}

/** Retry-After as delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  const text = value?.trim()
  if (!text) return undefined
  if (/^\d+$/.test(text)) return Number(text) * 1000
  // An HTTP date has a day and a month by name (Date.parse would take "-1" for a year).
  if (!/^[A-Za-z]{3}, /.test(text)) return undefined
  const at = Date.parse(text)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/** Whether an answer that is still 429 or 503 was one the server asked to be retried (and so was, until retries ran out). */
export function wasRetried(status: number, retryAfter: string | string[] | undefined): boolean {
  return (
    RETRIED_STATUSES.has(status) && retryAfterMs(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) !== undefined
  )
}
