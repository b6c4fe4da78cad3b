// Small tools on streams of Buffers: peeking, tapping, gunzip, skipping a cut first line, ranges,
// and small sources (or the tail of a big one) read whole.
import {Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'

import {UserError} from '../errors.js'
import type {LogSource} from './source.js'

const GZIP_MAGIC = [0x1f, 0x8b]

export function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1]
}

export async function readRange(source: LogSource, start: number, end: number, signal?: AbortSignal): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const chunk of source.read({start, end}, signal)) parts.push(chunk)
  return Buffer.concat(parts)
}

/**
 * Reads ahead until `enough(head)` holds, `maxBytes` are in, or the stream ends (a pipe may deliver
 * one byte first), and gives back what was read and the whole stream, from its first byte. Chunks
 * read ahead are handed on as one copy: a reader that reuses its buffers may not keep two.
 */
export async function peekHead(
  iterable: AsyncIterable<Buffer>,
  maxBytes: number,
  enough: (head: Buffer) => boolean,
): Promise<{head: Buffer; all: AsyncIterable<Buffer>}> {
  const iterator = iterable[Symbol.asyncIterator]()
  const parts: Buffer[] = []
  let head: Buffer = Buffer.alloc(0)
  let done = false
  while (!done && head.length < maxBytes && (parts.length === 0 || !enough(head))) {
    const next = await iterator.next()
    if (next.done) done = true
    else {
      parts.push(next.value)
      head = parts.length === 1 ? next.value : Buffer.concat(parts)
    }
  }
  async function* all() {
    if (head.length > 0) yield head
    if (done) return
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) yield r.value
  }
  return {head, all: all()}
}

/** Passes chunks through, telling `onChunk` about each (byte counts, progress). */
export async function* tap(iterable: AsyncIterable<Buffer>, onChunk: (chunk: Buffer) => void): AsyncIterable<Buffer> {
  for await (const chunk of iterable) {
    onChunk(chunk)
    yield chunk
  }
}

export async function* gunzip(iterable: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  const inflate = createGunzip({chunkSize: 1024 * 1024})
  const input = Readable.from(iterable)
  input.on('error', (error) => inflate.destroy(error))
  input.pipe(inflate)
  try {
    for await (const chunk of inflate) yield chunk as Buffer
  } catch (error) {
    const message =
      (error as NodeJS.ErrnoException).code === 'Z_BUF_ERROR'
        ? 'gzip stream ends early (truncated .gz)'
        : `corrupt gzip data: ${(error as Error).message}`
    throw new Error(message)
  }
}

/** After a seek the first line is usually cut: skip to the first newline. */
export async function* dropFirstLine(iterable: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  let dropping = true
  for await (const chunk of iterable) {
    if (!dropping) {
      yield chunk
      continue
    }
    const nl = chunk.indexOf(0x0a)
    if (nl === -1) continue
    dropping = false
    if (nl + 1 < chunk.length) yield chunk.subarray(nl + 1)
  }
}

/** Limits on what readSmallSource keeps: the whole source up to maxBytes, or its last tailBytes. */
export interface SmallReadLimits {
  /** Refuse sources larger than this (default 1 MiB): a policy file is a few KiB. */
  maxBytes?: number
  /** Keep only the last bytes (the newest events of a log). */
  tailBytes?: number
}

const DEFAULT_MAX_BYTES = 1024 * 1024

/** A small source (or the tail of a large one) in one Buffer; seeks when the source can. */
export async function readSmallSource(source: LogSource, opts: SmallReadLimits): Promise<Buffer> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES
  const size = await source.size()
  if (size === null) return readFromStart(source, maxBytes, opts.tailBytes)
  const start = opts.tailBytes === undefined ? 0 : Math.max(0, size - opts.tailBytes)
  if (size - start > maxBytes)
    throw new UserError(`${source.name} is ${size} bytes, more than the ${maxBytes} expected`)
  const chunks: Buffer[] = []
  for await (const chunk of source.read({start, end: size})) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** A source that cannot seek (a proxy dropped Range): read from byte 0, keeping only the tail when one is asked for. */
async function readFromStart(
  source: LogSource,
  maxBytes: number,
  tailBytes = Number.POSITIVE_INFINITY,
): Promise<Buffer> {
  const chunks: Buffer[] = []
  let kept = 0
  let total = 0
  for await (const chunk of source.read()) {
    chunks.push(chunk)
    kept += chunk.length
    total += chunk.length
    while (kept - chunks[0]!.length >= tailBytes) kept -= chunks.shift()!.length
    if (Math.min(total, tailBytes) > maxBytes)
      throw new UserError(`${source.name} is more than the ${maxBytes} bytes expected`)
  }
  const bytes = Buffer.concat(chunks)
  return bytes.subarray(Math.max(0, bytes.length - tailBytes))
}
