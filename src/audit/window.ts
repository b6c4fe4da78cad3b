// Time windows: what a window is, and how far out of time order audit lines may be (what any read
// of a window allows for). The flags that make one are compiled in src/flags/window.ts.

/** Bounds in epoch ms, with the microseconds of --since-time and --until-time as a fraction (the log's precision). */
export interface TimeWindow {
  /** Inclusive; null = from the beginning. */
  readonly sinceMs: number | null
  /** Inclusive; null = up to the end. */
  readonly untilMs: number | null
}

/** A bound of a window in epoch microseconds, whole, as events' `timeUs` are. */
export function boundUs(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms * 1000)
}

/**
 * How far a line's time may run behind the lines written before it. RequestReceived times are
 * taken before authentication and batch mode buffers events, so lines are only roughly ordered
 * (facts §1.5); reading this much earlier than the window and filtering exactly keeps the
 * answer identical to a full scan.
 */
export const ORDER_SLACK_MS = 5 * 60_000
