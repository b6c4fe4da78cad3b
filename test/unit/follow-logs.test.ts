// The followers a --watch reads through: a local file by name (appended to, rotated, truncated and
// written again to the same size, gone for a while), a node's log read by ranges (rotated to a
// plain and to a .gz file, truncated, a node that does not answer), and the snapshot following
// starts from (the last whole line).
import assert from 'node:assert/strict'
import {appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, unlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import {type FollowOptions, snapshotToLastLine} from '../../src/sources/follow.js'
import {followFile} from '../../src/sources/follow-file.js'
import {followRangedLog, type RangedLog} from '../../src/sources/follow-ranges.js'
import type {ByteRange} from '../../src/sources/source.js'
import {MemorySource} from '../support/memory-source.js'

/** A follower running in the background: what it handed on, said and reported so far. */
function run(start: (options: FollowOptions) => AsyncIterable<Buffer>) {
  const controller = new AbortController()
  const seen = {text: '', notices: [] as string[], caughtUp: [] as number[], reachable: [] as boolean[]}
  const options: FollowOptions = {
    intervalMs: 20,
    signal: controller.signal,
    caughtUp: (at) => seen.caughtUp.push(at),
    notice: (line) => seen.notices.push(line),
    reachable: (up) => seen.reachable.push(up),
  }
  const done = (async () => {
    for await (const chunk of start(options)) seen.text += chunk.toString()
  })()
  const until = async (what: string, holds: () => boolean) => {
    const deadline = Date.now() + 5000
    while (!holds()) {
      if (Date.now() > deadline)
        throw new Error(`never ${what}; text: ${JSON.stringify(seen.text)}, notices: ${JSON.stringify(seen.notices)}`)
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }
  return {
    seen,
    until,
    /** Waits for the text handed on to be `text`, and for a look after it (nothing more comes). */
    async handedOn(text: string) {
      await until(`handed on ${JSON.stringify(text)}`, () => seen.text === text)
      const looks = seen.caughtUp.length
      await until('looked again', () => seen.caughtUp.length > looks + 1)
      assert.equal(seen.text, text)
    },
    async stop() {
      controller.abort()
      await done
    },
  }
}

describe('following a local file by name', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'follow-file-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('hands on what is appended, the rest of a rotated file then the new one, and a truncated file again from its start', async () => {
    const log = join(dir, 'audit.log')
    writeFileSync(log, 'read before\n')
    const follower = run((options) => followFile(log, 'read before\n'.length, options))
    await follower.handedOn('')
    appendFileSync(log, 'one\n')
    await follower.handedOn('one\n')
    // Rotated as kube-apiserver does: renamed after its last line, a new file under the name.
    appendFileSync(log, 'last in old\n')
    renameSync(log, join(dir, 'audit-2026-12-07T10-00-00.000.log'))
    writeFileSync(log, 'first in new\n')
    await follower.handedOn('one\nlast in old\nfirst in new\n')
    assert.ok(
      follower.seen.notices.some((n) => n.includes('was rotated')),
      follower.seen.notices.join('\n'),
    )
    // Truncated, then written again past where it was read: the bytes before the offset changed.
    truncateSync(log, 0)
    appendFileSync(log, 'after truncation, a longer line\n')
    await follower.handedOn('one\nlast in old\nfirst in new\nafter truncation, a longer line\n')
    assert.ok(follower.seen.notices.includes(`${log} was truncated: reading it again from its start`))
    await follower.stop()
  })

  it('sees a file truncated and written again to the very same size (its last bytes differ)', async () => {
    const log = join(dir, 'audit.log')
    writeFileSync(log, '')
    const follower = run((options) => followFile(log, 0, options))
    appendFileSync(log, '{"stageTimestamp":"2026-12-07T10:00:00.000001Z"}\n')
    await follower.handedOn('{"stageTimestamp":"2026-12-07T10:00:00.000001Z"}\n')
    writeFileSync(log, '{"stageTimestamp":"2026-12-07T10:00:00.000002Z"}\n')
    await follower.handedOn(
      '{"stageTimestamp":"2026-12-07T10:00:00.000001Z"}\n{"stageTimestamp":"2026-12-07T10:00:00.000002Z"}\n',
    )
    await follower.stop()
  })

  it('ends a line cut short by a rotation, so the new file starts a line of its own', async () => {
    const log = join(dir, 'audit.log')
    writeFileSync(log, 'whole\ncut sh')
    const follower = run((options) => followFile(log, 0, options))
    await follower.handedOn('whole\ncut sh')
    renameSync(log, join(dir, 'audit-2026-12-07T10-00-00.000.log'))
    writeFileSync(log, 'new\n')
    await follower.handedOn('whole\ncut sh\nnew\n')
    await follower.stop()
  })

  it('waits for a file that is gone, says so once, and reads the one that comes back from its start', async () => {
    const log = join(dir, 'audit.log')
    writeFileSync(log, 'a\n')
    const follower = run((options) => followFile(log, 0, options))
    await follower.handedOn('a\n')
    unlinkSync(log)
    await follower.until('said it is gone', () => follower.seen.notices.some((n) => n.includes('is gone')))
    const looks = follower.seen.caughtUp.length
    await follower.until('looked more', () => follower.seen.caughtUp.length > looks + 3)
    assert.equal(follower.seen.notices.filter((n) => n.includes('is gone')).length, 1)
    writeFileSync(log, 'b\n')
    await follower.handedOn('a\nb\n')
    await follower.stop()
  })
})

/** A node's log as the kubelet serves it, in memory: files by name, and a switch for the node being away. */
class MemoryNode {
  files = new Map<string, Buffer>()
  away = false
  readonly ranges: ByteRange[] = []

  log(name: string): RangedLog {
    const read = (file: string) =>
      async function* (this: void, range: ByteRange): AsyncIterable<Buffer> {
        node.check()
        if (file === name) node.ranges.push(range)
        const bytes = node.files.get(file)
        if (!bytes) throw new Error(`${file}: not found through the kubelet /logs/ handler`)
        yield bytes.subarray(range.start, range.end)
      }
    const node = this
    return {
      name: `node/cp-1:/var/log/audit/${name}`,
      node: 'cp-1',
      hostPath: `/var/log/audit/${name}`,
      size: async () => {
        node.check()
        return node.files.get(name)?.length ?? 0
      },
      read: read(name),
      list: async () => {
        node.check()
        return [...node.files.keys()]
      },
      sibling: (file) => ({read: read(file)}),
    }
  }

  append(name: string, text: string): void {
    this.files.set(name, Buffer.concat([this.files.get(name) ?? Buffer.alloc(0), Buffer.from(text)]))
  }

  private check(): void {
    if (this.away) throw new Error('the kubelet on node cp-1 sent no answer within 30s')
  }
}

describe('following a node log read by ranges', () => {
  it('reads on from its offset, checking the bytes before it, through rotations to a plain file and to a .gz', async () => {
    const node = new MemoryNode()
    node.files.set('audit-2026-12-07T09-00-00.000.log.gz', gzipSync('older\n'))
    node.append('audit.log', 'read before\n')
    const follower = run((options) => followRangedLog(node.log('audit.log'), 'read before\n'.length, options))
    await follower.handedOn('')
    node.append('audit.log', 'one\n')
    await follower.handedOn('one\n')
    // Read from a byte before the offset (the line break read there) to the size.
    assert.deepEqual(node.ranges.at(-1), {start: 'read before\n'.length - 1, end: 'read before\none\n'.length})

    node.append('audit.log', 'two\n')
    node.files.set('audit-2026-12-07T10-00-00.000.log', node.files.get('audit.log')!)
    node.files.set('audit.log', Buffer.from('three\n'))
    await follower.handedOn('one\ntwo\nthree\n')
    assert.ok(
      follower.seen.notices.includes(
        'node/cp-1:/var/log/audit/audit.log was rotated to audit-2026-12-07T10-00-00.000.log: following the new file from its start',
      ),
    )

    // Rotated and already compressed by the time it is looked at: inflated, and read from the offset.
    node.append('audit.log', 'four\n')
    await follower.handedOn('one\ntwo\nthree\nfour\n')
    const old = Buffer.concat([node.files.get('audit.log')!, Buffer.from('five\n')])
    node.files.set('audit-2026-12-07T11-00-00.000.log.gz', gzipSync(old))
    node.files.set('audit.log', Buffer.from('six\n'))
    await follower.handedOn('one\ntwo\nthree\nfour\nfive\nsix\n')
    await follower.stop()
  })

  it('reads a truncated log again from its start, also when it grew past the offset again', async () => {
    const node = new MemoryNode()
    node.append('audit.log', '{"t":"2026-12-07T10:00:00.000001Z"}\n')
    const follower = run((options) => followRangedLog(node.log('audit.log'), 0, options))
    await follower.handedOn('{"t":"2026-12-07T10:00:00.000001Z"}\n')
    node.files.set('audit.log', Buffer.from('{"t":"2026-12-07T10:00:00.000002Z"}\n{"t":"x"}\n'))
    await follower.handedOn('{"t":"2026-12-07T10:00:00.000001Z"}\n{"t":"2026-12-07T10:00:00.000002Z"}\n{"t":"x"}\n')
    assert.ok(
      follower.seen.notices.includes(
        'node/cp-1:/var/log/audit/audit.log was truncated: reading it again from its start',
      ),
    )
    await follower.stop()
  })

  it('says once that a node does not answer, is left out of the watermark meanwhile, and reads on from the same offset once it is back', async () => {
    const node = new MemoryNode()
    node.append('audit.log', 'a\n')
    const follower = run((options) => followRangedLog(node.log('audit.log'), 0, options))
    await follower.handedOn('a\n')
    node.away = true
    await follower.until('said the node is away', () => follower.seen.reachable.includes(false))
    node.append('audit.log', 'b\n')
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.deepEqual(follower.seen.notices, [
      'node/cp-1:/var/log/audit/audit.log: cannot be read now (the kubelet on node cp-1 sent no answer within 30s); trying again every 0.02s',
    ])
    node.away = false
    await follower.handedOn('a\nb\n')
    assert.deepEqual(follower.seen.reachable, [false, true])
    assert.equal(follower.seen.notices.at(-1), 'node/cp-1:/var/log/audit/audit.log: following again')
    await follower.stop()
  })
})

describe('where following starts', () => {
  it('is the end of the last whole line: a line being written is read while following', async () => {
    const source = new MemorySource('audit.log', Buffer.from('one\ntwo\nthr'))
    const snapshot = await snapshotToLastLine(source)
    assert.equal(snapshot?.end, 'one\ntwo\n'.length)
    assert.equal(await snapshot!.source.size(), 8)
    const parts: Buffer[] = []
    for await (const chunk of snapshot!.source.read({start: 4})) parts.push(chunk)
    assert.equal(Buffer.concat(parts).toString(), 'two\n')
  })

  it('is nothing for a source that cannot tell its size', async () => {
    assert.equal(await snapshotToLastLine(new MemorySource('-', Buffer.from('a\n'), {seekable: false})), null)
  })
})
