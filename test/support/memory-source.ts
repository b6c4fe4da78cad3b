// An audit log held in memory as a LogSource: seekable like a file or a kubelet with Range, or
// read once like stdin. It records what was read, and honours ReadHints.reuseBuffers the way a file
// does (the same few buffers come back round), so a reader that keeps a chunk it was told it may
// not keep gets wrong bytes, as it would from a file.
import {rotationTime} from '../../src/audit/rotation.js'
import type {ByteRange, LogSource, ReadHints} from '../../src/sources/source.js'

export interface MemorySourceOptions {
  /** Bytes per chunk handed out (64 KiB, like a kubelet response). */
  chunkBytes?: number
  /** false: size() is null and reads start at byte 0, like stdin. */
  seekable?: boolean
  /** A file holding the same bytes: the reader may open it on another thread, as it does a local file. */
  localPath?: string
  /** A pause before each chunk: a slow disk, or a thread that gets little of the CPU. */
  chunkDelayMs?: number
}

/** Buffers that come back round when a reader allows it. */
const REUSED_BUFFERS = 3

export class MemorySource implements LogSource {
  /** From the name, as for a file: `audit-2026-11-24T10-00-00.000.log` was rotated then. */
  readonly rotatedAt: Date | null
  /** Every read() asked for, in order (undefined: from the start, without a range). */
  readonly reads: Array<ByteRange | undefined> = []
  readonly localPath?: string
  private readonly chunkBytes: number
  private readonly seekable: boolean
  private readonly chunkDelayMs: number

  constructor(
    readonly name: string,
    readonly bytes: Buffer,
    options: MemorySourceOptions = {},
  ) {
    this.rotatedAt = rotationTime(name)
    this.chunkBytes = options.chunkBytes ?? 64 * 1024
    this.seekable = options.seekable ?? true
    this.localPath = options.localPath
    this.chunkDelayMs = options.chunkDelayMs ?? 0
  }

  async size(): Promise<number | null> {
    return this.seekable ? this.bytes.length : null
  }

  async *read(range?: ByteRange, _signal?: AbortSignal, hints?: ReadHints): AsyncIterable<Buffer> {
    if (range !== undefined && !this.seekable)
      throw new Error(`${this.name}: a range was asked of a source that cannot seek`)
    this.reads.push(range)
    const pool = hints?.reuseBuffers ? Array.from({length: REUSED_BUFFERS}, () => Buffer.alloc(this.chunkBytes)) : []
    const end = range?.end ?? this.bytes.length
    let turn = 0
    for (let at = range?.start ?? 0; at < end; at += this.chunkBytes) {
      if (this.chunkDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.chunkDelayMs))
      const chunk = this.bytes.subarray(at, Math.min(end, at + this.chunkBytes))
      if (pool.length === 0) yield chunk
      else {
        const buffer = pool[turn++ % REUSED_BUFFERS]
        chunk.copy(buffer)
        yield buffer.subarray(0, chunk.length)
      }
    }
  }
}
