// Following a log store (--watch on CloudWatch Logs, Cloud Logging, Log Analytics, Elasticsearch,
// Loki): a store is not appended to but queried by time, so it is asked again each interval for
// what came since, from a while before the last ask (records reach a store late: shippers batch,
// providers deliver "within minutes"), and what it answered before is dropped by its identity.
// The first ask is the whole window. No store is asked more often than its quota allows.

import type {AuditEvent} from '../audit/event.js'
import type {QueryFilter, QuerySource, StorePace} from '../sources/source.js'
import {readQuery} from './query.js'
import type {AddEvents} from './scan.js'
import {emptyStats, noteTruncated, type SourceStats, widenSpan} from './stats.js'

/** For a store that does not say: asked at most once a second, records up to a minute late. */
export const DEFAULT_STORE_PACE: StorePace = {minIntervalMs: 1000, lateMs: 60_000}

export interface StoreFollowOptions {
  /** What the run asks for; sinceMs is where the first ask starts (null: the store's own bound). */
  readonly filter: QueryFilter
  /** How often the store is asked, raised to its pace's minimum. */
  readonly intervalMs: number
  readonly signal: AbortSignal
  /** What was read in the whole window, then only what is new at each ask. */
  readonly add: AddEvents
  /** Every record the store held at `atMs` (this machine's clock), less what reaches it late, was handed on. */
  caughtUp(atMs: number): void
  /** The store could not be asked (false: it is asked again next interval), or could again (true). */
  reachable(up: boolean): void
  notice(line: string): void
  /** What was read from the store, summed over the asks. */
  readonly stats: SourceStats
  /** This machine's clock, and the wait between asks (tests). */
  readonly now?: () => number
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>
}

/** How often a store is asked while it is followed: the interval asked for, or its quota's minimum. */
export function storeInterval(source: QuerySource, intervalMs: number): number {
  return Math.max(intervalMs, (source.pace ?? DEFAULT_STORE_PACE).minIntervalMs)
}

/** Asks the store until the signal; returns then (a failed ask is said, and asked again). */
export async function followStore(source: QuerySource, options: StoreFollowOptions): Promise<void> {
  const {signal, stats} = options
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? wait
  const pace = source.pace ?? DEFAULT_STORE_PACE
  const interval = storeInterval(source, options.intervalMs)
  /** What was handed on, by identity, with its time (ms): forgotten once no ask can return it. */
  const seen = new Map<string, number>()
  let sinceMs = options.filter.sinceMs
  let failing = false
  stats.format = source.format
  while (!signal.aborted) {
    const askedAt = now()
    const answer = emptyStats(source.name)
    const fresh: AuditEvent[] = []
    try {
      await readQuery(
        source,
        {...options.filter, sinceMs, untilMs: null},
        answer,
        (events) => {
          for (const event of events) {
            const key = identity(event)
            if (seen.has(key)) continue
            seen.set(key, event.timeUs / 1000)
            fresh.push(event)
          }
        },
        () => {},
        signal,
      )
    } catch (error) {
      if (signal.aborted) break
      if (!failing)
        options.notice(
          `${source.name}: cannot be asked now (${(error as Error).message.split('\n')[0]}); asking again every ${interval / 1000} s`,
        )
      failing = true
      options.reachable(false)
      await sleep(interval, signal)
      continue
    }
    if (failing) options.notice(`${source.name}: answers again`)
    failing = false
    options.reachable(true)
    stats.bytesRead += answer.bytesRead
    stats.malformed += answer.malformed
    stats.firstMalformedLine ??= answer.firstMalformedLine
    noteTruncated(stats, answer.truncatedIDs)
    stats.events += fresh.length
    for (const event of fresh) widenSpan(stats, event.timeUs / 1000)
    if (fresh.length > 0) options.add(fresh)
    options.caughtUp(askedAt)
    // The next ask starts far enough back to find what reaches the store late. A store may bound
    // its asks by another of an event's times (received, not its stage's): identities are kept twice as long.
    sinceMs = askedAt - pace.lateMs
    for (const [key, ms] of seen) if (ms < sinceMs - pace.lateMs) seen.delete(key)
    await sleep(interval, signal)
  }
  stats.finished = true
}

/** One event's identity across asks: a request's stage at its time; the whole event where it has no audit ID. */
function identity(event: AuditEvent): string {
  return event.auditID === ''
    ? JSON.stringify(event)
    : `${event.auditID}\u0000${event.stage}\u0000${event.timeUs}\u0000${event.verb}`
}

async function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, {once: true})
  })
}
