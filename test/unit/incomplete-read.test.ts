// A source that could not be read to its end says so (stats.error, the report's
// sources[].complete and reason), and keeps what was read before: an error mid-read, a file that
// shrank while it was read, content that is not an audit log.
import assert from 'node:assert/strict'

import {ChangeCollector} from '../../src/audit/changes.js'
import {buildReport} from '../../src/audit/report.js'
import {contentProblem} from '../../src/reading/content-check.js'
import {readSources} from '../../src/reading/read.js'
import {isComplete} from '../../src/reading/stats.js'
import type {ByteRange} from '../../src/sources/source.js'
import {auditLine} from '../support/events.js'
import {MemorySource} from '../support/memory-source.js'

const change = (name: string) =>
  auditLine({
    verb: 'create',
    apiGroup: 'networking.k8s.io',
    resource: 'networkpolicies',
    namespace: 'a',
    name,
    code: 201,
  })
const log = Buffer.from(Array.from({length: 200}, (_, i) => change(`p${i}`)).join('\n') + '\n')
const all = {window: {sinceMs: null, untilMs: null}}

/** Fails after handing out `failAfter` bytes, as a node that goes away does. */
class FailingSource extends MemorySource {
  constructor(
    name: string,
    bytes: Buffer,
    private readonly failAfter: number,
  ) {
    super(name, bytes, {chunkBytes: 4096})
  }

  override async *read(range?: ByteRange): AsyncIterable<Buffer> {
    let given = 0
    for await (const chunk of super.read(range)) {
      if (given + chunk.length > this.failAfter) throw new Error('connection reset by peer')
      given += chunk.length
      yield chunk
    }
  }
}

/** Shrinks to half once read, as logrotate's copytruncate leaves a log: the read ends at the new end. */
class TruncatedSource extends MemorySource {
  private opened = 0
  override async size(): Promise<number> {
    return this.opened > 0 ? Math.floor(this.bytes.length / 2) : this.bytes.length
  }

  override async *read(range?: ByteRange): AsyncIterable<Buffer> {
    this.opened++
    yield* super.read(
      range && {
        start: range.start,
        end: Math.min(range.end ?? Number.POSITIVE_INFINITY, Math.floor(this.bytes.length / 2)),
      },
    )
  }
}

async function read(...sources: MemorySource[]) {
  const sink = new ChangeCollector({sinceMs: null, untilMs: null, includeDryRun: false, includeSubresources: false})
  const stats = await readSources(sources, {...all, sink})
  return {stats, changes: sink.finish()}
}

describe('sources not read to their end', () => {
  it('an error mid-read keeps what came before it and marks the source incomplete, with the reason', async () => {
    const {stats, changes} = await read(
      new FailingSource('node/cp-1:/var/log/audit.log', log, 100_000),
      new MemorySource('b.log', Buffer.from(change('other') + '\n')),
    )
    assert.equal(isComplete(stats[0]), false)
    assert.match(stats[0].error!, /connection reset/)
    assert.ok(changes.length > 1 && changes.length < 201, `what was read counts: ${changes.length}`)
    const report = buildReport(all.window, stats, changes)
    assert.deepEqual(
      report.sources.map((s) => [s.complete, s.reason]),
      [
        [false, 'connection reset by peer'],
        [true, undefined],
      ],
    )
  })

  it('a file that shrank while it was read is incomplete', async () => {
    const {stats} = await read(new TruncatedSource('audit.log', log))
    assert.equal(isComplete(stats[0]), false)
    assert.match(
      stats[0].error!,
      new RegExp(`shrank from ${log.length} to ${Math.floor(log.length / 2)} bytes while it was read`),
    )
  })

  it('content that is not an audit log is refused at its head, not counted as malformed lines', async () => {
    const {stats} = await read(
      new MemorySource('audit.log.bz2', Buffer.concat([Buffer.from('BZh91AY&SY'), Buffer.alloc(5000, 0x41)])),
      new MemorySource('-', Buffer.alloc(100_000), {seekable: false}),
    )
    assert.deepEqual(
      stats.map((s) => [s.refused, s.malformed, s.events]),
      [
        [true, 0, 0],
        [true, 0, 0],
      ],
    )
    assert.match(
      stats[0].error!,
      /bzip2-compressed; read it with: bzcat audit\.log\.bz2 \| kubectl audit policies -f -/,
    )
    assert.match(stats[1].error!, /binary data, not text/)
  })

  it('gives up on a stream with no line break once a line could not be held (64 MiB), instead of reading forever', async () => {
    // An endless stream of text without a newline, as `yes | tr -d '\n'` gives.
    const endless = {
      name: '-',
      rotatedAt: null,
      size: async () => null,
      async *read() {
        const chunk = Buffer.alloc(1024 * 1024, 0x79)
        for (;;) yield chunk
      },
    }
    const sink = new ChangeCollector({sinceMs: null, untilMs: null, includeDryRun: false, includeSubresources: false})
    const [stats] = await readSources([endless], {...all, sink})
    assert.match(stats.error!, /no line break in its first 64 MiB/)
    assert.equal(stats.refused, true)
  })

  it('gives up on a document that never closes', async () => {
    const endless = {
      name: '-',
      rotatedAt: null,
      size: async () => null,
      async *read() {
        yield Buffer.from('{\n  "items": [')
        const chunk = Buffer.alloc(1024 * 1024, 0x5b)
        for (;;) yield chunk
      },
    }
    const sink = new ChangeCollector({sinceMs: null, untilMs: null, includeDryRun: false, includeSubresources: false})
    const [stats] = await readSources([endless], {...all, sink})
    assert.match(stats.error!, /first JSON document runs past 64 MiB without closing/)
  })
})

describe('contentProblem', () => {
  const padding = Buffer.alloc(2000, 0x41)
  const cases: Array<[string, Buffer, RegExp | null]> = [
    ['bzip2', Buffer.concat([Buffer.from('BZh9'), padding]), /bzip2-compressed; read it with: bzcat f\.log/],
    [
      'xz',
      Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), padding]),
      /xz-compressed; read it with: xzcat f\.log/,
    ],
    [
      'zstd',
      Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), padding]),
      /zstd-compressed; read it with: zstdcat f\.log/,
    ],
    [
      'UTF-16 with a BOM',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"kind":"Event"}\n', 'utf16le')]),
      /UTF-16 text; read it with: iconv -f UTF-16 -t UTF-8 f\.log/,
    ],
    [
      'UTF-16LE without a BOM',
      Buffer.from('{"kind":"Event","verb":"get"}\n'.repeat(20), 'utf16le'),
      /iconv -f UTF-16LE -t UTF-8/,
    ],
    [
      'UTF-16BE without a BOM',
      Buffer.from('{"kind":"Event","verb":"get"}\n'.repeat(20), 'utf16le').swap16(),
      /iconv -f UTF-16BE -t UTF-8/,
    ],
    [
      'NUL bytes',
      Buffer.alloc(10_000),
      /binary data, not text \(100% of its first 10000 bytes are control bytes, NUL among them\)/,
    ],
    [
      'random bytes',
      Buffer.from(Array.from({length: 65_536}, (_, i) => (i * 7919 + (i >> 3)) % 256)),
      /binary data, not text/,
    ],
    ['JSON lines', Buffer.from(change('a') + '\n'), null],
    [
      'a log with a zeroed block after a crash',
      Buffer.concat([Buffer.from(change('a') + '\n'), Buffer.alloc(4096)]),
      null,
    ],
    ['UTF-8 text with accents', Buffer.from('{"user":"José Ñandú"}\n'.repeat(50)), null],
  ]
  for (const [title, head, expected] of cases) {
    it(`${title}: ${expected === null ? 'read' : 'refused'}`, () => {
      const problem = contentProblem(head, 'f.log')
      if (expected === null) assert.equal(problem, null)
      else assert.match(problem?.message ?? '', expected)
    })
  }
})
