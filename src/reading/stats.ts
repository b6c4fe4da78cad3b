// What reading one source found and how far it got: counts, time span, where it started, why it
// stopped. One per source, updated while reading (progress), then reported (sources[] in JSON).

import type {LogFormat} from './format.js'

/** A query source's own name for its records (QuerySource.format). */
export type QueryFormat = string & {}

export interface SourceStats {
  name: string
  /** Bytes taken from the source (compressed bytes for .gz). */
  bytesRead: number
  /** Size of the source when known. */
  size: number | null
  events: number
  malformed: number
  firstMalformedLine: number | null
  /** How the bytes are laid out, or what a query source's records are (`cloudwatch`, `elasticsearch`, …). */
  format: LogFormat | QueryFormat | null
  /** Where reading started when bisection skipped the part before the window. */
  startOffset: number
  /** Not opened: a rotated file whose name says it ends before the window. */
  skipped: boolean
  /** The last line was still being written. */
  unterminated: boolean
  /** Lines are not in time order, so the source was read whole instead of seeking to the window. */
  disordered: boolean
  /**
   * Times of the first and last event lines seen (epoch ms), for "nothing in the window"; for a
   * skipped rotated file, the last is the rotation time in its name.
   */
  firstTimeMs: number | null
  lastTimeMs: number | null
  /**
   * Why the source could not be read to its end (corrupt gzip, a node that went away, a file
   * truncated while read), after what was read; null when it was read to its end (or skipped).
   */
  error: string | null
  /** Its first line is in klog's format: the apiserver's own log, not its audit log. */
  klog: boolean
  /** The error is what the source holds (bzip2, UTF-16, binary data, no line break), not a failed read. */
  refused: boolean
  /** Nothing more will be read from it: read to the end, skipped, or failed. */
  finished: boolean
  /** Events a log service cut short (CloudWatch's `[Truncated...]`), counted among the malformed. */
  truncated: number
  /** The first few of their audit IDs, to name them. */
  truncatedIDs: string[]
  /** Writes to watched resources whose bodies the log service replaced (AKS's skipped-too-big-size-object), and the first few audit IDs. */
  skippedBodies: number
  skippedBodyIDs: string[]
  /** A query source's records received, and how many the store said its query matches (progress). */
  records?: {received: number; total: number | null}
  /** The providers' records its events were mapped from (AuditEvent.mappedFrom): what they lack is said once. */
  mappedFrom: string[]
}

/** Read to its end, or not needed (a rotated file before the window). */
export function isComplete(stats: SourceStats): boolean {
  return stats.error === null
}

export function emptyStats(name: string): SourceStats {
  return {
    name,
    bytesRead: 0,
    size: null,
    events: 0,
    malformed: 0,
    firstMalformedLine: null,
    format: null,
    startOffset: 0,
    skipped: false,
    unterminated: false,
    disordered: false,
    firstTimeMs: null,
    lastTimeMs: null,
    error: null,
    klog: false,
    refused: false,
    finished: false,
    truncated: 0,
    truncatedIDs: [],
    skippedBodies: 0,
    skippedBodyIDs: [],
    mappedFrom: [],
  }
}

/** How many audit IDs of cut-short events are kept to be named. */
export const NAMED_TRUNCATED = 10

/** Counts events a log service cut short, keeping the first few audit IDs. */
export function noteTruncated(into: {truncated: number; truncatedIDs: string[]}, auditIDs: readonly string[]): void {
  into.truncated += auditIDs.length
  for (const id of auditIDs) if (into.truncatedIDs.length < NAMED_TRUNCATED) into.truncatedIDs.push(id)
}

/** Documents come in any order (an EventList of several apiservers): the span is their earliest and latest. */
export function widenSpan(stats: SourceStats, ms: number): void {
  if (stats.firstTimeMs === null || ms < stats.firstTimeMs) stats.firstTimeMs = ms
  if (stats.lastTimeMs === null || ms > stats.lastTimeMs) stats.lastTimeMs = ms
}
