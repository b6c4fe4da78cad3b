// The scanner for pretty-printed input: JSON documents one after another, each a candidate.

import {isBomByte, isSpace, NEWLINE} from './bytes.js'
import {documentTooLong} from './content-check.js'
import {type Candidate, MAX_LINE_BYTES} from './decode.js'

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
  private documents = 0
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
    // A document that never closes (`[[[[…` from a stream) would be read forever.
    else if (this.documents === 0) throw documentTooLong()
  }

  private emit(unterminated: boolean): void {
    const bytes = this.size <= MAX_LINE_BYTES ? Buffer.concat(this.parts) : Buffer.alloc(0)
    this.parts = []
    this.size = 0
    this.depth = 0
    this.inString = false
    this.escaped = false
    this.documents++
    this.onDocument({bytes, line: this.docLine, unterminated})
  }
}
