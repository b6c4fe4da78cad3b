// A big local file read on two threads gives what one thread reading it whole gives: the same
// changes, counts and line numbers, for every read plan; a worker that dies or cannot load leaves
// its chunks to the main thread. Chunks are made small here so that a few MB make many of them.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {ChangeCollector, MemoryRecordStore, type PolicyChange} from '../../src/audit/changes.js'
import type {AuditEvent} from '../../src/audit/event.js'
import type {TimeWindow} from '../../src/audit/window.js'
import {bodiesFor, type BodyKeeping} from '../../src/audit/write-bodies.js'
import {
  PARALLEL_SCAN,
  ParallelScan,
  type ParallelJob,
  type WorkerEntry,
  workerEntry,
} from '../../src/reading/parallel-scan.js'
import {readSources} from '../../src/reading/read.js'
import {type LinesResult, scanJsonLines} from '../../src/reading/scan-lines.js'
import type {SourceStats} from '../../src/reading/stats.js'
import {FileSource} from '../../src/sources/file.js'
import type {LogSource} from '../../src/sources/source.js'
import {auditLine} from '../support/events.js'
import {MemorySource} from '../support/memory-source.js'

const BASE = Date.parse('2026-11-24T00:00:00Z')
const at = (second: number) => BASE + second * 1000

/**
 * A line a second: noise, a policy write every 53rd line, a malformed line now and then, one line
 * longer than a chunk; every 13th line is written up to 90 s late (only roughly in time order).
 */
function logLines(count: number, {idPrefix = '', startSecond = 0, withBodies = false} = {}): string[] {
  const lines: string[] = []
  for (let i = 0; i < count; i++) {
    const late = i % 13 === 0 ? ((i * 31) % 90) * 1000 : 0
    const time = new Date(at(startSecond + i) - late).toISOString().replace('Z', '123Z')
    if (i % 1009 === 500) lines.push('{"not": "an event"}')
    else if (i === 4000)
      lines.push(
        auditLine({
          verb: 'create',
          apiGroup: 'projectcalico.org',
          resource: 'networkpolicies',
          namespace: 'ns',
          name: 'big',
          time,
          auditID: `${idPrefix}big`,
          requestObject: {pad: 'x'.repeat(200 * 1024)},
        }),
      )
    else if (i % 53 === 0) {
      const bodies = withBodies
        ? {
            level: 'RequestResponse',
            requestObject: {spec: {ingress: [{ports: [{port: i}]}]}},
            responseObject: {
              kind: 'NetworkPolicy',
              apiVersion: 'networking.k8s.io/v1',
              metadata: {name: `p${i}`, namespace: 'ns'},
              spec: {ingress: [{ports: [{port: i}]}]},
            },
          }
        : {}
      lines.push(
        auditLine({
          verb: 'patch',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'ns',
          name: `p${i}`,
          time,
          auditID: `${idPrefix}w-${i}`,
          ...bodies,
        }),
      )
    } else
      lines.push(
        auditLine({
          verb: 'update',
          resource: 'leases',
          namespace: 'kube-node-lease',
          name: `node-${i % 50}`,
          time,
          auditID: `${idPrefix}n-${i}`,
          userAgent: `kubelet/v1.31.0 ${'f'.repeat(150)}`,
        }),
      )
  }
  return lines
}

const text = (lines: readonly string[]) => Buffer.from(lines.join('\n') + '\n')

const LINES = 20_000
/** About 10 MB over 5.5 hours (enough to be bisected): with 64 KiB chunks, over a hundred of them. */
const ordered = text(logLines(LINES))

interface Read {
  stats: SourceStats[]
  changes: Array<Omit<PolicyChange, 'source'>>
}

async function read(sources: LogSource[], window: TimeWindow): Promise<Read> {
  const sink = new ChangeCollector({...window, includeDryRun: false, includeSubresources: false})
  const stats = await readSources(sources, {window, sink})
  for (const s of stats) assert.equal(s.error, null, `${s.name}: ${s.error}`)
  return {stats, changes: sink.finish().map(({source: _source, ...change}) => change)}
}

/** The oracle: the same bytes as a source that cannot seek, read from start to end on one thread. */
const fullRead = (bytes: Buffer, window: TimeWindow) => read([new MemorySource('-', bytes, {seekable: false})], window)

/** What a read counted, for comparing with the oracle's. */
const counts = (s: SourceStats) => ({
  events: s.events,
  malformed: s.malformed,
  firstMalformedLine: s.firstMalformedLine,
  unterminated: s.unterminated,
  lastTimeMs: s.lastTimeMs,
})

describe('reading a big local file on two threads', function () {
  this.timeout(60_000)
  const tuning = {...PARALLEL_SCAN}
  let dir: string
  const file = (name: string, bytes: Buffer) => {
    const path = join(dir, name)
    writeFileSync(path, bytes)
    return path
  }
  /** The main thread reads slowly (a busy core), so the worker gets its share of the chunks. */
  const slowLocal = (name: string, bytes: Buffer) =>
    new MemorySource(file(name, bytes), bytes, {localPath: join(dir, name), chunkDelayMs: 10})

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-parallel-'))
    Object.assign(PARALLEL_SCAN, {minBytes: 0, chunkBytes: 64 * 1024, window: 4})
  })
  after(() => {
    Object.assign(PARALLEL_SCAN, tuning)
    rmSync(dir, {recursive: true, force: true})
  })

  const windows: Array<[string, TimeWindow]> = [
    ['no window', {sinceMs: null, untilMs: null}],
    ['since an hour in', {sinceMs: at(3600), untilMs: null}],
    ['until an hour in', {sinceMs: null, untilMs: at(3600)}],
    ['an hour in the middle', {sinceMs: at(1800), untilMs: at(5400)}],
  ]
  for (const [title, window] of windows) {
    it(`${title}: the same changes as one thread reading it whole`, async () => {
      const got = await read([slowLocal('audit.log', ordered)], window)
      const want = await fullRead(ordered, window)
      assert.ok(want.changes.length > 10)
      assert.deepEqual(got.changes, want.changes)
      assert.equal(got.stats[0].disordered, false)
      // Read to its end, the same counts and line numbers too.
      if (window.untilMs === null) {
        const planned = await read([new MemorySource('/logs/audit.log', ordered)], window)
        assert.deepEqual(
          [counts(got.stats[0]), got.stats[0].bytesRead],
          [counts(planned.stats[0]), planned.stats[0].bytesRead],
        )
      }
    })
  }

  it('keeps the bodies of the writes a diff needs, when asked: from the worker, in chunks that wait, in a held-back read', async () => {
    const bytes = text(logLines(LINES, {withBodies: true}))
    // Bisected to the window: what is read is held back until the order is known to hold.
    const window = {sinceMs: at(3600), untilMs: null}
    const responses = async (source: LogSource, bodies: BodyKeeping | undefined) => {
      const sink = new ChangeCollector(
        {...window, includeDryRun: false, includeSubresources: false},
        new MemoryRecordStore(),
        bodiesFor(bodies),
      )
      await readSources([source], {window, sink, bodies})
      return [...sink.changeWrites()].map((w) => [
        w.change.auditID,
        w.bodies?.response === undefined ? null : JSON.parse(w.bodies.response!),
      ])
    }
    const got = await responses(slowLocal('bodies.log', bytes), {objects: null})
    const want = await responses(new MemorySource('-', bytes, {seekable: false}), {objects: null})
    assert.ok(got.filter(([, body]) => body !== null).length > 50, 'writes with their bodies')
    assert.deepEqual(got, want)
    // Not asked for: no record holds any.
    const none = await responses(slowLocal('no-bodies.log', bytes), undefined)
    assert.deepEqual(
      none,
      want.map(([id]) => [id, null]),
    )
  })

  it('stops after a window where one thread reading the same file stops', async () => {
    // Whoever scans a chunk reads it in the buffers one thread reading the whole file uses.
    const path = file('stop.log', ordered)
    const window = {sinceMs: at(3600), untilMs: at(7200)}
    Object.assign(PARALLEL_SCAN, {chunkBytes: 1024 * 1024})
    try {
      const got = await read([new FileSource(path)], window)
      Object.assign(PARALLEL_SCAN, {minBytes: Number.POSITIVE_INFINITY})
      const alone = await read([new FileSource(path)], window)
      assert.deepEqual(got.changes, alone.changes)
      assert.ok(
        alone.stats[0].startOffset > 0 && alone.stats[0].bytesRead < ordered.length / 2,
        JSON.stringify(alone.stats[0]),
      )
      assert.deepEqual(
        {...counts(got.stats[0]), bytesRead: got.stats[0].bytesRead},
        {...counts(alone.stats[0]), bytesRead: alone.stats[0].bytesRead},
      )
    } finally {
      Object.assign(PARALLEL_SCAN, {minBytes: 0, chunkBytes: 64 * 1024})
    }
  })

  // Lines from the log's first minutes, put back an hour later: in the middle of a chunk, or
  // starting one (then only comparing that chunk with the one before finds them).
  const outOfOrder: Array<[string, (lines: string[]) => number]> = [
    ['within a chunk', (lines) => Math.floor(lines.length * 0.3)],
    [
      'at the start of a chunk',
      (lines) => {
        let offset = 0
        const boundary = 40 * PARALLEL_SCAN.chunkBytes
        for (let i = 0; i < lines.length; i++) {
          if (offset > boundary) return i
          offset += Buffer.byteLength(lines[i]!) + 1
        }
        throw new Error('the log is too short')
      },
    ],
  ]
  for (const [where, position] of outOfOrder) {
    it(`a block out of order ${where}: seen, and the file is read again, whole`, async () => {
      const lines = logLines(LINES)
      const cut = position(lines)
      const bytes = text([...lines.slice(0, cut), ...logLines(40, {idPrefix: 'past-'}), ...lines.slice(cut)])
      // Read from the start (chunks on a grid from 0) up to a window's end, which trusts the order.
      const window = {sinceMs: null, untilMs: at(3 * 3600)}
      const got = await read([slowLocal('disordered.log', bytes)], window)
      assert.deepEqual(got.changes, (await fullRead(bytes, window)).changes)
      assert.deepEqual(
        [got.stats[0].disordered, got.stats[0].startOffset, got.stats[0].bytesRead],
        [true, 0, bytes.length],
      )
    })
  }

  it('an unterminated last line and a last line cut short count as on one thread', async () => {
    for (const tail of [
      auditLine({
        verb: 'delete',
        apiGroup: 'networking.k8s.io',
        resource: 'networkpolicies',
        namespace: 'ns',
        name: 'last',
        time: new Date(at(LINES)).toISOString(),
      }),
      '{"kind":"Event","verb":"pat',
    ]) {
      const bytes = Buffer.concat([ordered, Buffer.from(tail)])
      const window = {sinceMs: null, untilMs: null}
      const got = await read([slowLocal('tail.log', bytes)], window)
      const want = await fullRead(bytes, window)
      assert.deepEqual(got.changes, want.changes)
      assert.deepEqual(counts(got.stats[0]), counts(want.stats[0]))
    }
  })

  it('a log of nothing but changes: every one counted, however many a chunk holds', async () => {
    // About 260 bytes a line: a 4 MiB chunk holds some 16,000 changes, all held until the read
    // is over (a window trusts the order), and handed on in bounded batches.
    const count = 120_000
    const lines = Array.from(
      {length: count},
      (_, i) =>
        `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"c-${i}","stage":"ResponseComplete","verb":"create","user":{"username":"alice"},"objectRef":{"resource":"networkpolicies","namespace":"n","name":"p${i}","apiGroup":"networking.k8s.io"},"responseStatus":{"code":201},"stageTimestamp":"${new Date(at(i / 10)).toISOString()}"}`,
    )
    const bytes = text(lines)
    Object.assign(PARALLEL_SCAN, {chunkBytes: 4 * 1024 * 1024})
    try {
      const window = {sinceMs: at(600), untilMs: null}
      const got = await read(
        [
          new MemorySource(file('changes.log', bytes), bytes, {
            localPath: join(dir, 'changes.log'),
            chunkBytes: 1024 * 1024,
            chunkDelayMs: 100,
          }),
        ],
        window,
      )
      assert.equal(got.changes.length, count - 6000)
      assert.deepEqual([got.stats[0].disordered, got.stats[0].malformed], [false, 0])
    } finally {
      Object.assign(PARALLEL_SCAN, {chunkBytes: 64 * 1024})
    }
  })

  describe('the chunks, scanned on both threads', () => {
    const options = {stopAfter: null, watchOrder: false}
    const job = (path: string, size: number): ParallelJob => ({
      path,
      grid: {from: 0, size, chunkBytes: PARALLEL_SCAN.chunkBytes},
      ...options,
    })

    /** Chunk 0 as the reader scans it, then the rest in order; events, counts and line numbers as one stretch. */
    async function scanInChunks(source: MemorySource, entry?: WorkerEntry) {
      const scan = ParallelScan.start(source, job(source.localPath!, source.bytes.length), entry)
      assert.ok(scan, 'a worker can start')
      const ids: string[] = []
      const add = (events: AuditEvent[]) => {
        for (const event of events) ids.push(event.auditID)
      }
      const first = await scanJsonLines(scan.firstChunk(), add, options)
      let lines = first.lineCount
      let malformed = first.malformed
      let firstMalformedLine = first.firstMalformedLine
      await scan.scanRest({
        events: add,
        chunk(result: LinesResult) {
          if (firstMalformedLine === null && result.firstMalformedLine !== null)
            firstMalformedLine = lines + result.firstMalformedLine
          lines += result.lineCount
          malformed += result.malformed
          return true
        },
      })
      return {ids, lines, malformed, firstMalformedLine, scannedHere: scan.scannedHere, retired: scan.retiredWorker}
    }

    async function wholeOnOneThread(bytes: Buffer) {
      const ids: string[] = []
      const result = await scanJsonLines(
        new MemorySource('-', bytes).read(),
        (events) => {
          for (const event of events) ids.push(event.auditID)
        },
        options,
      )
      return {ids, lines: result.lineCount, malformed: result.malformed, firstMalformedLine: result.firstMalformedLine}
    }

    it('hand on every event once, in file order, and share the chunks', async () => {
      const {scannedHere, retired, ...got} = await scanInChunks(slowLocal('chunks.log', ordered))
      assert.deepEqual(got, await wholeOnOneThread(ordered))
      assert.equal(retired, false, 'a policy write every 53 lines is not dense')
      const chunks = Math.ceil(ordered.length / PARALLEL_SCAN.chunkBytes)
      assert.ok(scannedHere > 0 && scannedHere < chunks - 1, `this thread scanned ${scannedHere} of ${chunks - 1}`)
    })

    const changeLines = (count: number) =>
      Array.from(
        {length: count},
        (_, i) =>
          `{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"c-${i}","stage":"ResponseComplete","verb":"create","user":{"username":"alice"},"objectRef":{"resource":"networkpolicies","namespace":"n","name":"p${i}","apiGroup":"networking.k8s.io"},"responseStatus":{"code":201},"stageTimestamp":"${new Date(at(i / 10)).toISOString()}"}`,
      )

    it('in a log of nothing but changes, stop the worker and read the rest on this thread', async () => {
      // About 250 changes a 64 KiB chunk, some 4,000 a MiB: far past the density where a worker helps.
      const bytes = text(changeLines(20_000))
      const chunks = Math.ceil(bytes.length / PARALLEL_SCAN.chunkBytes)
      const {scannedHere, retired, ...got} = await scanInChunks(slowLocal('all-changes.log', bytes))
      assert.deepEqual(got, await wholeOnOneThread(bytes))
      assert.equal(retired, true)
      assert.ok(scannedHere > chunks / 2, `this thread scanned ${scannedHere} of ${chunks - 1}`)
    })

    it('in a log of nothing but changes, keep the events waiting near the bound, not a window of chunks of them', async () => {
      // About 250 changes a 64 KiB chunk; this thread reads slowly, so the worker runs ahead (it is
      // kept on for this test however dense the log). A window of 40 chunks would let some 10,000
      // wait; the bound is 1,000.
      const lines = changeLines(40_000)
      const bytes = text(lines)
      const perChunk = Math.ceil(lines.length / Math.ceil(bytes.length / PARALLEL_SCAN.chunkBytes))
      Object.assign(PARALLEL_SCAN, {window: 40, waitingEvents: 1000, denseEventsPerMiB: Infinity})
      try {
        const source = new MemorySource(file('dense.log', bytes), bytes, {
          localPath: join(dir, 'dense.log'),
          chunkDelayMs: 30,
        })
        const scan = ParallelScan.start(source, job(source.localPath!, bytes.length))!
        const ids: string[] = []
        const add = (events: AuditEvent[]) => {
          for (const event of events) ids.push(event.auditID)
        }
        await scanJsonLines(scan.firstChunk(), add, options)
        await scan.scanRest({events: add, chunk: () => true})
        assert.deepEqual(ids, (await wholeOnOneThread(bytes)).ids)
        assert.ok(scan.scannedHere < 150, `the worker took its share: this thread scanned ${scan.scannedHere}`)
        assert.ok(
          scan.peakWaitingEvents > 1000 && scan.peakWaitingEvents <= 1000 + 2 * perChunk,
          `at most ${scan.peakWaitingEvents} waited (${perChunk} a chunk)`,
        )
      } finally {
        Object.assign(PARALLEL_SCAN, {
          window: 4,
          waitingEvents: tuning.waitingEvents,
          denseEventsPerMiB: tuning.denseEventsPerMiB,
        })
      }
    })

    it('a worker that dies half-way through a chunk leaves it, and the rest, to this thread', async () => {
      const dying = workerEntry(new URL('../support/dying-scan-worker.ts', import.meta.url))!
      const {scannedHere, retired, ...got} = await scanInChunks(slowLocal('dying.log', ordered), dying)
      assert.equal(retired, false)
      assert.deepEqual(got, await wholeOnOneThread(ordered))
      assert.equal(scannedHere, Math.ceil(ordered.length / PARALLEL_SCAN.chunkBytes) - 1)
    })

    it('a worker that cannot load leaves every chunk to this thread', async () => {
      const broken = {url: new URL('data:text/javascript,throw new Error("cannot load")'), execArgv: []}
      const {scannedHere, retired, ...got} = await scanInChunks(
        new MemorySource(file('broken.log', ordered), ordered, {localPath: join(dir, 'broken.log')}),
        broken,
      )
      assert.equal(retired, false)
      assert.deepEqual(got, await wholeOnOneThread(ordered))
      assert.equal(scannedHere, Math.ceil(ordered.length / PARALLEL_SCAN.chunkBytes) - 1)
    })

    it('reads only one thread where no worker can load our code (a single bundle)', async () => {
      const source = new FileSource(file('bundle.log', ordered))
      assert.equal(ParallelScan.start(source, job(source.path, ordered.length), null), null)
    })
  })
})
