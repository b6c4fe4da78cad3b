import assert from 'node:assert/strict'

import {parseDuration, resolveWindow} from '../../src/audit/window.js'
import {UserError} from '../../src/errors.js'

describe('parseDuration', () => {
  const cases: Array<[string, number]> = [
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['0', 0],
  ]
  for (const [input, ms] of cases) it(`${input} = ${ms} ms`, () => assert.equal(parseDuration(input), ms))
  for (const bad of ['', '1', 'h', '1x', '1h junk', '-1h']) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseDuration(bad), UserError))
  }
})

describe('resolveWindow', () => {
  const now = Date.parse('2026-11-25T12:00:00Z')
  it('defaults to the last 24 hours', () => assert.deepEqual(resolveWindow({}, now), {sinceMs: now - 86_400_000, untilMs: null}))
  it('--since all has no lower bound', () => assert.deepEqual(resolveWindow({since: 'all'}, now), {sinceMs: null, untilMs: null}))
  it('a --since longer than a Date can reach has no lower bound', () => assert.deepEqual(resolveWindow({since: '999999999d'}, now), {sinceMs: null, untilMs: null}))
  it('--until-time alone has no lower bound; with --since, the duration still counts back from now', () => {
    const until = '2026-11-20T10:00:00Z'
    assert.deepEqual(resolveWindow({untilTime: until}, now), {sinceMs: null, untilMs: Date.parse(until)})
    assert.deepEqual(resolveWindow({untilTime: until, since: '30d'}, now), {sinceMs: now - 30 * 86_400_000, untilMs: Date.parse(until)})
    assert.throws(() => resolveWindow({untilTime: until, since: '1h'}, now), /before the start/)
  })
  it('takes RFC3339 bounds', () => {
    assert.deepEqual(resolveWindow({sinceTime: '2026-11-24T10:00:00Z', untilTime: '2026-11-24T11:00:00+01:00'}, now), {sinceMs: Date.parse('2026-11-24T10:00:00Z'), untilMs: Date.parse('2026-11-24T10:00:00Z')})
  })
  it('rejects conflicting or inverted bounds, and times without a zone', () => {
    assert.throws(() => resolveWindow({since: '1h', sinceTime: '2026-11-24T10:00:00Z'}, now), /cannot be used together/)
    assert.throws(() => resolveWindow({sinceTime: '2026-11-24T10:00:00Z', untilTime: '2026-11-24T09:00:00Z'}, now), /before the start/)
    assert.throws(() => resolveWindow({sinceTime: '2026-11-24T10:00:00'}, now), /invalid --since-time/)
  })
})
