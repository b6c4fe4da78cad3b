// Reads LogSources into the change collector: gzip by magic bytes, format detection, bisection to
// the start of a time window on seekable sources, scanning, decoding only the candidates.

import {Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'

import type {ChangeCollector} from '../audit/changes.js'
import {decodeDocument, type DecodeResult} from '../audit/event.js'
import {type Candidate, detectFormat, DocumentSplitter, isLegacyLine, jsonTextOf, LineScanner, type LogFormat} from '../audit/scan.js'
import {filesInWindow, findWindowStart, lineTime, ORDER_SLACK_MS, type TimeWindow} from '../audit/window.js'
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
  if (size !== null) {
    const head = await readRange(source, 0, Math.min(size, HEAD_BYTES), signal)
    gzip = isGzip(head)
    if (!gzip && head.length > 0) {
      stats.firstTimeMs = firstLineTime(head)
      if (options.window.sinceMs !== null && size > BISECT_MIN_SIZE && detectFormat(head) === 'lines') {
        startOffset = await findWindowStart(size, options.window.sinceMs, (offset) => timeAfter(source, offset, size, signal))
      }
    }
    raw = source.read(startOffset > 0 ? {start: startOffset} : undefined, signal)
  } else {
    const peeked = await peek(source.read(undefined, signal))
    gzip = isGzip(peeked.first)
    raw = peeked.all
  }
  stats.startOffset = startOffset
  const counted = countBytes(raw, stats, options.onProgress)
  const bytes = gzip ? gunzip(counted) : counted
  await scan(startOffset > 0 ? dropFirstLine(bytes) : bytes, source.name, stats, options, size !== null && !gzip)
}

async function scan(bytes: AsyncIterable<Buffer>, sourceName: string, stats: SourceStats, options: ReadOptions, seekable: boolean): Promise<void> {
  const {collector, window} = options
  let format: LogFormat | null = null
  let lines: LineScanner | undefined
  let documents: DocumentSplitter | undefined
  let legacy = 0
  const accept = (candidate: Candidate, onError: () => void) => {
    const decoded = decodeCandidate(candidate)
    if ('error' in decoded) {
      if (candidate.unterminated) stats.unterminated = true
      else onError()
      return
    }
    stats.events += lines ? 0 : decoded.events.length
    for (const event of decoded.events) collector.add(event, sourceName)
  }
  const stopAfter = window.untilMs === null ? null : window.untilMs + ORDER_SLACK_MS
  let failure: unknown
  try {
  for await (const chunk of bytes) {
    if (format === null) {
      format = detectFormat(chunk)
      stats.format = format
      if (format === 'documents') {
        documents = new DocumentSplitter((c) => accept(c, () => reportMalformed(stats, c.line)))
      } else if (format === 'lines') {
        lines = new LineScanner((c) => accept(c, () => lines!.reportMalformed(c.line)))
      }
      if (stats.firstTimeMs === null && format === 'lines') stats.firstTimeMs = firstLineTime(chunk)
    }
    if (lines) {
      lines.push(chunk)
      const last = lastLineTime(chunk)
      if (last !== undefined) stats.lastTimeMs = last
      // Past the window (with slack for disorder) on an ordered file: the rest cannot matter.
      if (seekable && stopAfter !== null && last !== undefined && last > stopAfter) break
    } else if (documents) {
      documents.push(chunk)
    } else {
      legacy += countLegacyLines(chunk)
    }
  }
  } catch (error) {
    // Keep what was read before the failure (a truncated .gz, a dropped connection).
    failure = error
  }
  if (lines) {
    lines.end()
    stats.events = lines.lines - lines.malformed
    stats.malformed = lines.malformed
    stats.firstMalformedLine = lines.firstMalformedLine
    stats.unterminated ||= lines.unterminated
  } else if (documents) {
    documents.end()
    stats.malformed += documents.garbage
  } else if (format === 'legacy') {
    stats.events = legacy
  }
  if (failure !== undefined) throw failure
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
