// Where reading may start and stop: bisection to a window's start, the order checks that make it
// safe, and rotated files skipped by the time in their name.
import assert from 'node:assert/strict'

import {ORDER_SLACK_MS} from '../../src/audit/window.js'
import type {TimeProbe} from '../../src/reading/line-times.js'
import {
  BISECT_GRANULARITY,
  filesInWindow,
  findWindowStart,
  isRoughlyOrdered,
  OrderWatch,
  windowStartBounds,
} from '../../src/reading/seek.js'

describe('findWindowStart', () => {
  // A log of 1,000,000 "lines" of 100 bytes, one second apart, with times jittered by up to ±2 minutes.
  const lineBytes = 100
  const lines = 1_000_000
  const base = Date.parse('2026-11-24T00:00:00Z')
  const jitter = (i: number) => (((i * 7919) % 241) - 120) * 1000
  const timeOf = (i: number) => base + i * 1000 + jitter(i)
  const probe = async (offset: number) => {
    const next = Math.floor(offset / lineBytes) + 1
    return next < lines ? timeOf(next) : undefined
  }

  for (const [title, targetLine] of [
    ['inside the log', 600_000],
    ['at the very start', 0],
    ['before the log', -5000],
    ['after the log', lines + 5000],
  ] as const) {
    it(`never skips a line at or after the target (${title})`, async () => {
      const target = base + targetLine * 1000
      const start = await findWindowStart(lines * lineBytes, target, probe)
      const firstRead = Math.ceil(start / lineBytes)
      for (let i = 0; i < firstRead; i++) assert.ok(timeOf(i) < target, `line ${i} was skipped but is in the window`)
      if (targetLine > 100_000 && targetLine < lines) {
        // and it skips most of what lies before: within slack + granularity of the target line
        const slackLines = ORDER_SLACK_MS / 1000 + BISECT_GRANULARITY / lineBytes + 240
        assert.ok(firstRead > targetLine - slackLines, `started at line ${firstRead}, target ${targetLine}`)
      }
    })
  }

  it('never skips a line in the window when started from the bounds that ordered probes give', async () => {
    const size = lines * lineBytes
    const probes: TimeProbe[] = await Promise.all(
      Array.from({length: 32}, async (_, i) => ({offset: (size * i) / 32, timeMs: await probe((size * i) / 32)})),
    )
    assert.ok(isRoughlyOrdered(probes))
    for (const targetLine of [0, 31_250, 600_000, 999_000, lines + 5000]) {
      const target = base + targetLine * 1000
      const bounds = windowStartBounds(probes, size, target)
      assert.ok(bounds.hi - bounds.lo <= size / 32, `bounds ${bounds.lo}..${bounds.hi}`)
      const firstRead = Math.ceil((await findWindowStart(size, target, probe, bounds)) / lineBytes)
      for (let i = 0; i < firstRead; i++)
        assert.ok(timeOf(i) < target, `line ${i} was skipped but is in the window (target ${targetLine})`)
    }
  })

  it('reads from the start when probes cannot tell', async () => {
    assert.equal(await findWindowStart(10 * BISECT_GRANULARITY, base, async () => undefined), 0)
  })
})

describe('time order', () => {
  const minute = 60_000
  const probes = (...minutes: Array<number | undefined>): TimeProbe[] =>
    minutes.map((m, i) => ({offset: i * 1000, timeMs: m === undefined ? undefined : m * minute}))
  const cases: Array<[string, TimeProbe[], boolean]> = [
    ['rising', probes(0, 10, 20, 30), true],
    ['behind by less than the slack', probes(0, 10, 6, 30), true],
    ['probes without a time are ignored', probes(0, undefined, 20, undefined), true],
    ['two logs of the same hours concatenated', probes(0, 60, 120, 0, 60, 120), false],
    [
      'behind an earlier probe, not just the previous one, by more than the slack',
      probes(0, 30, 28, 26, 24, 22, 40),
      false,
    ],
  ]
  for (const [title, input, ordered] of cases)
    it(`${title}: ${ordered ? 'ordered' : 'not ordered'}`, () => assert.equal(isRoughlyOrdered(input), ordered))

  it('OrderWatch stays out of order once a line falls behind', () => {
    const watch = new OrderWatch()
    assert.equal(watch.see(10 * minute), true)
    assert.equal(watch.see(10 * minute - ORDER_SLACK_MS), true)
    assert.equal(watch.see(10 * minute - ORDER_SLACK_MS - 1), false)
    assert.equal(watch.see(20 * minute), false)
    assert.equal(watch.disordered, true)
  })
})

describe('filesInWindow', () => {
  const t = (h: number) => Date.parse('2026-11-24T00:00:00Z') + h * 3_600_000
  it('skips rotated files that end before the window and those that start after it', () => {
    // files rotated at 02:00, 04:00, 06:00, then the active log
    const rotated = [t(2), t(4), t(6), null]
    assert.deepEqual(filesInWindow(rotated, {sinceMs: t(4.5), untilMs: null}), [false, false, true, true])
    assert.deepEqual(filesInWindow(rotated, {sinceMs: t(1), untilMs: t(3)}), [true, true, false, false])
    assert.deepEqual(filesInWindow(rotated, {sinceMs: null, untilMs: null}), [true, true, true, true])
  })
  it('keeps a file that ends just before the window, within the ordering slack', () => {
    assert.deepEqual(filesInWindow([t(2), null], {sinceMs: t(2) + ORDER_SLACK_MS / 2, untilMs: null}), [true, true])
  })
  it('finds where a file starts whatever order the files come in', () => {
    // the same set as above, given newest first: only the active log starts after 03:00
    assert.deepEqual(filesInWindow([t(6), t(2), t(4), null], {sinceMs: null, untilMs: t(3)}), [
      false,
      true,
      true,
      false,
    ])
  })
  it('takes the rotation before a file from its own log stream only', () => {
    // two logs in one glob, sorted together: a-04:00 starts at a-02:00, not at b-05:00
    const streams = ['a.log', 'b.log', 'a.log', 'a.log', 'b.log']
    assert.deepEqual(filesInWindow([t(2), t(5), t(4), null, null], {sinceMs: null, untilMs: t(3)}, streams), [
      true,
      true,
      true,
      false,
      false,
    ])
  })
  it('answers for a million rotated files, given in reverse order (once quadratic: 130,000 files took 7 minutes)', () => {
    const count = 1_000_000
    // Rotated every minute, newest first, then the active log; the window is the last hour before the 10,000th-newest.
    const rotated: Array<number | null> = Array.from({length: count}, (_, i) => t(0) + (count - i) * 60_000)
    rotated.push(null)
    const untilMs = t(0) + (count - 10_000) * 60_000
    const sinceMs = untilMs - 3_600_000
    const kept = filesInWindow(rotated, {sinceMs, untilMs})
    // Independently: a file (rotated at end, started at end - 1 min) is kept when it overlaps the window widened by the slack.
    let expected = 0
    for (const end of rotated)
      if (end !== null && end >= sinceMs - ORDER_SLACK_MS && end - 60_000 <= untilMs + ORDER_SLACK_MS) expected++
    assert.equal(kept.filter(Boolean).length, expected)
    assert.equal(kept.at(-1), false, 'the active log starts after the window')
  })
})
