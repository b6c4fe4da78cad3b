// Time windows: what a window is, how far out of time order audit lines may be (what any read of a
// window allows for), and --since/--since-time/--until-time parsing.

import {UserError} from '../errors.js'
import {parseTimestamp} from './event.js'

export interface TimeWindow {
  /** Epoch ms, inclusive; null = from the beginning. */
  readonly sinceMs: number | null
  /** Epoch ms, inclusive; null = up to the end. */
  readonly untilMs: number | null
}

const UNIT_MS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}

/** Parses `30s`, `5m`, `1h`, `2d`, `1h30m`, `500ms` (kubectl logs --since style, plus days). */
export function parseDuration(text: string): number {
  const trimmed = text.trim()
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy
  let total = 0
  let matched = 0
  let m: RegExpExecArray | null
  while ((m = re.exec(trimmed)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]]
    matched = re.lastIndex
  }
  if (trimmed === '0') return 0
  if (matched === 0 || matched !== trimmed.length) {
    throw new UserError(`invalid duration "${text}"`, {hint: 'use a number with a unit: 30s, 5m, 1h, 2d (or 1h30m)'})
  }
  return Math.round(total)
}

export function parseTime(text: string, flag: string): number {
  const parsed = parseTimestamp(text)
  if (!parsed || !/[zZ]|[+-]\d{2}:?\d{2}$/.test(text.trim())) {
    throw new UserError(`invalid ${flag} "${text}"`, {hint: 'use RFC3339, e.g. 2026-11-24T10:00:00Z'})
  }
  return parsed.ms
}

export interface WindowFlags {
  since?: string
  sinceTime?: string
  untilTime?: string
}

/**
 * Resolves the window flags against `now`. `--since all` (or 0) means no lower bound, and so does
 * `--until-time` alone: the default `--since 24h` counts back from now, and would empty any
 * window that ends before yesterday.
 */
export function resolveWindow(flags: WindowFlags, now: number): TimeWindow {
  if (flags.since !== undefined && flags.sinceTime !== undefined) {
    throw new UserError('--since and --since-time cannot be used together', {hint: 'pick one: a duration back from now, or a point in time'})
  }
  let sinceMs: number | null = null
  if (flags.sinceTime !== undefined) sinceMs = parseTime(flags.sinceTime, '--since-time')
  else if (flags.since !== undefined || flags.untilTime === undefined) {
    const since = flags.since ?? '24h'
    if (since.trim().toLowerCase() !== 'all') {
      const ms = parseDuration(since)
      // A duration reaching back past what a Date holds (±8.64e15 ms) means everything.
      sinceMs = ms === 0 || now - ms < -8.64e15 ? null : now - ms
    }
  }
  const untilMs = flags.untilTime === undefined ? null : parseTime(flags.untilTime, '--until-time')
  if (sinceMs !== null && untilMs !== null && untilMs < sinceMs) {
    throw new UserError('--until-time is before the start of the window', {hint: 'check --since/--since-time and --until-time'})
  }
  return {sinceMs, untilMs}
}

/**
 * How far a line's time may run behind the lines written before it. RequestReceived times are
 * taken before authentication and batch mode buffers events, so lines are only roughly ordered
 * (facts §1.5); reading this much earlier than the window and filtering exactly keeps the
 * answer identical to a full scan.
 */
export const ORDER_SLACK_MS = 5 * 60_000
