// The PolicyChangeReport: the versioned JSON contract of `kubectl audit policies` (ARCHITECTURE.md).

import type {PolicyChange} from './changes.js'
import {summarize, type SummaryRow} from './summary.js'
import type {TimeWindow} from './window.js'

export interface SourceSummary {
  name: string
  bytesRead: number
  events: number
  malformed: number
  /** False when the source could not be read to its end: the answer may miss changes. */
  complete: boolean
  /** Why not, when complete is false. */
  reason?: string
}

/** What reading one source tells the report: an error means it was not read to its end. */
export interface SourceOutcome {
  name: string
  bytesRead: number
  events: number
  malformed: number
  error: string | null
}

export interface PolicyChangeReport {
  apiVersion: 'kubectl-audit/v1'
  kind: 'PolicyChangeReport'
  window: {since: string | null; until: string | null}
  sources: SourceSummary[]
  summary: SummaryRow[]
  changes: PolicyChange[]
}

export function buildReport(window: TimeWindow, sources: readonly SourceOutcome[], changes: PolicyChange[]): PolicyChangeReport {
  return {
    apiVersion: 'kubectl-audit/v1',
    kind: 'PolicyChangeReport',
    window: {since: rfc3339(window.sinceMs), until: rfc3339(window.untilMs)},
    sources: sources.map(({name, bytesRead, events, malformed, error}) => (error === null ? {name, bytesRead, events, malformed, complete: true} : {name, bytesRead, events, malformed, complete: false, reason: error})),
    summary: summarize(changes),
    changes,
  }
}

function rfc3339(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().replace('.000Z', 'Z')
}
