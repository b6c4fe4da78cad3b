// What a coverage row means for a write request: nothing kept, kept without bodies, or in full.
import {computeCoverage, type CoverageOptions, type CoverageRow} from '../audit/policy/coverage.js'
import type {Policy} from '../audit/policy/types.js'

/** What a coverage row means for a write: nothing kept, no bodies, or all of it. */
export type Recording = 'none' | 'partial' | 'full'

export function recordingOf(row: Pick<CoverageRow, 'level' | 'omitStages'>): Recording {
  // A write is not long-running: only RequestReceived and ResponseComplete (or Panic) are emitted.
  const keepsComplete = !row.omitStages.includes('ResponseComplete')
  if (row.level === 'None' || (!keepsComplete && row.omitStages.includes('RequestReceived'))) return 'none'
  return row.level === 'RequestResponse' && keepsComplete ? 'full' : 'partial'
}

/**
 * Coverage rows of the given groups, split by what they record. `coverage` carries the level
 * caps of the apiserver whose policy this is (none for the Calico API server's own policy).
 */
export function writesByRecording(
  policy: Policy,
  coverage: CoverageOptions,
  groups: ReadonlySet<string>,
): {rows: CoverageRow[]; none: CoverageRow[]; partial: CoverageRow[]} {
  const rows = computeCoverage(policy, {...coverage, targets: coverage.targets.filter((t) => groups.has(t.apiGroup))})
  return {
    rows,
    none: rows.filter((r) => recordingOf(r) === 'none'),
    partial: rows.filter((r) => recordingOf(r) === 'partial'),
  }
}
