// Finds the few lines worth decoding in a stream of audit-log bytes, without turning the noise
// into strings: a byte-level prefilter on the names of watched resources and on write verbs.

import {WATCHED_RESOURCE_NAMES, WRITE_VERBS} from './catalog.js'

export type LogFormat = 'lines' | 'documents' | 'legacy'

const NEWLINE = 0x0a
const CR = 0x0d
const BOM = Buffer.from([0xef, 0xbb, 0xbf])

/**
 * The needles: resource names whose every watched plural contains one of them (networkpolicies
 * also finds globalnetworkpolicies, adminnetworkpolicies, ...), so a handful of searches per chunk
 * covers the whole catalog.
 */
export const RESOURCE_NEEDLES: readonly Buffer[] = minimalNeedles(WATCHED_RESOURCE_NAMES).map((n) => Buffer.from(n))
/** Write verbs as JSON strings: `"delete"` does not match `"deletecollection"`, both are listed. */
export const VERB_NEEDLES: readonly Buffer[] = WRITE_VERBS.map((v) => Buffer.from(`"${v}"`))
/** All resource needles in one expression: one pass over the text finds the next of any of them. */
const RESOURCE_PATTERN = new RegExp(minimalNeedles(WATCHED_RESOURCE_NAMES).join('|'))
/** Text is searched this much at a time: small strings are cheap to make and to collect. */
const SLICE_BYTES = 64 * 1024

function minimalNeedles(names: readonly string[]): string[] {
  return names.filter((n) => !names.some((other) => other !== n && n.includes(other))).sort()
}

/** A legacy-format line: `<time> AUDIT: id="…" …` (facts §1.4). */
const LEGACY_LINE = /^\S+ AUDIT: id="/

/** detectFormat looks at most this far into a source. */
export const FORMAT_HEAD_BYTES = 64 * 1024

/** True once `head` holds the first line with something on it: enough for detectFormat. */
export function hasFirstLine(head: Buffer): boolean {
  let i = 0
  while (i < head.length && (isSpace(head[i]) || isBomByte(head[i]))) i++
  return head.indexOf(NEWLINE, i) !== -1
}

/**
 * Decides how a source is laid out from its first bytes: the first line with something on it, or
 * FORMAT_HEAD_BYTES of it (see hasFirstLine).
 * JSON lines is the apiserver's own format; "documents" are pretty-printed events or EventLists
 * one after another; "legacy" is the old text format, which we recognise but cannot summarise.
 */
export function detectFormat(head: Buffer): LogFormat {
  let start = head.subarray(0, 3).equals(BOM) ? 3 : 0
  while (start < head.length && isSpace(head[start])) start++
  if (head[start] === 0x5b /* [ */) return 'documents'
  const nl = head.indexOf(NEWLINE, start)
  const first = head.subarray(start, nl === -1 ? head.length : nl).toString('utf8').trim()
  if (LEGACY_LINE.test(first)) return 'legacy'
  // Pretty-printed documents break lines early; a first line longer than what we have is a line.
  if (nl === -1) return 'lines'
  if (first === '{' || (first.startsWith('{') && /[,{[]$/.test(first))) return 'documents'
  return 'lines'
}

function isBomByte(byte: number): boolean {
  return byte === 0xef || byte === 0xbb || byte === 0xbf
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x09 || byte === NEWLINE || byte === CR
}

export interface Candidate {
  /** The bytes of the line (or document), without the newline: valid only during the callback. */
  readonly bytes: Buffer
  /** 1-based line number where it starts. */
  readonly line: number
  /** True for the last line of the input when it had no newline: a log being written. */
  readonly unterminated: boolean
}

/** Lines longer than this are counted as malformed and dropped: memory stays bounded. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024

/**
 * JSON-lines scanner. Push chunks; it calls `onCandidate` for each line that contains a watched
 * resource name and a write verb. Other lines are only checked for the shape of an event (an
 * object with a "verb"), never decoded.
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

  /** A line assembled across chunks (or the unterminated last one): search it on its own. */
  private scanOneLine(line: Buffer, unterminated: boolean): void {
    const end = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length
    const start = line.subarray(0, 3).equals(BOM) ? 3 : 0
    if (isBlank(line, start, end)) return
    const body = line.subarray(start, end)
    // An unterminated last line that is a whole object is just missing its newline; one cut
    // short is a log still being written: normal, neither an event nor malformed.
    if (unterminated && !endsWithBrace(body)) {
      this.unterminated = true
      return
    }
    this.lines++
    if (!looksLikeEvent(body, 0, body.length)) this.reportMalformed(this.lineNo)
    else if (RESOURCE_NEEDLES.some((n) => body.indexOf(n) !== -1) && hasVerb(body, 0, body.length)) {
      this.onCandidate({bytes: body, line: this.lineNo, unterminated})
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
    let pos = 0
    while (pos < text.length) {
      const found = needles.exec(text)
      const stop = found === null ? text.length : found.index
      let nl = text.indexOf('\n', pos)
      while (nl !== -1 && nl < stop) {
        this.countTextLine(text, pos, nl)
        pos = nl + 1
        nl = text.indexOf('\n', pos)
      }
      if (found === null) return
      // pos is now the start of the line holding the match; nl ends it.
      const end = text.charCodeAt(nl - 1) === CR ? nl - 1 : nl
      const start = pos + bomLength(text, pos)
      this.lines++
      if (!textLooksLikeEvent(text, start, end)) this.reportMalformed(this.lineNo)
      else if (hasVerbText(text, start, end)) this.onCandidate({bytes: chunk.subarray(base + start, base + end), line: this.lineNo, unterminated: false})
      this.lineNo++
      pos = nl + 1
      needles.lastIndex = pos
    }
  }

  private countTextLine(text: string, lineStart: number, nl: number): void {
    const start = lineStart + bomLength(text, lineStart)
    const end = nl > start && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl
    if (end > start && !isBlankText(text, start, end)) {
      this.lines++
      if (!textLooksLikeEvent(text, start, end)) this.reportMalformed(this.lineNo)
    }
    this.lineNo++
  }

}

const VERB_KEY = Buffer.from('"verb"')

/**
 * A BOM starts the input of a file saved by some editors, and so starts a line anywhere two such
 * files were concatenated (or two gzip members were): it is skipped at the start of every line.
 */
function bomLength(text: string, lineStart: number): number {
  return text.charCodeAt(lineStart) === 0xef && text.charCodeAt(lineStart + 1) === 0xbb && text.charCodeAt(lineStart + 2) === 0xbf ? 3 : 0
}

function endsWithBrace(buf: Buffer): boolean {
  let last = buf.length - 1
  while (last >= 0 && isSpace(buf[last])) last--
  return last >= 0 && buf[last] === 0x7d
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isSpace(buf[i])) return false
  return true
}

/**
 * The cheap shape test every line gets: a JSON object (possibly after a host-name prefix) that
 * names a verb. `buf` is the line itself, so the searches stay within it.
 */
function looksLikeEvent(buf: Buffer, start: number, end: number): boolean {
  let first = start
  while (first < end && isSpace(buf[first])) first++
  let last = end - 1
  while (last > first && isSpace(buf[last])) last--
  if (buf[last] !== 0x7d /* } */) return false
  if (buf[first] !== 0x7b /* { */) {
    const brace = buf.indexOf(0x7b, first)
    if (brace === -1 || brace - first > 256 || buf[brace - 1] !== 0x20) return false
  }
  const verb = buf.indexOf(VERB_KEY, first)
  return verb !== -1 && verb < last
}

const WRITE_VERB_SET: ReadonlySet<string> = new Set(WRITE_VERBS)

/** True when a "verb" field of the line holds a write verb (a line may hold several events). */
function hasVerbText(text: string, start: number, end: number): boolean {
  for (let key = text.indexOf('"verb"', start); key !== -1 && key < end; key = text.indexOf('"verb"', key + 6)) {
    let i = key + 6
    while (i < end && (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x3a)) i++
    if (text.charCodeAt(i) !== 0x22) continue
    const close = text.indexOf('"', i + 1)
    if (close !== -1 && close < end && WRITE_VERB_SET.has(text.substring(i + 1, close))) return true
  }
  return false
}

function isBlankText(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i)
    if (c !== 0x20 && c !== 0x09 && c !== CR) return false
  }
  return true
}

/** textLooksLikeEvent on latin1 text; see looksLikeEvent. */
function textLooksLikeEvent(text: string, start: number, end: number): boolean {
  let first = start
  while (first < end && isSpace(text.charCodeAt(first))) first++
  let last = end - 1
  while (last > first && isSpace(text.charCodeAt(last))) last--
  if (text.charCodeAt(last) !== 0x7d) return false
  if (text.charCodeAt(first) !== 0x7b) {
    const brace = text.substring(first, Math.min(last, first + 257)).indexOf('{')
    if (brace === -1 || text.charCodeAt(first + brace - 1) !== 0x20) return false
  }
  // Searched within the line only: in a file of lines without "verb" (not an audit log), an
  // unbounded search ran through the rest of the slice for every line.
  return text.substring(first, last).includes('"verb"')
}

function hasVerb(buf: Buffer, start: number, end: number): boolean {
  const line = buf.subarray(start, end)
  return VERB_NEEDLES.some((v) => line.indexOf(v) !== -1)
}

/**
 * Splits pretty-printed JSON documents that follow one another (`{…}\n{…}` or one EventList)
 * by tracking nesting outside strings. Every document is a candidate: such files are small
 * (webhook dumps, hand-saved events), and an EventList must be decoded to be counted.
 *
 * A document cut short (a damaged file) never closes, and would swallow every document after it.
 * Pretty printers indent what is nested, so inside an indented object that began at column 0, a
 * `{` at column 0 starts the next document: the cut one is handed on as it is (malformed).
 */
export class DocumentSplitter {
  /** Bytes outside any document that are not white space (each run counts once). */
  garbage = 0
  private parts: Buffer[] = []
  private depth = 0
  private inString = false
  private escaped = false
  private lineNo = 1
  private docLine = 1
  private inGarbage = false
  private size = 0
  private atLineStart = true
  /** The current document is an object that began at column 0 and has indented lines. */
  private docAtColumn0 = false
  private docIndented = false

  constructor(private readonly onDocument: (candidate: Candidate) => void) {}

  push(chunk: Buffer): void {
    let docStart = this.depth > 0 ? 0 : -1
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]
      const lineStart = this.atLineStart
      // A BOM keeps the column at 0.
      this.atLineStart = b === NEWLINE || (lineStart && isBomByte(b))
      if (b === NEWLINE) this.lineNo++
      if (this.depth > 0 && lineStart) {
        if (b === 0x20 || b === 0x09) this.docIndented = true
        else if (b === 0x7b && this.docAtColumn0 && this.docIndented) {
          // No string runs across a line break in JSON: the document before was cut short.
          this.take(chunk.subarray(docStart, i))
          this.emit(false)
        }
      }
      if (this.depth === 0) {
        if (b === 0x7b || b === 0x5b) {
          this.depth = 1
          docStart = i
          this.docLine = this.lineNo
          this.inGarbage = false
          this.docAtColumn0 = lineStart && b === 0x7b
          this.docIndented = false
        } else if (!isSpace(b) && !isBomByte(b)) {
          if (!this.inGarbage) this.garbage++
          this.inGarbage = true
        }
        continue
      }
      if (this.inString) {
        if (this.escaped) this.escaped = false
        else if (b === 0x5c) this.escaped = true
        else if (b === 0x22) this.inString = false
        continue
      }
      if (b === 0x22) this.inString = true
      else if (b === 0x7b || b === 0x5b) this.depth++
      else if (b === 0x7d || b === 0x5d) {
        this.depth--
        if (this.depth === 0) {
          this.take(chunk.subarray(docStart, i + 1))
          this.emit(false)
          docStart = -1
        }
      }
    }
    if (this.depth > 0 && docStart !== -1) this.take(chunk.subarray(docStart))
  }

  end(): void {
    if (this.depth > 0) this.emit(true)
  }

  private take(piece: Buffer): void {
    this.size += piece.length
    if (this.size <= MAX_LINE_BYTES) this.parts.push(piece)
  }

  private emit(unterminated: boolean): void {
    const bytes = this.size <= MAX_LINE_BYTES ? Buffer.concat(this.parts) : Buffer.alloc(0)
    this.parts = []
    this.size = 0
    this.depth = 0
    this.inString = false
    this.escaped = false
    this.onDocument({bytes, line: this.docLine, unterminated})
  }
}

/** Some node-log tools prefix each line with the host name (`oc adm node-logs`). */
const HOST_PREFIX = /^[\w.:-]+ $/

/**
 * The JSON text of a candidate line: the line itself, or what follows a host-name prefix.
 * Returns undefined when the line is not JSON at all.
 */
export function jsonTextOf(bytes: Buffer): string | undefined {
  let start = 0
  while (start < bytes.length && isSpace(bytes[start])) start++
  if (bytes[start] === 0x7b || bytes[start] === 0x5b) return bytes.toString('utf8', start)
  const brace = bytes.indexOf(0x7b, start)
  if (brace === -1 || brace > 512) return undefined
  if (!HOST_PREFIX.test(bytes.toString('utf8', start, brace))) return undefined
  return bytes.toString('utf8', brace)
}

/** True when a line is in the legacy text format (counted, never decoded). */
export function isLegacyLine(bytes: Buffer): boolean {
  return LEGACY_LINE.test(bytes.toString('utf8', 0, Math.min(bytes.length, 200)))
}
