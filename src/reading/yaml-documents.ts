// The scanner for YAML documents separated by `---` lines: `gcloud logging read --format=yaml`
// prints GKE audit entries so. Each document is parsed on its own, so memory stays one document.

import {NEWLINE} from './bytes.js'
import {type Candidate, MAX_LINE_BYTES} from './decode.js'

/** A line that ends one document and starts the next (`---`, possibly with a comment), or ends one (`...`). */
const SEPARATOR = /^(?:---|\.\.\.)(?:[ \t]+#.*)?\r?$/

/**
 * Splits YAML text into documents at `---` and `...` lines. Push chunks; each document with
 * anything but comments and blank lines in it is handed on whole, with the line it starts at.
 * A document longer than MAX_LINE_BYTES is handed on empty (it is counted, not held).
 */
export class YamlDocumentSplitter {
  private parts: Buffer[] = []
  private size = 0
  private partial: Buffer[] = []
  private lineNo = 1
  private docLine = 1
  private meaningful = false

  constructor(private readonly onDocument: (candidate: Candidate) => void) {}

  push(chunk: Buffer): void {
    let start = 0
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      this.partial.push(chunk.subarray(start, nl + 1))
      this.line(Buffer.concat(this.partial))
      this.partial = []
      start = nl + 1
    }
    // A copy: the chunk's buffer may be reused for the next chunk.
    if (start < chunk.length) this.partial.push(Buffer.from(chunk.subarray(start)))
  }

  end(): void {
    if (this.partial.length > 0) this.line(Buffer.concat(this.partial))
    this.partial = []
    this.emit()
  }

  private line(line: Buffer): void {
    const lineNo = this.lineNo++
    // Separators are short: only a short line is turned into text to be tested.
    if (line.length <= 256 && SEPARATOR.test(line.toString('latin1').replace(/\n$/, ''))) {
      this.emit()
      this.docLine = this.lineNo
      return
    }
    if (!this.meaningful) {
      const text = line.toString('latin1').trim()
      if (text === '' || text.startsWith('#')) {
        // Comments and blank lines before a document belong to no document.
        this.docLine = this.lineNo
        return
      }
      this.meaningful = true
      this.docLine = lineNo
    }
    this.size += line.length
    if (this.size <= MAX_LINE_BYTES) this.parts.push(line)
    else this.parts = []
  }

  private emit(): void {
    if (this.meaningful) {
      const bytes = this.size <= MAX_LINE_BYTES ? Buffer.concat(this.parts) : Buffer.alloc(0)
      this.onDocument({bytes, line: this.docLine, unterminated: false})
    }
    this.parts = []
    this.size = 0
    this.meaningful = false
  }
}

/**
 * The JSON value of one YAML document, or undefined when it is not YAML. Aliases are refused:
 * no log printer writes them, and they are how a small document expands without bound.
 */
export function yamlValue(parseDocument: typeof import('yaml').parseDocument, text: string): unknown {
  try {
    const document = parseDocument(text, {version: '1.2', uniqueKeys: true})
    if (document.errors.length > 0) return undefined
    return document.toJS({maxAliasCount: 0})
  } catch {
    // An alias, or nesting deeper than the parser's stack.
    return undefined
  }
}
