// A big file of JSON lines cut into chunks that threads scan apart: which lines each chunk owns,
// so that together the chunks see every line once, wherever the cuts fall.

import type {LogSource, ReadHints} from '../sources/source.js'
import {NEWLINE} from './bytes.js'

/** Chunk i of [from, size) in `chunkBytes` steps: the bytes where its lines start. */
export interface ChunkGrid {
  readonly from: number
  readonly size: number
  readonly chunkBytes: number
}

export function chunkCount(grid: ChunkGrid): number {
  return Math.max(1, Math.ceil((grid.size - grid.from) / grid.chunkBytes))
}

export function chunkBounds(grid: ChunkGrid, index: number): {start: number; end: number} {
  const start = grid.from + index * grid.chunkBytes
  return {start, end: Math.min(grid.size, start + grid.chunkBytes)}
}

/** Bytes read past a chunk's end at first: its last line almost always ends within them. */
const LINE_END_MARGIN = 64 * 1024

/**
 * The bytes of the lines chunk `index` owns: those that start in (start, end], and the first
 * chunk's first line. A chunk is read from its start, in the buffers one thread reading the
 * whole would use (the same early stops, the same counts); it hands on the bytes from just past
 * its first newline to the newline that ends the line under its end, and the next chunk's lines
 * start just past that one. The first chunk is handed on from the grid's start: a reader that
 * starts mid-file drops the partial first line itself (dropFirstLine), which is the same rule.
 */
export function chunkLines(
  source: Pick<LogSource, 'read'>,
  grid: ChunkGrid,
  index: number,
  hints: ReadHints,
  signal?: AbortSignal,
): AsyncIterable<Buffer> {
  const {start, end} = chunkBounds(grid, index)
  return ownedLines(readNear(source, start, end, grid.size, hints, signal), start, end, index > 0)
}

/** The source from `start` on: up to a little past `end` first, and further only if asked. */
async function* readNear(
  source: Pick<LogSource, 'read'>,
  start: number,
  end: number,
  size: number,
  hints: ReadHints,
  signal?: AbortSignal,
): AsyncIterable<Buffer> {
  const near = Math.min(size, end + LINE_END_MARGIN)
  yield* source.read({start, end: near}, signal, hints)
  if (near < size) yield* source.read({start: near, end: size}, signal, hints)
}

/**
 * `bytes`, read from `start`, cut to the lines that start in (start, end]: from just past the
 * first newline (with `dropFirst`; nothing when that newline is at `end` or later) to the first
 * newline at `end` or later, however far that is.
 */
async function* ownedLines(
  bytes: AsyncIterable<Buffer>,
  start: number,
  end: number,
  dropFirst: boolean,
): AsyncIterable<Buffer> {
  let at = start
  let dropping = dropFirst
  for await (const piece of bytes) {
    let from = 0
    if (dropping) {
      const nl = piece.indexOf(NEWLINE)
      if (nl === -1 || at + nl >= end) {
        at += piece.length
        if (nl !== -1 || at >= end) return
        continue
      }
      dropping = false
      from = nl + 1
    }
    const last = at + piece.length <= end ? -1 : piece.indexOf(NEWLINE, Math.max(from, end - at))
    if (last !== -1) {
      if (last + 1 > from) yield piece.subarray(from, last + 1)
      return
    }
    if (piece.length > from) yield from === 0 ? piece : piece.subarray(from)
    at += piece.length
  }
}
