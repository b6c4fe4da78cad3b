// Following a log store (--watch on CloudWatch Logs, Cloud Logging, Log Analytics, Elasticsearch,
// Loki): a store is not appended to but queried by time, so it is asked again each interval for
// what came since, from a while before the last ask (records reach a store late: shippers batch,
// providers deliver "within minutes"), and what it answered before is dropped by its identity.
// The first ask is the whole window. No store is asked more often than its quota allows.

import {setTimeout as delay} from 'node:timers/promises'

import type {AuditEvent} from '../audit/event.js'
import type {QueryFilter, QuerySource, StorePace} from '../sources/source.js'
import {readQuery} from './query.js'
import type {AddEvents} from './scan.js'
import {emptyStats, NAMED_TRUNCATED, type SourceStats, widenSpan} from './stats.js'

/** For a store that does not say: asked at most once a second, records up to a minute late. */
export const DEFAULT_STORE_PACE: StorePace = {minIntervalMs: 1000, lateMs: 60_000}

export interface StoreFollowOptions {
  /** What the run asks for (no end: a watch has none); sinceMs is where the first ask starts (null: the store's own bound). */
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

/** A store's pace, or the default for one that does not say. */
export function paceOf(source: QuerySource): StorePace {
  return source.pace ?? DEFAULT_STORE_PACE
}

/** How often a store is asked while it is followed: the interval asked for, or its quota's minimum. */
export function storeInterval(source: QuerySource, intervalMs: number): number {
  return Math.max(intervalMs, paceOf(source).minIntervalMs)
}

/** Asks the store until the signal; returns then (a failed ask is said, and asked again). */
export async function followStore(source: QuerySource, options: StoreFollowOptions): Promise<void> {
  const {signal, stats} = options
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? wait
  const pace = paceOf(source)
  const interval = storeInterval(source, options.intervalMs)
  /** What was handed on, by identity, with its time (ms): forgotten once no ask can return it. */
  const seen = new Map<string, number>()
  /** The next ask's start; the first is the run's own filter (a store may have begun answering it when it was opened). */
  let sinceMs: number | null | undefined
  let failing = false
  stats.format = source.format
  while (!signal.aborted) {
    const askedAt = now()
    const answer = emptyStats(source.name)
    // What this ask found that was not handed on before: handed on, and remembered, only once the
    // ask is answered whole (an ask that fails half-way is asked again).
    const fresh = new Map<string, AuditEvent>()
    try {
      await readQuery(
        source,
        sinceMs === undefined ? options.filter : {...options.filter, sinceMs, untilMs: null},
        answer,
        (events) => {
          for (const event of events) {
            const key = identity(event)
            if (!seen.has(key)) fresh.set(key, event)
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
    // Asks overlap, so what cannot be read is found again and again: the most one ask found is said.
    stats.malformed = Math.max(stats.malformed, answer.malformed)
    stats.firstMalformedLine ??= answer.firstMalformedLine
    stats.truncated = Math.max(stats.truncated, answer.truncated)
    for (const id of answer.truncatedIDs)
      if (!stats.truncatedIDs.includes(id) && stats.truncatedIDs.length < NAMED_TRUNCATED) stats.truncatedIDs.push(id)
    const events = [...fresh.values()]
    for (const [key, event] of fresh) seen.set(key, event.timeUs / 1000)
    stats.events += events.length
    for (const event of events) widenSpan(stats, event.timeUs / 1000)
    if (events.length > 0) options.add(events)
    // What reaches the store within an interval of its time comes out in order with the rest;
    // what comes later is shown when it comes.
    options.caughtUp(askedAt - interval)
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

/** Waits, or less when the signal comes first. */
async function wait(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, {signal}).catch(() => {})
}
