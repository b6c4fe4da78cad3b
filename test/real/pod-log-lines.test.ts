// The pods/log line filter keeps real legacy-format lines (which the reader then recognises and
// reports) between kube-apiserver's stderr lines, whatever the chunk boundaries.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'

import {AuditLineFilter} from '../../src/sources/pod-log.js'
import {apiserverStderrNoise, klogLine} from '../support/container-logs.js'
import {LOGS} from './fixtures.js'

const T = Date.parse('2026-11-24T10:00:00Z')

describe('pods/log line filter on real legacy-format lines', () => {
  it('keeps only the events, at every chunk size', () => {
    const legacy = readFileSync(`${LOGS}/k8s-docs-legacy-format.log`, 'utf8').split('\n').filter(Boolean)
    const noise = [
      ...apiserverStderrNoise(T),
      klogLine(T, 'I', 'trace.go:236', 'Trace[1]: "Update" url:/api/v1/namespaces/kube-system/endpoints/x'),
      '',
    ]
    const lines = legacy.flatMap((line, i) => [noise[i % noise.length]!, line]).concat(noise)
    const input = Buffer.from(lines.map((l) => `${l}\n`).join(''))
    const expected = legacy.map((l) => `${l}\n`).join('')
    for (const size of [1, 2, 3, 7, 64, 500, 4096, input.length]) {
      const filter = new AuditLineFilter()
      const chunks: Buffer[] = []
      for (let i = 0; i < input.length; i += size) chunks.push(filter.push(input.subarray(i, i + size)))
      chunks.push(filter.end())
      assert.equal(Buffer.concat(chunks).toString(), expected, `chunk size ${size}`)
    }
  })
})
