// Following a log as it is written (--watch): what a source that can follow its log gives the
// reading stage. A followed log hands on its new bytes as they land and says when it has been
// read to its end; it carries on through rotation, truncation and a node that goes away, and
// says so. Here too: where following starts, a snapshot of the log that ends at a whole line.
import {setTimeout as sleep} from 'node:timers/promises'

import type {ByteRange, LogSource, ReadHints} from './source.js'

export interface FollowOptions {
  /** How often the log is looked at: each look at a node's log is a request. */
  readonly intervalMs: number
  /** Ends the following. */
  readonly signal: AbortSignal
  /**
   * The log was read to its end: everything written to it before `atMs` (this machine's clock)
   * has been handed on. A log that cannot tell (a stream) never says it.
   */
  caughtUp(atMs: number): void
  /** One line for the user: rotated, truncated, a node gone or back. */
  notice(line: string): void
  /** The log cannot be read for now (false: it is tried again each interval), or can again (true). */
  reachable(up: boolean): void
}

/** A source whose log can be followed from an offset. */
export interface Followable {
  /** A stream (stdin, a pipe): nothing is read before following, which reads it from its start to its end. */
  readonly isStream?: boolean
  /**
   * Its bytes from `from` on, then as they are written, until the signal. A log that was rotated
   * or truncated goes on with the new file's bytes (a newline first, when the old ended inside a
   * line). `streamed`: the bytes come as a stream that cannot say when it is read to its end
   * (stdin, `tail -F` in a pod): caughtUp is never called, and the reader goes by how quiet it is.
   */
  follow(from: number, options: FollowOptions): FollowedLog
}

export interface FollowedLog {
  readonly bytes: AsyncIterable<Buffer>
  readonly streamed: boolean
}

export function isFollowable(source: LogSource): source is LogSource & Followable {
  return typeof (source as Partial<Followable>).follow === 'function'
}

/** How far back from the end a snapshot looks for the last line break before giving up on one. */
const LAST_LINE_SEARCH_BYTES = 4 * 1024 * 1024
const SEARCH_STEP_BYTES = 64 * 1024
const NEWLINE = 0x0a

/**
 * The log as it is now, up to its last whole line: what is read before following, so that
 * following starts at `end`, exactly where that read ended. `atMs`: when its size was taken.
 * Null when the source cannot tell its size (a proxy that drops Range).
 */
export async function snapshotToLastLine(
  source: LogSource,
  signal?: AbortSignal,
): Promise<{source: LogSource; end: number; atMs: number} | null> {
  const atMs = Date.now()
  const size = await source.size()
  if (size === null) return null
  const end = await lastLineEnd(source, size, signal)
  return {source: new SnapshotSource(source, end), end, atMs}
}

/** One past the last line break before `size`; 0 when there is none near the end. */
async function lastLineEnd(source: LogSource, size: number, signal?: AbortSignal): Promise<number> {
  for (let to = size; to > 0 && size - to < LAST_LINE_SEARCH_BYTES; to -= SEARCH_STEP_BYTES) {
    const from = Math.max(0, to - SEARCH_STEP_BYTES)
    const parts: Buffer[] = []
    for await (const chunk of source.read({start: from, end: to}, signal)) parts.push(chunk)
    const at = Buffer.concat(parts).lastIndexOf(NEWLINE)
    if (at !== -1) return from + at + 1
  }
  return 0
}

/** A source seen only up to `end`: what it held when it was looked at. */
class SnapshotSource implements LogSource {
  constructor(
    private readonly inner: LogSource,
    private readonly end: number,
  ) {}

  get name(): string {
    return this.inner.name
  }

  get rotatedAt(): Date | null {
    return this.inner.rotatedAt
  }

  get localPath(): string | undefined {
    return this.inner.localPath
  }

  async size(): Promise<number> {
    return this.end
  }

  read(range?: ByteRange, signal?: AbortSignal, hints?: ReadHints): AsyncIterable<Buffer> {
    const start = range?.start ?? 0
    const end = Math.min(range?.end ?? this.end, this.end)
    return end <= start ? empty() : this.inner.read({start, end}, signal, hints)
  }
}

async function* empty(): AsyncIterable<Buffer> {}

/**
 * How many of the last bytes handed on a follower keeps, to check the log still holds them before
 * it reads on: a line ends with its timestamps, so another file's bytes differ there.
 */
export const TAIL_BYTES = 64

/** The last TAIL_BYTES handed on, `chunk` being the latest. */
export function tailOf(tail: Buffer, chunk: Buffer): Buffer {
  if (chunk.length >= TAIL_BYTES) return Buffer.from(chunk.subarray(chunk.length - TAIL_BYTES))
  return Buffer.concat([tail, chunk]).subarray(-TAIL_BYTES)
}

/** Waits `ms`; false when the signal ended the wait. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, {signal})
    return true
  } catch {
    return false
  }
}
