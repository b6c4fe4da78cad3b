// Times of raw lines: of one line, and the newest in the last bytes of a log (as audit-log-fresh reads it).
import assert from 'node:assert/strict'

import {lineTime, newestLineTime} from '../../src/reading/line-times.js'
import {auditLine} from '../support/events.js'

describe('newestLineTime', () => {
  const at = (time: string, extra: object = {}) => auditLine({time, ...extra})
  const ms = (time: string) => Date.parse(time)

  it('the newest of out-of-order lines, not the last', () => {
    const tail = Buffer.from(
      [
        at('2026-11-24T10:00:02.000000Z'),
        at('2026-11-24T10:00:05.000000Z'),
        at('2026-11-24T10:00:04.000000Z'),
        '',
      ].join('\n'),
    )
    assert.deepEqual(newestLineTime(tail), {newestMs: ms('2026-11-24T10:00:05Z'), events: 3})
  })

  it('a line cut at the start of the tail still tells its time (stageTimestamp comes after the bodies)', () => {
    const big = at('2026-11-24T10:00:09.000000Z', {level: 'RequestResponse', requestObject: {data: 'x'.repeat(10_000)}})
    const tail = Buffer.from(`${big}\n`).subarray(9_000)
    assert.deepEqual(newestLineTime(tail), {newestMs: ms('2026-11-24T10:00:09Z'), events: 1})
  })

  it('nothing to tell: empty, klog lines, a line still being written', () => {
    assert.deepEqual(newestLineTime(Buffer.alloc(0)), {newestMs: null, events: 0})
    assert.deepEqual(
      newestLineTime(
        Buffer.from(
          'I1124 10:00:00.000000       1 server.go:144] Version: v1.34.2\n{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Met',
        ),
      ),
      {newestMs: null, events: 0},
    )
  })
})

describe('lineTime', () => {
  it('finds stageTimestamp, and older fields when it is missing', () => {
    assert.equal(
      lineTime(Buffer.from('{"stageTimestamp":"2026-11-24T10:00:00.5Z"}')),
      Date.parse('2026-11-24T10:00:00.5Z'),
    )
    assert.equal(lineTime(Buffer.from('{"timestamp": "2017-09-11T19:55:05Z"}')), Date.parse('2017-09-11T19:55:05Z'))
    assert.equal(lineTime(Buffer.from('{"verb":"get"}')), undefined)
  })
  it('reads the time that starts a legacy-format line', () => {
    assert.equal(
      lineTime(Buffer.from('2017-03-21T03:57:09.106841886-04:00 AUDIT: id="c939d2a7" response="200"')),
      Date.parse('2017-03-21T07:57:09.106Z'),
    )
    assert.equal(lineTime(Buffer.from('not-a-time AUDIT: id="x"')), undefined)
    assert.equal(lineTime(Buffer.from('{"kind": 0}')), undefined, 'a space near the end of a short line')
  })
})
