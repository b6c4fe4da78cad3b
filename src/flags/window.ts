// The time window flags (--since, --since-time, --until-time) and their compilation into one
// TimeWindow, with the messages that say which flag to use instead.
import {Flags} from '@oclif/core'

import {parseTimestamp} from '../audit/event.js'
import type {TimeWindow} from '../audit/window.js'
import {UserError} from '../errors.js'
import {DURATION_FORM, parseDuration} from './duration.js'

export const windowFlags = {
  since: Flags.string({
    summary: 'Only changes newer than this: 30s, 5m, 1h, 2d, or all. [default: 24h; all with --until-time]',
    helpGroup: 'WINDOW',
  }),
  'since-time': Flags.string({summary: 'Only changes at or after this time (RFC3339).', helpGroup: 'WINDOW'}),
  'until-time': Flags.string({summary: 'Only changes at or before this time (RFC3339).', helpGroup: 'WINDOW'}),
}

export interface WindowFlagValues {
  since?: string
  'since-time'?: string
  'until-time'?: string
}

const DEFAULT_SINCE = '24h'
const TIME_EXAMPLE = '2026-11-24T10:00:00Z'
/** A Date holds ±8.64e15 ms: a duration reaching back past that means everything. */
const EARLIEST_MS = -8.64e15

/**
 * The window against `now`. `--since all` (or 0) means no lower bound, and so does `--until-time`
 * alone: the default `--since 24h` counts back from now, and would empty any window that ends
 * before yesterday.
 */
export function windowOptions(flags: WindowFlagValues, now: number): TimeWindow {
  const {since, 'since-time': sinceTime, 'until-time': untilTime} = flags
  if (since !== undefined && sinceTime !== undefined) {
    throw new UserError('--since and --since-time cannot be used together', {
      hint: 'pick one: a duration back from now, or a point in time',
    })
  }
  let sinceMs: number | null = null
  if (sinceTime !== undefined) sinceMs = parseTime(sinceTime, '--since-time')
  else if (since !== undefined || untilTime === undefined) {
    const text = since ?? DEFAULT_SINCE
    if (text.trim().toLowerCase() !== 'all') {
      const ms = sinceDuration(text)
      sinceMs = ms === 0 || now - ms < EARLIEST_MS ? null : now - ms
    }
  }
  const untilMs = untilTime === undefined ? null : parseTime(untilTime, '--until-time')
  if (sinceMs !== null && untilMs !== null && untilMs < sinceMs) {
    if (sinceTime !== undefined) {
      throw new UserError(`--until-time ${untilTime} is before the start of the window (--since-time ${sinceTime})`, {
        hint: 'give the earlier time to --since-time',
      })
    }
    throw new UserError(
      `--until-time ${untilTime} is before the start of the window: --since ${since} counts back from now, to ${rfc3339(sinceMs)}`,
      {
        hint: `for a window in the past, give its start with --since-time (e.g. --since-time ${rfc3339(untilMs - (now - sinceMs))} --until-time ${untilTime}), or drop --since`,
      },
    )
  }
  return {sinceMs, untilMs}
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z')
}

function sinceDuration(text: string): number {
  const ms = parseDuration(text)
  if (ms !== undefined) return ms
  if (parseTimestamp(text) !== undefined || /^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    throw new UserError(`--since "${text}" is not a duration`, {
      hint: `--since counts back from now (30s, 5m, 1h, 2d, or all); for a point in time, use --since-time ${text.trim()}`,
    })
  }
  throw new UserError(`--since "${text}" is not a duration`, {hint: `use ${DURATION_FORM}, or all`})
}

/**
 * An RFC3339 time with its zone (Z or an offset): without one, whose clock it means is a guess.
 * In epoch ms with the microseconds as a fraction: audit times carry microseconds, and a bound cut
 * to the millisecond left out an event at the very time given.
 */
export function parseTime(text: string, flag: string): number {
  const parsed = parseTimestamp(text)
  if (parsed && /[zZ]|[+-]\d{2}:?\d{2}$/.test(text.trim())) return parsed.us / 1000
  if (parseDuration(text) !== undefined && flag === '--since-time') {
    throw new UserError(`${flag} "${text}" is not a time`, {
      hint: `--since-time takes a point in time (RFC3339, e.g. ${TIME_EXAMPLE}); for a duration back from now, use --since ${text.trim()}`,
    })
  }
  const hint = parsed
    ? `add the zone: ${text.trim()}Z for UTC, or an offset such as +01:00`
    : `use RFC3339, e.g. ${TIME_EXAMPLE}`
  throw new UserError(`${flag} "${text}" is not a time`, {hint})
}
