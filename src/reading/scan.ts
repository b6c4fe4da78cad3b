// Scans a source's bytes by its format, counting into its stats and handing decoded events on:
// JSON lines through the line scanner (as the read plan says), pretty-printed JSON and YAML
// documents whole, legacy lines only counted.

import {type AuditEvent, decodeDocument} from '../audit/event.js'
import {peekHead} from '../sources/byte-streams.js'
import {CONTENT_SAMPLE_BYTES, contentProblem, looksLikeKlog} from './content-check.js'
import {decodeCandidate, firstEventTime} from './decode.js'
import {DocumentSplitter} from './document-splitter.js'
import {detectFormat, FORMAT_HEAD_BYTES, hasFirstLine, type LogFormat} from './format.js'
import {firstLineTime, lastLineTime} from './line-times.js'
import {type LinesScanOptions, scanJsonLines} from './scan-lines.js'
import {noteTruncated, type SourceStats, widenSpan} from './stats.js'
import {YamlDocumentSplitter, yamlValue} from './yaml-documents.js'

export type AddEvents = (events: readonly AuditEvent[]) => void

export interface ScanEnd {
  /** Lines read, for numbering the lines read after them (the second half of a file). */
  lineCount: number
  stoppedEarly: boolean
  disordered: boolean
}

/**
 * Scans `bytes` in `format`; undefined when the source's head could not tell (a .gz, a stream
 * that cannot seek), and then the first line read here does. A read failure is thrown after
 * what was read before it is counted.
 */
export async function scanBytes(
  bytes: AsyncIterable<Buffer>,
  format: LogFormat | null | undefined,
  stats: SourceStats,
  add: AddEvents,
  lines: LinesScanOptions,
): Promise<ScanEnd> {
  // The first line read tells the format when the source's head could not, and the time the
  // input starts when the head had none (a first line longer than the head).
  if (format === undefined || ((format === 'lines' || format === 'legacy') && stats.firstTimeMs === null)) {
    // Enough of the head to tell binary data from text, too, where the source has that much.
    const peeked = await peekHead(
      bytes,
      FORMAT_HEAD_BYTES,
      (head) => hasFirstLine(head) && head.length >= CONTENT_SAMPLE_BYTES,
    )
    bytes = peeked.all
    if (format === undefined) {
      // Not checked before: inflated from a .gz, or a stream.
      const problem = contentProblem(peeked.head, stats.name)
      if (problem) throw problem
      stats.klog = looksLikeKlog(peeked.head)
      format = peeked.head.length === 0 ? null : detectFormat(peeked.head)
    }
    if (format === 'lines') stats.firstTimeMs ??= firstEventTime(peeked.head)
    else if (format === 'legacy') stats.firstTimeMs ??= firstLineTime(peeked.head)
  }
  stats.format = format
  if (format === 'lines') return scanLines(bytes, stats, add, lines)
  if (format === 'documents') await scanDocuments(bytes, stats, add)
  else if (format === 'yaml') await scanYamlDocuments(bytes, stats, add)
  else if (format === 'legacy') await countLegacyLines(bytes, stats)
  return {lineCount: 0, stoppedEarly: false, disordered: false}
}

async function scanLines(
  bytes: AsyncIterable<Buffer>,
  stats: SourceStats,
  add: AddEvents,
  options: LinesScanOptions,
): Promise<ScanEnd> {
  const result = await scanJsonLines(bytes, add, options)
  stats.events = result.events
  stats.malformed = result.malformed
  stats.firstMalformedLine = result.firstMalformedLine
  stats.unterminated ||= result.unterminated
  noteTruncated(stats, result.truncatedIDs)
  stats.truncated += result.truncated - result.truncatedIDs.length
  // The head may have had no whole event line (a first line longer than it).
  stats.firstTimeMs ??= result.firstTimeMs
  if (result.lastTimeMs !== null) stats.lastTimeMs = result.lastTimeMs
  if (result.failure !== undefined) throw result.failure
  return {lineCount: result.lineCount, stoppedEarly: result.stoppedEarly, disordered: result.disordered}
}

/** Every document is decoded: such files are small, and an EventList must be decoded to be counted. */
async function scanDocuments(bytes: AsyncIterable<Buffer>, stats: SourceStats, add: AddEvents): Promise<void> {
  const documents = new DocumentSplitter((candidate) => {
    const decoded = decodeCandidate(candidate)
    if (decoded.cut) noteTruncated(stats, decoded.cut)
    if (!('error' in decoded)) {
      stats.events += decoded.events.length
      stats.malformed += decoded.notUnderstood ?? 0
      for (const event of decoded.events) widenSpan(stats, event.timeUs / 1000)
      add(decoded.events)
    } else if (candidate.unterminated) stats.unterminated = true
    else reportMalformed(stats, candidate.line)
  })
  let failure: unknown
  try {
    for await (const chunk of bytes) documents.push(chunk)
  } catch (error) {
    failure = error
  }
  documents.end()
  stats.malformed += documents.garbage
  if (failure !== undefined) throw failure
}

/** Each YAML document is parsed and decoded like a JSON one; the parser loads only for such input. */
async function scanYamlDocuments(bytes: AsyncIterable<Buffer>, stats: SourceStats, add: AddEvents): Promise<void> {
  const {parseDocument} = await import('yaml')
  const documents = new YamlDocumentSplitter((candidate) => {
    const value = yamlValue(parseDocument, candidate.bytes.toString('utf8'))
    const decoded = value === undefined ? undefined : decodeDocument(value)
    if (decoded === undefined || 'error' in decoded) return reportMalformed(stats, candidate.line)
    stats.events += decoded.events.length
    stats.malformed += decoded.notUnderstood ?? 0
    for (const event of decoded.events) widenSpan(stats, event.timeUs / 1000)
    add(decoded.events)
  })
  let failure: unknown
  try {
    for await (const chunk of bytes) documents.push(chunk)
  } catch (error) {
    failure = error
  }
  documents.end()
  if (failure !== undefined) throw failure
}

/** The legacy format cannot be summarised: its lines are counted, and its span kept. */
async function countLegacyLines(bytes: AsyncIterable<Buffer>, stats: SourceStats): Promise<void> {
  let lines = 0
  try {
    for await (const chunk of bytes) {
      for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++
      stats.lastTimeMs = lastLineTime(chunk) ?? stats.lastTimeMs
    }
  } finally {
    stats.events = lines
  }
}

function reportMalformed(stats: SourceStats, line: number): void {
  stats.malformed++
  if (stats.firstMalformedLine === null || line < stats.firstMalformedLine) stats.firstMalformedLine = line
}
