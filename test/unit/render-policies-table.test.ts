// The policies table as a terminal and a pipe get it: long lists drawn in time linear in their rows
// (bounded by mocha's timeout, not timed), columns aligned from the first row to the last, and on a
// terminal every line within its width, colour or not.
import assert from 'node:assert/strict'

import {Chalk} from 'chalk'

import type {PolicyChange} from '../../src/audit/changes.js'
import {buildReport} from '../../src/audit/report.js'
import {renderPoliciesTable, type PoliciesView} from '../../src/render/policies.js'
import {ELLIPSIS} from '../../src/render/shorten.js'
import {textWidth} from '../../src/render/text-width.js'

const ANSI = /\u001b\[[0-9;]*m/g
const USERS = [
  'alice',
  'bob',
  'system:serviceaccount:argocd:argocd-application-controller',
  'system:serviceaccount:kube-system:namespace-controller',
  'system:serviceaccount:flux-system:kustomize-controller',
]

function change(i: number): PolicyChange {
  const time = new Date(Date.parse('2026-11-24T00:00:00Z') + i * 1000).toISOString()
  return {
    time,
    auditID: `id-${i}`,
    user: USERS[i % USERS.length]!,
    impersonatedUser: i % 101 === 0 ? 'carol' : null,
    verb: ['create', 'update', 'patch', 'delete'][i % 4]!,
    apiGroup: 'networking.k8s.io',
    resource: 'networkpolicies',
    kind: 'NetworkPolicy',
    namespace: `team-${i % 37}`,
    name: `allow-ingress-from-monitoring-${i}`,
    tier: 'default',
    code: i % 13 === 0 ? 403 : 200,
    outcome: i % 13 === 0 ? 'failed' : 'succeeded',
    dryRun: false,
    userAgent: 'kubectl/v1.31.2',
    sourceIPs: ['10.0.0.10'],
    source: 'audit.log',
  }
}

function render(changes: PolicyChange[], view: Partial<PoliciesView>): string[] {
  const report = buildReport(
    {sinceMs: null, untilMs: null},
    [{name: 'audit.log', bytesRead: 1, events: changes.length, malformed: 0, error: null}],
    changes,
  )
  const full: PoliciesView = {
    wide: false,
    limit: 0,
    inputSpan: {firstMs: null, lastMs: null, skipped: 0},
    unselected: {count: 0, flags: []},
    chalk: new Chalk({level: 0}),
    ...view,
  }
  let text = ''
  for (const chunk of renderPoliciesTable({...report, recent: report.changes, total: report.changes.length}, full))
    text += chunk
  return text.replace(/\n$/, '').split('\n')
}

/** The change list: its header line and the lines after it. */
function changeLines(lines: readonly string[]): {header: string; rows: string[]} {
  const at = lines.findIndex((l) => l.startsWith('TIME'))
  assert.ok(at > 0, 'the change list has a header')
  return {header: lines[at]!, rows: lines.slice(at + 1)}
}

describe('policies table, long and narrow', () => {
  it('draws 100,000 changes (--limit 0) with every sampled row aligned under its header', function () {
    this.timeout(600_000)
    const changes = Array.from({length: 100_000}, (_, i) => change(i))
    const {header, rows} = changeLines(render(changes, {}))
    assert.equal(rows.length, changes.length)
    const starts = ['TIME', 'USER', 'VERB', 'KIND', 'NAMESPACE', 'NAME', 'TIER', 'RESULT'].map((h) =>
      header.search(new RegExp(`\\b${h}\\b`)),
    )
    for (let i = 0; i < rows.length; i += 997) {
      const c = changes[i]!
      const expected = [
        c.time.replace(/\.\d+Z$/, 'Z'),
        c.impersonatedUser ? `${c.user} as ${c.impersonatedUser}` : c.user,
        c.verb,
        'NetworkPolicy (k8s)',
        c.namespace!,
        c.name!,
        'default',
        c.code === 403 ? '403 Forbidden' : 'ok',
      ]
      expected.forEach((value, col) =>
        assert.equal(rows[i]!.slice(starts[col], starts[col]! + value.length), value, `row ${i}, ${value}: ${rows[i]}`),
      )
    }
  })

  it('writes counts of a thousand and more as 1,200: in the summary and above the list', () => {
    const changes = Array.from({length: 6000}, (_, i) => change(i))
    const lines = render(changes, {limit: 20})
    const alice = changes.filter((c) => c.user === 'alice')
    const failed = alice.filter((c) => c.outcome === 'failed').length
    const cells = lines
      .find((l) => l.startsWith('alice '))!
      .trim()
      .split(/\s+/)
    assert.deepEqual(cells.slice(-2), [String(failed), '1,200'])
    assert.equal(alice.length, 1200)
    assert.ok(lines.includes('Most recent 20 of 6,000 changes (--limit 0 shows all)'), lines.join('\n'))
  })

  for (const width of [80, 110, 200]) {
    it(`fits ${width} columns, coloured, and shortens users the same way everywhere`, () => {
      const changes = Array.from({length: 300}, (_, i) => change(i))
      const lines = render(changes, {width, limit: 20, chalk: new Chalk({level: 1})})
      for (const line of lines)
        assert.ok(
          textWidth(line.replace(ANSI, '')) <= width,
          `${textWidth(line.replace(ANSI, ''))} > ${width}: ${line}`,
        )
      const plain = lines.map((l) => l.replace(ANSI, ''))
      // Each long user is shown one way throughout: in the summary, and in the list (a table or blocks).
      for (const user of USERS.filter((u) => u.length > 40)) {
        const shown = new Set(
          plain.flatMap((l) =>
            l
              .split(/\s{2,}|^user:\s+/)
              .filter(
                (cell) =>
                  cell !== '' &&
                  (cell === user ||
                    (cell.includes(ELLIPSIS) &&
                      user.startsWith(cell.split(ELLIPSIS)[0]!) &&
                      user.endsWith(cell.split(ELLIPSIS)[1]!))),
              ),
          ),
        )
        assert.equal(shown.size, 1, `${user}: ${[...shown].join(' | ')}`)
      }
    })
  }

  it('before blocks, the list in short forms: times of one day without it, kinds by short name, a failure by its code', () => {
    // Twenty changes a second apart on 2026-11-24, every 13th a 403 (change(0) among them).
    const changes = Array.from({length: 20}, (_, i) => change(i))
    const full = render(changes, {width: 200})
    assert.ok(changeLines(full).rows[0]!.startsWith('2026-11-24T00:00:00Z'), 'wide enough: the whole list')
    const lines = render(changes, {width: 110})
    const {header, rows} = changeLines(lines)
    assert.ok(lines.includes('Changes (20), on 2026-11-24 (UTC)'), lines.join('\n'))
    assert.match(header, /^TIME +USER +VERB +KIND +NAMESPACE +NAME +TIER +RESULT$/)
    assert.equal(rows.length, 21, 'a row for each change, and the line that says what the kinds stand for')
    assert.match(rows[0]!, /^00:00:00 +alice as carol +create +knp +team-0 +allow-…monitoring-0 +default +403$/)
    assert.match(rows[1]!, /^00:00:01 +\S+ +update +knp +team-1 +\S+ +default +ok$/)
    assert.equal(rows[20], 'knp\u00a0=\u00a0NetworkPolicy\u00a0(k8s)')
    for (const line of lines) assert.ok(textWidth(line) <= 110, line)
    // Changes on two days keep their whole times, and the title names no day.
    const twoDays = render([...changes, {...change(20), time: '2026-11-25T00:00:00Z'}], {width: 110})
    assert.ok(twoDays.includes('Changes (21)'), twoDays.join('\n'))
    assert.match(changeLines(twoDays).rows[20]!, /^2026-11-25T00:00:00Z +alice +create +knp /)
    // Where even the short forms do not fit: one change per block, with whole values.
    const blocks = render(changes, {width: 80})
    assert.ok(blocks.includes('time:      2026-11-24T00:00:00Z'), blocks.join('\n'))
    assert.ok(blocks.includes('kind:      NetworkPolicy (k8s)'))
    assert.ok(blocks.includes('result:    403 Forbidden'))
  })

  it('never shortens into a pipe, nor in -o wide', () => {
    const changes = Array.from({length: 30}, (_, i) => change(i))
    for (const view of [{}, {wide: true, width: 80}]) {
      const text = render(changes, view).join('\n')
      for (const user of USERS) assert.ok(text.includes(user), user)
      assert.ok(!text.includes(ELLIPSIS))
    }
  })
})
