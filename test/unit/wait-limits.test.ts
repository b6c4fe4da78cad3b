import assert from 'node:assert/strict'

import {MAX_RETRY_DELAY_MS, retryAfterMs, throttleRetryDelayMs, wasRetried} from '../../src/cluster/throttle.js'
import {formatLimit, RequestStall, waitLimits} from '../../src/cluster/wait-limits.js'

describe('wait limits', () => {
  it('bound every wait when --request-timeout is 0 (none)', () => {
    assert.deepEqual(waitLimits(0), {
      connectMs: 10_000,
      firstByteMs: 30_000,
      idleMs: 60_000,
      credentialMs: 30_000,
      requestMs: 0,
    })
  })

  it('take --request-timeout for the answer and the pauses in it, longer or shorter, and cap connecting with it', () => {
    assert.deepEqual(waitLimits(120_000), {
      connectMs: 10_000,
      firstByteMs: 120_000,
      idleMs: 120_000,
      credentialMs: 30_000,
      requestMs: 120_000,
    })
    assert.deepEqual(waitLimits(2000), {
      connectMs: 2000,
      firstByteMs: 2000,
      idleMs: 2000,
      credentialMs: 30_000,
      requestMs: 2000,
    })
  })

  it('take overrides', () => {
    assert.deepEqual(waitLimits(0, {idleMs: 5}), {
      connectMs: 10_000,
      firstByteMs: 30_000,
      idleMs: 5,
      credentialMs: 30_000,
      requestMs: 0,
    })
  })

  const limits: Array<[number, string]> = [
    [300, '300ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [30_000, '30s'],
    [120_000, '120s'],
  ]
  for (const [ms, text] of limits) it(`write ${ms} ms as ${text}`, () => assert.equal(formatLimit(ms), text))

  it('say which wait ran out', () => {
    assert.equal(new RequestStall('connect', 10_000).message, 'no connection within 10s')
    assert.equal(new RequestStall('first-byte', 30_000).message, 'no answer within 30s')
    assert.equal(new RequestStall('idle', 60_000).message, 'nothing sent for 60s')
    assert.equal(new RequestStall('request', 500).message, 'not done within --request-timeout 500ms')
  })
})

describe('retrying what the server asks to be retried', () => {
  const now = Date.parse('2026-11-24T10:00:00Z')
  const cases: Array<[string, number, string | undefined, number, number | undefined]> = [
    ['429 with delay-seconds', 429, '2', 0, 2000],
    ['503 with delay-seconds', 503, '1', 2, 1000],
    ['429 with an HTTP date', 429, 'Tue, 24 Nov 2026 10:00:03 GMT', 0, 3000],
    ['a date already past', 429, 'Tue, 24 Nov 2026 09:59:00 GMT', 0, 0],
    ['Retry-After: 0', 429, '0', 1, 0],
    ['a long delay, capped', 429, '3600', 0, MAX_RETRY_DELAY_MS],
    ['no retries left', 429, '1', 3, undefined],
    ['no Retry-After', 429, undefined, 0, undefined],
    ['an unreadable Retry-After', 429, 'soon', 0, undefined],
    ['a negative Retry-After', 503, '-1', 0, undefined],
    ['another status', 500, '1', 0, undefined],
  ]
  for (const [what, status, retryAfter, retries, expected] of cases) {
    it(what, () => assert.equal(throttleRetryDelayMs(status, retryAfter, retries, now), expected))
  }

  it('reads the first of repeated headers', () => assert.equal(retryAfterMs(['5', '9'][0]), 5000))

  it('tells an answer that was retried from one that was not', () => {
    assert.equal(wasRetried(429, '1'), true)
    assert.equal(wasRetried(429, undefined), false)
    assert.equal(wasRetried(500, '1'), false)
  })
})
