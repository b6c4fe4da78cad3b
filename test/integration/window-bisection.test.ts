// --since/--until on a seekable file bisect on byte offsets and stop early; the answer must be
// exactly what a full, sequential read (stdin, which cannot seek) gives.

import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {runCli} from '../support/cli.js'
import {auditLine} from '../support/events.js'

const BASE = Date.parse('2026-11-24T00:00:00Z')
const LINES = 100_000 // one per second: about 28 hours, ~75 MB: big enough to be split across two threads

const GARBAGE_AT = 80_000

/**
 * Noise with a policy write every 97 lines; every 13th line is a RequestReceived written up to
 * 90 s late; one garbage line in the second half, to check line numbers across the split.
 */
function makeLog(): string {
  const out: string[] = []
  for (let i = 0; i < LINES; i++) {
    if (i === GARBAGE_AT) out.push('\u0000garbage')
    const late = i % 13 === 0 ? ((i * 31) % 90) * 1000 : 0
    const time = new Date(BASE + i * 1000 - late).toISOString().replace('Z', '123Z')
    if (i % 97 === 0) {
      out.push(auditLine({verb: 'patch', apiGroup: 'networking.k8s.io', resource: 'networkpolicies', namespace: 'ns', name: `p${i}`, time, auditID: `id-${i}`, stage: late > 0 ? 'RequestReceived' : 'ResponseComplete'}))
    } else {
      out.push(auditLine({verb: 'update', resource: 'leases', namespace: 'kube-node-lease', name: `node-${i % 50}`, time, auditID: `n-${i}`, userAgent: `kubelet/v1.31.0 (linux/amd64) kubernetes/${'f'.repeat(500)}`}))
    }
  }
  return out.join('\n')
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

  async function both(args: string[]): Promise<{seek: PolicyChangeReport; full: PolicyChangeReport; seekErr: string; fullErr: string}> {
    const seek = await runCli(['policies', '-f', file, ...args, '-o', 'json'])
    const full = await runCli(['policies', '-f', '-', ...args, '-o', 'json'], {stdin: readFileSync(file)})
    assert.equal(seek.code, 0, seek.stderr)
    assert.equal(full.code, 0, full.stderr)
    return {seek: JSON.parse(seek.stdout), full: JSON.parse(full.stdout), seekErr: seek.stderr, fullErr: full.stderr}
  }

  it('a full read of the whole file on two threads: same counts, changes and malformed line number', async () => {
    const {seek, full, seekErr, fullErr} = await both(['--since', 'all'])
    assert.deepEqual({...seek.sources[0], name: '-'}, full.sources[0])
    assert.equal(seek.sources[0].malformed, 1)
    assert.equal(seek.changes.length, Math.ceil(LINES / 97))
    assert.deepEqual(seek.changes.map((c) => c.auditID), full.changes.map((c) => c.auditID))
    assert.match(fullErr, new RegExp(`first at line ${GARBAGE_AT + 1}\\)`))
    assert.equal(seekErr.replace(file, '-'), fullErr)
  })

  const at = (second: number) => new Date(BASE + second * 1000).toISOString()
  const cases: Array<[string, string[], (r: PolicyChangeReport) => void]> = [
    ['the last hour', ['--since-time', at(LINES - 3600)], (r) => assert.ok(r.sources[0].bytesRead < log.length * 0.1, `read ${r.sources[0].bytesRead} of ${log.length}`)],
    ['an hour in the middle', ['--since-time', at(30_000), '--until-time', at(33_600)], (r) => assert.ok(r.sources[0].bytesRead < log.length * 0.15, `read ${r.sources[0].bytesRead}`)],
    ['a window before the log', ['--since-time', at(-7200), '--until-time', at(-3600)], (r) => assert.equal(r.changes.length, 0)],
    ['a window after the log', ['--since-time', at(LINES + 3600)], (r) => assert.equal(r.changes.length, 0)],
    ['a window spanning the whole log', ['--since-time', at(-10), '--until-time', at(LINES + 10)], (r) => assert.equal(r.changes.length, Math.ceil(LINES / 97))],
    ['a cut right at late-written lines', ['--since-time', at(97 * 13 * 20 - 45)], () => {}],
  ]
  for (const [title, args, check] of cases) {
    it(`${title}: same changes as a full read`, async () => {
      const {seek, full} = await both(args)
      const withoutSource = (r: PolicyChangeReport) => r.changes.map(({source: _source, ...c}) => c)
      assert.deepEqual(withoutSource(seek), withoutSource(full))
      assert.deepEqual(seek.summary, full.summary)
      check(seek)
    })
  }
})
