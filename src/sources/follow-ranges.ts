// Following a node's log read by ranges (the kubelet's /logs/, HTTP Range), by polling: every
// interval its size (one `bytes=0-0` request), then what was added since the last offset (a
// Range from a few bytes before it, those checked to be the ones read there). A rotation shows as
// a smaller size (or those bytes changed) and a new rotated file in the directory listing: that file
// is read from the old offset (inflated first when it is already .gz), then the new log from its
// start; with no new rotated file, the log was truncated and is read again from its start. A node
// that does not answer is said once and tried again every interval; nothing is lost meanwhile, as
// following goes on from the same offset.
import {posix} from 'node:path'

import {logStreamName, rotationTime} from '../audit/rotation.js'
import {gunzip} from './byte-streams.js'
import {type FollowOptions, pause, tailOf} from './follow.js'
import type {ByteRange} from './source.js'

/** A log on a node, read by ranges; `name` says node and path (`node/cp-1:/var/log/…`). */
export interface RangedLog {
  readonly name: string
  readonly node: string
  readonly hostPath: string
  /** Its size now; null when ranges cannot be read (a proxy that drops Range). */
  size(): Promise<number | null>
  read(range: ByteRange, signal: AbortSignal): AsyncIterable<Buffer>
  /** The names in its directory. */
  list(): Promise<string[]>
  /** Another file of its directory (a rotated one), read by ranges. */
  sibling(name: string): {read(range: ByteRange, signal: AbortSignal): AsyncIterable<Buffer>}
}

const NEWLINE = 0x0a
/** At most this much is read in one look: a log that grew a lot while its node was away is caught up over several. */
const MAX_LOOK_BYTES = 16 * 1024 * 1024
const LINE_BREAK = Buffer.of(NEWLINE)

export async function* followRangedLog(log: RangedLog, from: number, options: FollowOptions): AsyncIterable<Buffer> {
  const {signal} = options
  const base = posix.basename(log.hostPath)
  let offset = from
  /** The last bytes handed on (up to 64), to check that the log still holds them; unknown at first. */
  let tail: Buffer | undefined
  /** Rotated files already in the directory, named when following started or at the last rotation. */
  let rotated: Set<string> | undefined
  let down = false
  const rotatedNow = async () =>
    new Set(
      (await log.list()).filter((name) => name !== base && rotationTime(name) !== null && logStreamName(name) === base),
    )
  while (!signal.aborted) {
    const lookedAt = Date.now()
    try {
      rotated ??= await rotatedNow()
      const size = await log.size()
      if (size === null) throw new Error('the size of the log cannot be told (a proxy on the way drops HTTP Range)')
      let moved = size < offset
      let added = Buffer.alloc(0)
      const end = Math.min(size, offset + MAX_LOOK_BYTES)
      if (!moved && size > offset) {
        // The last bytes read come along: still there, or the log is another file now. (At
        // first they are only the snapshot's end, a line break.)
        const known = tail ?? Buffer.of(NEWLINE).subarray(0, Math.min(1, offset))
        const read = Buffer.concat(await collect(log.read({start: offset - known.length, end}, signal)))
        if (!read.subarray(0, known.length).equals(known)) moved = true
        else added = read.subarray(known.length)
      }
      if (moved) {
        const now = await rotatedNow()
        const fresh = [...now]
          .filter((name) => !rotated!.has(name))
          .sort((a, b) => rotationTime(a)!.getTime() - rotationTime(b)!.getTime())
        rotated = now
        if (fresh.length === 0) options.notice(`${log.name} was truncated: reading it again from its start`)
        else options.notice(`${log.name} was rotated to ${fresh.join(', ')}: following the new file from its start`)
        // The file that was followed is the first rotated since; any after it were never seen.
        for (const [i, name] of fresh.entries()) {
          for await (const chunk of readRotated(log.sibling(name), name, i === 0 ? offset : 0, signal)) {
            tail = tailOf(tail ?? Buffer.alloc(0), chunk)
            yield chunk
          }
        }
        if (tail !== undefined && tail.length > 0 && tail[tail.length - 1] !== NEWLINE) yield LINE_BREAK
        offset = 0
        tail = Buffer.alloc(0)
        continue
      }
      if (added.length > 0) {
        offset += added.length
        tail = tailOf(tail ?? Buffer.alloc(0), added)
        yield added
      }
      if (down) {
        down = false
        options.reachable(true)
        options.notice(`${log.name}: following again`)
      }
      // More to read: at once, and it is not read to its end yet.
      if (end < size) continue
      options.caughtUp(lookedAt)
    } catch (error) {
      if (signal.aborted) return
      if (!down) {
        down = true
        options.reachable(false)
        options.notice(
          `${log.name}: cannot be read now (${firstLine(error)}); trying again every ${options.intervalMs / 1000}s`,
        )
      }
    }
    if (!(await pause(options.intervalMs, signal))) return
  }
}

/** A rotated file from `offset` of its content: a .gz is inflated and that much of it skipped. */
async function* readRotated(
  file: {read(range: ByteRange, signal: AbortSignal): AsyncIterable<Buffer>},
  name: string,
  offset: number,
  signal: AbortSignal,
): AsyncIterable<Buffer> {
  if (!/\.gz$/i.test(name)) {
    yield* file.read({start: offset}, signal)
    return
  }
  let skip = offset
  for await (const chunk of gunzip(file.read({start: 0}, signal))) {
    if (skip >= chunk.length) {
      skip -= chunk.length
      continue
    }
    yield skip > 0 ? chunk.subarray(skip) : chunk
    skip = 0
  }
}

/** What one poll read, whole: handed on only once the log was found to be the same file. */
async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = []
  for await (const chunk of chunks) out.push(chunk)
  return out
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!
}
