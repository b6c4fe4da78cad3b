// The newest event time in the last bytes of a log, as audit-log-fresh reads it.
import assert from 'node:assert/strict'

import {newestLineTime} from '../../src/sources/line-times.js'
import {auditLine} from '../support/events.js'

describe('newestLineTime', () => {
  const at = (time: string, extra: object = {}) => auditLine({time, ...extra})
  const ms = (time: string) => Date.parse(time)

  it('the newest of out-of-order lines, not the last', () => {
    const tail = Buffer.from([at('2026-11-24T10:00:02.000000Z'), at('2026-11-24T10:00:05.000000Z'), at('2026-11-24T10:00:04.000000Z'), ''].join('\n'))
    assert.deepEqual(newestLineTime(tail), {newestMs: ms('2026-11-24T10:00:05Z'), events: 3})
  })

  it('a line cut at the start of the tail still tells its time (stageTimestamp comes after the bodies)', () => {
    const big = at('2026-11-24T10:00:09.000000Z', {level: 'RequestResponse', requestObject: {data: 'x'.repeat(10_000)}})
    const tail = Buffer.from(`${big}\n`).subarray(9_000)
    assert.deepEqual(newestLineTime(tail), {newestMs: ms('2026-11-24T10:00:09Z'), events: 1})
  })

  it('nothing to tell: empty, klog lines, a line still being written', () => {
    assert.deepEqual(newestLineTime(Buffer.alloc(0)), {newestMs: null, events: 0})
    assert.deepEqual(newestLineTime(Buffer.from('I1124 10:00:00.000000       1 server.go:144] Version: v1.34.2\n{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Met')), {newestMs: null, events: 0})
  })
})
