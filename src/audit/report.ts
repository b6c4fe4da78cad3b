// The PolicyChangeReport: the versioned JSON contract of `kubectl audit policies` (ARCHITECTURE.md).
// A run builds it from a stream of changes: the summary is counted as they pass, and only the
// changes a table lists are kept; -o json and -o yaml walk the stream again to print them.

import type {PolicyChange} from './changes.js'
import {summarize, SummaryCounter, type SummaryRow} from './summary.js'
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

/** The report up to its summary: what is known before the changes are walked. */
export type PolicyChangeReportHead = Omit<PolicyChangeReport, 'summary' | 'changes'>

export function reportHead(window: TimeWindow, sources: readonly SourceOutcome[]): PolicyChangeReportHead {
  return {
    apiVersion: 'kubectl-audit/v1',
    kind: 'PolicyChangeReport',
    window: {since: rfc3339(window.sinceMs), until: rfc3339(window.untilMs)},
    sources: sources.map(({name, bytesRead, events, malformed, error}) =>
      error === null
        ? {name, bytesRead, events, malformed, complete: true}
        : {name, bytesRead, events, malformed, complete: false, reason: error},
    ),
  }
}

export function buildReport(
  window: TimeWindow,
  sources: readonly SourceOutcome[],
  changes: PolicyChange[],
): PolicyChangeReport {
  return {...reportHead(window, sources), summary: summarize(changes), changes}
}

/**
 * The whole report, its changes walked and kept the first time they are read: a program that runs
 * the command gets what -o json prints, and a run that never reads them never holds them all.
 */
export function reportWithChanges(
  head: Omit<PolicyChangeReport, 'changes'>,
  walk: () => Iterable<PolicyChange>,
): PolicyChangeReport {
  let changes: PolicyChange[] | undefined
  const report = {...head} as PolicyChangeReport
  Object.defineProperty(report, 'changes', {
    enumerable: true,
    configurable: true,
    get: () => (changes ??= [...walk()]),
    set: (value: PolicyChange[]) => {
      changes = value
    },
  })
  return report
}

/** What one walk over the changes in the window tells: how many, the summary of the selected ones, and the newest of them. */
export interface ChangeTally {
  /** Changes in the window. */
  inWindow: number
  /** Of those, the ones the selection kept: the report's changes. */
  selected: number
  summary: SummaryRow[]
  /** The newest `keepNewest` selected changes, oldest first. */
  newest: PolicyChange[]
}

/** Walks changes in report order once; keeps only the newest `keepNewest` selected ones (Infinity: all). */
export function tallyChanges(
  changes: Iterable<PolicyChange>,
  isSelected: (change: PolicyChange) => boolean,
  keepNewest: number,
): ChangeTally {
  const counter = new SummaryCounter()
  let inWindow = 0
  let selected = 0
  let newest: PolicyChange[] = []
  for (const change of changes) {
    inWindow++
    if (!isSelected(change)) continue
    selected++
    counter.add(change)
    if (keepNewest === 0) continue
    newest.push(change)
    // Trimmed now and then, not at every change: amortized constant time.
    if (newest.length >= 2 * keepNewest) newest = newest.slice(-keepNewest)
  }
  if (newest.length > keepNewest) newest = newest.slice(-keepNewest)
  return {inWindow, selected, summary: counter.summary(), newest}
}

/** A bound as RFC3339 in UTC, as precise as it was given: whole seconds, milliseconds or microseconds. */
function rfc3339(ms: number | null): string | null {
  const us = boundUs(ms)
  if (us === null) return null
  const seconds = Math.floor(us / 1_000_000)
  const fraction = String(us - seconds * 1_000_000).padStart(6, '0')
  const text = new Date(seconds * 1000).toISOString().replace('.000Z', '')
  return fraction === '000000'
    ? `${text}Z`
    : fraction.endsWith('000')
      ? `${text}.${fraction.slice(0, 3)}Z`
      : `${text}.${fraction}Z`
}
