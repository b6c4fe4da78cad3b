// Small tools on streams of Buffers: peeking, tapping, gunzip, skipping a cut first line, ranges.
import {Readable} from 'node:stream'
import {createGunzip} from 'node:zlib'

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

export async function peek(iterable: AsyncIterable<Buffer>): Promise<{first: Buffer; all: AsyncIterable<Buffer>}> {
  const iterator = iterable[Symbol.asyncIterator]()
  const head = await iterator.next()
  const first = head.done ? Buffer.alloc(0) : head.value
  async function* all() {
    if (!head.done) yield first
    for (let r = await iterator.next(); !r.done; r = await iterator.next()) yield r.value
  }
  return {first, all: all()}
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
    const message = (error as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' ? 'gzip stream ends early (truncated .gz)' : `corrupt gzip data: ${(error as Error).message}`
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
