// How a seekable source of JSON lines is read: whole, or from a bisected start and up to a
// window's end, once evenly spaced probes have found it in time order.

import {ORDER_SLACK_MS, type TimeWindow} from '../audit/window.js'
import type {LogSource} from '../sources/source.js'
import {probeTimes, timeAfter} from './line-times.js'
import {findWindowStart, isRoughlyOrdered, ORDER_PROBES, windowStartBounds} from './seek.js'

export interface ReadPlan {
  readonly start: number
  /** Stop after the first chunk whose last line is later than this (a window's end plus slack). */
  readonly stopAfter: number | null
  /**
   * The plan skips lines on the strength of the log's time order: the scan checks that order,
   * and events are held back until the read is over, in case it must start again, whole.
   */
  readonly trustsOrder: boolean
}

export const WHOLE: ReadPlan = {start: 0, stopAfter: null, trustsOrder: false}

/** Bisection and early stops pay off only on sources bigger than this. */
const BISECT_MIN_SIZE = 8 * 1024 * 1024

/**
 * Bisecting to a window's start and stopping after its end are only right on a log in time
 * order (give or take ORDER_SLACK_MS). Evenly spaced probes check that first: a log that is two
 * logs concatenated, or otherwise out of order, is read whole (`disordered`).
 */
export async function planRead(
  source: LogSource,
  size: number,
  window: TimeWindow,
  signal?: AbortSignal,
): Promise<{plan: ReadPlan; disordered: boolean}> {
  if (size <= BISECT_MIN_SIZE || (window.sinceMs === null && window.untilMs === null))
    return {plan: WHOLE, disordered: false}
  const probes = await probeTimes(source, size, ORDER_PROBES, signal)
  if (!isRoughlyOrdered(probes)) return {plan: WHOLE, disordered: true}
  const start =
    window.sinceMs === null
      ? 0
      : await findWindowStart(
          size,
          window.sinceMs,
          (offset) => timeAfter(source, offset, size, signal),
          windowStartBounds(probes, size, window.sinceMs),
        )
  const stopAfter = window.untilMs === null ? null : window.untilMs + ORDER_SLACK_MS
  return {plan: start === 0 && stopAfter === null ? WHOLE : {start, stopAfter, trustsOrder: true}, disordered: false}
}
