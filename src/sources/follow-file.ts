// Following a local file by name (--watch), as `tail -F` does: its new bytes every interval; when
// the name points at another file (kube-apiserver renames audit.log to audit-<time>.log and opens
// a new one), the old file is read to its end and the new one from its start; when the file
// shrinks or its content before the offset changed (truncated), it is read again from its start.
import type {FileHandle} from 'node:fs/promises'
import {open, stat} from 'node:fs/promises'

import {type FollowOptions, pause, TAIL_BYTES, tailOf} from './follow.js'

const CHUNK_BYTES = 1024 * 1024
const NEWLINE = 0x0a
const LINE_BREAK = Buffer.of(NEWLINE)

export async function* followFile(path: string, from: number, options: FollowOptions): AsyncIterable<Buffer> {
  const {signal} = options
  let file = await openFile(path)
  let offset = file === null ? 0 : from
  /** The last bytes handed on (a snapshot ends at a line's end), to check that the file still holds them. */
  let tail =
    from > 0 && file !== null ? await readAt(file.handle, Math.max(0, from - TAIL_BYTES), from) : Buffer.alloc(0)
  /** Looks in a row that found no file: a rename leaves none for a moment. */
  let missing = 0
  try {
    while (!signal.aborted) {
      const lookedAt = Date.now()
      if (file !== null) {
        const changed = await lookAt(path, file, offset, tail)
        if (changed === 'replaced' || changed === 'gone') {
          // Lines written to the old file before it was renamed are read first.
          for await (const chunk of readFrom(file.handle, offset, signal)) {
            offset += chunk.length
            tail = tailOf(tail, chunk)
            yield chunk
          }
          await file.handle.close()
          file = null
        } else if (changed === 'truncated') {
          options.notice(`${path} was truncated: reading it again from its start`)
          offset = 0
        }
      }
      if (file === null) {
        file = await openFile(path)
        if (file === null) {
          if (++missing === 2) options.notice(`${path} is gone; following it again once it is back`)
          options.caughtUp(lookedAt)
          if (!(await pause(options.intervalMs, signal))) return
          continue
        }
        options.notice(`${path} was rotated (a new file has its name): following the new file from its start`)
        missing = 0
        offset = 0
      }
      if (offset === 0) {
        if (tail.length > 0 && tail[tail.length - 1] !== NEWLINE) yield LINE_BREAK
        tail = Buffer.alloc(0)
      }
      for await (const chunk of readFrom(file.handle, offset, signal)) {
        offset += chunk.length
        tail = tailOf(tail, chunk)
        yield chunk
      }
      options.caughtUp(lookedAt)
      if (!(await pause(options.intervalMs, signal))) return
    }
  } finally {
    await file?.handle.close()
  }
}

interface OpenFile {
  handle: FileHandle
  dev: number
  ino: number
}

async function openFile(path: string): Promise<OpenFile | null> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
  const info = await handle.stat()
  return {handle, dev: info.dev, ino: info.ino}
}

/**
 * What became of the open file: the name now names another file (replaced), or none (gone:
 * renamed and not created again yet); it is shorter than the offset, or the bytes before the
 * offset are no longer those read there (truncated, maybe written again since); or it only grew.
 */
async function lookAt(
  path: string,
  file: OpenFile,
  offset: number,
  tail: Buffer,
): Promise<'replaced' | 'gone' | 'truncated' | 'same'> {
  const named = await stat(path).catch(() => null)
  if (named === null) return 'gone'
  if (named.ino !== file.ino || named.dev !== file.dev) return 'replaced'
  if (offset === 0) return 'same'
  if ((await file.handle.stat()).size < offset) return 'truncated'
  return (await readAt(file.handle, offset - tail.length, offset)).equals(tail) ? 'same' : 'truncated'
}

async function readAt(handle: FileHandle, start: number, end: number): Promise<Buffer> {
  const buffer = Buffer.alloc(end - start)
  const {bytesRead} = await handle.read(buffer, 0, buffer.length, start)
  return buffer.subarray(0, bytesRead)
}

/** What the file holds past `offset` now, in chunks. */
async function* readFrom(handle: FileHandle, offset: number, signal: AbortSignal): AsyncIterable<Buffer> {
  let position = offset
  while (!signal.aborted) {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES)
    const {bytesRead} = await handle.read(buffer, 0, CHUNK_BYTES, position)
    if (bytesRead === 0) return
    position += bytesRead
    yield buffer.subarray(0, bytesRead)
  }
}
