// Time windows: the span of time a run reads, and finding where it starts in a log that is only
// roughly time-ordered, by bisecting on byte offsets.

import {parseTimestamp} from './event.js'

export interface TimeWindow {
  /** Epoch ms, inclusive; null = from the beginning. */
  readonly sinceMs: number | null
  /** Epoch ms, inclusive; null = up to the end. */
  readonly untilMs: number | null
}

/**
 * How far a line's time may run behind the lines written before it. RequestReceived times are
 * taken before authentication and batch mode buffers events, so lines are only roughly ordered
 * (facts §1.5); reading this much earlier than the window and filtering exactly keeps the
 * answer identical to a full scan.
 */
export const ORDER_SLACK_MS = 5 * 60_000

/** Below this many bytes between the bounds, bisection stops and reading starts. */
export const BISECT_GRANULARITY = 256 * 1024

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

/** The time of the first whole line after a byte offset (undefined: no line or no time there). */
export interface TimeProbe {
  readonly offset: number
  readonly timeMs: number | undefined
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

/**
 * Narrows the bisection for `targetMs` with ordered probes (in offset order): between the last
 * probe before the first one that may be in the window, and that one. Saves most bisection steps.
 */
export function windowStartBounds(probes: readonly TimeProbe[], size: number, targetMs: number): {lo: number; hi: number} {
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

const TIME_KEYS = ['"stageTimestamp"', '"requestReceivedTimestamp"', '"timestamp"'].map((k) => Buffer.from(k))

const LEGACY_MARK = Buffer.from(' AUDIT: ')

/**
 * The time of an undecoded line, found with a byte search (for bisection, early stops and the
 * span of the input): stageTimestamp, else the older fields that carry a time, else the time
 * that starts a legacy-format line (`<time> AUDIT: id="…" …`).
 */
export function lineTime(line: Buffer): number | undefined {
  const json = jsonLineTime(line)
  if (json !== undefined) return json
  const space = line.indexOf(0x20)
  if (space <= 0 || space > 64 || space + LEGACY_MARK.length > line.length) return undefined
  if (line.compare(LEGACY_MARK, 0, LEGACY_MARK.length, space, space + LEGACY_MARK.length) !== 0) return undefined
  return parseTimestamp(line.toString('latin1', 0, space))?.ms
}

function jsonLineTime(line: Buffer): number | undefined {
  for (const key of TIME_KEYS) {
    const at = line.indexOf(key)
    if (at === -1) continue
    const colon = line.indexOf(0x3a, at + key.length)
    const open = colon === -1 ? -1 : line.indexOf(0x22, colon + 1)
    if (open === -1 || open - colon > 8) continue
    const close = line.indexOf(0x22, open + 1)
    if (close === -1 || close - open > 64) continue
    const ms = parseTimestamp(line.toString('latin1', open + 1, close))?.ms
    if (ms !== undefined) return ms
  }
  return undefined
}

/**
 * Rotated files carry their rotation time (about their newest event) in the name. Given the
 * rotation time of each source (null for an active log, stdin and unknown names) and the log
 * stream it belongs to, says which can hold events inside the window: a file ends at its rotation
 * time and starts after the rotation before it in the same stream. Sources may come in any order
 * and from several streams (two `-f` in the wrong order, a glob over two logs, several nodes).
 */
export function filesInWindow(rotatedAt: ReadonlyArray<number | null>, window: TimeWindow, streams: readonly string[] = rotatedAt.map(() => '')): boolean[] {
  return rotatedAt.map((end, i) => {
    if (window.sinceMs !== null && end !== null && end < window.sinceMs - ORDER_SLACK_MS) return false
    const start = previousRotation(rotatedAt, streams, i)
    if (window.untilMs !== null && start !== null && start > window.untilMs + ORDER_SLACK_MS) return false
    return true
  })
}

/** The latest rotation in the same stream before source i's own (any, for the active log). */
function previousRotation(rotatedAt: ReadonlyArray<number | null>, streams: readonly string[], i: number): number | null {
  const end = rotatedAt[i]
  let latest: number | null = null
  rotatedAt.forEach((other, j) => {
    if (other === null || streams[j] !== streams[i] || (end !== null && other >= end)) return
    if (latest === null || other > latest) latest = other
  })
  return latest
}
