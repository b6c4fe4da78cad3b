// Reads LogSources into the change collector: gzip by magic bytes, format detection, bisection to
// the start of a time window on seekable sources, the second half of a big file on a worker.

import {type ChangeCollector, slimEvent} from '../audit/changes.js'
import type {AuditEvent} from '../audit/event.js'
import {logStreamName} from '../audit/rotation.js'
import {detectFormat, DocumentSplitter, FORMAT_HEAD_BYTES, hasFirstLine, type LogFormat} from '../audit/scan.js'
import {filesInWindow, findWindowStart, isRoughlyOrdered, ORDER_PROBES, ORDER_SLACK_MS, type TimeWindow, windowStartBounds} from '../audit/window.js'
import {dropFirstLine, gunzip, isGzip, peekHead, readRange, tap} from './byte-streams.js'
import {readFileChunks} from './file.js'
import {firstLineTime, lastLineTime, PROBE_BYTES, probeTimes, timeAfter} from './line-times.js'
import {PARALLEL_MIN_BYTES, type RunningScan, type ScanJobResult, startScanWorker} from './parallel-scan.js'
import {decodeCandidate, scanJsonLines} from './scan-lines.js'
import type {LogSource} from './source.js'

export interface SourceStats {
  name: string
  /** Bytes taken from the source (compressed bytes for .gz). */
  bytesRead: number
  /** Size of the source when known. */
  size: number | null
  events: number
  malformed: number
  firstMalformedLine: number | null
  format: LogFormat | null
  /** Where reading started when bisection skipped the part before the window. */
  startOffset: number
  /** Not opened: a rotated file whose name says it ends before the window. */
  skipped: boolean
  /** The last line was still being written. */
  unterminated: boolean
  /** Lines are not in time order, so the source was read whole instead of seeking to the window. */
  disordered: boolean
  /**
   * Times of the first and last event lines seen (epoch ms), for "nothing in the window"; for a
   * skipped rotated file, the last is the rotation time in its name.
   */
  firstTimeMs: number | null
  lastTimeMs: number | null
  /** Why reading stopped early (corrupt gzip, a node that went away), after what was read. */
  error: string | null
  /** Nothing more will be read from it: read to the end, skipped, or failed. */
  finished: boolean
}

export interface ReadOptions {
  window: TimeWindow
  collector: ChangeCollector
  /** Sources read at once (network sources gain from more). */
  concurrency?: number
  signal?: AbortSignal
  /** Called as bytes arrive and as each source finishes, with every source's stats. */
  onProgress?: (all: readonly SourceStats[]) => void
}

/** The options as one source's reading uses them: progress is only "something changed". */
type SourceReading = Omit<ReadOptions, 'onProgress'> & {changed: () => void}

/** Bisection and early stops pay off only on sources bigger than this. */
const BISECT_MIN_SIZE = 8 * 1024 * 1024

export async function readSources(sources: readonly LogSource[], options: ReadOptions): Promise<SourceStats[]> {
  const stats = sources.map((s) => emptyStats(s.name))
  const inWindow = filesInWindow(
    sources.map((s) => s.rotatedAt?.getTime() ?? null),
    options.window,
    sources.map((s) => logStreamName(s.name)),
  )
  const reading: SourceReading = {...options, changed: () => options.onProgress?.(stats)}
  let next = 0
  const worker = async () => {
    while (next < sources.length) {
      const i = next++
      if (!inWindow[i]) {
        stats[i].skipped = true
        // Its name says about when it ends: the input's span still shows when nothing is read.
        stats[i].lastTimeMs = sources[i].rotatedAt?.getTime() ?? null
        stats[i].finished = true
        continue
      }
      try {
        await readSource(sources[i], stats[i], reading)
      } catch (error) {
        stats[i].error = (error as Error).message
      }
      stats[i].finished = true
      reading.changed()
    }
  }
  await Promise.all(Array.from({length: Math.min(options.concurrency ?? 2, sources.length)}, worker))
  return stats
}

function emptyStats(name: string): SourceStats {
  return {name, bytesRead: 0, size: null, events: 0, malformed: 0, firstMalformedLine: null, format: null, startOffset: 0, skipped: false, unterminated: false, disordered: false, firstTimeMs: null, lastTimeMs: null, error: null, finished: false}
}

/** How a seekable source is read: whole, or from a bisected start and up to a window's end. */
interface ReadPlan {
  readonly start: number
  readonly stopAfter: number | null
  /**
   * The plan skips lines on the strength of the log's time order: the scan checks that order,
   * and events are held back until the read is over, in case it must start again, whole.
   */
  readonly trustsOrder: boolean
}

const WHOLE: ReadPlan = {start: 0, stopAfter: null, trustsOrder: false}

type AddEvents = (events: readonly AuditEvent[]) => void

async function readSource(source: LogSource, stats: SourceStats, options: SourceReading): Promise<void> {
  const {signal} = options
  const size = await source.size()
  stats.size = size
  if (size === null) {
    const peeked = await peekHead(source.read(undefined, signal), FORMAT_HEAD_BYTES, (head) => head.length >= 2)
    const counted = countBytes(peeked.all, stats, options)
    await scan(isGzip(peeked.head) ? gunzip(counted) : counted, stats, addTo(options.collector, source.name), WHOLE)
    return
  }
  const head = await readRange(source, 0, Math.min(size, PROBE_BYTES), signal)
  const gzip = isGzip(head)
  const lines = !gzip && head.length > 0 && detectFormat(head) === 'lines'
  if (lines) stats.firstTimeMs = firstLineTime(head)
  const plan = lines ? await planRead(source, size, stats, options) : WHOLE
  if (!(await readSeekable(source, {size, gzip, lines}, plan, stats, options))) {
    // Out of order after all: what was held back is dropped, and the source is read again, whole.
    Object.assign(stats, {...emptyStats(source.name), size, firstTimeMs: stats.firstTimeMs, disordered: true})
    await readSeekable(source, {size, gzip, lines}, WHOLE, stats, options)
  }
}

/**
 * Bisecting to a window's start and stopping after its end are only right on a log in time
 * order (give or take ORDER_SLACK_MS). Evenly spaced probes check that first: a log that is two
 * logs concatenated, or otherwise out of order, is read whole.
 */
async function planRead(source: LogSource, size: number, stats: SourceStats, options: SourceReading): Promise<ReadPlan> {
  const {window, signal} = options
  if (size <= BISECT_MIN_SIZE || (window.sinceMs === null && window.untilMs === null)) return WHOLE
  const probes = await probeTimes(source, size, ORDER_PROBES, signal)
  if (!isRoughlyOrdered(probes)) {
    stats.disordered = true
    return WHOLE
  }
  const start = window.sinceMs === null ? 0 : await findWindowStart(size, window.sinceMs, (offset) => timeAfter(source, offset, size, signal), windowStartBounds(probes, size, window.sinceMs))
  const stopAfter = window.untilMs === null ? null : window.untilMs + ORDER_SLACK_MS
  return start === 0 && stopAfter === null ? WHOLE : {start, stopAfter, trustsOrder: true}
}

/**
 * Reads a seekable source as planned, the second half of a big local file on a worker. Returns
 * false, having added nothing, when a plan that trusts the time order found it broken.
 */
async function readSeekable(source: LogSource, shape: {size: number; gzip: boolean; lines: boolean}, plan: ReadPlan, stats: SourceStats, options: SourceReading): Promise<boolean> {
  const {signal} = options
  const {size, gzip, lines} = shape
  const held: AuditEvent[] = []
  const add: AddEvents = plan.trustsOrder ? (events) => held.push(...events.map(slimEvent)) : addTo(options.collector, source.name)
  const commit = () => addTo(options.collector, source.name)(held)
  const second = lines && source.localPath !== undefined && size - plan.start >= PARALLEL_MIN_BYTES ? await startSecondHalf(source, source.localPath, plan, size, signal) : null
  const range = {start: plan.start, end: second?.cut}
  stats.startOffset = plan.start
  // JSON lines from a local file go only to the line scanner, which copies what it keeps.
  const raw = lines && source.localPath !== undefined ? readFileChunks(source.localPath, range, signal, true) : source.read(range, signal)
  const counted = countBytes(raw, stats, options)
  const bytes = gzip ? gunzip(counted) : counted
  let first: ScanEnd
  try {
    first = await scan(plan.start > 0 ? dropFirstLine(bytes) : bytes, stats, add, plan)
  } catch (error) {
    await second?.scan.terminate()
    // What was read before a failure still counts, as on a source that cannot seek.
    commit()
    throw error
  }
  if (first.disordered) {
    await second?.scan.terminate()
    return false
  }
  // After an early stop, a sequential read would not have reached the second half either.
  if (second !== null && first.stoppedEarly) await second.scan.terminate()
  else if (second !== null && !(await mergeSecondHalf(second, first.lineCount, source, plan, stats, add, options, commit))) return false
  commit()
  return true
}

function addTo(collector: ChangeCollector, sourceName: string): AddEvents {
  return (events) => {
    for (const event of events) collector.add(event, sourceName)
  }
}

function countBytes(raw: AsyncIterable<Buffer>, stats: SourceStats, options: SourceReading): AsyncIterable<Buffer> {
  return tap(raw, (chunk) => {
    stats.bytesRead += chunk.length
    options.changed()
  })
}

/** Splits [start, size) at a line boundary near the middle and scans the second part on a worker. */
async function startSecondHalf(source: LogSource, path: string, plan: ReadPlan, size: number, signal?: AbortSignal): Promise<{cut: number; scan: RunningScan} | null> {
  const middle = plan.start + Math.floor((size - plan.start) / 2)
  const probe = await readRange(source, middle, Math.min(size, middle + 16 * PROBE_BYTES), signal)
  const nl = probe.indexOf(0x0a)
  if (nl === -1) return null
  const cut = middle + nl + 1
  const scan = startScanWorker({path, start: cut, end: size, stopAfter: plan.stopAfter, watchOrder: plan.trustsOrder})
  return scan && {cut, scan}
}

/**
 * Adds the worker's half as if it had been read after the first: line numbers, counts, events in
 * order. Returns false when it found the time order broken.
 */
async function mergeSecondHalf(second: {cut: number; scan: RunningScan}, firstLineCount: number, source: LogSource, plan: ReadPlan, stats: SourceStats, add: AddEvents, options: SourceReading, commit: () => void): Promise<boolean> {
  let outcome: ScanJobResult
  try {
    outcome = await second.scan.result
  } catch {
    // The worker could not run: read the second half here instead.
    const {cut} = second
    const events: AuditEvent[] = []
    const result = await scanJsonLines(source.read({start: cut}, options.signal), (e) => events.push(...e), {stopAfter: plan.stopAfter, watchOrder: plan.trustsOrder})
    outcome = {events, bytesRead: (stats.size ?? cut) - cut, result}
  }
  const {result, events, bytesRead} = outcome
  if (result.disordered) return false
  stats.bytesRead += bytesRead
  options.changed()
  stats.events += result.events
  stats.malformed += result.malformed
  if (stats.firstMalformedLine === null && result.firstMalformedLine !== null) stats.firstMalformedLine = firstLineCount + result.firstMalformedLine
  stats.unterminated ||= result.unterminated
  if (result.lastTimeMs !== null) stats.lastTimeMs = result.lastTimeMs
  add(events)
  if (result.failure !== undefined) {
    commit()
    throw new Error(String(result.failure))
  }
  return true
}

interface ScanEnd {
  lineCount: number
  stoppedEarly: boolean
  disordered: boolean
}

/** Detects the format and scans; JSON lines as the plan says, other formats whole. */
async function scan(bytes: AsyncIterable<Buffer>, stats: SourceStats, addAll: AddEvents, plan: ReadPlan): Promise<ScanEnd> {
  const peeked = await peekHead(bytes, FORMAT_HEAD_BYTES, hasFirstLine)
  const format = peeked.head.length === 0 ? null : detectFormat(peeked.head)
  stats.format = format
  if (format === 'lines') {
    if (stats.firstTimeMs === null) stats.firstTimeMs = firstLineTime(peeked.head)
    const result = await scanJsonLines(peeked.all, addAll, {stopAfter: plan.stopAfter, watchOrder: plan.trustsOrder})
    stats.events = result.events
    stats.malformed = result.malformed
    stats.firstMalformedLine = result.firstMalformedLine
    stats.unterminated ||= result.unterminated
    if (result.lastTimeMs !== null) stats.lastTimeMs = result.lastTimeMs
    if (result.failure !== undefined) throw result.failure
    return {lineCount: result.lineCount, stoppedEarly: result.stoppedEarly, disordered: result.disordered}
  }
  let failure: unknown
  let legacy = 0
  const documents = new DocumentSplitter((candidate) => {
    const decoded = decodeCandidate(candidate)
    if (!('error' in decoded)) {
      stats.events += decoded.events.length
      for (const event of decoded.events) widenSpan(stats, event.timeUs / 1000)
      addAll(decoded.events)
    } else if (candidate.unterminated) stats.unterminated = true
    else reportMalformed(stats, candidate.line)
  })
  if (format === 'legacy') stats.firstTimeMs ??= firstLineTime(peeked.head)
  try {
    for await (const chunk of peeked.all) {
      if (format === 'documents') documents.push(chunk)
      else {
        legacy += countLegacyLines(chunk)
        stats.lastTimeMs = lastLineTime(chunk) ?? stats.lastTimeMs
      }
    }
  } catch (error) {
    failure = error
  }
  if (format === 'documents') {
    documents.end()
    stats.malformed += documents.garbage
  } else if (format === 'legacy') {
    stats.events = legacy
  }
  if (failure !== undefined) throw failure
  return {lineCount: 0, stoppedEarly: false, disordered: false}
}

/** Documents come in any order (an EventList of several apiservers): the span is their earliest and latest. */
function widenSpan(stats: SourceStats, ms: number): void {
  if (stats.firstTimeMs === null || ms < stats.firstTimeMs) stats.firstTimeMs = ms
  if (stats.lastTimeMs === null || ms > stats.lastTimeMs) stats.lastTimeMs = ms
}

function reportMalformed(stats: SourceStats, line: number): void {
  stats.malformed++
  if (stats.firstMalformedLine === null || line < stats.firstMalformedLine) stats.firstMalformedLine = line
}

function countLegacyLines(chunk: Buffer): number {
  let n = 0
  for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) n++
  return n
}

