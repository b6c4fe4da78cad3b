// Finds the few JSON lines worth decoding in a stream of audit-log bytes, without turning the
// noise into strings it keeps: the prefilter (src/audit/prefilter.ts) runs on the bytes as latin1,
// after a WebAssembly classifier (line-classes.ts) has counted the lines that plainly need none.

import {
  findVerbKey,
  hasWriteVerb,
  onlyReadVerbs,
  RESOURCE_NEEDLES,
  RESOURCE_PATTERN,
  VERB_KEY,
} from '../audit/prefilter.js'
import {CR, isSpace, NEWLINE} from './bytes.js'
import {type Candidate, MAX_LINE_BYTES} from './decode.js'
import {LineClasses, type PlainLines} from './line-classes.js'
import {lineTime} from './line-times.js'

/** What decoding a candidate found: events, nothing understood, or a last line cut short (being written). */
export type Verdict = 'event' | 'malformed' | 'partial'

/**
 * How kube-apiserver starts every line it writes. Such a line is counted as an event by its shape;
 * a line in any other shape (a shipper's wrapper, an export) is decoded to be counted, so it counts
 * the same whatever it holds.
 */
const APISERVER_LINE = '{"kind":"Event","apiVersion":"audit.k8s.io/'
const APISERVER_LINE_BYTES = Buffer.from(APISERVER_LINE, 'latin1')

/** Text is searched this much at a time: small strings are cheap to make and to collect. */
const SLICE_BYTES = 64 * 1024

export interface LineScannerOptions {
  /**
   * Let the WebAssembly SIMD classifier count kube-apiserver's plain events (true by default; it
   * is used where it loads). False: every line is judged by this file's code, as the classifier's
   * tests compare.
   */
  readonly simd?: boolean
}

/**
 * The lines that judge() counts as events without decoding them: kube-apiserver's shape from the
 * first byte (no BOM, no host name), a "verb" key, `}` last, and no resource needle. Nearly every
 * line of a real log is one; the classifier finds them 16 bytes at a time and hands every other
 * line back to be judged here.
 */
export const PLAIN_EVENT_LINES: PlainLines = {prefix: APISERVER_LINE, key: VERB_KEY, needles: RESOURCE_NEEDLES}

/** The classifier of PLAIN_EVENT_LINES: made once per thread, when a scanner first wants it. */
let plainEvents: LineClasses | null | undefined

function plainEventClasses(): LineClasses | null {
  if (plainEvents === undefined) plainEvents = LineClasses.create(PLAIN_EVENT_LINES)
  return plainEvents
}

/**
 * JSON-lines scanner. Push chunks; it calls `onCandidate` for each line that contains a watched
 * resource name and a write verb (`handOn`), and for each line not in the apiserver's own shape
 * (to be counted only). The apiserver's other lines are only checked for the shape of an event (an
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
  /** Times of the first and last lines counted as events (rejected lines never set them). */
  firstEventMs: number | null = null
  lastEventMs: number | null = null
  /** The last line counted as an event in the slice being scanned: its time is read once, at the slice's end. */
  private lastEvent: {chunk: Buffer; from: number; to: number} | null = null
  private lineNo = 1
  private pending: Buffer[] = []
  private pendingBytes = 0
  /**
   * Where the next `"verb"` key starts in the text being scanned, at or after the lines already
   * checked (the text's length when there is none): each text is searched for keys once, in step
   * with its lines, not once per line, and a line without one costs no search of the rest.
   */
  private verbKey = -1
  private readonly classes: LineClasses | null

  constructor(
    private readonly onCandidate: (candidate: Candidate) => Verdict,
    {simd = true}: LineScannerOptions = {},
  ) {
    this.classes = simd ? plainEventClasses() : null
  }

  /** The WebAssembly classifier counts plain events here (it loaded, and was not turned off). */
  get simd(): boolean {
    return this.classes !== null
  }

  /** Lines seen so far, blank and unterminated ones included. */
  get lineCount(): number {
    return this.lineNo - 1 + (this.unterminated ? 1 : 0)
  }

  /** The first line has run past MAX_LINE_BYTES and has not ended: no line break so far. */
  get firstLineOverlong(): boolean {
    return this.lineNo === 1 && this.pendingBytes === Number.POSITIVE_INFINITY
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
    this.judgeAlone(line, line.toString('latin1'), 0, unterminated)
    this.noteLastEvent()
  }

  /**
   * Judges one line on its own: `text` is chunk[base, base + text.length), the whole line without
   * its newline. As scanSlice would, whatever surrounds it. `needle`: the line is known to hold a
   * resource needle (the classifier found one).
   */
  private judgeAlone(chunk: Buffer, text: string, base: number, unterminated: boolean, needle = false): void {
    const start = bomLength(text, 0)
    const end = text.length > start && text.charCodeAt(text.length - 1) === CR ? text.length - 1 : text.length
    if (isBlank(text, start, end)) return
    // An unterminated last line that is a whole object is just missing its newline; one cut
    // short is a log still being written: normal, neither an event nor malformed.
    if (unterminated && !endsWithBrace(text, start, end) && !text.startsWith(BASE64_GZIP, start)) {
      this.unterminated = true
      return
    }
    const wanted = (needle || RESOURCE_PATTERN.test(text.substring(start, end))) && hasWriteVerb(text, start, end)
    this.verbKey = -1
    this.judge(chunk, text, base, start, end, wanted, unterminated)
  }

  /**
   * Counts one non-blank line, text[start, end) (chunk[base + start, base + end)): an event by its
   * shape, or by decoding it when it is `wanted` or not in the apiserver's shape; else malformed.
   */
  private judge(
    chunk: Buffer,
    text: string,
    base: number,
    start: number,
    end: number,
    wanted: boolean,
    unterminated: boolean,
  ): void {
    this.lines++
    let verdict: Verdict
    const plain = isApiserverLine(text, start, end)
    // Events the prefilter cannot see (escaped in a string, base64 of gzip) are decoded and handed on.
    const hidden = !plain && holdsHiddenEvents(text, start, end)
    const candidate = (handOn: boolean) =>
      this.onCandidate({bytes: chunk.subarray(base + start, base + end), line: this.lineNo, unterminated, handOn})
    // An event CloudWatch cut short is decoded only to be named.
    if (!hidden && !this.looksLikeEvent(text, start, end))
      verdict = endsCutShort(text, start, end) ? candidate(false) : 'malformed'
    else if (wanted || hidden || !plain) verdict = candidate(wanted || hidden)
    else verdict = 'event'
    if (verdict === 'malformed') this.reportMalformed(this.lineNo)
    else if (verdict === 'partial') {
      this.lines--
      this.unterminated = true
    } else {
      this.lastEvent = {chunk, from: base + start, to: base + end}
      if (this.firstEventMs === null) this.firstEventMs = lineTime(chunk.subarray(base + start, base + end)) ?? null
    }
  }

  private noteLastEvent(): void {
    if (this.lastEvent === null) return
    const {chunk, from, to} = this.lastEvent
    this.lastEventMs = lineTime(chunk.subarray(from, to)) ?? this.lastEventMs
    this.lastEvent = null
  }

  /**
   * Scans complete lines in chunk[from, to) (to is just past a newline). The bytes are looked at
   * as latin1 text, a slice at a time: one byte is one character, so offsets stay byte offsets,
   * and V8's string search and regular expressions cost far less per call than Buffer.indexOf.
   * One regular expression finds every resource needle in a single pass; lines between matches
   * are only counted and shape-checked. With the classifier, only the lines it hands back become
   * strings (scanClassified); the slices stay the same, and so does when a slice's last time is read.
   */
  private scanLines(chunk: Buffer, from: number, to: number): void {
    const {classes} = this
    let sliceStart = from
    while (sliceStart < to) {
      let sliceEnd = Math.min(to, sliceStart + SLICE_BYTES)
      if (sliceEnd < to) {
        const nl = chunk.indexOf(NEWLINE, sliceEnd - 1)
        sliceEnd = nl === -1 || nl >= to ? to : nl + 1
      }
      if (classes !== null && !classes.busy && sliceEnd - sliceStart <= classes.capacity)
        this.scanClassified(classes, chunk, sliceStart, sliceEnd)
      else this.scanSlice(chunk, sliceStart, chunk.toString('latin1', sliceStart, sliceEnd))
      this.noteLastEvent()
      sliceStart = sliceEnd
    }
  }

  /**
   * Scans the lines of chunk[from, to) as scanSlice does, with the classifier: its plain lines are
   * only counted, as judge() would count them; every other line is judged on its own, in order.
   * Only lines judged here become strings.
   */
  private scanClassified(classes: LineClasses, chunk: Buffer, from: number, to: number): void {
    const firstLine = this.lineNo
    // Lines of the slice accounted for, and where the next of them starts.
    let counted = 0
    let next = from
    // The last line with a needle that is only counted, as a plain line is.
    let readOnly = -1
    let readOnlyNewline = -1
    classes.classify(chunk, from, to, (line, start, newline, needle) => {
      // Left to be counted with the plain lines around it.
      if (needle && onlyCounted(chunk, start, newline)) {
        readOnly = start
        readOnlyNewline = newline
        return
      }
      this.countPlainEvents(chunk, next, line - counted)
      this.lineNo = firstLine + line
      this.judgeAlone(chunk, chunk.toString('latin1', start, newline), start, false, needle)
      this.lineNo++
      counted = line + 1
      next = newline + 1
    })
    this.countPlainEvents(chunk, next, classes.lines - counted)
    this.lineNo = firstLine + classes.lines
    const [last, lastNewline] =
      readOnly > classes.lastPlainStart
        ? [readOnly, readOnlyNewline]
        : [classes.lastPlainStart, classes.lastPlainNewline]
    if (last !== -1 && (this.lastEvent === null || last > this.lastEvent.from))
      this.lastEvent = {chunk, from: last, to: withoutCR(chunk, last, lastNewline)}
  }

  /**
   * Counts `count` plain events, the lines from chunk[from] on. Their times are read only while
   * no event has given the first time, as judge() reads them.
   */
  private countPlainEvents(chunk: Buffer, from: number, count: number): void {
    this.lines += count
    for (let i = 0, start = from; i < count && this.firstEventMs === null; i++) {
      const newline = chunk.indexOf(NEWLINE, start)
      this.firstEventMs = lineTime(chunk.subarray(start, withoutCR(chunk, start, newline))) ?? null
      start = newline + 1
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
        this.countLine(chunk, base, text, pos, nl)
        pos = nl + 1
        nl = text.indexOf('\n', pos)
      }
      if (found === null) return
      // pos is now the start of the line holding the match; nl ends it.
      const end = text.charCodeAt(nl - 1) === CR ? nl - 1 : nl
      const start = pos + bomLength(text, pos)
      this.judge(chunk, text, base, start, end, hasWriteVerb(text, start, end), false)
      this.lineNo++
      pos = nl + 1
      needles.lastIndex = pos
    }
  }

  /** A line without a resource needle: counted, and shape-checked. */
  private countLine(chunk: Buffer, base: number, text: string, lineStart: number, nl: number): void {
    const start = lineStart + bomLength(text, lineStart)
    const end = nl > start && text.charCodeAt(nl - 1) === CR ? nl - 1 : nl
    if (end > start && !isBlank(text, start, end)) this.judge(chunk, text, base, start, end, false, false)
    this.lineNo++
  }

  /**
   * The cheap shape test every line gets: a JSON object (possibly after a host-name prefix) that
   * names a verb (or a method: a GKE audit entry), in text[start, end). Lines are asked in order,
   * so the verb key is looked for with the cursor, bounded to the line.
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
    if (this.verbKey + VERB_KEY.length <= last) return true
    // Only a line without a verb is searched again, within itself.
    return text.substring(first, last).includes('"methodName"')
  }
}

/**
 * A BOM starts the input of a file saved by some editors, and so starts a line anywhere two such
 * files were concatenated (or two gzip members were): it is skipped at the start of every line.
 */
function bomLength(text: string, lineStart: number): number {
  return text.charCodeAt(lineStart) === 0xef &&
    text.charCodeAt(lineStart + 1) === 0xbb &&
    text.charCodeAt(lineStart + 2) === 0xbf
    ? 3
    : 0
}

/**
 * A line the classifier handed back for its resource needle, that judge() would still only count:
 * in kube-apiserver's shape from its first byte, `}` last, and a "verb" key, none holding a write
 * verb (hasWriteVerb false; a key before a last `}` is all looksLikeEvent asks). Read on the bytes:
 * most lines with a needle only read (a get, list or watch of network policies).
 */
function onlyCounted(chunk: Buffer, start: number, newline: number): boolean {
  const prefix = APISERVER_LINE_BYTES.length
  if (newline - start < prefix || APISERVER_LINE_BYTES.compare(chunk, start, start + prefix) !== 0) return false
  let last = newline - 1
  while (last > start && isSpace(chunk[last])) last--
  return chunk[last] === 0x7d /* } */ && onlyReadVerbs(chunk, start, withoutCR(chunk, start, newline))
}

/** Where the line chunk[start, newline) ends without a CR before its newline. */
function withoutCR(chunk: Buffer, start: number, newline: number): number {
  return newline > start && chunk[newline - 1] === CR ? newline - 1 : newline
}

function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (!isSpace(text.charCodeAt(i))) return false
  return true
}

/** In kube-apiserver's own shape, after a host-name prefix too (`oc adm node-logs`), in text[start, end). */
function isApiserverLine(text: string, start: number, end: number): boolean {
  if (text.startsWith(APISERVER_LINE, start)) return true
  if (text.charCodeAt(start) === 0x7b) return false
  // Searched within the prefix only, never on into the next lines of the slice.
  const brace = text.substring(start, Math.min(end, start + 258)).indexOf(' {')
  return brace !== -1 && text.startsWith(APISERVER_LINE, start + brace + 1)
}

/**
 * A line whose events are out of sight of the prefilter: escaped inside a JSON string (a
 * CloudWatch event's message, an AKS record's properties.log), or a CloudWatch subscription
 * payload as delivered (base64 of gzip: `H4sI…`, alone or as a Lambda's `{"awslogs": …}`), or
 * a CloudWatch event whose message was cut short; or in Log Analytics' columns (an AKSAudit row or
 * a query answer naming the AuditId column, an AzureDiagnostics row's log_s).
 */
function holdsHiddenEvents(text: string, start: number, end: number): boolean {
  let first = start
  while (first < end && isSpace(text.charCodeAt(first))) first++
  if (text.startsWith(BASE64_GZIP, first)) return true
  // Searched within the line only (see looksLikeEvent).
  const line = text.substring(first, end)
  // A CloudWatch event whose message was cut short may have lost its verb: decoded, to be named.
  return (
    line.includes(ESCAPED_VERB) ||
    line.includes(LAMBDA_PAYLOAD) ||
    line.includes(CUT_SHORT) ||
    line.includes(AUDIT_ID_COLUMN) ||
    line.includes(LOG_S_COLUMN)
  )
}

const BASE64_GZIP = 'H4sI'
const ESCAPED_VERB = '\\"verb\\"'
const LAMBDA_PAYLOAD = '"awslogs"'
const CUT_SHORT = '[Truncated...]'
const AUDIT_ID_COLUMN = '"AuditId"'
const LOG_S_COLUMN = '"log_s"'

/** CloudWatch's mark on an event it cut at its size limit. */
function endsCutShort(text: string, start: number, end: number): boolean {
  let last = end
  while (last > start && isSpace(text.charCodeAt(last - 1))) last--
  return last - start >= CUT_SHORT.length && text.startsWith(CUT_SHORT, last - CUT_SHORT.length)
}

function endsWithBrace(text: string, start: number, end: number): boolean {
  let last = end - 1
  while (last >= start && isSpace(text.charCodeAt(last))) last--
  return last >= start && text.charCodeAt(last) === 0x7d
}
