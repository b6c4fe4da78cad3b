// Looks for the probes' audit IDs in the log, read again and again until every one is found where
// it is expected or the time runs out: the first read from just before the writes, each later one
// only what was added since (a log on a busy control plane grows by megabytes a minute, and every
// byte comes through the API server). Reading goes through the same stage as `policies`
// (reading/read.ts) with a sink of its own: the change collector would leave dry runs out.
import {setTimeout as sleep} from 'node:timers/promises'

import type {AuditEvent} from '../audit/event.js'
import {STAGES} from '../audit/policy/types.js'
import type {TimeWindow} from '../audit/window.js'
import {type EventSink, readSources} from '../reading/read.js'
import {
  type ByteRange,
  isQuerySource,
  type LogSource,
  type QueryFilter,
  type ReadHints,
  type Source,
} from '../sources/source.js'
import {type ProbeRecord, recorderOf} from './probe-facts.js'

/**
 * Between reads: the first wait, doubled after each read up to the longest. Files on nodes are
 * read often (each read is only what was added); a log service or store is asked less and less
 * often (its delay is minutes anyway, and every question counts against a quota).
 */
export const POLL_INTERVAL_MS = 1000
export const MAX_POLL_INTERVAL_MS = 2000
export const QUERY_POLL_INTERVAL_MS = 2000
export const MAX_QUERY_POLL_INTERVAL_MS = 30_000

export interface Watch {
  readonly sources: readonly Source[]
  readonly concurrency: number
  readonly window: TimeWindow
  readonly query: QueryFilter
  /** Each audit ID looked for, with when its request was sent. */
  readonly sentAtMs: ReadonlyMap<string, number>
  /**
   * The audit ID looked for that an event of another ID stands for, or undefined: a store that does
   * not carry the Audit-ID sent (GKE's entries may not) is matched by the probe's object instead.
   */
  readonly ownerOf?: (event: AuditEvent) => string | undefined
  /** Stop as soon as this holds for what has been found. */
  readonly enough: (records: readonly ProbeRecord[]) => boolean
  readonly timeoutMs: number
  /** The first wait between reads; default: POLL_INTERVAL_MS, or QUERY_POLL_INTERVAL_MS when a source is a log store. */
  readonly intervalMs?: number
  /** The longest wait between reads, reached by doubling; default: MAX_POLL_INTERVAL_MS or MAX_QUERY_POLL_INTERVAL_MS. */
  readonly maxIntervalMs?: number
  readonly signal?: AbortSignal
}

export interface WatchResult {
  readonly records: ProbeRecord[]
  /** Sources whose last read failed, with why. */
  readonly errors: string[]
}

/** Reads until `enough` holds or the time since the first write is up; always reads at least once. */
export async function watchForAuditIDs(watch: Watch): Promise<WatchResult> {
  const found = new Map<string, Found>()
  const started = Math.min(...watch.sentAtMs.values())
  const queried = watch.sources.some(isQuerySource)
  let interval = watch.intervalMs ?? (queried ? QUERY_POLL_INTERVAL_MS : POLL_INTERVAL_MS)
  const longest = Math.max(
    interval,
    watch.maxIntervalMs ?? (queried ? MAX_QUERY_POLL_INTERVAL_MS : MAX_POLL_INTERVAL_MS),
  )
  const sources = watch.sources.map((s) => (isQuerySource(s) || s.name.endsWith('.gz') ? s : new UnreadPart(s)))
  const sink: EventSink = {
    add(event, source) {
      const byID = watch.sentAtMs.has(event.auditID)
      const auditID = byID ? event.auditID : watch.ownerOf?.(event)
      if (auditID === undefined || !watch.sentAtMs.has(auditID)) return
      const key = `${auditID}\u0000${source}`
      const entry =
        found.get(key) ??
        found.set(key, {auditID, source, events: new Map(), foundAtMs: null, byObject: !byID}).get(key)!
      if (byID) entry.byObject = false
      // A part read again (a store asked again, the margin of a file) gives the same stage again.
      entry.events.set(event.stage, event)
    },
  }
  for (;;) {
    const stats = await readSources(sources, {
      window: watch.window,
      query: watch.query,
      sink,
      concurrency: watch.concurrency,
      signal: watch.signal,
    })
    watch.signal?.throwIfAborted()
    for (const source of sources) if (source instanceof UnreadPart) source.advance()
    const now = Date.now()
    for (const entry of found.values()) entry.foundAtMs ??= now
    const records = [...found.values()].map((e) => recordOf(e, watch.sentAtMs.get(e.auditID)!))
    const errors = stats.filter((s) => s.error !== null).map((s) => `${s.name}: ${s.error}`)
    if (watch.enough(records) || now - started >= watch.timeoutMs) return {records, errors}
    await sleep(Math.min(interval, started + watch.timeoutMs - now), undefined, {signal: watch.signal})
    interval = Math.min(longest, interval * 2)
  }
}

/**
 * Read again from this far before where the last read ended: a line being written then (an event
 * with its bodies is a few KiB; 256 KiB is far more) is read whole the next time.
 */
const REREAD_BYTES = 256 * 1024

/**
 * A growing log as the part not read yet: the bytes from a little before where the last read
 * ended. A file that shrank was rotated or truncated: read from its start again.
 */
class UnreadPart implements LogSource {
  readonly name: string
  readonly rotatedAt: Date | null
  private from = 0
  private sizeAtRead: number | null = null

  constructor(private readonly whole: LogSource) {
    this.name = whole.name
    this.rotatedAt = whole.rotatedAt
  }

  async size(): Promise<number | null> {
    const size = await this.whole.size()
    if (size === null) return null
    if (size < this.from) this.from = 0
    this.sizeAtRead ??= size
    return size - this.from
  }

  read(range?: ByteRange, signal?: AbortSignal, hints?: ReadHints): AsyncIterable<Buffer> {
    const shifted = range && {
      start: range.start + this.from,
      ...(range.end === undefined ? {} : {end: range.end + this.from}),
    }
    return this.whole.read(shifted, signal, hints)
  }

  /** After a read: the next one starts where this one ended, less the margin. */
  advance(): void {
    if (this.sizeAtRead !== null) this.from = Math.max(this.from, this.sizeAtRead - REREAD_BYTES)
    this.sizeAtRead = null
  }
}

interface Found {
  auditID: string
  source: string
  /** By stage. */
  events: Map<string, AuditEvent>
  foundAtMs: number | null
  /** Every event of it was matched by the probe's object, none by the Audit-ID. */
  byObject: boolean
}

function recordOf(found: Found, sentAtMs: number): ProbeRecord {
  const events = [...found.events.values()]
  const [first] = events
  const stages = STAGES.filter((stage) => found.events.has(stage))
  return {
    source: found.source,
    recorder: recorderOf(found.source),
    auditID: found.auditID,
    matchedBy: found.byObject ? 'object' : 'audit-id',
    // A store that re-encodes the event (GKE's Cloud Audit Logs) keeps neither.
    level: first!.level === '' ? null : first!.level,
    stages: first!.stage === '' ? null : stages,
    user: {name: first!.user.username, groups: first!.user.groups},
    requestBody: events.some((e) => e.requestObject !== undefined),
    responseBody: events.some((e) => e.responseObject !== undefined),
    foundAfterMs: Math.max(0, (found.foundAtMs ?? Date.now()) - sentAtMs),
  }
}
