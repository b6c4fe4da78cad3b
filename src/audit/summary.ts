// Aggregation of changes by user × verb, the heart of the report.

import type {PolicyChange} from './changes.js'

export interface SummaryRow {
  user: string
  verb: string
  succeeded: number
  failed: number
  /** Only the RequestReceived stage was logged: the outcome is not known. */
  unknown: number
}

/** Sorted by succeeded+failed+unknown descending, then user, then verb (ARCHITECTURE.md, Contracts). */
export function summarize(changes: readonly PolicyChange[]): SummaryRow[] {
  const rows = new Map<string, SummaryRow>()
  for (const change of changes) {
    const key = `${change.user}\u0000${change.verb}`
    let row = rows.get(key)
    if (!row) {
      row = {user: change.user, verb: change.verb, succeeded: 0, failed: 0, unknown: 0}
      rows.set(key, row)
    }
    row[change.outcome]++
  }
  return [...rows.values()].sort((a, b) => total(b) - total(a) || compare(a.user, b.user) || compare(a.verb, b.verb))
}

const total = (r: SummaryRow) => r.succeeded + r.failed + r.unknown
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
