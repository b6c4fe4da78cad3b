// Looks for the probes' audit IDs in the log, read again and again from the time they were sent
// until every one is found where it is expected or the time runs out. Reading goes through the
// same stage as `policies` (reading/read.ts) with a sink of its own: the change collector would
// leave dry runs out.
import {setTimeout as sleep} from 'node:timers/promises'

import type {AuditEvent} from '../audit/event.js'
import {STAGES} from '../audit/policy/types.js'
import type {TimeWindow} from '../audit/window.js'
import {type EventSink, readSources} from '../reading/read.js'
import {isQuerySource, type QueryFilter, type Source} from '../sources/source.js'
import {type ProbeRecord, recorderOf} from './probe-facts.js'

/** Between reads of files on nodes; a log service is asked less often (its delay is minutes anyway). */
export const POLL_INTERVAL_MS = 2000
export const QUERY_POLL_INTERVAL_MS = 5000

export interface Watch {
  readonly sources: readonly Source[]
  readonly concurrency: number
  readonly window: TimeWindow
  readonly query: QueryFilter
  /** Each audit ID looked for, with when its request was sent. */
  readonly sentAtMs: ReadonlyMap<string, number>
  /** Stop as soon as this holds for what has been found. */
  readonly enough: (records: readonly ProbeRecord[]) => boolean
  readonly timeoutMs: number
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
  const interval = watch.sources.some(isQuerySource) ? QUERY_POLL_INTERVAL_MS : POLL_INTERVAL_MS
  const sink: EventSink = {
    add(event, source) {
      if (!watch.sentAtMs.has(event.auditID)) return
      const key = `${event.auditID}\u0000${source}`
      const entry = found.get(key) ?? found.set(key, {auditID: event.auditID, source, events: [], foundAtMs: null}).get(key)!
      entry.events.push(event)
    },
  }
  for (;;) {
    // Each read starts afresh: what a source holds now, from the window's start.
    for (const entry of found.values()) entry.events = []
    const stats = await readSources(watch.sources, {window: watch.window, query: watch.query, sink, concurrency: watch.concurrency, signal: watch.signal})
    watch.signal?.throwIfAborted()
    const now = Date.now()
    for (const entry of found.values()) if (entry.events.length > 0) entry.foundAtMs ??= now
    const records = [...found.values()].filter((e) => e.events.length > 0).map((e) => recordOf(e, watch.sentAtMs.get(e.auditID)!))
    const errors = stats.filter((s) => s.error !== null).map((s) => `${s.name}: ${s.error}`)
    if (watch.enough(records) || now - started >= watch.timeoutMs) return {records, errors}
    await sleep(Math.min(interval, started + watch.timeoutMs - now), undefined, {signal: watch.signal})
  }
}

interface Found {
  auditID: string
  source: string
  events: AuditEvent[]
  foundAtMs: number | null
}

function recordOf(found: Found, sentAtMs: number): ProbeRecord {
  const [first] = found.events
  const stages = STAGES.filter((stage) => found.events.some((e) => e.stage === stage))
  return {
    source: found.source,
    recorder: recorderOf(found.source),
    auditID: found.auditID,
    level: first!.level,
    stages,
    user: {name: first!.user.username, groups: first!.user.groups},
    requestBody: found.events.some((e) => e.requestObject !== undefined),
    responseBody: found.events.some((e) => e.responseObject !== undefined),
    foundAfterMs: Math.max(0, (found.foundAtMs ?? Date.now()) - sentAtMs),
  }
}
