// Following logs as they are written (--watch): after the read of what they held, each followed
// log's new bytes are scanned as they land, and their changes are settled as a stream with short
// waits (FOLLOWED_LOG). A change is let out once every log has been read past its time, so changes
// come out once each, in time order, across nodes. How far a log has been read: up to the time its
// follower last found its end (files, the kubelet), up to its latest line, and for a stream (stdin,
// `tail -F` in a pod) up to a second ago once it has been quiet for a second.

import {
  ChangeCollector,
  type ChangeFilter,
  type ChangeRecord,
  type ChangeWrite,
  changeWriteOf,
  compareRecords,
  FOLLOWED_LOG,
  Settler,
} from '../audit/changes.js'
import {boundUs} from '../audit/window.js'
import {type BodyKeeping, bodiesFor} from '../audit/write-bodies.js'
import {peekHead, tap} from '../sources/byte-streams.js'
import type {Followable, FollowedLog} from '../sources/follow.js'
import type {LogSource, QueryFilter, QuerySource} from '../sources/source.js'
import {contentProblem} from './content-check.js'
import {followStore} from './follow-store.js'
import {detectFormat, FORMAT_HEAD_BYTES, hasFirstLine, type LogFormat} from './format.js'
import {lastLineTime} from './line-times.js'
import {type AddEvents, scanBytes} from './scan.js'
import {scanJsonLines} from './scan-lines.js'
import {emptyStats, noteTruncated, type SourceStats} from './stats.js'

/** How far behind a log's read time a change must be: lines are written about in time order, not exactly. */
export const FOLLOW_LAG_MS = 250
/** A stream quiet this long has handed on what was written up to this long ago (`tail -F` looks every second). */
export const STREAM_QUIET_MS = 1000
/** How often settled changes are let out: well under the second a change may take to show. */
const TICK_MS = 100

export interface FollowedInput {
  readonly source: LogSource & Followable
  /** Where the read before following ended: a line's end (0 for a stream, read only now). */
  readonly from: number
  /** When that read's snapshot was taken (epoch ms): what was written before it was read then. */
  readonly readUpToMs: number | null
  /** The format that read found; a log being written with none found yet is JSON lines, a stream tells by its first line. */
  readonly format: LogFormat | null | undefined
}

export interface FollowPlan {
  readonly logs: readonly FollowedInput[]
  /** Every record read before following, sorted (compareRecords): settled first, with the same waits. */
  readonly before: Iterable<ChangeRecord>
  readonly filter: ChangeFilter
  /** Which writes read while following keep their bodies (what changed is shown); none when absent. */
  readonly bodies?: BodyKeeping
  readonly intervalMs: number
  /** Ends the following; what is settled by then is let out. */
  readonly signal: AbortSignal
  /**
   * Changes in the window, in report order, as they settle, each with the write that tells what it
   * did (bodies only as `bodies` keeps them); `following`: false for those of the records read before.
   */
  onChanges(changes: readonly ChangeWrite[], following: boolean): void
  /**
   * The records read before are settled (what they let out was handed on): what comes now is new.
   * `stores`: what the stores' first asks read (their part of what was there before).
   */
  onFollowing(stores: readonly SourceStats[]): void
  /**
   * Log stores, asked again each interval (follow-store.ts), each with the run's query: the first
   * ask is the whole window, and what it answers counts as read before following.
   */
  readonly stores?: readonly FollowedStore[]
  /** A line for the user about a log: rotated, truncated, a node gone or back. */
  onNotice(line: string): void
  /** This machine's clock (tests). */
  readonly now?: () => number
}

export interface FollowedStore {
  readonly source: QuerySource
  readonly query: QueryFilter
}

/** How far one followed log has been read, for the watermark. */
export interface FollowedLogState {
  streamed: boolean
  readUpToMs: number
  latestLineMs: number
  lastBytesAtMs: number
  up: boolean
  ended: boolean
}

/**
 * Follows the logs until the signal, or until every one of them ended (a stream's end); hands on
 * the changes as they settle. Returns what was read from each log while following.
 */
export async function followChanges(plan: FollowPlan): Promise<SourceStats[]> {
  const now = plan.now ?? Date.now
  const settler = new Settler(boundUs(plan.filter.sinceMs), boundUs(plan.filter.untilMs), FOLLOWED_LOG)
  let following = false
  /** Stores not yet asked once: a store answers the whole window at its first ask, what was there before following. */
  let firstAsks = plan.stores?.length ?? 0
  const letOut = () => {
    const changes = settler.takeOut().map(changeWriteOf)
    if (changes.length > 0) plan.onChanges(changes, following)
  }
  const pending: ChangeRecord[] = []
  const collector = new ChangeCollector(
    plan.filter,
    {add: (record) => pending.push(record), sorted: () => []},
    bodiesFor(plan.bodies),
  )
  const started = now()
  const stats = plan.logs.map((log) => emptyStats(log.source.name))
  const states: FollowedLogState[] = []
  /** The stores' stats as they are now (they follow the logs' in `stats`). */
  const storeStats = () => stats.slice(plan.logs.length).map((s) => ({...s}))
  const newState = (readUpToMs: number | null): FollowedLogState => ({
    streamed: false,
    readUpToMs: readUpToMs ?? Number.NEGATIVE_INFINITY,
    latestLineMs: Number.NEGATIVE_INFINITY,
    lastBytesAtMs: started,
    up: true,
    ended: false,
  })
  const logs = plan.logs.map((log) => {
    const state = newState(log.readUpToMs)
    states.push(state)
    // Nothing is read before the scan below asks for the first bytes.
    const followed = log.source.follow(log.from, {
      intervalMs: plan.intervalMs,
      signal: plan.signal,
      caughtUp: (atMs) => {
        state.readUpToMs = Math.max(state.readUpToMs, atMs)
      },
      notice: plan.onNotice,
      reachable: (up) => {
        state.up = up
      },
    })
    state.streamed = followed.streamed
    return {log, state, followed}
  })

  let advancedTo = Number.NEGATIVE_INFINITY
  /** Settles the records every log has been read past, and lets out what that settles. */
  const tick = () => {
    const watermarkUs = readUpTo(states, now()) * 1000
    pending.sort(compareRecords)
    let taken = 0
    while (taken < pending.length && pending[taken]!.timeUs <= watermarkUs) settler.add(pending[taken++]!)
    pending.splice(0, taken)
    if (watermarkUs > advancedTo) {
      advancedTo = watermarkUs
      settler.advance(watermarkUs)
    }
    letOut()
    if (!following && firstAsks === 0 && advancedTo >= beforeSettledUs) {
      following = true
      plan.onFollowing(storeStats())
    }
  }

  // What was read before comes out first, all of it (once the logs were read past its last
  // change by the settling's waits), before any change that came after.
  let beforeSettledUs = Number.NEGATIVE_INFINITY
  for (const record of plan.before) {
    settler.add(record)
    beforeSettledUs = Math.max(beforeSettledUs, settledAfter(record.timeUs))
    if (settler.out.length >= 1000) letOut()
  }
  tick()

  const scans: Array<Promise<void>> = logs.map(({log, state, followed}, i) =>
    scanFollowed(
      log,
      followed,
      state,
      stats[i]!,
      (events) => {
        for (const event of events) collector.add(event, log.source.name)
      },
      now,
    )
      .catch((error: unknown) => {
        stats[i]!.error = (error as Error).message
        plan.onNotice(`${log.source.name}: no longer followed: ${(error as Error).message}`)
      })
      .finally(() => {
        state.ended = true
      }),
  )
  for (const store of plan.stores ?? []) {
    const state = newState(null)
    states.push(state)
    const storeStats = emptyStats(store.source.name)
    stats.push(storeStats)
    let asked = false
    scans.push(
      followStore(store.source, {
        filter: store.query,
        intervalMs: plan.intervalMs,
        signal: plan.signal,
        stats: storeStats,
        add: (events) => {
          for (const event of events) {
            collector.add(event, store.source.name)
            if (!asked) beforeSettledUs = Math.max(beforeSettledUs, settledAfter(event.timeUs))
          }
        },
        caughtUp: (atMs) => {
          state.readUpToMs = Math.max(state.readUpToMs, atMs)
          if (!asked) firstAsks--
          asked = true
        },
        reachable: (up) => {
          state.up = up
          // A store that cannot be asked at first holds nothing back: what it answers later comes as new.
          if (!up && !asked) {
            asked = true
            firstAsks--
          }
        },
        notice: plan.onNotice,
        ...(plan.now ? {now: plan.now} : {}),
      }).finally(() => {
        state.ended = true
      }),
    )
  }
  const ticker = setInterval(tick, TICK_MS)
  try {
    await Promise.all(scans)
  } finally {
    clearInterval(ticker)
  }
  // Nothing more will come: every record is settled and let out.
  pending.sort(compareRecords)
  for (const record of pending) settler.add(record)
  settler.end()
  letOut()
  if (!following) plan.onFollowing(storeStats())
  for (const s of stats) s.finished = true
  return stats
}

/**
 * The time every followed log has been read up to (less the lag), in epoch ms: the earliest of
 * those that can be read now. A log that is down (a node gone) or ended does not hold the others
 * back; when none can be read, this machine's clock stands in.
 */
export function readUpTo(states: readonly FollowedLogState[], nowMs: number): number {
  let earliest = Number.POSITIVE_INFINITY
  for (const state of states) {
    if (state.ended || !state.up) continue
    let at = Math.max(state.readUpToMs, state.latestLineMs)
    if (state.streamed && nowMs - state.lastBytesAtMs >= STREAM_QUIET_MS) at = Math.max(at, nowMs - STREAM_QUIET_MS)
    earliest = Math.min(earliest, at)
  }
  return (earliest === Number.POSITIVE_INFINITY ? nowMs : earliest) - FOLLOW_LAG_MS
}

async function scanFollowed(
  log: FollowedInput,
  followed: FollowedLog,
  state: FollowedLogState,
  stats: SourceStats,
  add: AddEvents,
  now: () => number,
): Promise<void> {
  const bytes = tap(followed.bytes, (chunk) => {
    stats.bytesRead += chunk.length
    state.lastBytesAtMs = now()
    const lineMs = lastLineTime(chunk)
    if (lineMs !== undefined && lineMs > state.latestLineMs) state.latestLineMs = lineMs
  })
  let format: LogFormat | null | undefined = log.format ?? (log.source.isStream ? undefined : 'lines')
  let all = bytes
  if (format === undefined) {
    // A stream tells by its first line, not by the first 4 KiB a file's head gives: lines come one by one.
    const peeked = await peekHead(bytes, FORMAT_HEAD_BYTES, hasFirstLine)
    all = peeked.all
    const problem = contentProblem(peeked.head, stats.name)
    if (problem) throw problem
    format = peeked.head.length === 0 ? null : detectFormat(peeked.head)
  }
  if (format !== 'lines') {
    await scanBytes(all, format, stats, add, {stopAfter: null, watchOrder: false})
    return
  }
  stats.format = 'lines'
  const result = await scanJsonLines(all, add, {stopAfter: null, watchOrder: false, continues: log.from > 0})
  stats.events += result.events
  stats.malformed += result.malformed
  stats.firstMalformedLine ??= result.firstMalformedLine
  noteTruncated(stats, result.truncatedIDs)
  stats.firstTimeMs ??= result.firstTimeMs
  if (result.lastTimeMs !== null) stats.lastTimeMs = result.lastTimeMs
  if (result.failure !== undefined) throw result.failure
}

/** When a record of this time is settled and let out, at the latest, as the watermark goes. */
function settledAfter(timeUs: number): number {
  return timeUs + FOLLOWED_LOG.settleUs + 2 * FOLLOWED_LOG.joinWaitUs
}
