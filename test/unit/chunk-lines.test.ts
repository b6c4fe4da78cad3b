// A file cut into chunks for two threads: together the chunks hand on every line once, whatever
// the chunk size, the read buffers and the lines (longer than a chunk, blank, no final newline);
// and the shared counters hand out each chunk once, in order, within the window.
import assert from 'node:assert/strict'

import {dropFirstLine} from '../../src/sources/byte-streams.js'
import {ChunkClaims} from '../../src/reading/chunk-claims.js'
import {chunkCount, type ChunkGrid, chunkLines} from '../../src/reading/chunk-lines.js'
import {MemorySource} from '../support/memory-source.js'

async function collect(bytes: AsyncIterable<Buffer>): Promise<Buffer> {
  const pieces: Buffer[] = []
  for await (const piece of bytes) pieces.push(Buffer.from(piece))
  return Buffer.concat(pieces)
}

/** What the chunks hand on, one after another; a read from the middle drops its partial first line. */
async function allChunks(source: MemorySource, grid: ChunkGrid): Promise<{text: string; perChunk: string[]}> {
  const perChunk: string[] = []
  for (let i = 0; i < chunkCount(grid); i++) {
    const lines = chunkLines(source, grid, i, {reuseBuffers: true})
    perChunk.push((await collect(i === 0 && grid.from > 0 ? dropFirstLine(lines) : lines)).toString())
  }
  return {text: perChunk.join(''), perChunk}
}

const lines = [
  '{"a":1}',
  '',
  'x'.repeat(50),
  '{"b":"' + 'y'.repeat(300) + '"}',
  'z',
  '',
  '',
  '{"c":3}\r',
  'w'.repeat(9),
]
const cases: Array<[string, string]> = [
  ['lines of all lengths, newline at the end', lines.join('\n') + '\n'],
  ['no newline at the end', lines.join('\n')],
  ['one line longer than every chunk', 'a\n' + 'b'.repeat(2000) + '\nc\n'],
  ['no newline at all', 'q'.repeat(700)],
  ['only newlines', '\n'.repeat(40)],
]

describe('chunkLines', () => {
  for (const [title, text] of cases) {
    it(`${title}: every line once, whatever the chunk size and read buffers`, async () => {
      const bytes = Buffer.from(text)
      for (const chunkBytes of [1, 2, 7, 64, 301, 5000]) {
        for (const readBytes of [1, 7, 64 * 1024]) {
          const source = new MemorySource('/logs/audit.log', bytes, {chunkBytes: readBytes})
          const whole = await allChunks(source, {from: 0, size: bytes.length, chunkBytes})
          assert.equal(whole.text, text, `chunks of ${chunkBytes}, reads of ${readBytes}`)
          // From the middle: what a read from there hands on after its partial first line.
          for (const from of [1, 9, Math.floor(bytes.length / 2)]) {
            if (from >= bytes.length) continue
            const want = (await collect(dropFirstLine(source.read({start: from})))).toString()
            const mid = await allChunks(source, {from, size: bytes.length, chunkBytes})
            assert.equal(mid.text, want, `from ${from}, chunks of ${chunkBytes}, reads of ${readBytes}`)
          }
        }
      }
    })
  }

  it('hands on whole lines only, but for the unterminated end of the input', async () => {
    const bytes = Buffer.from(lines.join('\n') + '\nend-without-newline')
    const {perChunk} = await allChunks(new MemorySource('/logs/audit.log', bytes, {chunkBytes: 16}), {
      from: 0,
      size: bytes.length,
      chunkBytes: 13,
    })
    const filled = perChunk.filter((piece) => piece !== '')
    for (const piece of filled.slice(0, -1)) assert.ok(piece.endsWith('\n'), JSON.stringify(piece))
    assert.ok(filled.at(-1)!.endsWith('\nend-without-newline') || filled.at(-1) === 'end-without-newline')
  })

  it('reads a chunk from its start, in the buffers a whole read uses', async () => {
    const bytes = Buffer.from(lines.join('\n').repeat(20))
    const source = new MemorySource('/logs/audit.log', bytes)
    const grid = {from: 0, size: bytes.length, chunkBytes: 1000}
    await collect(chunkLines(source, grid, 2, {}))
    assert.equal(source.reads[0]?.start, 2000)
  })
})

describe('ChunkClaims', () => {
  it('hands out each chunk once, in order, and none past the stop', () => {
    const claims = ChunkClaims.create(5, 1, 10)
    const other = new ChunkClaims(claims.buffer, 10)
    assert.deepEqual(
      [claims.take(), other.take(), claims.take(), other.take(), claims.take(), other.take()],
      [1, 2, 3, 4, null, null],
    )
    assert.equal(claims.handedOut, 5)
  })

  it('keeps takers within the window of what was handed on', () => {
    const claims = ChunkClaims.create(100, 1, 3)
    assert.equal(claims.take(), 1)
    assert.equal(claims.tooFarAhead(3), false)
    assert.equal(claims.tooFarAhead(4), true)
    claims.merged(2)
    assert.equal(claims.tooFarAhead(4), false)
    assert.equal(claims.takeWhenDue(), 2)
  })

  it('keeps the worker to the chunk in turn while more of its events wait than the bound', () => {
    const claims = ChunkClaims.create(100, 1, 10, 100)
    const worker = new ChunkClaims(claims.buffer, 10, 100)
    assert.deepEqual([worker.due(1), worker.due(2), worker.due(10), worker.due(11)], [true, true, true, false])
    worker.posted(150)
    assert.deepEqual([worker.due(1), worker.due(2)], [true, false])
    claims.handed(50)
    assert.deepEqual([worker.due(1), worker.due(2)], [true, true])
    worker.posted(1)
    claims.merged(3)
    assert.deepEqual([worker.due(2), worker.due(3), worker.due(4)], [false, true, false])
  })

  it('stops: the stop only comes down, and a waiting taker gives up', () => {
    const claims = ChunkClaims.create(100, 1, 2)
    claims.stopAt(10)
    claims.stopAt(50)
    assert.equal(claims.stop, 10)
    for (let i = 1; i < 10; i++) claims.take()
    assert.equal(claims.take(), null)
    const waiting = ChunkClaims.create(100, 1, 2)
    waiting.take()
    waiting.take()
    // Chunk 3 is two ahead of the one chunk handed on: a worker would sleep; once stopped, it gives up.
    waiting.stopAt(3)
    assert.equal(waiting.takeWhenDue(), null)
  })
})
