// The line filter of the pods/log source: what kube-apiserver's mixed stdout/stderr stream keeps,
// whatever the chunk boundaries.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'

import {AuditLineFilter, auditLinesOf} from '../../src/sources/pod-log.js'
import {apiserverStderrNoise, klogLine} from '../support/container-logs.js'
import {auditLine} from '../support/events.js'

const T = Date.parse('2026-11-24T10:00:00Z')
const LEGACY = readFileSync('test/fixtures/logs/legacy-format.log', 'utf8').split('\n').filter(Boolean)

const events = [
  auditLine({
    verb: 'create',
    resource: 'networkpolicies',
    apiGroup: 'networking.k8s.io',
    namespace: 'prod',
    name: 'deny-all',
  }),
  auditLine({verb: 'update', resource: 'leases', name: 'cp-1'}),
  // Long enough to be cut by the end of a chunk several times.
  auditLine({
    verb: 'patch',
    resource: 'globalnetworkpolicies',
    apiGroup: 'projectcalico.org',
    name: 'allow-dns',
    requestObject: {spec: {selector: 'x'.repeat(3000)}},
  }),
  auditLine({verb: 'delete', resource: 'tiers', apiGroup: 'projectcalico.org', name: 'security'}),
]
const noise = [
  ...apiserverStderrNoise(T),
  klogLine(
    T,
    'I',
    'trace.go:236',
    'Trace[1]: "Update" url:/api/v1/namespaces/kube-system/endpoints/x (24-Nov-2026 10:00:00.000)',
  ),
  '',
]

/** Audit lines with stderr lines between them, and what must come out. */
function mixed(audit: readonly string[], stderr: readonly string[]): {input: Buffer; expected: string} {
  const lines: string[] = []
  audit.forEach((line, i) =>
    lines.push(...stderr.slice(i % Math.max(1, stderr.length), (i % Math.max(1, stderr.length)) + 1), line),
  )
  lines.push(...stderr)
  return {input: Buffer.from(lines.map((l) => `${l}\n`).join('')), expected: audit.map((l) => `${l}\n`).join('')}
}

function filterInChunks(input: Buffer, size: number): {chunks: Buffer[]; text: string} {
  const filter = new AuditLineFilter()
  const chunks: Buffer[] = []
  for (let i = 0; i < input.length; i += size) chunks.push(filter.push(input.subarray(i, i + size)))
  chunks.push(filter.end())
  return {chunks, text: Buffer.concat(chunks).toString()}
}

async function* inChunks(input: Buffer, size: number): AsyncIterable<Buffer> {
  for (let i = 0; i < input.length; i += size) yield input.subarray(i, i + size)
}

async function collect(iterable: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const chunks: Buffer[] = []
  for await (const chunk of iterable) chunks.push(chunk)
  return chunks
}

describe('pods/log line filter', () => {
  const cases: Array<{name: string; audit: string[]; stderr: string[]}> = [
    {name: 'JSON events between klog lines, multi-line klog values and other stderr', audit: events, stderr: noise},
    {name: 'legacy-format events (recognised and reported by the reader, so kept)', audit: LEGACY, stderr: noise},
    {name: 'events only', audit: events, stderr: []},
    {name: 'stderr only', audit: [], stderr: noise},
  ]
  for (const {name, audit, stderr} of cases) {
    it(`keeps only the events: ${name}, at every chunk size`, () => {
      const {input, expected} = mixed(audit, stderr)
      for (const size of [...Array.from({length: 1500}, (_, i) => i + 1), 4096, input.length]) {
        assert.equal(filterInChunks(input, size).text, expected, `chunk size ${size}`)
      }
    })
  }

  it('hands back a chunk of events as it is, without copying', () => {
    const chunk = Buffer.from(events.map((l) => `${l}\n`).join(''))
    assert.equal(new AuditLineFilter().push(chunk), chunk)
  })

  it('keeps the start of an unfinished last line, even one too short to tell until the end', () => {
    for (const tail of ['{"kind":"Ev', `${events[0]!.slice(0, 200)}`]) {
      const input = Buffer.from(`${klogLine(T, 'I', 'x.go:1', 'hello')}\n${events[1]}\n${tail}`)
      assert.equal(filterInChunks(input, 5).text, `${events[1]}\n${tail}`)
    }
    assert.equal(filterInChunks(Buffer.from(`${events[1]}\nI1124 10:00`), 3).text, `${events[1]}\n`)
  })

  it('leaves an event cut by a stderr line malformed, and drops its tail', () => {
    // stdout and stderr share the stream: a klog line can land between the pieces of a long event.
    const event = events[2]!
    const input = Buffer.from(
      `${event.slice(0, 1000)}${klogLine(T, 'W', 'x.go:1', 'slow')}\n${event.slice(1000)}\n${events[3]}\n`,
    )
    assert.equal(
      filterInChunks(input, 100).text,
      `${event.slice(0, 1000)}${klogLine(T, 'W', 'x.go:1', 'slow')}\n${events[3]}\n`,
    )
  })

  it('gives the reader no empty chunk, and a first chunk holding a whole line', async () => {
    const {input, expected} = mixed(events, noise)
    for (const size of [1, 7, 500]) {
      const chunks = await collect(auditLinesOf(inChunks(input, size)))
      assert.ok(
        chunks.every((c) => c.length > 0),
        `chunk size ${size}`,
      )
      assert.ok(chunks[0]!.includes('\n'), `chunk size ${size}`)
      assert.equal(Buffer.concat(chunks).toString(), expected)
    }
    assert.deepEqual(await collect(auditLinesOf(inChunks(Buffer.from(noise.map((l) => `${l}\n`).join('')), 10))), [])
  })

  it('yields chunks of at least a mebibyte from a long stream', async () => {
    const {input, expected} = mixed(
      Array.from({length: 2000}, () => events[2]!),
      noise,
    )
    const chunks = await collect(auditLinesOf(inChunks(input, 16 * 1024)))
    assert.equal(Buffer.concat(chunks).toString(), expected)
    assert.ok(chunks.length > 1)
    assert.ok(
      chunks.slice(0, -1).every((c) => c.length >= 1024 * 1024),
      chunks.map((c) => c.length).join(' '),
    )
  })
})
