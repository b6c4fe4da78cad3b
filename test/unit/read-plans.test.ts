// The read plans on seekable sources (whole; bisected to a window's start; stopped after its end;
// out of order, so read whole, or read again whole; rotated files skipped by name) give exactly
// what a full, sequential read of the same bytes gives.
import assert from 'node:assert/strict'

import {ChangeCollector, type PolicyChange} from '../../src/audit/changes.js'
import type {TimeWindow} from '../../src/audit/window.js'
import {readSources} from '../../src/reading/read.js'
import type {SourceStats} from '../../src/reading/stats.js'
import {auditLine} from '../support/events.js'
import {MemorySource} from '../support/memory-source.js'

const BASE = Date.parse('2026-11-24T00:00:00Z')
const HOUR = 3_600_000
const at = (second: number) => BASE + second * 1000

/**
 * One line a second from `startSecond`: noise, with a policy write every 97th line; every 13th
 * line is a RequestReceived written up to 90 s late (lines are only roughly in time order).
 */
function logLines(count: number, {idPrefix = '', startSecond = 0, writeEvery = 97} = {}): string[] {
  const lines: string[] = []
  for (let i = 0; i < count; i++) {
    const late = i % 13 === 0 ? ((i * 31) % 90) * 1000 : 0
    const time = new Date(at(startSecond + i) - late).toISOString().replace('Z', '123Z')
    const stage = late > 0 ? 'RequestReceived' : 'ResponseComplete'
    lines.push(
      i % writeEvery === 0
        ? auditLine({
            verb: 'patch',
            apiGroup: 'networking.k8s.io',
            resource: 'networkpolicies',
            namespace: 'ns',
            name: `p${i}`,
            time,
            auditID: `${idPrefix}w-${i}`,
            stage,
          })
        : auditLine({
            verb: 'update',
            resource: 'leases',
            namespace: 'kube-node-lease',
            name: `node-${i % 50}`,
            time,
            auditID: `${idPrefix}n-${i}`,
            userAgent: `kubelet/v1.31.0 ${'f'.repeat(200)}`,
          }),
    )
  }
  return lines
}

const text = (lines: readonly string[]) => Buffer.from(lines.join('\n') + '\n')

/** About 12 MB over 8 hours: big enough to be bisected (more than 8 MiB). */
const LINES = 8 * 3600
const ordered = text(logLines(LINES))

interface Read {
  stats: SourceStats[]
  changes: Array<Omit<PolicyChange, 'source'>>
}

async function read(sources: MemorySource[], window: TimeWindow): Promise<Read> {
  const sink = new ChangeCollector({...window, includeDryRun: false, includeSubresources: false})
  const stats = await readSources(sources, {window, sink})
  for (const s of stats) assert.equal(s.error, null, `${s.name}: ${s.error}`)
  return {stats, changes: sink.finish().map(({source: _source, ...change}) => change)}
}

/** The oracle: the same bytes as a source that cannot seek, read from start to end. */
const fullRead = (bytes: Buffer, window: TimeWindow) => read([new MemorySource('-', bytes, {seekable: false})], window)

describe('read plans', function () {
  this.timeout(20_000)

  const cases: Array<[string, TimeWindow, (s: SourceStats) => void]> = [
    [
      'no window: read whole',
      {sinceMs: null, untilMs: null},
      (s) => {
        assert.equal(s.startOffset, 0)
        assert.equal(s.bytesRead, ordered.length)
      },
    ],
    [
      'since the last hour: bisected to the start of the window',
      {sinceMs: at(7 * 3600), untilMs: null},
      (s) => {
        assert.ok(s.startOffset > ordered.length * 0.8, `started at ${s.startOffset} of ${ordered.length}`)
        assert.equal(s.bytesRead, ordered.length - s.startOffset)
      },
    ],
    [
      'until the first hour: stopped after the end of the window',
      {sinceMs: null, untilMs: at(3600)},
      (s) => {
        assert.equal(s.startOffset, 0)
        assert.ok(s.bytesRead < ordered.length * 0.25, `read ${s.bytesRead} of ${ordered.length}`)
      },
    ],
    [
      'an hour in the middle: bisected and stopped',
      {sinceMs: at(4 * 3600), untilMs: at(5 * 3600)},
      (s) => {
        assert.ok(s.startOffset > ordered.length * 0.4, `started at ${s.startOffset}`)
        assert.ok(s.bytesRead < ordered.length * 0.25, `read ${s.bytesRead}`)
      },
    ],
    [
      'a cut among late-written lines',
      {sinceMs: at(97 * 13 * 20 - 45), untilMs: null},
      (s) => assert.ok(s.startOffset > 0),
    ],
    [
      'a window after the log',
      {sinceMs: at(LINES + 3600), untilMs: null},
      (s) => assert.ok(s.bytesRead < ordered.length * 0.05),
    ],
  ]
  for (const [title, window, check] of cases) {
    it(`${title}: same changes as a full read`, async () => {
      const source = new MemorySource('/logs/audit.log', ordered)
      const got = await read([source], window)
      const want = await fullRead(ordered, window)
      assert.deepEqual(got.changes, want.changes)
      assert.equal(got.stats[0].disordered, false)
      assert.equal(got.stats[0].format, 'lines')
      check(got.stats[0])
    })
  }

  it('two logs of the same hours, one after the other: the probes see it, read whole', async () => {
    const concatenated = text([...logLines(LINES / 2, {idPrefix: 'a-'}), ...logLines(LINES / 2, {idPrefix: 'b-'})])
    const window = {sinceMs: at(3 * 3600), untilMs: null}
    const source = new MemorySource('/logs/audit.log', concatenated)
    const got = await read([source], window)
    assert.deepEqual(got.changes, (await fullRead(concatenated, window)).changes)
    assert.ok(
      got.changes.some((c) => c.auditID.startsWith('a-')) && got.changes.some((c) => c.auditID.startsWith('b-')),
    )
    assert.deepEqual(
      [got.stats[0].disordered, got.stats[0].startOffset, got.stats[0].bytesRead],
      [true, 0, concatenated.length],
    )
    assert.ok(
      source.reads.every((range) => range === undefined || range.start === 0 || range.end !== undefined),
      'only probes seek',
    )
  })

  it('a block out of order between the probes: the scan sees it, and the source is read again, whole', async () => {
    // Writes from hour 9 near the start, before where bisection to hour 4 cuts; a block of hour-0
    // lines after the cut shows that the log cannot be trusted. Both lie between two probes.
    const lines = logLines(LINES)
    const betweenProbes = (k: number) => Math.round(((k + 0.5) / 32) * LINES)
    const future = logLines(30, {idPrefix: 'future-', startSecond: 9 * 3600})
    const past = logLines(30, {idPrefix: 'past-'})
    const [early, late] = [betweenProbes(0), betweenProbes(22)]
    const bytes = text([
      ...lines.slice(0, early),
      ...future,
      ...lines.slice(early, late),
      ...past,
      ...lines.slice(late),
    ])
    const window = {sinceMs: at(4 * 3600), untilMs: null}
    const source = new MemorySource('/logs/audit.log', bytes)
    const got = await read([source], window)
    const want = await fullRead(bytes, window)
    assert.ok(
      want.changes.some((c) => c.auditID.startsWith('future-')),
      'the early block of later writes is in the window',
    )
    assert.deepEqual(got.changes, want.changes)
    assert.deepEqual(
      [got.stats[0].disordered, got.stats[0].startOffset, got.stats[0].bytesRead],
      [true, 0, bytes.length],
    )
    const scans = source.reads.filter((range) => range?.end === undefined)
    assert.ok(
      scans.length === 2 && scans[0]!.start > 0 && scans[1]!.start === 0,
      `scans from ${scans.map((r) => r?.start)}`,
    )
  })

  it('a window of more writes than are held in memory: the same as a full read, ordered or read again whole', async () => {
    // Every line a write: about 25,000 in the window, more than wait in memory before a bisected
    // read is over (the rest wait in a temporary file); then the same with a block out of order.
    const lines = logLines(LINES, {writeEvery: 1})
    const window = {sinceMs: at(3600), untilMs: null}
    const past = logLines(30, {idPrefix: 'past-', writeEvery: 1})
    const cut = Math.round(LINES * 0.9)
    for (const [bytes, disordered] of [
      [text(lines), false],
      [text([...lines.slice(0, cut), ...past, ...lines.slice(cut)]), true],
    ] as const) {
      const got = await read([new MemorySource('/logs/audit.log', bytes)], window)
      const want = await fullRead(bytes, window)
      assert.ok(want.changes.length > 20_000, `${want.changes.length} changes`)
      assert.deepEqual(got.changes, want.changes)
      assert.equal(got.stats[0]!.disordered, disordered)
      assert.equal(got.stats[0]!.startOffset > 0, !disordered)
    }
  })

  it('skips rotated files by the time in their name, and reads the rest as a full read does', async () => {
    // Files rotated at 02:00, 04:00, 06:00, then the active log: two hours of lines each.
    const rotations = [2, 4, 6]
    const parts = [0, 1, 2, 3].map((k) => text(logLines(2 * 3600, {idPrefix: `${k}-`, startSecond: k * 2 * 3600})))
    const names = [...rotations.map((h) => `/logs/audit-2026-11-24T0${h}-00-00.000.log`), '/logs/audit.log']
    const window = {sinceMs: at(4.5 * 3600), untilMs: at(5.5 * 3600)}
    const sources = names.map((name, k) => new MemorySource(name, parts[k]!))
    const got = await read(sources, window)
    assert.deepEqual(got.changes, (await fullRead(Buffer.concat(parts), window)).changes)
    assert.ok(got.changes.length > 0)
    assert.deepEqual(
      got.stats.map((s) => s.skipped),
      [true, true, false, true],
    )
    assert.deepEqual(
      sources.map((s) => s.reads.length > 0),
      [false, false, true, false],
    )
    assert.equal(got.stats[0].lastTimeMs, BASE + 2 * HOUR, 'a skipped file still tells when it ends')
  })
})
