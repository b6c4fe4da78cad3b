// Sorting past memory: runs written to a temporary folder and merged back, in order, as often as
// asked; nothing on disk below one buffer; the folder removed afterwards; a failed write said once.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {UserError} from '../../src/errors.js'
import {ExternalSort, type SpillCodec} from '../../src/spill/external-sort.js'

interface Item {
  key: number
  text: string
}

const codec: SpillCodec<Item> = {
  encode: (item) => JSON.stringify(item),
  decode: (line) => JSON.parse(line) as Item,
  compare: (a, b) => a.key - b.key || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0),
}

function items(count: number, seed = 1): Item[] {
  let x = seed
  const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31)
  // Long texts (longer than a read block), multi-byte and line-separator characters inside.
  return Array.from({length: count}, (_, i) => ({
    key: next() % 1000,
    text: i % 97 === 0 ? `long ${'é✓\u2028'.repeat(9000)} ${i}` : `item ${i} ✓`,
  }))
}

const sortedCopy = (all: readonly Item[]) => [...all].sort(codec.compare)

describe('external sort', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'external-sort-test-'))
  })
  afterEach(() => {
    rmSync(dir, {recursive: true, force: true})
  })

  it("keeps a buffer's worth in memory, with nothing on disk", () => {
    const sort = new ExternalSort(codec, {bufferItems: 1000, directory: dir})
    const all = items(999)
    for (const item of all) sort.add(item)
    assert.deepEqual([...sort.sorted()], sortedCopy(all))
    assert.equal(sort.spilledRuns, 0)
    assert.deepEqual(readdirSync(dir), [])
  })

  for (const [count, bufferItems] of [
    [1000, 10],
    [5003, 1000],
    [20_000, 7],
  ] as const) {
    it(`merges ${count} items from runs of ${bufferItems}, in order, on every walk`, () => {
      const sort = new ExternalSort(codec, {bufferItems, mergeReadBytes: 1, directory: dir})
      const all = items(count, count)
      for (const item of all) sort.add(item)
      assert.equal(sort.spilledRuns, Math.floor(count / bufferItems))
      assert.ok(sort.spilledBytes > 0)
      assert.deepEqual([...sort.sorted()], sortedCopy(all))
      assert.deepEqual([...sort.sorted()], sortedCopy(all))
      sort.dispose()
      assert.deepEqual(readdirSync(dir), [])
    })
  }

  it('says, as a user error with a hint, that the temporary file could not be written', () => {
    const sort = new ExternalSort(codec, {bufferItems: 10, directory: join(dir, 'gone')})
    for (const item of items(25)) sort.add(item)
    assert.equal(sort.spilledRuns, 0)
    for (let i = 0; i < 2; i++)
      assert.throws(
        () => sort.sorted(),
        (error: unknown) =>
          error instanceof UserError && /temporary file/.test(error.message) && /TMPDIR/.test(error.hint ?? ''),
      )
  })

  it('removes its folder when the process exits, if it was not disposed of', async () => {
    const {spawnSync} = await import('node:child_process')
    const script = `
      import {ExternalSort} from ${JSON.stringify(new URL('../../src/spill/external-sort.ts', import.meta.url).href)}
      const sort = new ExternalSort({encode: String, decode: Number, compare: (a, b) => a - b}, {bufferItems: 2, directory: ${JSON.stringify(dir)}})
      for (let i = 0; i < 10; i++) sort.add(i)
      if (${JSON.stringify(dir)} && !sort.spilledRuns) process.exit(3)
      process.exit(0)`
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    })
    assert.equal(result.status, 0, result.stderr)
    assert.ok(existsSync(dir))
    assert.deepEqual(readdirSync(dir), [])
  })
})
