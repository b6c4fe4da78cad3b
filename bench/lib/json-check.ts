// Checks a JSON document too big to hold, as it streams by: the bytes are split into the document's
// frame and the items of its top-level arrays, each item is parsed on its own with JSON.parse and
// handed on, and the frame (each item replaced by 0) is parsed at the end. So the whole text is
// checked by a JSON parser that shares nothing with the code that wrote it, in bounded memory.

const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const QUOTE = 0x22
const BACKSLASH = 0x5c

export class JsonStreamCheck {
  private depth = 0
  private inString = false
  private escaped = false
  /** The document without the items of its top-level arrays. */
  private frame = ''
  /** The item being read (an object or an array inside a top-level array), in pieces. */
  private item: Buffer[] | null = null
  private key = ''
  /** Where in the frame the current top-level array's items begin. */
  private arrayStart = -1
  private readonly counts = new Map<string, number>()

  /** `onItem` gets each item of a top-level array, with the key of that array. */
  constructor(private readonly onItem: (key: string, item: unknown) => void) {}

  write(chunk: Buffer): void {
    let start = 0
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!
      if (this.inString) {
        if (this.escaped) this.escaped = false
        else if (byte === BACKSLASH) this.escaped = true
        else if (byte === QUOTE) this.inString = false
        continue
      }
      if (byte === QUOTE) this.inString = true
      else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
        if (this.depth === 2 && this.item === null) {
          // An item of a top-level array begins: what came before it belongs to the frame.
          this.frame += chunk.toString('utf8', start, i)
          start = i
          this.item = []
        }
        if (this.depth === 1 && byte === OPEN_ARRAY) {
          this.frame += chunk.toString('utf8', start, i + 1)
          start = i + 1
          this.key = /"((?:[^"\\]|\\.)*)"\s*:\s*\[$/.exec(this.frame)?.[1] ?? ''
          this.arrayStart = this.frame.length
        }
        this.depth++
      } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
        this.depth--
        if (this.depth === 2 && this.item !== null) {
          this.item.push(chunk.subarray(start, i + 1))
          const text = Buffer.concat(this.item).toString('utf8')
          this.item = null
          start = i + 1
          this.frame += '0'
          this.counts.set(this.key, (this.counts.get(this.key) ?? 0) + 1)
          this.onItem(this.key, JSON.parse(text))
        }
      }
    }
    if (this.item !== null) this.item.push(Buffer.from(chunk.subarray(start)))
    else this.frame += chunk.toString('utf8', start)
    // Inside a long list the frame grows by "0, " an item: check that run and keep one 0 of it.
    if (this.depth === 2 && this.item === null && this.frame.length - this.arrayStart > 1 << 16) {
      const run = this.frame.slice(this.arrayStart)
      const items = /^\s*0(\s*,\s*0)*\s*(,?)\s*$/.exec(run)
      if (!items) throw new Error(`not a list of items: ${run.slice(0, 80)}`)
      this.frame = `${this.frame.slice(0, this.arrayStart)}0${items[2]}`
    }
  }

  /** Parses the frame: throws unless the whole was one JSON document. Returns it, each top-level array's items counted. */
  end(): {document: Record<string, unknown>; items: ReadonlyMap<string, number>} {
    if (this.item !== null || this.depth !== 0) throw new Error('the JSON document ends in the middle')
    const document = JSON.parse(this.frame) as Record<string, unknown>
    return {document, items: this.counts}
  }
}
