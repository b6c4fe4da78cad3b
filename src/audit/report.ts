// The PolicyChangeReport: the versioned JSON contract of `kubectl audit policies` (ARCHITECTURE.md).

import type {PolicyChange} from './changes.js'
import {summarize, type SummaryRow} from './summary.js'
import {boundUs, type TimeWindow} from './window.js'

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

/** A bound as RFC3339 in UTC, as precise as it was given: whole seconds, milliseconds or microseconds. */
function rfc3339(ms: number | null): string | null {
  const us = boundUs(ms)
  if (us === null) return null
  const seconds = Math.floor(us / 1_000_000)
  const fraction = String(us - seconds * 1_000_000).padStart(6, '0')
  const text = new Date(seconds * 1000).toISOString().replace('.000Z', '')
  return fraction === '000000' ? `${text}Z` : fraction.endsWith('000') ? `${text}.${fraction.slice(0, 3)}Z` : `${text}.${fraction}Z`
}
