// Reading as a stage: takes sources and hands every decoded audit event to a sink, with the name
// of its source; returns what was read from each. Per byte source: open (size, gzip, format from
// the head), plan (whole, or bisected to a window and stopped after it), scan, decode, hand on.
// A query source is asked with the run's filter, and its records are decoded (reading/query.ts).

import {findWatchedResource, isWriteVerb} from '../audit/catalog.js'
import type {AuditEvent} from '../audit/event.js'
import {logStreamName} from '../audit/rotation.js'
import type {TimeWindow} from '../audit/window.js'
import {type BodyKeeping, keptOfEvent} from '../audit/write-bodies.js'
import {dropFirstLine, gunzip, isGzip, peekHead, readRange, tap} from '../sources/byte-streams.js'
import {isQuerySource, type LogSource, type QueryFilter, type Source} from '../sources/source.js'
import {contentProblem, looksLikeKlog, NotAuditText} from './content-check.js'
import {detectFormat, type LogFormat} from './format.js'
import {firstEventTime} from './decode.js'
import {PROBE_BYTES, timeAfter} from './line-times.js'
import {PARALLEL_SCAN, ParallelScan} from './parallel-scan.js'
import {planRead, type ReadPlan, WHOLE} from './plan.js'
import {readQuery} from './query.js'
import {type AddEvents, scanBytes, type ScanEnd} from './scan.js'
import {filesInWindow, OrderWatch} from './seek.js'
import {HELD_WITH_BODIES, HeldEvents} from './held-events.js'
import {emptyStats, NAMED_TRUNCATED, noteTruncated, type SourceStats} from './stats.js'

/**
 * Where the events go. An event may come with its request and response bodies cut down to what
 * changes read (slimEvent): when it was held back, or decoded on another thread, unless
 * ReadOptions.bodies keeps them.
 */
export interface EventSink {
  add(event: AuditEvent, sourceName: string): void
}

export interface ReadOptions {
  window: TimeWindow
  /** What query sources are asked for (the window, the watched resources, the user's selection). */
  query?: QueryFilter
  sink: EventSink
  /** Which writes keep their bodies wherever events wait or cross threads (a run that shows what changed); none when absent. */
  bodies?: BodyKeeping
  /** Sources read at once (network sources gain from more). */
  concurrency?: number
  signal?: AbortSignal
  /** Called as bytes arrive and as each source finishes, with every source's stats. */
  onProgress?: (all: readonly SourceStats[]) => void
}

/** The options as one source's reading uses them: progress is only "something changed". */
type SourceReading = Omit<ReadOptions, 'onProgress'> & {changed: () => void}

export async function readSources(sources: readonly Source[], options: ReadOptions): Promise<SourceStats[]> {
  const stats = sources.map((s) => emptyStats(s.name))
  const inWindow = filesInWindow(
    sources.map((s) => (isQuerySource(s) ? null : (s.rotatedAt?.getTime() ?? null))),
    options.window,
    sources.map((s) => logStreamName(s.name)),
  )
  const reading: SourceReading = {...options, changed: () => options.onProgress?.(stats)}
  let next = 0
  const worker = async () => {
    while (next < sources.length) {
      const i = next++
      if (!inWindow[i]) {
        stats[i].skipped = true
        // Its name says about when it ends: the input's span still shows when nothing is read.
        stats[i].lastTimeMs = (sources[i] as LogSource).rotatedAt?.getTime() ?? null
        stats[i].finished = true
        continue
      }
      try {
        const source = sources[i]
        if (isQuerySource(source)) {
          if (!options.query) throw new Error(`${source.name} is a query source, and no query was given`)
          await readQuery(
            source,
            options.query,
            stats[i],
            sinkFor(reading, source, stats[i]),
            reading.changed,
            reading.signal,
          )
        } else await readSource(source, stats[i], reading)
      } catch (error) {
        stats[i].error = (error as Error).message
        stats[i].refused = error instanceof NotAuditText
      }
      stats[i].finished = true
      reading.changed()
    }
  }
  await Promise.all(Array.from({length: Math.min(options.concurrency ?? 2, sources.length)}, worker))
  return stats
}

/** What the head of a seekable source told. */
interface Shape {
  size: number
  gzip: boolean
  /** undefined until the scan sees the first line: a .gz is inflated first, an empty head may yet grow. */
  format: LogFormat | undefined
}

async function readSource(source: LogSource, stats: SourceStats, reading: SourceReading): Promise<void> {
  const {signal} = reading
  const size = await source.size()
  stats.size = size
  if (size === null) return readOnce(source, stats, reading)
  const head = await readRange(source, 0, Math.min(size, PROBE_BYTES), signal)
  const gzip = isGzip(head)
  // A .gz is checked once inflated, by the scan.
  const problem = gzip ? null : contentProblem(head, source.name)
  if (problem) throw problem
  stats.klog = looksLikeKlog(head)
  const shape: Shape = {size, gzip, format: gzip || head.length === 0 ? undefined : detectFormat(head)}
  let plan = WHOLE
  if (shape.format === 'lines') {
    stats.firstTimeMs = firstEventTime(head)
    const planned = await planRead(source, size, reading.window, signal)
    plan = planned.plan
    stats.disordered = planned.disordered
  }
  if (!(await readSeekable(source, shape, plan, stats, reading))) {
    // Out of order after all: what was held back is dropped, and the source is read again, whole.
    Object.assign(stats, {...emptyStats(source.name), size, firstTimeMs: stats.firstTimeMs, disordered: true})
    await readSeekable(source, shape, WHOLE, stats, reading)
  }
  // Truncated while it was read (logrotate's copytruncate): the read ended at the new end.
  const after = await source.size()
  if (after !== null && after < size)
    throw new Error(
      `the file shrank from ${size} to ${after} bytes while it was read (truncated, or rotated by copytruncate)`,
    )
}

/** A source that cannot seek (stdin, a pipe, a pod's log stream): read once, from its start. */
async function readOnce(source: LogSource, stats: SourceStats, reading: SourceReading): Promise<void> {
  const peeked = await peekHead(source.read(undefined, reading.signal), 2, (head) => head.length >= 2)
  const counted = countBytes(peeked.all, stats, reading)
  await scanBytes(isGzip(peeked.head) ? gunzip(counted) : counted, undefined, stats, sinkFor(reading, source, stats), {
    stopAfter: null,
    watchOrder: false,
  })
}

/**
 * Reads a seekable source as planned, a big local file on two threads. Returns false, having
 * added nothing, when a plan that trusts the time order found it broken.
 */
async function readSeekable(
  source: LogSource,
  shape: Shape,
  plan: ReadPlan,
  stats: SourceStats,
  reading: SourceReading,
): Promise<boolean> {
  // Events that keep their bodies (a run that shows what changed) can be large: fewer wait in memory.
  const held = plan.trustsOrder ? new HeldEvents(reading.bodies ? {inMemory: HELD_WITH_BODIES} : {}) : null
  try {
    return await readPlanned(source, shape, plan, stats, reading, held)
  } finally {
    held?.drop()
  }
}

/** readSeekable, with the events held back until the read is over when the plan trusts the time order. */
async function readPlanned(
  source: LogSource,
  shape: Shape,
  plan: ReadPlan,
  stats: SourceStats,
  reading: SourceReading,
  held: HeldEvents | null,
): Promise<boolean> {
  const {signal} = reading
  const {size, gzip, format} = shape
  const lines = format === 'lines'
  const sink = sinkFor(reading, source, stats)
  const add: AddEvents = held
    ? (events) => {
        for (const event of events) held.add(keptOfEvent(event, reading.bodies))
      }
    : sink
  const commit = () => held?.release(sink)
  const parallel =
    lines && source.localPath !== undefined
      ? await startParallelScan(source, source.localPath, plan, size, reading.bodies, signal)
      : null
  stats.startOffset = plan.start
  // JSON lines go only to the line scanner, which copies what it keeps.
  const raw = parallel?.firstChunk(signal) ?? source.read({start: plan.start}, signal, {reuseBuffers: lines})
  const counted = countBytes(raw, stats, reading)
  const bytes = gzip ? gunzip(counted) : counted
  let first: ScanEnd
  try {
    first = await scanBytes(plan.start > 0 ? dropFirstLine(bytes) : bytes, format, stats, add, {
      stopAfter: plan.stopAfter,
      watchOrder: plan.trustsOrder,
    })
  } catch (error) {
    await parallel?.cancel()
    // What was read before a failure still counts, as on a source that cannot seek; the failure
    // is what is said, whatever keeping that part met.
    try {
      commit()
    } catch {}
    throw error
  }
  if (first.disordered) {
    await parallel?.cancel()
    return false
  }
  // After an early stop, a sequential read would not have reached the other chunks either.
  if (parallel !== null && first.stoppedEarly) await parallel.cancel()
  else if (parallel !== null && !(await mergeParallelChunks(parallel, first.lineCount, stats, add, reading, commit)))
    return false
  commit()
  return true
}

function sinkFor(reading: SourceReading, source: Source, stats: SourceStats): AddEvents {
  return (events) => {
    for (const event of events) {
      if (event.bodySkipped && isWatchedWrite(event)) noteSkippedBody(stats, event.auditID)
      if (event.mappedFrom !== undefined && !stats.mappedFrom.includes(event.mappedFrom))
        stats.mappedFrom.push(event.mappedFrom)
      reading.sink.add(event, source.name)
    }
  }
}

function isWatchedWrite(event: AuditEvent): boolean {
  return (
    event.objectRef !== null &&
    isWriteVerb(event.verb) &&
    findWatchedResource(event.objectRef.apiGroup, event.objectRef.resource) !== undefined
  )
}

function noteSkippedBody(stats: SourceStats, auditID: string): void {
  stats.skippedBodies++
  if (stats.skippedBodyIDs.length < NAMED_TRUNCATED) stats.skippedBodyIDs.push(auditID)
}

function countBytes(raw: AsyncIterable<Buffer>, stats: SourceStats, reading: SourceReading): AsyncIterable<Buffer> {
  return tap(raw, (chunk) => {
    stats.bytesRead += chunk.length
    reading.changed()
  })
}

/**
 * Starts scanning the rest of a big local file of JSON lines on a worker as well, when that pays:
 * enough left to read, and a window that does not end within it. Null: read on this thread alone.
 */
async function startParallelScan(
  source: LogSource,
  path: string,
  plan: ReadPlan,
  size: number,
  bodies: BodyKeeping | undefined,
  signal?: AbortSignal,
): Promise<ParallelScan | null> {
  if (size - plan.start < PARALLEL_SCAN.minBytes) return null
  if (plan.stopAfter !== null) {
    const later = await timeAfter(source, plan.start + PARALLEL_SCAN.minBytes, size, signal)
    if (later !== undefined && later > plan.stopAfter) return null
  }
  const grid = {from: plan.start, size, chunkBytes: PARALLEL_SCAN.chunkBytes}
  return ParallelScan.start(source, {
    path,
    grid,
    stopAfter: plan.stopAfter,
    watchOrder: plan.trustsOrder,
    ...(bodies ? {bodies} : {}),
  })
}

/**
 * Adds the chunks after the first as if one thread had read them after it: line numbers, counts,
 * events in order. Returns false when the time order broke, within a chunk or between two.
 */
async function mergeParallelChunks(
  parallel: ParallelScan,
  firstLineCount: number,
  stats: SourceStats,
  add: AddEvents,
  reading: SourceReading,
  commit: () => void,
): Promise<boolean> {
  let lineCount = firstLineCount
  const order = new OrderWatch()
  if (stats.lastTimeMs !== null) order.see(stats.lastTimeMs)
  let disordered = false
  let failure: string | undefined
  await parallel.scanRest(
    {
      events: add,
      chunk(result, bytes) {
        if (result.earliestMs !== null && result.latestMs !== null) {
          order.see(result.earliestMs)
          order.see(result.latestMs)
        }
        disordered = result.disordered || order.disordered
        if (disordered) return false
        stats.bytesRead += bytes
        reading.changed()
        stats.events += result.events
        stats.malformed += result.malformed
        if (stats.firstMalformedLine === null && result.firstMalformedLine !== null)
          stats.firstMalformedLine = lineCount + result.firstMalformedLine
        lineCount += result.lineCount
        stats.unterminated ||= result.unterminated
        noteTruncated(stats, result.truncatedIDs)
        stats.truncated += result.truncated - result.truncatedIDs.length
        stats.firstTimeMs ??= result.firstTimeMs
        if (result.lastTimeMs !== null) stats.lastTimeMs = result.lastTimeMs
        failure = result.failure === undefined ? undefined : String(result.failure)
        return true
      },
    },
    reading.signal,
  )
  if (disordered) return false
  if (failure !== undefined) {
    commit()
    throw new Error(failure)
  }
  return true
}
