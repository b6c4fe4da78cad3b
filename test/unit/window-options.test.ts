// The window flags compiled into one TimeWindow, row by row; and the durations every flag takes.
import assert from 'node:assert/strict'

import type {TimeWindow} from '../../src/audit/window.js'
import {UserError} from '../../src/errors.js'
import {parseDuration} from '../../src/flags/duration.js'
import {type WindowFlagValues, windowOptions} from '../../src/flags/window.js'

describe('parseDuration', () => {
  const cases: Array<[string, number | undefined]> = [
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['0', 0],
    ['', undefined],
    ['1', undefined],
    ['h', undefined],
    ['1x', undefined],
    ['1h junk', undefined],
    ['-1h', undefined],
  ]
  for (const [input, ms] of cases) it(`${JSON.stringify(input)} = ${ms}`, () => assert.equal(parseDuration(input), ms))
})

describe('window options', () => {
  const now = Date.parse('2026-11-25T12:00:00Z')
  const day = 86_400_000
  const at = (text: string) => Date.parse(text)
  const rows: Array<[string, WindowFlagValues, TimeWindow | [RegExp, RegExp]]> = [
    ['the last 24 hours by default', {}, {sinceMs: now - day, untilMs: null}],
    ['--since all: no lower bound', {since: 'all'}, {sinceMs: null, untilMs: null}],
    ['--since 0: no lower bound', {since: '0'}, {sinceMs: null, untilMs: null}],
    ['a --since longer than a Date reaches: no lower bound', {since: '999999999d'}, {sinceMs: null, untilMs: null}],
    ['--since 1h30m', {since: '1h30m'}, {sinceMs: now - 5_400_000, untilMs: null}],
    [
      '--until-time alone: no lower bound',
      {'until-time': '2026-11-20T10:00:00Z'},
      {sinceMs: null, untilMs: at('2026-11-20T10:00:00Z')},
    ],
    [
      '--since with --until-time still counts back from now',
      {since: '30d', 'until-time': '2026-11-20T10:00:00Z'},
      {sinceMs: now - 30 * day, untilMs: at('2026-11-20T10:00:00Z')},
    ],
    [
      'RFC3339 bounds with offsets',
      {'since-time': '2026-11-24T10:00:00Z', 'until-time': '2026-11-24T11:00:00+01:00'},
      {sinceMs: at('2026-11-24T10:00:00Z'), untilMs: at('2026-11-24T10:00:00Z')},
    ],
    // Audit times carry microseconds: a bound keeps them, as a fraction of a millisecond.
    [
      'microseconds kept',
      {'since-time': '2026-11-24T10:00:00.123456Z', 'until-time': '2026-11-24T12:00:00.000001+01:00'},
      {
        sinceMs: (at('2026-11-24T10:00:00Z') * 1000 + 123_456) / 1000,
        untilMs: (at('2026-11-24T11:00:00Z') * 1000 + 1) / 1000,
      },
    ],
    [
      'a bad --since',
      {since: '5x'},
      [/^--since "5x" is not a duration$/, /^use a number with a unit: 30s, 5m, 1h, 2d \(or 1h30m\), or all$/],
    ],
    [
      'a time given to --since',
      {since: '2026-11-24T09:00:00Z'},
      [
        /^--since "2026-11-24T09:00:00Z" is not a duration$/,
        /counts back from now .*; for a point in time, use --since-time 2026-11-24T09:00:00Z$/,
      ],
    ],
    [
      '--since with --since-time',
      {since: '1h', 'since-time': '2026-11-24T10:00:00Z'},
      [/^--since and --since-time cannot be used together$/, /^pick one/],
    ],
    [
      '--until-time before what --since reaches back to',
      {since: '1d', 'until-time': '2026-11-20T10:00:00Z'},
      [
        /^--until-time 2026-11-20T10:00:00Z is before the start of the window: --since 1d counts back from now, to 2026-11-24T12:00:00Z$/,
        /^for a window in the past, give its start with --since-time \(e\.g\. --since-time 2026-11-19T10:00:00Z --until-time 2026-11-20T10:00:00Z\), or drop --since$/,
      ],
    ],
    [
      '--until-time before --since-time',
      {'since-time': '2026-11-24T10:00:00Z', 'until-time': '2026-11-24T09:00:00Z'},
      [
        /^--until-time 2026-11-24T09:00:00Z is before the start of the window \(--since-time 2026-11-24T10:00:00Z\)$/,
        /earlier time/,
      ],
    ],
    [
      'a time without a zone',
      {'since-time': '2026-11-24T10:00:00'},
      [/^--since-time "2026-11-24T10:00:00" is not a time$/, /^add the zone: 2026-11-24T10:00:00Z for UTC/],
    ],
    [
      'a duration given to --since-time',
      {'since-time': '1h'},
      [/^--since-time "1h" is not a time$/, /for a duration back from now, use --since 1h$/],
    ],
    [
      'an --until-time that is no time',
      {'until-time': 'yesterday'},
      [/^--until-time "yesterday" is not a time$/, /^use RFC3339/],
    ],
  ]
  for (const [what, flags, want] of rows) {
    it(what, () => {
      if (!Array.isArray(want)) return assert.deepEqual(windowOptions(flags, now), want)
      assert.throws(
        () => windowOptions(flags, now),
        (error: unknown) => error instanceof UserError && want[0].test(error.message) && want[1].test(error.hint ?? ''),
      )
    })
  }
})
