// Reads LogSources into the change collector: gzip by magic bytes, format detection, bisection to
// the start of a time window on seekable sources, scanning, decoding only the candidates.

import {Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'

import type {ChangeCollector} from '../audit/changes.js'
import {type AuditEvent, decodeDocument, type DecodeResult} from '../audit/event.js'
import {logStreamName} from '../audit/rotation.js'
import {type Candidate, detectFormat, DocumentSplitter, isLegacyLine, jsonTextOf, LineScanner, type LogFormat} from '../audit/scan.js'
import {filesInWindow, findWindowStart, lineTime, ORDER_SLACK_MS, type TimeWindow} from '../audit/window.js'
import {readFileChunks} from './file.js'
import {PARALLEL_MIN_BYTES, type RunningScan, type ScanJobResult, startScanWorker} from './parallel-scan.js'
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
}

export interface ReadOptions {
  window: TimeWindow
  collector: ChangeCollector
  /** Sources read at once (network sources gain from more). */
  concurrency?: number
  signal?: AbortSignal
  onProgress?: (stats: SourceStats) => void
}

const GZIP_MAGIC = [0x1f, 0x8b]
const HEAD_BYTES = 64 * 1024
/** Bisection only pays off on sources bigger than this. */
const BISECT_MIN_SIZE = 8 * 1024 * 1024

export async function readSources(sources: readonly LogSource[], options: ReadOptions): Promise<SourceStats[]> {
  const stats = sources.map((s) => emptyStats(s.name))
  const inWindow = filesInWindow(
    sources.map((s) => s.rotatedAt?.getTime() ?? null),
    options.window,
    sources.map((s) => logStreamName(s.name)),
  )
  let next = 0
  const worker = async () => {
    while (next < sources.length) {
      const i = next++
      if (!inWindow[i]) {
        stats[i].skipped = true
        continue
      }
      try {
        await readSource(sources[i], stats[i], options)
      } catch (error) {
        stats[i].error = (error as Error).message
      }
    }
  }
  await Promise.all(Array.from({length: Math.min(options.concurrency ?? 2, sources.length)}, worker))
  return stats
}

function emptyStats(name: string): SourceStats {
  return {name, bytesRead: 0, size: null, events: 0, malformed: 0, firstMalformedLine: null, format: null, startOffset: 0, skipped: false, unterminated: false, firstTimeMs: null, lastTimeMs: null, error: null}
}

async function readSource(source: LogSource, stats: SourceStats, options: ReadOptions): Promise<void> {
  const {signal} = options
  const size = await source.size()
  stats.size = size
  let raw: AsyncIterable<Buffer>
  let gzip: boolean
  let startOffset = 0
  let second: {cut: number; scan: RunningScan} | null = null
  if (size !== null) {
    const head = await readRange(source, 0, Math.min(size, HEAD_BYTES), signal)
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
  const counted = countBytes(raw, stats, options.onProgress)
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
  await mergeSecondHalf(second, first.lineCount, source, stats, options)
}

function stopAfterOf(window: TimeWindow): number | null {
  return window.untilMs === null ? null : window.untilMs + ORDER_SLACK_MS
}

/** Splits [start, size) at a line boundary near the middle and scans the second part on a worker. */
async function startSecondHalf(source: LogSource, path: string, start: number, size: number, stopAfter: number | null, signal?: AbortSignal): Promise<{cut: number; scan: RunningScan} | null> {
  const middle = start + Math.floor((size - start) / 2)
  const probe = await readRange(source, middle, Math.min(size, middle + 16 * HEAD_BYTES), signal)
  const nl = probe.indexOf(0x0a)
  if (nl === -1) return null
  const cut = middle + nl + 1
  const scan = startScanWorker({path, start: cut, end: size, stopAfter})
  return scan && {cut, scan}
}

/** Adds the worker's half as if it had been read after the first: line numbers, counts, events in order. */
async function mergeSecondHalf(second: {cut: number; scan: RunningScan}, firstLineCount: number, source: LogSource, stats: SourceStats, options: ReadOptions): Promise<void> {
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
  options.onProgress?.(stats)
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
  lastTimeMs: number | null
  /** Reading stopped because lines went past this time (a window's end plus slack). */
  stoppedEarly: boolean
  failure?: unknown
}

/**
 * Scans JSON lines, decoding only the candidates and handing their events to `onEvents`.
 * With `stopAfter`, stops at the first chunk whose last line is later than it. A read failure
 * is returned, not thrown, so what was read before it still counts.
 */
export async function scanJsonLines(bytes: AsyncIterable<Buffer>, onEvents: (events: AuditEvent[]) => void, stopAfter: number | null): Promise<LinesResult> {
  let unterminated = false
  // A line is one event, except a decoded webhook EventList written on one line.
  let extraEvents = 0
  const scanner: LineScanner = new LineScanner((candidate) => {
    const decoded = decodeCandidate(candidate)
    if (!('error' in decoded)) {
      extraEvents += Math.max(0, decoded.events.length - 1)
      onEvents(decoded.events)
    }
    else if (candidate.unterminated) unterminated = true
    else scanner.reportMalformed(candidate.line)
  })
  let lastTimeMs: number | null = null
  let stoppedEarly = false
  let failure: unknown
  try {
    for await (const chunk of bytes) {
      scanner.push(chunk)
      const last = lastLineTime(chunk)
      if (last !== undefined) lastTimeMs = last
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
    malformed: scanner.malformed,
    firstMalformedLine: scanner.firstMalformedLine,
    unterminated: unterminated || scanner.unterminated,
    lastTimeMs,
    stoppedEarly,
    failure,
  }
}

function reportMalformed(stats: SourceStats, line: number): void {
  stats.malformed++
  if (stats.firstMalformedLine === null || line < stats.firstMalformedLine) stats.firstMalformedLine = line
}

export function decodeCandidate(candidate: Candidate): DecodeResult {
  const text = jsonTextOf(candidate.bytes)
  if (text === undefined) return {error: isLegacyLine(candidate.bytes) ? 'legacy format line' : 'not JSON'}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return {error: 'invalid JSON'}
  }
  return decodeDocument(value)
}

function countLegacyLines(chunk: Buffer): number {
  let n = 0
  for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) n++
  return n
}

function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]
}

async function readRange(source: LogSource, start: number, end: number, signal?: AbortSignal): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of source.read({start, end}, signal)) parts.push(chunk)
  return Buffer.concat(parts)
}

/** The time of the first whole line after `offset` (bisection probe). Reads a little more when lines are long. */
async function timeAfter(source: LogSource, offset: number, size: number, signal?: AbortSignal): Promise<number | undefined> {
  for (let span = HEAD_BYTES; span <= 16 * HEAD_BYTES; span *= 4) {
    const buf = await readRange(source, offset, Math.min(size, offset + span), signal)
    const nl = buf.indexOf(0x0a)
    if (nl === -1) {
      if (offset + span >= size) return undefined
      continue
    }
    const end = buf.indexOf(0x0a, nl + 1)
    if (end === -1 && offset + span < size) continue
    return lineTime(buf.subarray(nl + 1, end === -1 ? buf.length : end))
  }
  return undefined
}

function firstLineTime(chunk: Buffer): number | null {
  const nl = chunk.indexOf(0x0a)
  return lineTime(chunk.subarray(0, nl === -1 ? chunk.length : nl)) ?? null
}

function lastLineTime(chunk: Buffer): number | undefined {
  const last = chunk.lastIndexOf(0x0a)
  if (last <= 0) return undefined
  const before = chunk.lastIndexOf(0x0a, last - 1)
  return lineTime(chunk.subarray(before + 1, last))
}

async function peek(iterable: AsyncIterable<Buffer>): Promise<{first: Buffer; all: AsyncIterable<Buffer>}> {
  const iterator = iterable[Symbol.asyncIterator]()
  const head = await iterator.next()
  const first = head.done ? Buffer.alloc(0) : head.value
  async function* all() {
    if (!head.done) yield first
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) yield r.value
  }
  return {first, all: all()}
}

async function* countBytes(iterable: AsyncIterable<Buffer>, stats: SourceStats, onProgress?: (s: SourceStats) => void): AsyncIterable<Buffer> {
  for await (const chunk of iterable) {
    stats.bytesRead += chunk.length
    onProgress?.(stats)
    yield chunk
  }
}

async function* gunzip(iterable: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  const inflate = createGunzip({chunkSize: 1024 * 1024})
  const input = Readable.from(iterable)
  input.on('error', (error) => inflate.destroy(error))
  input.pipe(inflate)
  try {
    for await (const chunk of inflate) yield chunk as Buffer
  } catch (error) {
    const message = (error as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' ? 'gzip stream ends early (truncated .gz)' : `corrupt gzip data: ${(error as Error).message}`
    throw new Error(message)
  }
}

/** After a seek the first line is usually cut: skip to the first newline. */
async function* dropFirstLine(iterable: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  let dropping = true
  for await (const chunk of iterable) {
    if (!dropping) {
      yield chunk
      continue
    }
    const nl = chunk.indexOf(0x0a)
    if (nl === -1) continue
    dropping = false
    if (nl + 1 < chunk.length) yield chunk.subarray(nl + 1)
  }
}
