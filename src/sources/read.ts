// Reads LogSources into the change collector: gzip by magic bytes, format detection, bisection to
// the start of a time window on seekable sources, the second half of a big file on a worker.

import type {ChangeCollector} from '../audit/changes.js'
import type {AuditEvent} from '../audit/event.js'
import {logStreamName} from '../audit/rotation.js'
import {detectFormat, DocumentSplitter, type LogFormat} from '../audit/scan.js'
import {filesInWindow, findWindowStart, ORDER_SLACK_MS, type TimeWindow} from '../audit/window.js'
import {dropFirstLine, gunzip, isGzip, peek, readRange, tap} from './byte-streams.js'
import {readFileChunks} from './file.js'
import {firstLineTime, PROBE_BYTES, timeAfter} from './line-times.js'
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
  /** Times of the first and last event lines seen (epoch ms), for "nothing in the window". */
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

/** Bisection only pays off on sources bigger than this. */
const BISECT_MIN_SIZE = 8 * 1024 * 1024

export async function readSources(sources: readonly LogSource[], options: ReadOptions): Promise<SourceStats[]> {
  const stats = sources.map((s) => emptyStats(s.name))
  const inWindow = filesInWindow(
    sources.map((s) => s.rotatedAt?.getTime() ?? null),
    options.window,
    sources.map((s) => logStreamName(s.name)),
  )
  const changed = () => options.onProgress?.(stats)
  let next = 0
  const worker = async () => {
    while (next < sources.length) {
      const i = next++
      if (!inWindow[i]) {
        stats[i].skipped = true
        stats[i].finished = true
        continue
      }
      try {
        await readSource(sources[i], stats[i], options, changed)
      } catch (error) {
        stats[i].error = (error as Error).message
      }
      stats[i].finished = true
      changed()
    }
  }
  await Promise.all(Array.from({length: Math.min(options.concurrency ?? 2, sources.length)}, worker))
  return stats
}

function emptyStats(name: string): SourceStats {
  return {name, bytesRead: 0, size: null, events: 0, malformed: 0, firstMalformedLine: null, format: null, startOffset: 0, skipped: false, unterminated: false, firstTimeMs: null, lastTimeMs: null, error: null, finished: false}
}

async function readSource(source: LogSource, stats: SourceStats, options: ReadOptions, changed: () => void): Promise<void> {
  const {signal} = options
  const size = await source.size()
  stats.size = size
  let raw: AsyncIterable<Buffer>
  let gzip: boolean
  let startOffset = 0
  let second: {cut: number; scan: RunningScan} | null = null
  if (size !== null) {
    const head = await readRange(source, 0, Math.min(size, PROBE_BYTES), signal)
    gzip = isGzip(head)
    const lines = !gzip && head.length > 0 && detectFormat(head) === 'lines'
    if (lines) {
      stats.firstTimeMs = firstLineTime(head)
      if (options.window.sinceMs !== null && size > BISECT_MIN_SIZE) {
        startOffset = await findWindowStart(size, options.window.sinceMs, (offset) => timeAfter(source, offset, size, signal))
      }
      if (source.localPath !== undefined && size - startOffset >= PARALLEL_MIN_BYTES) {
        second = await startSecondHalf(source, source.localPath, startOffset, size, stopAfterOf(options.window), signal)
      }
    }
    const range = {start: startOffset, end: second?.cut}
    // JSON lines from a local file go only to the line scanner, which copies what it keeps.
    raw = lines && source.localPath !== undefined ? readFileChunks(source.localPath, range, signal, true) : source.read(range, signal)
  } else {
    const peeked = await peek(source.read(undefined, signal))
    gzip = isGzip(peeked.first)
    raw = peeked.all
  }
  stats.startOffset = startOffset
  const counted = tap(raw, (chunk) => {
    stats.bytesRead += chunk.length
    changed()
  })
  const bytes = gzip ? gunzip(counted) : counted
  let first: {lineCount: number; stoppedEarly: boolean}
  try {
    first = await scan(startOffset > 0 ? dropFirstLine(bytes) : bytes, source.name, stats, options, size !== null && !gzip)
  } catch (error) {
    await second?.scan.terminate()
    throw error
  }
  if (second === null) return
  if (first.stoppedEarly) {
    // A sequential read would have stopped here too: the second half is past the window.
    await second.scan.terminate()
    return
  }
  await mergeSecondHalf(second, first.lineCount, source, stats, options, changed)
}

function stopAfterOf(window: TimeWindow): number | null {
  return window.untilMs === null ? null : window.untilMs + ORDER_SLACK_MS
}

/** Splits [start, size) at a line boundary near the middle and scans the second part on a worker. */
async function startSecondHalf(source: LogSource, path: string, start: number, size: number, stopAfter: number | null, signal?: AbortSignal): Promise<{cut: number; scan: RunningScan} | null> {
  const middle = start + Math.floor((size - start) / 2)
  const probe = await readRange(source, middle, Math.min(size, middle + 16 * PROBE_BYTES), signal)
  const nl = probe.indexOf(0x0a)
  if (nl === -1) return null
  const cut = middle + nl + 1
  const scan = startScanWorker({path, start: cut, end: size, stopAfter})
  return scan && {cut, scan}
}

/** Adds the worker's half as if it had been read after the first: line numbers, counts, events in order. */
async function mergeSecondHalf(second: {cut: number; scan: RunningScan}, firstLineCount: number, source: LogSource, stats: SourceStats, options: ReadOptions,
  changed: () => void): Promise<void> {
  let outcome: ScanJobResult
  try {
    outcome = await second.scan.result
  } catch {
    // The worker could not run: read the second half here instead.
    const {cut} = second
    const events: AuditEvent[] = []
    const result = await scanJsonLines(source.read({start: cut}, options.signal), (e) => events.push(...e), stopAfterOf(options.window))
    outcome = {events, bytesRead: (stats.size ?? cut) - cut, result}
  }
  const {result, events, bytesRead} = outcome
  stats.bytesRead += bytesRead
  changed()
  stats.events += result.events
  stats.malformed += result.malformed
  if (stats.firstMalformedLine === null && result.firstMalformedLine !== null) stats.firstMalformedLine = firstLineCount + result.firstMalformedLine
  stats.unterminated ||= result.unterminated
  if (result.lastTimeMs !== null) stats.lastTimeMs = result.lastTimeMs
  for (const event of events) options.collector.add(event, source.name)
  if (result.failure !== undefined) throw new Error(String(result.failure))
}

async function scan(bytes: AsyncIterable<Buffer>, sourceName: string, stats: SourceStats, options: ReadOptions, seekable: boolean): Promise<{lineCount: number; stoppedEarly: boolean}> {
  const {collector, window} = options
  const addAll = (events: readonly AuditEvent[]) => {
    for (const event of events) collector.add(event, sourceName)
  }
  const peeked = await peek(bytes)
  const format = peeked.first.length === 0 ? null : detectFormat(peeked.first)
  stats.format = format
  if (format === 'lines') {
    if (stats.firstTimeMs === null) stats.firstTimeMs = firstLineTime(peeked.first)
    const result = await scanJsonLines(peeked.all, addAll, seekable ? stopAfterOf(window) : null)
    stats.events = result.events
    stats.malformed = result.malformed
    stats.firstMalformedLine = result.firstMalformedLine
    stats.unterminated ||= result.unterminated
    if (result.lastTimeMs !== null) stats.lastTimeMs = result.lastTimeMs
    if (result.failure !== undefined) throw result.failure
    return {lineCount: result.lineCount, stoppedEarly: result.stoppedEarly}
  }
  let failure: unknown
  let legacy = 0
  const documents = new DocumentSplitter((candidate) => {
    const decoded = decodeCandidate(candidate)
    if (!('error' in decoded)) {
      stats.events += decoded.events.length
      addAll(decoded.events)
    } else if (candidate.unterminated) stats.unterminated = true
    else reportMalformed(stats, candidate.line)
  })
  try {
    for await (const chunk of peeked.all) {
      if (format === 'documents') documents.push(chunk)
      else legacy += countLegacyLines(chunk)
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
  return {lineCount: 0, stoppedEarly: false}
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

