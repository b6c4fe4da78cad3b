// Sorting more items than memory should hold: items are buffered, and each time the buffer is
// full it is sorted and written to a temporary file as one run; reading them back merges the runs.
// Below one buffer nothing touches the disk. Reads and writes are synchronous: the file is local
// and private, and the caller's loop stays one plain iteration.

import {closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {UserError} from '../errors.js'

export interface SpillCodec<T> {
  /** One line of text: no line feed inside. */
  encode(item: T): string
  decode(line: string): T
  compare(a: T, b: T): number
}

export interface ExternalSortOptions {
  /** Items held before a run is written. */
  bufferItems?: number
  /** What the merge reads ahead, over all runs; each run gets from MIN_READ_BYTES to MAX_READ_BYTES. */
  mergeReadBytes?: number
  /** Where the temporary folder goes (default: the system's, TMPDIR). */
  directory?: string
  /** What the items are, for the error when the file cannot be written (default: changes). */
  items?: string
}

const DEFAULTS = {bufferItems: 32_768, mergeReadBytes: 16 * 1024 * 1024}
const MIN_READ_BYTES = 16 * 1024
/** More per run only keeps more lines alive long enough to be promoted to the old generation. */
const MAX_READ_BYTES = 64 * 1024
/** Text is written in pieces of about this size. */
const WRITE_BYTES = 1024 * 1024

interface Run {
  readonly start: number
  readonly end: number
}

interface SpillFile {
  readonly dir: string
  readonly fd: number
  size: number
}

export class ExternalSort<T> {
  private buffer: T[] = []
  private readonly runs: Run[] = []
  private file: SpillFile | null = null
  private failure: Error | null = null
  private readonly bufferItems: number
  private readonly mergeReadBytes: number
  private readonly items: string

  constructor(
    private readonly codec: SpillCodec<T>,
    private readonly options: ExternalSortOptions = {},
  ) {
    this.bufferItems = options.bufferItems ?? DEFAULTS.bufferItems
    this.mergeReadBytes = options.mergeReadBytes ?? DEFAULTS.mergeReadBytes
    this.items = options.items ?? 'changes'
  }

  /** Runs written to disk so far. */
  get spilledRuns(): number {
    return this.runs.length
  }

  /** Bytes written to disk so far. */
  get spilledBytes(): number {
    return this.file?.size ?? 0
  }

  add(item: T): void {
    // After a failed write, nothing more is kept: sorted() reports the failure.
    if (this.failure) return
    this.buffer.push(item)
    if (this.buffer.length >= this.bufferItems) this.spill()
  }

  /** Every item added, in order; may be called again (nothing may be added in between). */
  sorted(): Iterable<T> {
    if (this.failure) throw this.failure
    this.buffer.sort(this.codec.compare)
    return this.runs.length === 0 ? this.buffer : this.merge()
  }

  /** Removes the temporary file; the items are gone. Done at the latest when the process exits. */
  dispose(): void {
    const file = this.file
    this.file = null
    this.buffer = []
    if (!file) return
    process.removeListener('exit', this.disposeAtExit)
    try {
      closeSync(file.fd)
    } catch {}
    rmSync(file.dir, {recursive: true, force: true})
  }

  private readonly disposeAtExit = () => this.dispose()

  private spill(): void {
    const items = this.buffer.sort(this.codec.compare)
    this.buffer = []
    try {
      const file = this.open()
      const start = file.size
      let text = ''
      for (const item of items) {
        text += this.codec.encode(item) + '\n'
        if (text.length >= WRITE_BYTES) {
          this.write(file, text)
          text = ''
        }
      }
      if (text !== '') this.write(file, text)
      this.runs.push({start, end: file.size})
    } catch (error) {
      this.failure = new UserError(
        `could not write the temporary file that holds the ${this.items}: ${(error as Error).message}`,
        {
          hint: `there are too many ${this.items} to hold in memory; set TMPDIR to a directory with room, or narrow the input (--since, --until, fewer files)`,
          cause: error,
        },
      )
      this.dispose()
    }
  }

  private open(): SpillFile {
    if (this.file) return this.file
    const dir = mkdtempSync(path.join(this.options.directory ?? tmpdir(), 'kubectl-audit-'))
    try {
      this.file = {dir, fd: openSync(path.join(dir, 'sorted-runs'), 'w+', 0o600), size: 0}
      // However the run ends (an error, Ctrl-C through process.exit), the folder goes with it.
      process.once('exit', this.disposeAtExit)
    } catch (error) {
      rmSync(dir, {recursive: true, force: true})
      throw error
    }
    return this.file
  }

  private write(file: SpillFile, text: string): void {
    const bytes = Buffer.from(text, 'utf8')
    for (let done = 0; done < bytes.length;)
      done += writeSync(file.fd, bytes, done, bytes.length - done, file.size + done)
    file.size += bytes.length
  }

  private *merge(): Generator<T> {
    const file = this.file!
    const {compare, decode} = this.codec
    const readBytes = Math.min(
      MAX_READ_BYTES,
      Math.max(MIN_READ_BYTES, Math.floor(this.mergeReadBytes / this.runs.length)),
    )
    const cursors: Array<Cursor<T>> = this.runs.map((run) => new RunCursor(file.fd, run, readBytes, decode))
    if (this.buffer.length > 0) cursors.push(new ArrayCursor(this.buffer))
    // A small heap of cursors by their next item: the fan-in is the number of runs.
    const heap: Array<Cursor<T>> = []
    const before = (a: Cursor<T>, b: Cursor<T>) => compare(a.head as T, b.head as T) < 0
    const siftDown = (at: number) => {
      const item = heap[at]!
      for (;;) {
        const left = 2 * at + 1
        if (left >= heap.length) break
        const right = left + 1
        const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left
        if (!before(heap[child]!, item)) break
        heap[at] = heap[child]!
        at = child
      }
      heap[at] = item
    }
    for (const cursor of cursors) if (cursor.advance()) heap.push(cursor)
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i)
    while (heap.length > 0) {
      const top = heap[0]!
      yield top.head as T
      if (!top.advance()) {
        const last = heap.pop()!
        if (heap.length === 0) break
        heap[0] = last
      }
      siftDown(0)
    }
  }
}

interface Cursor<T> {
  head: T | undefined
  /** Moves to the next item; false at the end. */
  advance(): boolean
}

class ArrayCursor<T> implements Cursor<T> {
  head: T | undefined
  private index = 0

  constructor(private readonly items: readonly T[]) {}

  advance(): boolean {
    if (this.index >= this.items.length) return false
    this.head = this.items[this.index++]
    return true
  }
}

/**
 * Reads one run back, a block at a time, a line at a time: the block stays bytes and only the
 * next line becomes a string, so the merge keeps one string per run alive, not a block of them.
 */
class RunCursor<T> implements Cursor<T> {
  head: T | undefined
  private position: number
  private block: Buffer
  /** The unread bytes of the block: [start, end). */
  private start = 0
  private end = 0

  constructor(
    private readonly fd: number,
    private readonly run: Run,
    readBytes: number,
    private readonly decode: (line: string) => T,
  ) {
    this.position = run.start
    this.block = Buffer.allocUnsafe(readBytes)
  }

  advance(): boolean {
    for (;;) {
      const newline = this.block.indexOf(0x0a, this.start)
      if (newline !== -1 && newline < this.end) {
        const line = this.block.toString('utf8', this.start, newline)
        this.start = newline + 1
        this.head = this.decode(line)
        return true
      }
      if (!this.fill()) return false
    }
  }

  /** Moves the unread bytes to the front and reads more after them; false when the run is over. */
  private fill(): boolean {
    if (this.position >= this.run.end) return false
    const unread = this.end - this.start
    // A line longer than the block: a bigger block.
    if (unread === this.block.length) {
      const bigger = Buffer.allocUnsafe(this.block.length * 2)
      this.block.copy(bigger, 0, this.start, this.end)
      this.block = bigger
    } else this.block.copy(this.block, 0, this.start, this.end)
    this.start = 0
    this.end = unread
    const length = Math.min(this.block.length - unread, this.run.end - this.position)
    const read = readSync(this.fd, this.block, unread, length, this.position)
    if (read === 0) throw new Error('the temporary file of changes ended early')
    this.position += read
    this.end += read
    return true
  }
}
