// Our tar.gz and zip writers, read back by the system's tar and unzip: same names, bytes and modes,
// and the same archive bytes every time for the same input.
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {ArchiveEntry} from '../../scripts/dist/archive-entry.js'
import {DEFAULT_ARCHIVE_MTIME, archiveMtime} from '../../scripts/dist/archive-mtime.js'
import {tarGzip} from '../../scripts/dist/tar.js'
import {zip} from '../../scripts/dist/zip.js'
import {runProgram} from './support.js'

const ENTRIES: ArchiveEntry[] = [
  {name: 'kubectl-audit', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755},
  {name: 'LICENSE', data: Buffer.from('Apache License\n'.repeat(100)), mode: 0o644},
  {name: 'empty', data: Buffer.alloc(0), mode: 0o644},
  // Binary, and a size that is not a multiple of tar's 512-byte block.
  {name: 'random.bin', data: Buffer.from(Array.from({length: 512 * 3 + 7}, (_, i) => (i * 7919) % 251)), mode: 0o600},
]
const MTIME = 1_795_600_000

// DOS times in a zip carry no zone: we write UTC, and unzip reads them in its TZ.
const WRITERS = [
  {format: 'tar.gz', write: tarGzip, extract: (archive: string, into: string) => runProgram('tar', ['-xzf', archive, '-C', into])},
  {format: 'zip', write: zip, extract: (archive: string, into: string) => runProgram('unzip', ['-q', archive, '-d', into], {env: {TZ: 'UTC'}})},
]

describe('archive writers', () => {
  let dir: string
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-archive-'))))
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  for (const {format, write, extract} of WRITERS) {
    it(`writes a ${format} that the system tool extracts to the same files and modes`, async () => {
      const archive = join(dir, `test.${format}`)
      writeFileSync(archive, write(ENTRIES, MTIME))
      const into = join(dir, 'out')
      mkdirSync(into)
      const result = await extract(archive, into)
      assert.equal(result.code, 0, result.stderr)
      for (const entry of ENTRIES) {
        const file = join(into, entry.name)
        assert.deepEqual(readFileSync(file), entry.data, entry.name)
        assert.equal(statSync(file).mode & 0o777, entry.mode, entry.name)
        assert.equal(Math.abs(statSync(file).mtimeMs / 1000 - MTIME) <= 2, true, `${entry.name} mtime`) // DOS time: 2 s steps
      }
    })

    it(`writes the same ${format} bytes for the same entries in any order`, () => {
      assert.deepEqual(write([...ENTRIES].reverse(), MTIME), write(ENTRIES, MTIME))
    })
  }

  it('writes a tar.gz folder entry before the files of each folder, which tar extracts with their modes', async () => {
    const nested: ArchiveEntry[] = [
      ...ENTRIES,
      {name: 'lib/package.json', data: Buffer.from('{}\n'), mode: 0o644},
      {name: 'lib/dist/start.js', data: Buffer.from('export {}\n'), mode: 0o644},
    ]
    const archive = join(dir, 'nested.tar.gz')
    writeFileSync(archive, tarGzip(nested, MTIME))
    const listing = await runProgram('tar', ['-tzf', archive])
    assert.equal(listing.code, 0, listing.stderr)
    const names = listing.stdout.split('\n').filter(Boolean)
    assert.deepEqual(names.filter((name) => name.startsWith('lib')), ['lib/', 'lib/dist/', 'lib/dist/start.js', 'lib/package.json'])
    const into = join(dir, 'out')
    mkdirSync(into)
    const result = await runProgram('tar', ['-xzf', archive, '-C', into])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(statSync(join(into, 'lib', 'dist')).mode & 0o777, 0o755)
    assert.deepEqual(readFileSync(join(into, 'lib', 'dist', 'start.js')), nested.at(-1)!.data)
  })

  it('passes unzip\'s own integrity test', async () => {
    const archive = join(dir, 'test.zip')
    writeFileSync(archive, zip(ENTRIES, MTIME))
    const result = await runProgram('unzip', ['-t', archive])
    assert.equal(result.code, 0, result.stdout)
    assert.match(result.stdout, /No errors detected/)
  })

  it('stamps archives with a fixed time, or SOURCE_DATE_EPOCH when set, never the build\'s or a commit\'s', () => {
    assert.equal(new Date(DEFAULT_ARCHIVE_MTIME * 1000).toISOString(), '1980-01-01T00:00:00.000Z')
    assert.equal(archiveMtime({}), DEFAULT_ARCHIVE_MTIME)
    assert.equal(archiveMtime({SOURCE_DATE_EPOCH: ''}), DEFAULT_ARCHIVE_MTIME)
    assert.equal(archiveMtime({SOURCE_DATE_EPOCH: '1795600000'}), 1_795_600_000)
    for (const bad of ['yesterday', '-1', '1.5', '1e9']) assert.throws(() => archiveMtime({SOURCE_DATE_EPOCH: bad}), /SOURCE_DATE_EPOCH must be whole seconds/)
  })
})
