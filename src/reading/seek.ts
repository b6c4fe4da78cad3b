// Where reading may start and stop on logs that are only roughly in time order: rotated files
// skipped by the time in their name, bisection on byte offsets to a window's start, and the order
// checks that make both safe. Pure: the reader does the I/O (src/reading/plan.ts).

import {ORDER_SLACK_MS, type TimeWindow} from '../audit/window.js'
import type {TimeProbe} from './line-times.js'

/**
 * Rotated files carry their rotation time (about their newest event) in the name. Given the
 * rotation time of each source (null for an active log, stdin and unknown names) and the log
 * stream it belongs to, says which can hold events inside the window: a file ends at its rotation
 * time and starts after the rotation before it in the same stream. Sources may come in any order
 * and from several streams (two `-f` in the wrong order, a glob over two logs, several nodes).
 */
export function filesInWindow(
  rotatedAt: ReadonlyArray<number | null>,
  window: TimeWindow,
  streams: readonly string[] = rotatedAt.map(() => ''),
): boolean[] {
  // Each stream's rotation times, sorted once: a file's start is found by bisection, so a
  // directory of 130,000 rotated files costs N log N, not N².
  const times = new Map<string, number[]>()
  rotatedAt.forEach((end, i) => {
    if (end === null) return
    const list = times.get(streams[i])
    if (list) list.push(end)
    else times.set(streams[i], [end])
  })
  for (const list of times.values()) list.sort((a, b) => a - b)
  return rotatedAt.map((end, i) => {
    if (window.sinceMs !== null && end !== null && end < window.sinceMs - ORDER_SLACK_MS) return false
    const start = previousRotation(times.get(streams[i]) ?? [], end)
    if (window.untilMs !== null && start !== null && start > window.untilMs + ORDER_SLACK_MS) return false
    return true
  })
}

/** The latest rotation time in `sorted` before `end` (the latest of all for the active log, end null). */
function previousRotation(sorted: readonly number[], end: number | null): number | null {
  if (end === null) return sorted.length > 0 ? sorted[sorted.length - 1] : null
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid] < end) lo = mid + 1
    else hi = mid
  }
  return lo > 0 ? sorted[lo - 1] : null
}

/**
 * Follows line times in reading order and says when the log is not ordered as seeking needs: a
 * line more than ORDER_SLACK_MS behind one read before it (two logs concatenated, a rotated file
 * appended to the active one). Then no part of the log may be skipped on the strength of times.
 */
export class OrderWatch {
  disordered = false
  private latest = Number.NEGATIVE_INFINITY

  /** Returns false once the times seen are out of order. */
  see(ms: number): boolean {
    if (ms < this.latest - ORDER_SLACK_MS) this.disordered = true
    else if (ms > this.latest) this.latest = ms
    return !this.disordered
  }
}

/**
 * How many evenly spaced probes check that a big log is ordered before it is bisected or read
 * only up to a window's end: a few dozen small reads, cheap on a file and through HTTP Range.
 */
export const ORDER_PROBES = 32

/** True when no probe (in offset order) is more than ORDER_SLACK_MS behind an earlier one. */
export function isRoughlyOrdered(probes: readonly TimeProbe[]): boolean {
  const watch = new OrderWatch()
  return probes.every((p) => p.timeMs === undefined || watch.see(p.timeMs))
}

/** Below this many bytes between the bounds, bisection stops and reading starts. */
export const BISECT_GRANULARITY = 256 * 1024

/**
 * Narrows the bisection for `targetMs` with ordered probes (in offset order): between the last
 * probe before the first one that may be in the window, and that one. Saves most bisection steps.
 */
export function windowStartBounds(
  probes: readonly TimeProbe[],
  size: number,
  targetMs: number,
): {lo: number; hi: number} {
  const target = targetMs - ORDER_SLACK_MS
  let lo = 0
  for (const probe of probes) {
    if (probe.timeMs === undefined || probe.timeMs >= target) return {lo, hi: Math.max(lo, probe.offset)}
    lo = probe.offset
  }
  return {lo, hi: size}
}

/**
 * Finds a byte offset from which reading sees every line at or after `targetMs`, in a log whose
 * lines are ordered by time give or take ORDER_SLACK_MS. `timeAfter(offset)` returns the time of
 * the first whole line starting after `offset` (undefined when it cannot tell, e.g. no line or no
 * timestamp there: bisection then keeps the earlier half, which is always safe). `bounds`, from
 * windowStartBounds, starts the search from what probes already found.
 * The offset returned is where a line may begin mid-way: the reader drops the partial first line.
 */
export async function findWindowStart(
  size: number,
  targetMs: number,
  timeAfter: (offset: number) => Promise<number | undefined>,
  bounds: {lo: number; hi: number} = {lo: 0, hi: size},
): Promise<number> {
  const target = targetMs - ORDER_SLACK_MS
  let {lo, hi} = bounds
  while (hi - lo > BISECT_GRANULARITY) {
    const mid = lo + Math.floor((hi - lo) / 2)
    const t = await timeAfter(mid)
    if (t !== undefined && t < target) lo = mid
    else hi = mid
  }
  return lo
}
