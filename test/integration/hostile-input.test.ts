// Input that is not what it seems, run through the CLI: compressed or UTF-16 files, binary data,
// endless devices, sources that end early, output that cannot be written. Every case ends with
// one clear line and an exit code a script can act on (2: could not run; 3: ran, but a source
// could not be read to its end), never a stack trace, never a silent "0 events".

import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {type CliResult, runCli} from '../support/cli.js'
import {auditLine} from '../support/events.js'

const EXAMPLE = 'examples/audit.log'

function assertNoStack(result: CliResult): void {
  assert.doesNotMatch(result.stderr, /\n\s+at |Error: |node:internal/, result.stderr)
}

describe('content that is not an audit log', function () {
  this.timeout(120_000)
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-hostile-'))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  const padding = readFileSync(EXAMPLE).subarray(0, 4096)
  const kinds: Array<[string, () => Buffer, RegExp]> = [
    [
      'audit.log.bz2',
      () => Buffer.concat([Buffer.from('BZh91AY&SY'), padding]),
      /it is bzip2-compressed; read it with: bzcat \S+audit\.log\.bz2 \| kubectl audit policies -f -/,
    ],
    [
      'audit.log.xz',
      () => Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), padding]),
      /it is xz-compressed; read it with: xzcat /,
    ],
    [
      'audit.log.zst',
      () => Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), padding]),
      /it is zstd-compressed; read it with: zstdcat /,
    ],
    [
      'utf16-bom.log',
      () =>
        Buffer.concat([
          Buffer.from([0xff, 0xfe]),
          Buffer.from(readFileSync(EXAMPLE, 'utf8').slice(0, 20_000), 'utf16le'),
        ]),
      /it is UTF-16 text; read it with: iconv -f UTF-16 -t UTF-8 /,
    ],
    [
      'utf16-no-bom.log',
      () => Buffer.from(readFileSync(EXAMPLE, 'utf8').slice(0, 20_000), 'utf16le'),
      /it is UTF-16 text; read it with: iconv -f UTF-16LE -t UTF-8 /,
    ],
    [
      'nul.log',
      () => Buffer.alloc(10_000_000),
      /it holds binary data, not text \(100% of its first 64 KiB are control bytes, NUL among them\)/,
    ],
  ]
  for (const [name, bytes, message] of kinds) {
    it(`${name} alone: one line saying how to read it, exit 2`, async () => {
      const file = join(dir, name)
      writeFileSync(file, bytes())
      const result = await runCli(['policies', '-f', file, '--since', 'all'])
      assert.equal(result.code, 2, result.stderr)
      assert.match(result.stderr, message)
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr)
      assert.doesNotMatch(result.stderr, /malformed/)
      assertNoStack(result)
    })
  }

  it('beside a real log: the report, a warning naming it, complete: false in JSON, exit 3', async () => {
    const file = join(dir, 'audit.log.bz2')
    writeFileSync(file, Buffer.concat([Buffer.from('BZh91AY&SY'), padding]))
    const result = await runCli(['policies', '-f', EXAMPLE, '-f', file, '--since', 'all', '-o', 'json'])
    assert.equal(result.code, 3, result.stderr)
    assert.match(result.stderr, /^warning: \S+audit\.log\.bz2: not read: it is bzip2-compressed; read it with: bzcat /m)
    const report = JSON.parse(result.stdout) as PolicyChangeReport
    assert.deepEqual(
      report.sources.map((s) => [s.complete, s.reason?.split(';')[0] ?? null]),
      [
        [true, null],
        [false, 'it is bzip2-compressed'],
      ],
    )
    assert.ok(report.changes.length > 0)
  })

  for (const device of ['/dev/zero', '/dev/urandom']) {
    it(`-f ${device} ends: alone exit 2 with one line, beside a log exit 3`, async function () {
      if (!existsSync(device)) this.skip()
      const alone = await runCli(['policies', '-f', device, '--since', 'all'])
      assert.equal(alone.code, 2)
      assert.match(alone.stderr, new RegExp(`^error: ${device}: it holds binary data, not text`))
      assertNoStack(alone)
      const beside = await runCli(['policies', '-f', EXAMPLE, '-f', device, '--since', 'all'])
      assert.equal(beside.code, 3)
      assert.match(beside.stderr, new RegExp(`warning: ${device}: not read: it holds binary data`))
      assert.match(
        beside.stdout,
        /Policy changes in the whole input.*\nIncomplete: 1 of 2 sources could not be read to the end/,
      )
    })
  }

  it('stdin of NUL bytes ends with one line', async () => {
    const result = await runCli(['policies', '-f', '-', '--since', 'all'], {stdin: Buffer.alloc(1_000_000)})
    assert.equal(result.code, 2)
    assert.match(result.stderr, /^error: -: it holds binary data, not text/)
  })

  it('text with no line break in its first 64 MiB is given up on, not read as one huge line', async () => {
    const file = join(dir, 'one-line.txt')
    writeFileSync(file, Buffer.alloc(65 * 1024 * 1024, 0x61))
    const result = await runCli(['policies', '-f', EXAMPLE, '-f', file, '--since', 'all', '-o', 'json'])
    assert.equal(result.code, 3, result.stderr)
    assert.match(result.stderr, /one-line\.txt: not read: no line break in its first 64 MiB/)
  })
})

describe('sources read only in part', function () {
  this.timeout(60_000)
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-partial-'))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('a truncated .gz alone: what it holds is reported, the source is incomplete, exit 3', async () => {
    const file = join(dir, 'audit.log.gz')
    const full = gzipSync(readFileSync(EXAMPLE))
    writeFileSync(file, full.subarray(0, Math.floor(full.length / 2)))
    const json = await runCli(['policies', '-f', file, '--since', 'all', '-o', 'json'])
    assert.equal(json.code, 3, json.stderr)
    const report = JSON.parse(json.stdout) as PolicyChangeReport
    assert.equal(report.sources[0].complete, false)
    assert.match(report.sources[0].reason!, /truncated \.gz/)
    assert.ok(report.sources[0].events > 0)
    const yaml = await runCli(['policies', '-f', file, '--since', 'all', '-o', 'yaml'])
    assert.equal(yaml.code, 3)
    assert.match(yaml.stdout, /complete: false\n\s+reason: gzip stream ends early/)
    const table = await runCli(['policies', '-f', file, '--since', 'all'])
    assert.equal(table.code, 3)
    assert.equal(
      table.stdout.split('\n')[1],
      'Incomplete: the source could not be read to the end (see the warnings): changes may be missing.',
    )
    assert.match(
      table.stderr,
      /audit\.log\.gz: gzip stream ends early \(truncated \.gz\), after [\d.]+ KiB read; the rest of this source is missing/,
    )
  })

  it('a log read to its end is complete: true, exit 0', async () => {
    const result = await runCli(['policies', '-f', EXAMPLE, '--since', 'all', '-o', 'json'])
    assert.equal(result.code, 0)
    assert.deepEqual(
      (JSON.parse(result.stdout) as PolicyChangeReport).sources.map((s) => [s.complete, 'reason' in s]),
      [[true, false]],
    )
  })
})

describe('odd values and names', function () {
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-odd-'))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('a missing path with [ in it says "no such file", not "no file matches"', async () => {
    const result = await runCli(['policies', '-f', join(dir, 'audit[1].log'), '--since', 'all'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /^error: cannot read \S+audit\[1\]\.log: no such file or directory\n/)
    const glob = await runCli(['policies', '-f', join(dir, 'audit-*.log'), '--since', 'all'])
    assert.match(glob.stderr, /^error: no file matches /)
  })

  it('a response code that is not an HTTP status (1e999, 4.5, "403", 999) is no code, and the outcome unknown', async () => {
    const file = join(dir, 'codes.log')
    const lines = ['1e999', '4.5', '"403"', '999', '201'].map((code, i) =>
      auditLine({
        verb: 'create',
        apiGroup: 'networking.k8s.io',
        resource: 'networkpolicies',
        namespace: 'a',
        name: `p${i}`,
        code: 201,
      }).replace('"code":201', `"code":${code}`),
    )
    writeFileSync(file, lines.join('\n') + '\n')
    const json = await runCli(['policies', '-f', file, '--since', 'all', '-o', 'json'])
    assert.equal(json.code, 0, json.stderr)
    const report = JSON.parse(json.stdout) as PolicyChangeReport
    assert.deepEqual(
      report.changes.map((c) => [c.name, c.code, c.outcome]),
      [
        ['p0', null, 'unknown'],
        ['p1', null, 'unknown'],
        ['p2', null, 'unknown'],
        ['p3', null, 'unknown'],
        ['p4', 201, 'succeeded'],
      ],
    )
    const table = await runCli(['policies', '-f', file, '--since', 'all', '-o', 'wide'])
    assert.doesNotMatch(table.stdout, /Infinity|NaN/)
  })
})

describe('output that cannot be written', () => {
  for (const output of ['table', 'json', 'yaml']) {
    it(`-o ${output} > /dev/full: one line, exit 2`, async function () {
      if (!existsSync('/dev/full')) this.skip()
      let code = 0
      let stderr = ''
      try {
        execFileSync(
          'sh',
          ['-c', `"${process.execPath}" bin/run.js policies -f ${EXAMPLE} --since all -o ${output} > /dev/full`],
          {encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe']},
        )
      } catch (error) {
        code = (error as {status: number}).status
        stderr = (error as {stderr: string}).stderr
      }
      assert.equal(code, 2)
      assert.equal(stderr, 'error: cannot write the output: ENOSPC (no space left on device)\n')
    })
  }
})
