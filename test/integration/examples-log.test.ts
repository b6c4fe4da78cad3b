// `policies -o json` on the example logs agrees with an independent count: examples/policy-changes.jq
// applies the rules of ARCHITECTURE.md with jq alone, sharing no code with the tool.

import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {stat} from 'node:fs/promises'
import {promisify} from 'node:util'

import type {PolicyChangeReport} from '../../src/commands/policies.js'

const run = promisify(execFile)
const MAX_BUFFER = 64 * 1024 * 1024

interface OracleChange {
  time: string
  auditID: string
  user: string
  impersonatedUser: string | null
  verb: string
  apiGroup: string
  resource: string
  namespace: string | null
  name: string | null
  code: number | null
  outcome: string
}

interface OracleReport {
  events: number
  summary: {user: string; verb: string; succeeded: number; failed: number; unknown: number}[]
  changes: OracleChange[]
}

async function countWithJq(log: string, window: {since?: string; until?: string}): Promise<OracleReport> {
  const args = [
    '-n',
    ...Object.entries(window).flatMap(([k, v]) => ['--arg', k, v]),
    '-f',
    'examples/policy-changes.jq',
    log,
  ]
  const {stdout} = await run('jq', args, {maxBuffer: MAX_BUFFER})
  return JSON.parse(stdout) as OracleReport
}

async function report(log: string, args: string[]): Promise<PolicyChangeReport> {
  const {stdout} = await run(process.execPath, ['bin/run.js', 'policies', '-f', log, ...args, '-o', 'json'], {
    maxBuffer: MAX_BUFFER,
  })
  return JSON.parse(stdout) as PolicyChangeReport
}

const cases: {title: string; log: string; args: string[]; window: {since?: string; until?: string}}[] = [
  {title: 'the example log, all of it', log: 'examples/audit.log', args: ['--since', 'all'], window: {}},
  {
    title: 'the example log, 08:00 to 09:20',
    log: 'examples/audit.log',
    args: ['--since-time', '2026-11-24T08:00:00Z', '--until-time', '2026-11-24T09:20:00Z'],
    window: {since: '2026-11-24T08:00:00Z', until: '2026-11-24T09:20:00Z'},
  },
  {title: 'the tiny log', log: 'examples/tiny.log', args: ['--since', 'all'], window: {}},
]

describe('policies on the example logs agrees with jq', () => {
  for (const c of cases) {
    describe(c.title, () => {
      let ours: PolicyChangeReport
      let expected: OracleReport
      before(async () => {
        ;[ours, expected] = await Promise.all([report(c.log, c.args), countWithJq(c.log, c.window)])
      })

      it('reports the window it was asked for', () => {
        const asTime = (t: string | null): number | null => (t === null ? null : Date.parse(t))
        assert.deepEqual(
          {since: asTime(ours.window.since), until: asTime(ours.window.until)},
          {
            since: c.window.since ? Date.parse(c.window.since) : null,
            until: c.window.until ? Date.parse(c.window.until) : null,
          },
        )
      })

      it('has the same summary, in the same order', () => {
        assert.ok(expected.summary.length > 0, 'the oracle found no change: the jq filter is broken')
        assert.deepEqual(ours.summary, expected.summary)
      })

      it('has the same changes, in the same order', () => {
        const project = (x: Omit<OracleChange, 'name'>) => ({
          time: x.time,
          auditID: x.auditID,
          user: x.user,
          impersonatedUser: x.impersonatedUser,
          verb: x.verb,
          apiGroup: x.apiGroup,
          resource: x.resource,
          namespace: x.namespace,
          code: x.code,
          outcome: x.outcome,
        })
        assert.deepEqual(ours.changes.map(project), expected.changes.map(project))
      })

      it('names each object the request named', () => {
        // An aggregated create carries no name (the oracle has null); the tool may fill it in.
        const oursByID = new Map(ours.changes.map((x) => [x.auditID, x.name]))
        const named = expected.changes.filter((x) => x.name !== null)
        assert.ok(named.length > 0)
        for (const x of named)
          assert.equal(oursByID.get(x.auditID), x.name, `name of ${x.verb} ${x.resource} ${x.auditID}`)
      })

      it('marks every change as a real one from this source', () => {
        for (const change of ours.changes) {
          assert.equal(change.dryRun, false)
          assert.equal(change.source, c.log)
        }
      })
    })
  }

  it('reads every byte and every event of the full log, none malformed', async () => {
    const [ours, expected, size] = await Promise.all([
      report('examples/audit.log', ['--since', 'all']),
      countWithJq('examples/audit.log', {}),
      stat('examples/audit.log'),
    ])
    assert.deepEqual(ours.sources, [
      {name: 'examples/audit.log', bytesRead: size.size, events: expected.events, malformed: 0, complete: true},
    ])
  })
})
