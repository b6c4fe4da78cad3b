// Aggregation of changes by user × verb, the heart of the report: counted as changes come, so
// the summary costs one row per user and verb, however many changes there are.

import type {PolicyChange} from './changes.js'

export interface SummaryRow {
  user: string
  verb: string
  succeeded: number
  failed: number
  /** Only the RequestReceived stage was logged: the outcome is not known. */
  unknown: number
}

export class SummaryCounter {
  private readonly rows = new Map<string, SummaryRow>()

  add(change: PolicyChange): void {
    const key = `${change.user}\u0000${change.verb}`
    let row = this.rows.get(key)
    if (!row) {
      row = {user: change.user, verb: change.verb, succeeded: 0, failed: 0, unknown: 0}
      this.rows.set(key, row)
    }
    row[change.outcome]++
  }

  /** Sorted by succeeded+failed+unknown descending, then user, then verb (ARCHITECTURE.md, Contracts). */
  summary(): SummaryRow[] {
    return [...this.rows.values()].map((row) => ({...row})).sort((a, b) => total(b) - total(a) || compare(a.user, b.user) || compare(a.verb, b.verb))
  }
}

export function summarize(changes: Iterable<PolicyChange>): SummaryRow[] {
  const counter = new SummaryCounter()
  for (const change of changes) counter.add(change)
  return counter.summary()
}

const total = (r: SummaryRow) => r.succeeded + r.failed + r.unknown
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
