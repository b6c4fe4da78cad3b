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
  /** By user, then verb: no key to build per change. */
  private readonly byUser = new Map<string, Map<string, SummaryRow>>()

  add(change: PolicyChange): void {
    let verbs = this.byUser.get(change.user)
    if (!verbs) {
      verbs = new Map()
      this.byUser.set(change.user, verbs)
    }
    let row = verbs.get(change.verb)
    if (!row) {
      row = {user: change.user, verb: change.verb, succeeded: 0, failed: 0, unknown: 0}
      verbs.set(change.verb, row)
    }
    row[change.outcome]++
  }

  /** Sorted by succeeded+failed+unknown descending, then user, then verb (ARCHITECTURE.md, Contracts). */
  summary(): SummaryRow[] {
    return [...this.byUser.values()]
      .flatMap((verbs) => [...verbs.values()].map((row) => ({...row})))
      .sort((a, b) => total(b) - total(a) || compare(a.user, b.user) || compare(a.verb, b.verb))
  }
}

export function summarize(changes: Iterable<PolicyChange>): SummaryRow[] {
  const counter = new SummaryCounter()
  for (const change of changes) counter.add(change)
  return counter.summary()
}

const total = (r: SummaryRow) => r.succeeded + r.failed + r.unknown
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
