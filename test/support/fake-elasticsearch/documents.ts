// The documents of one fake index, addressed by position: objects held in memory (test fixtures),
// or a JSON-lines file of audit Events read on demand, with the fields queries filter and sort on
// kept in columns (the benchmark's gigabyte log fits in memory that way).
import {closeSync, openSync, readSync} from 'node:fs'
import {open} from 'node:fs/promises'

export interface DocumentCollection {
  readonly size: number
  id(i: number): string
  /** The document as stored: JSON text, sent back as `_source`. */
  source(i: number): string
  /** The values at a dotted path (dotted keys work too; arrays give each of their items). */
  values(i: number, path: string): unknown[]
  /** values() of one path, for reading it from many documents (what a query does). */
  reader(path: string): (i: number) => readonly unknown[]
  close?(): void
}

const EMPTY: readonly unknown[] = Object.freeze([])

/** Values at `path` in a JSON value: `a.b.c` reads `{a: {b: {c}}}`, `{"a.b": {c}}`, and through arrays. */
export function valuesAt(value: unknown, path: string): unknown[] {
  const out: unknown[] = []
  const walk = (v: unknown, rest: string[]) => {
    if (Array.isArray(v)) {
      for (const item of v) walk(item, rest)
      return
    }
    if (rest.length === 0) {
      if (v !== null && v !== undefined) out.push(v)
      return
    }
    if (typeof v !== 'object' || v === null) return
    for (let k = 1; k <= rest.length; k++) {
      const key = rest.slice(0, k).join('.')
      if (key in v) walk((v as Record<string, unknown>)[key], rest.slice(k))
    }
  }
  walk(value, path.split('.'))
  return out
}

export class ObjectDocuments implements DocumentCollection {
  private readonly texts: Array<string | undefined> = []
  private readonly ids: string[] = []
  private readonly docs: unknown[] = []

  get size(): number {
    return this.docs.length
  }

  add(doc: unknown, id: string): void {
    this.docs.push(doc)
    this.ids.push(id)
    this.texts.push(undefined)
  }

  id(i: number): string {
    return this.ids[i]!
  }

  source(i: number): string {
    this.texts[i] ??= JSON.stringify(this.docs[i])
    return this.texts[i]!
  }

  values(i: number, path: string): unknown[] {
    return valuesAt(this.docs[i], path)
  }

  reader(path: string): (i: number) => readonly unknown[] {
    return (i) => valuesAt(this.docs[i], path)
  }

  doc(i: number): unknown {
    return this.docs[i]
  }
}

/** The Event fields kept in columns: what the push-down filters and sorts on. */
const COLUMNS = [
  'verb',
  'auditID',
  'objectRef.apiGroup',
  'objectRef.resource',
  'objectRef.namespace',
  'user.username',
  'impersonatedUser.username',
] as const
const TIMES = ['requestReceivedTimestamp', 'stageTimestamp'] as const
const NONE = 0

/**
 * A JSON-lines audit log as an index: each line is a document, read back from the file when a
 * hit is sent; its filtered fields are in columns of small numbers (strings interned), its times
 * in epoch milliseconds with the microseconds as a fraction.
 */
export class FileDocuments implements DocumentCollection {
  private readonly offsets: number[] = []
  private readonly lengths: number[] = []
  private readonly columns = new Map<string, number[]>()
  private readonly times = new Map<string, number[]>()
  private readonly interned = new Map<string, number>([['', NONE]])
  private readonly strings: string[] = ['']
  /** Each interned string as the one value of a field: read without allocating. */
  private readonly singles: Array<readonly unknown[]> = [EMPTY]
  private fd = -1
  /** A sample document, for dynamic mapping. */
  first: unknown

  private constructor(readonly path: string) {
    for (const c of COLUMNS) this.columns.set(c, [])
    for (const t of TIMES) this.times.set(t, [])
  }

  /** Reads the file once; lines that are not JSON objects are left out, as a shipper drops them. */
  static async load(path: string): Promise<FileDocuments> {
    const docs = new FileDocuments(path)
    const handle = await open(path)
    try {
      let position = 0
      let rest = Buffer.alloc(0)
      const chunk = Buffer.alloc(8 * 1024 * 1024)
      for (;;) {
        const {bytesRead} = await handle.read(chunk, 0, chunk.length, position)
        if (bytesRead === 0) break
        const data =
          rest.length > 0 ? Buffer.concat([rest, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead)
        const base = position - rest.length
        let start = 0
        for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, start)) {
          docs.addLine(data, start, nl, base)
          start = nl + 1
        }
        rest = Buffer.from(data.subarray(start))
        position += bytesRead
      }
      if (rest.length > 0) docs.addLine(rest, 0, rest.length, position - rest.length)
    } finally {
      await handle.close()
    }
    docs.fd = openSync(path, 'r')
    return docs
  }

  private addLine(data: Buffer, start: number, end: number, base: number): void {
    if (end <= start) return
    let doc: unknown
    try {
      doc = JSON.parse(data.toString('utf8', start, end))
    } catch {
      return
    }
    if (typeof doc !== 'object' || doc === null) return
    this.first ??= doc
    this.offsets.push(base + start)
    this.lengths.push(end - start)
    for (const c of COLUMNS) {
      const [value] = valuesAt(doc, c)
      this.columns.get(c)!.push(typeof value === 'string' ? this.intern(value) : NONE)
    }
    for (const t of TIMES) {
      const [value] = valuesAt(doc, t)
      this.times.get(t)!.push(typeof value === 'string' ? timeMs(value) : Number.NaN)
    }
  }

  private intern(value: string): number {
    let id = this.interned.get(value)
    if (id === undefined) {
      id = this.strings.length
      this.strings.push(value)
      this.singles.push(Object.freeze([value]))
      this.interned.set(value, id)
    }
    return id
  }

  get size(): number {
    return this.offsets.length
  }

  id(i: number): string {
    return String(i + 1)
  }

  source(i: number): string {
    const buf = Buffer.alloc(this.lengths[i]!)
    readSync(this.fd, buf, 0, buf.length, this.offsets[i]!)
    return buf.toString('utf8')
  }

  values(i: number, path: string): unknown[] {
    return [...this.reader(path)(i)]
  }

  reader(path: string): (i: number) => readonly unknown[] {
    const column = this.columns.get(path)
    if (column) return (i) => this.singles[column[i]!]!
    const time = this.times.get(path)
    if (time) return (i) => (Number.isNaN(time[i]!) ? EMPTY : [time[i]])
    return (i) => valuesAt(JSON.parse(this.source(i)), path)
  }

  close(): void {
    if (this.fd !== -1) closeSync(this.fd)
    this.fd = -1
  }
}

/** Epoch milliseconds with the digits below them as a fraction (`…56.123456Z` → `…56123.456`). */
function timeMs(text: string): number {
  const ms = Date.parse(text)
  if (Number.isNaN(ms)) return Number.NaN
  const fraction = /\.(\d+)/.exec(text)?.[1]
  return fraction && fraction.length > 3 ? ms + Number(`0.${fraction.slice(3, 9)}`) : ms
}
