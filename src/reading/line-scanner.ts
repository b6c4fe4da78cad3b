// Finds the few JSON lines worth decoding in a stream of audit-log bytes, without turning the
// noise into strings it keeps: the prefilter (src/audit/prefilter.ts) runs on the bytes as latin1.

import {findVerbKey, hasWriteVerb, RESOURCE_PATTERN, VERB_KEY} from '../audit/prefilter.js'
import {CR, isSpace, NEWLINE} from './bytes.js'
import {type Candidate, MAX_LINE_BYTES} from './decode.js'

/** Text is searched this much at a time: small strings are cheap to make and to collect. */
const SLICE_BYTES = 64 * 1024

/**
 * JSON-lines scanner. Push chunks; it calls `onCandidate` for each line that contains a watched
 * resource name and a write verb. Other lines are only checked for the shape of an event (an
 * object with a "verb"), never decoded. Every line gets the same tests, whether it lies inside a
 * chunk or was assembled across chunks, so chunk boundaries never change the answer.
 */
export class LineScanner {
  /** Non-blank lines seen, malformed ones included. */
  lines = 0
  /** Lines that are not an audit event: not a JSON object, no "verb", or too long to hold. */
  malformed = 0
  firstMalformedLine: number | null = null
  /** The input ended in the middle of a line (a log being written): normal, not malformed. */
  unterminated = false
  private lineNo = 1
  private pending: Buffer[] = []
  private pendingBytes = 0
  /**
   * Where the next `"verb"` key starts in the text being scanned, at or after the lines already
   * checked (the text's length when there is none): each text is searched for keys once, in step
   * with its lines, not once per line, and a line without one costs no search of the rest.
   */
  private verbKey = -1

  constructor(private readonly onCandidate: (candidate: Candidate) => void) {}

  /** Lines seen so far, blank and unterminated ones included. */
  get lineCount(): number {
    return this.lineNo - 1 + (this.unterminated ? 1 : 0)
  }

  /** Call for a candidate that turned out not to decode, so it is counted with the rest. */
  reportMalformed(line: number): void {
    this.malformed++
    if (this.firstMalformedLine === null || line < this.firstMalformedLine) this.firstMalformedLine = line
  }

  push(chunk: Buffer): void {
    let start = 0
    if (this.pending.length > 0) {
      const nl = chunk.indexOf(NEWLINE, start)
      if (nl === -1) {
        this.keepPending(chunk.subarray(start))
        return
      }
      this.keepPending(chunk.subarray(start, nl))
      this.finishPending(false)
      start = nl + 1
    }
    const last = chunk.lastIndexOf(NEWLINE)
    if (last >= start) {
      this.scanLines(chunk, start, last + 1)
      start = last + 1
    }
    if (start < chunk.length) this.keepPending(chunk.subarray(start))
  }

  end(): void {
    if (this.pending.length > 0) this.finishPending(true)
  }

  private keepPending(piece: Buffer): void {
    if (this.pendingBytes + piece.length > MAX_LINE_BYTES) {
      // Too long to hold: remember only that the line exists; it is dropped when it ends.
      this.pendingBytes = Number.POSITIVE_INFINITY
      this.pending = [Buffer.alloc(0)]
      return
    }
    // A copy: the chunk's buffer may be reused for the next chunk.
    this.pending.push(Buffer.from(piece))
    this.pendingBytes += piece.length
  }

  private finishPending(unterminated: boolean): void {
    const oversized = this.pendingBytes === Number.POSITIVE_INFINITY
    const line = oversized ? Buffer.alloc(0) : Buffer.concat(this.pending)
    this.pending = []
    this.pendingBytes = 0
    if (oversized) {
      this.lines++
      this.reportMalformed(this.lineNo)
    } else {
      this.scanOneLine(line, unterminated)
    }
    if (!unterminated) this.lineNo++
  }

  /** A line assembled across chunks (or the unterminated last one): searched on its own. */
  private scanOneLine(line: Buffer, unterminated: boolean): void {
    const text = line.toString('latin1')
    const start = bomLength(text, 0)
    const end = text.length > start && text.charCodeAt(text.length - 1) === CR ? text.length - 1 : text.length
    if (isBlank(text, start, end)) return
    // An unterminated last line that is a whole object is just missing its newline; one cut
    // short is a log still being written: normal, neither an event nor malformed.
    if (unterminated && !endsWithBrace(text, start, end)) {
      this.unterminated = true
      return
    }
    this.lines++
    this.verbKey = -1
    if (!this.looksLikeEvent(text, start, end)) this.reportMalformed(this.lineNo)
    else if (RESOURCE_PATTERN.test(text.substring(start, end)) && hasWriteVerb(text, start, end)) {
      this.onCandidate({bytes: line.subarray(start, end), line: this.lineNo, unterminated})
    }
  }

  /**
   * Scans complete lines in chunk[from, to) (to is just past a newline). The bytes are looked at
   * as latin1 text, a slice at a time: one byte is one character, so offsets stay byte offsets,
   * and V8's string search and regular expressions cost far less per call than Buffer.indexOf.
   * One regular expression finds every resource needle in a single pass; lines between matches
   * are only counted and shape-checked.
   */
  private scanLines(chunk: Buffer, from: number, to: number): void {
    let sliceStart = from
    while (sliceStart < to) {
      let sliceEnd = Math.min(to, sliceStart + SLICE_BYTES)
      if (sliceEnd < to) {
        const nl = chunk.indexOf(NEWLINE, sliceEnd - 1)
        sliceEnd = nl === -1 || nl >= to ? to : nl + 1
      }
      this.scanSlice(chunk, sliceStart, chunk.toString('latin1', sliceStart, sliceEnd))
      sliceStart = sliceEnd
    }
  }

  /** `text` is chunk[base, base + text.length) as latin1 and ends with a newline. */
  private scanSlice(chunk: Buffer, base: number, text: string): void {
    const needles = new RegExp(RESOURCE_PATTERN.source, 'g')
    this.verbKey = -1
    let pos = 0
    while (pos < text.length) {
      const found = needles.exec(text)
      const stop = found === null ? text.length : found.index
      let nl = text.indexOf('\n', pos)
      while (nl !== -1 && nl < stop) {
        this.countLine(text, pos, nl)
        pos = nl + 1
        nl = text.indexOf('\n', pos)
      }
      if (found === null) return
      // pos is now the start of the line holding the match; nl ends it.
      const end = text.charCodeAt(nl - 1) === CR ? nl - 1 : nl
      const start = pos + bomLength(text, pos)
      this.lines++
      if (!this.looksLikeEvent(text, start, end)) this.reportMalformed(this.lineNo)
      // No key lies between the line's start and the one the shape test found.
      else if (hasWriteVerb(text, this.verbKey, end)) this.onCandidate({bytes: chunk.subarray(base + start, base + end), line: this.lineNo, unterminated: false})
      this.lineNo++
      pos = nl + 1
      needles.lastIndex = pos
    }
  }

  /** A line without a resource needle: counted, and shape-checked. */
  private countLine(text: string, lineStart: number, nl: number): void {
    const start = lineStart + bomLength(text, lineStart)
    const end = nl > start && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl
    if (end > start && !isBlank(text, start, end)) {
      this.lines++
      if (!this.looksLikeEvent(text, start, end)) this.reportMalformed(this.lineNo)
    }
    this.lineNo++
  }

  /**
   * The cheap shape test every line gets: a JSON object (possibly after a host-name prefix) that
   * names a verb, in text[start, end). Lines are asked in order, so the verb key is looked for
   * with the cursor, bounded to the line.
   */
  private looksLikeEvent(text: string, start: number, end: number): boolean {
    let first = start
    while (first < end && isSpace(text.charCodeAt(first))) first++
    let last = end - 1
    while (last > first && isSpace(text.charCodeAt(last))) last--
    if (text.charCodeAt(last) !== 0x7d /* } */) return false
    if (text.charCodeAt(first) !== 0x7b /* { */) {
      const brace = text.substring(first, Math.min(last, first + 257)).indexOf('{')
      if (brace === -1 || text.charCodeAt(first + brace - 1) !== 0x20) return false
    }
    if (this.verbKey < first) {
      const key = findVerbKey(text, first)
      this.verbKey = key === -1 ? text.length : key
    }
    return this.verbKey + VERB_KEY.length <= last
  }
}

/**
 * A BOM starts the input of a file saved by some editors, and so starts a line anywhere two such
 * files were concatenated (or two gzip members were): it is skipped at the start of every line.
 */
function bomLength(text: string, lineStart: number): number {
  return text.charCodeAt(lineStart) === 0xef && text.charCodeAt(lineStart + 1) === 0xbb && text.charCodeAt(lineStart + 2) === 0xbf ? 3 : 0
}

function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isSpace(text.charCodeAt(i))) return false
  return true
}

function endsWithBrace(text: string, start: number, end: number): boolean {
  let last = end - 1
  while (last >= start && isSpace(text.charCodeAt(last))) last--
  return last >= start && text.charCodeAt(last) === 0x7d
}
