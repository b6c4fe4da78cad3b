// --since/--until on a seekable file bisect on byte offsets and stop early; the answer must be
// exactly what a full, sequential read (stdin, which cannot seek) gives, also when the file is
// not in time order (then it is read whole, with a warning).

import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {runCli} from '../support/cli.js'
import {auditLine} from '../support/events.js'
import {withoutSource} from '../support/reports.js'

const BASE = Date.parse('2026-11-24T00:00:00Z')
const LINES = 100_000 // one per second: about 28 hours, ~75 MB: big enough to be split across two threads

const GARBAGE_AT = 80_000

/**
 * Noise with a policy write every 97 lines; every 13th line is a RequestReceived written up to
 * 90 s late; optionally one garbage line, to check line numbers across the split.
 */
function makeLines(
  count: number,
  options: {garbageAt?: number; idPrefix?: string; startSecond?: number} = {},
): string[] {
  const {garbageAt, idPrefix = '', startSecond = 0} = options
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    if (i === garbageAt) out.push('\u0000garbage')
    const late = i % 13 === 0 ? ((i * 31) % 90) * 1000 : 0
    const time = new Date(BASE + (startSecond + i) * 1000 - late).toISOString().replace('Z', '123Z')
    if (i % 97 === 0) {
      out.push(
        auditLine({
          verb: 'patch',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'ns',
          name: `p${i}`,
          time,
          auditID: `${idPrefix}id-${i}`,
          stage: late > 0 ? 'RequestReceived' : 'ResponseComplete',
        }),
      )
    } else {
      out.push(
        auditLine({
          verb: 'update',
          resource: 'leases',
          namespace: 'kube-node-lease',
          name: `node-${i % 50}`,
          time,
          auditID: `${idPrefix}n-${i}`,
          userAgent: `kubelet/v1.31.0 (linux/amd64) kubernetes/${'f'.repeat(500)}`,
        }),
      )
    }
  }
  return out
}

function makeLog(): string {
  return makeLines(LINES, {garbageAt: GARBAGE_AT}).join('\n')
}

const at = (second: number) => new Date(BASE + second * 1000).toISOString()

/** Reads the file as a seekable source and as stdin (a full, sequential read). */
async function both(
  file: string,
  args: string[],
): Promise<{seek: PolicyChangeReport; full: PolicyChangeReport; seekErr: string; fullErr: string}> {
  const seek = await runCli(['policies', '-f', file, ...args, '-o', 'json'])
  const full = await runCli(['policies', '-f', '-', ...args, '-o', 'json'], {stdin: readFileSync(file)})
  assert.equal(seek.code, 0, seek.stderr)
  assert.equal(full.code, 0, full.stderr)
  return {seek: JSON.parse(seek.stdout), full: JSON.parse(full.stdout), seekErr: seek.stderr, fullErr: full.stderr}
}

describe('time windows on a 28-hour file', function () {
  this.timeout(120_000)
  let dir: string
  let file: string
  let log: string

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-window-'))
    file = join(dir, 'audit.log')
    log = makeLog()
    writeFileSync(file, log) // no newline at the end
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('a full read of the whole file on two threads: same counts, changes and malformed line number', async () => {
    const {seek, full, seekErr, fullErr} = await both(file, ['--since', 'all'])
    assert.deepEqual({...seek.sources[0], name: '-'}, full.sources[0])
    assert.equal(seek.sources[0].malformed, 1)
    assert.equal(seek.changes.length, Math.ceil(LINES / 97))
    assert.deepEqual(
      seek.changes.map((c) => c.auditID),
      full.changes.map((c) => c.auditID),
    )
    assert.match(fullErr, new RegExp(`first at line ${GARBAGE_AT + 1}\\)`))
    assert.equal(seekErr.replace(file, '-'), fullErr)
  })

  const cases: Array<[string, string[], (r: PolicyChangeReport) => void]> = [
    [
      'the last hour',
      ['--since-time', at(LINES - 3600)],
      (r) => assert.ok(r.sources[0].bytesRead < log.length * 0.1, `read ${r.sources[0].bytesRead} of ${log.length}`),
    ],
    [
      'an hour in the middle',
      ['--since-time', at(30_000), '--until-time', at(33_600)],
      (r) => assert.ok(r.sources[0].bytesRead < log.length * 0.15, `read ${r.sources[0].bytesRead}`),
    ],
    [
      'a window before the log',
      ['--since-time', at(-7200), '--until-time', at(-3600)],
      (r) => assert.equal(r.changes.length, 0),
    ],
    ['a window after the log', ['--since-time', at(LINES + 3600)], (r) => assert.equal(r.changes.length, 0)],
    [
      'a window spanning the whole log',
      ['--since-time', at(-10), '--until-time', at(LINES + 10)],
      (r) => assert.equal(r.changes.length, Math.ceil(LINES / 97)),
    ],
    ['a cut right at late-written lines', ['--since-time', at(97 * 13 * 20 - 45)], () => {}],
  ]
  for (const [title, args, check] of cases) {
    it(`${title}: same changes as a full read`, async () => {
      const {seek, full, seekErr} = await both(file, args)
      assert.deepEqual(withoutSource(seek), withoutSource(full))
      assert.deepEqual(seek.summary, full.summary)
      assert.doesNotMatch(seekErr, /not in time order/)
      check(seek)
    })
  }
})

/** `lines` with `block` inserted at the line boundary nearest to `fraction` of the bytes. */
function insertAt(lines: readonly string[], fraction: number, block: readonly string[]): string[] {
  const total = lines.reduce((n, line) => n + line.length + 1, 0)
  let bytes = 0
  let i = 0
  while (i < lines.length && bytes < total * fraction) bytes += lines[i++].length + 1
  return [...lines.slice(0, i), ...block, ...lines.slice(i)]
}

describe('time windows on files not in time order', function () {
  this.timeout(120_000)
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-order-'))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  const warning = (stderr: string) => stderr.split('\n').filter((line) => line.includes('not in time order'))

  describe('two logs of the same hours, one after the other (the probes see it)', () => {
    let file: string
    before(() => {
      // Two 3-hour logs, ~11 MB together: big enough to be bisected.
      file = join(dir, 'concatenated.log')
      writeFileSync(
        file,
        [...makeLines(7000, {idPrefix: 'a-'}), ...makeLines(7000, {idPrefix: 'b-'})].join('\n') + '\n',
      )
    })
    const cases: Array<[string, string[]]> = [
      ['--since-time', ['--since-time', at(3600)]],
      ['--until-time', ['--since', 'all', '--until-time', at(3600)]],
      ['--since-time and --until-time', ['--since-time', at(1800), '--until-time', at(3600)]],
    ]
    for (const [title, args] of cases) {
      it(`${title}: read whole, same changes as a full read, one warning naming the file`, async () => {
        const {seek, full, seekErr} = await both(file, args)
        assert.deepEqual(withoutSource(seek), withoutSource(full))
        assert.ok(
          seek.changes.some((c) => c.auditID.startsWith('a-')) && seek.changes.some((c) => c.auditID.startsWith('b-')),
        )
        assert.deepEqual({...seek.sources[0], name: '-'}, full.sources[0])
        assert.deepEqual(warning(seekErr), [
          `warning: ${file}: lines are not in time order (logs concatenated or merged?): read whole instead of seeking to the time window`,
        ])
      })
    }
  })

  describe('small blocks out of order between the probes (the scan sees it)', () => {
    // Writes from hour 27 stored near the start, before where bisection to hour 1 cuts: only a
    // later block of hour-0 noise, met while reading, shows the log cannot be trusted.
    const lines = makeLines(LINES)
    const future = makeLines(30, {idPrefix: 'future-', startSecond: 27 * 3600})
    const past = makeLines(30, {idPrefix: 'past-'})
    const probeGap = (k: number) => (k + 0.5) / 32
    const cases: Array<[string, number]> = [
      ['in the part read on the main thread', probeGap(10)],
      ['in the part read on the worker thread', probeGap(29)],
    ]
    for (const [title, pastAt] of cases) {
      it(`${title}: read whole, same changes as a full read`, async () => {
        const file = join(dir, `blocks-${pastAt}.log`)
        writeFileSync(file, insertAt(insertAt(lines, pastAt, past), probeGap(0), future).join('\n') + '\n')
        const {seek, full, seekErr} = await both(file, ['--since-time', at(3600)])
        assert.ok(
          seek.changes.some((c) => c.auditID.startsWith('future-')),
          'the early block of later writes is found',
        )
        assert.deepEqual(withoutSource(seek), withoutSource(full))
        assert.equal(warning(seekErr).length, 1)
      })
    }
  })
})
