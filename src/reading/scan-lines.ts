// Scanning JSON lines into audit events: the hot loop, shared by the reader and its worker thread.
import type {AuditEvent} from '../audit/event.js'
import {NEWLINE} from './bytes.js'
import {noLineBreak} from './content-check.js'
import {type Candidate, decodeCandidate, INVALID_JSON} from './decode.js'
import {LineScanner, type Verdict} from './line-scanner.js'
import {lastLineTime} from './line-times.js'
import {OrderWatch} from './seek.js'
import {noteTruncated} from './stats.js'

/** What scanning a stretch of JSON lines found. Plain data: it also crosses from a worker thread. */
export interface LinesResult {
  /** Events read: well-formed lines, and every item of an EventList on one line. */
  events: number
  /** Non-blank lines, malformed included. */
  lines: number
  /** All lines, blank included: where the next stretch's line numbers start. */
  lineCount: number
  malformed: number
  firstMalformedLine: number | null
  unterminated: boolean
  /** Times of the first and last lines counted as events: what span the input covers. */
  firstTimeMs: number | null
  lastTimeMs: number | null
  /** Reading stopped because lines went past this time (a window's end plus slack). */
  stoppedEarly: boolean
  /** Reading stopped because, watching the order, a line came out of it: read again, whole. */
  disordered: boolean
  /**
   * When watching the order: the earliest and latest times it saw, so that stretches scanned
   * apart can be checked against each other when they are put back in order.
   */
  earliestMs: number | null
  latestMs: number | null
  /** Events a log service cut short, and the first few of their audit IDs. */
  truncated: number
  truncatedIDs: string[]
  failure?: unknown
}

/** At most this many events are handed on in one call. */
export const EVENT_BATCH = 10_000

export interface LinesScanOptions {
  /** Stop at the first chunk whose last line is later than this (a window's end plus slack). */
  readonly stopAfter: number | null
  /**
   * The read skipped part of the log, or may stop early, on the strength of its time order:
   * check that order on the way, and stop as soon as it does not hold (`disordered`).
   */
  readonly watchOrder: boolean
  /**
   * The stretch continues a read begun before it (a chunk of a file scanned on two threads): its
   * first line is not the input's, and one too long to hold is malformed, as anywhere else.
   */
  readonly continues?: boolean
  /** False: every line judged without the WebAssembly classifier (LineScannerOptions). */
  readonly simd?: boolean
}

/**
 * Scans JSON lines, decoding only the candidates and handing their events to `onEvents`.
 * A read failure is returned, not thrown, so what was read before it still counts.
 */
export async function scanJsonLines(
  bytes: AsyncIterable<Buffer>,
  onEvents: (events: AuditEvent[]) => void,
  {stopAfter, watchOrder, continues = false, simd}: LinesScanOptions,
): Promise<LinesResult> {
  const watch = watchOrder ? new OrderWatch() : null
  let earliestMs: number | null = null
  let latestMs: number | null = null
  const order = watch && {
    get disordered() {
      return watch.disordered
    },
    see(ms: number) {
      if (earliestMs === null || ms < earliestMs) earliestMs = ms
      if (latestMs === null || ms > latestMs) latestMs = ms
      watch.see(ms)
    },
  }
  // A line is one event, except a decoded list (a webhook EventList, an Elasticsearch response)
  // written on one line: as many as it holds, and its items that are no event are not understood.
  let extraEvents = 0
  let notUnderstood = 0
  const truncated = {truncated: 0, truncatedIDs: [] as string[]}
  const judgeCandidate = (candidate: Candidate): Verdict => {
    const decoded = decodeCandidate(candidate)
    if (decoded.cut) noteTruncated(truncated, decoded.cut)
    // Cut short while being written; a whole document that is no event is malformed, even last.
    if ('error' in decoded) return candidate.unterminated && decoded.error === INVALID_JSON ? 'partial' : 'malformed'
    extraEvents += decoded.events.length - 1
    notUnderstood += decoded.notUnderstood ?? 0
    if (order) for (const event of decoded.events) order.see(event.timeUs / 1000)
    if (candidate.handOn === false) return 'event'
    // A one-line EventList can hold 300,000 events: hand them on in bounded batches, so no
    // consumer's push(...batch) can overflow the call stack.
    const all = decoded.events
    for (let i = 0; i < all.length; i += EVENT_BATCH)
      onEvents(all.length <= EVENT_BATCH ? all : all.slice(i, i + EVENT_BATCH))
    return 'event'
  }
  const scanner = new LineScanner(judgeCandidate, {simd})
  let stoppedEarly = false
  let failure: unknown
  try {
    for await (const chunk of bytes) {
      scanner.push(chunk)
      // /dev/zero, or text with no line break: nothing will ever come of it.
      if (scanner.firstLineOverlong && !continues) throw noLineBreak()
      const last = lastWholeLineTime(chunk)
      if (last !== undefined) order?.see(last)
      if (order?.disordered) break
      // Past the window (with slack for disorder) on an ordered file: the rest cannot matter.
      if (stopAfter !== null && last !== undefined && last > stopAfter) {
        stoppedEarly = true
        break
      }
    }
  } catch (error) {
    // Keep what was read before the failure (a truncated .gz, a dropped connection).
    failure = error
  }
  scanner.end()
  return {
    events: scanner.lines - scanner.malformed + extraEvents,
    lines: scanner.lines,
    lineCount: scanner.lineCount,
    malformed: scanner.malformed + notUnderstood,
    firstMalformedLine: scanner.firstMalformedLine,
    unterminated: scanner.unterminated,
    firstTimeMs: scanner.firstEventMs,
    lastTimeMs: scanner.lastEventMs,
    stoppedEarly,
    disordered: order?.disordered ?? false,
    earliestMs,
    latestMs,
    ...truncated,
    failure,
  }
}

/** A stretch that stopped early, found disorder or failed ends the read: nothing after it counts. */
export function endsRead(result: LinesResult): boolean {
  return result.stoppedEarly || result.disordered || result.failure !== undefined
}

/**
 * The time of the last line that starts and ends in `chunk`. A piece holding only the end of a
 * line begun before it tells nothing: the line's time was not all read, and a read cut into
 * chunks (parallel-scan.ts) must stop where one reading the whole would.
 */
function lastWholeLineTime(chunk: Buffer): number | undefined {
  const last = chunk.lastIndexOf(NEWLINE)
  return last > 0 && chunk.lastIndexOf(NEWLINE, last - 1) !== -1 ? lastLineTime(chunk) : undefined
}
