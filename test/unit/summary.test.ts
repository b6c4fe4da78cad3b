import assert from 'node:assert/strict'

import type {PolicyChange} from '../../src/audit/changes.js'
import {reportWithChanges, tallyChanges} from '../../src/audit/report.js'
import {compileGlob, selectChanges, type ChangeSelection} from '../../src/audit/select.js'
import {summarize} from '../../src/audit/summary.js'

function change(
  user: string,
  verb: string,
  outcome: PolicyChange['outcome'],
  extra: Partial<PolicyChange> = {},
): PolicyChange {
  return {
    time: '2026-11-24T10:00:00Z',
    auditID: 'x',
    user,
    impersonatedUser: null,
    verb,
    apiGroup: 'networking.k8s.io',
    resource: 'networkpolicies',
    kind: 'NetworkPolicy',
    namespace: 'shop',
    name: 'web',
    tier: 'default',
    code: outcome === 'failed' ? 403 : 200,
    outcome,
    dryRun: false,
    userAgent: null,
    sourceIPs: [],
    source: 'a.log',
    ...extra,
  }
}

describe('summarize', () => {
  it('counts by user × verb, sorted by total, then user, then verb', () => {
    const rows = summarize([
      change('bob', 'patch', 'succeeded'),
      change('alice', 'create', 'succeeded'),
      change('alice', 'create', 'failed'),
      change('bob', 'delete', 'succeeded'),
      change('carol', 'update', 'unknown'),
    ])
    assert.deepEqual(rows, [
      {user: 'alice', verb: 'create', succeeded: 1, failed: 1, unknown: 0},
      {user: 'bob', verb: 'delete', succeeded: 1, failed: 0, unknown: 0},
      {user: 'bob', verb: 'patch', succeeded: 1, failed: 0, unknown: 0},
      {user: 'carol', verb: 'update', succeeded: 0, failed: 0, unknown: 1},
    ])
  })
})

describe('tallyChanges: one walk over the changes', () => {
  const stream = (count: number) =>
    Array.from({length: count}, (_, i) =>
      change(i % 3 === 0 ? 'bob' : 'alice', i % 2 === 0 ? 'patch' : 'create', i % 5 === 0 ? 'failed' : 'succeeded', {
        auditID: `id-${i}`,
      }),
    )
  const isAlice = (c: PolicyChange) => c.user === 'alice'

  for (const keep of [0, 1, 20, 1000, Number.POSITIVE_INFINITY]) {
    it(`counts, summarizes the selected, and keeps the newest ${keep} of them`, () => {
      const all = stream(1000)
      const selected = all.filter(isAlice)
      const tally = tallyChanges(all, isAlice, keep)
      assert.equal(tally.inWindow, 1000)
      assert.equal(tally.selected, selected.length)
      assert.deepEqual(tally.summary, summarize(selected))
      assert.deepEqual(tally.newest, keep === 0 ? [] : selected.slice(-Math.min(keep, selected.length)))
    })
  }

  it('walks the changes of the whole report only when they are read, and once', () => {
    let walks = 0
    const report = reportWithChanges(
      {
        apiVersion: 'kubectl-audit/v1',
        kind: 'PolicyChangeReport',
        window: {since: null, until: null},
        sources: [],
        summary: [],
      },
      function* () {
        walks++
        yield* stream(3)
      },
    )
    assert.equal(walks, 0)
    assert.deepEqual(Object.keys(report), ['apiVersion', 'kind', 'window', 'sources', 'summary', 'changes'])
    assert.equal(report.changes.length, 3)
    assert.deepEqual(JSON.parse(JSON.stringify(report)).changes, stream(3))
    assert.equal(walks, 1)
  })
})

describe('selectChanges', () => {
  const none: ChangeSelection = {users: [], verbs: [], resources: null, namespaces: [], tiers: [], outcome: 'all'}
  const all = [
    change('alice@corp.com', 'create', 'succeeded'),
    change('system:serviceaccount:ci:deployer', 'patch', 'failed', {namespace: 'ci'}),
    change('admin', 'delete', 'succeeded', {impersonatedUser: 'bob', tier: 'security', apiGroup: 'projectcalico.org'}),
  ]
  const cases: Array<[string, Partial<ChangeSelection>, string[]]> = [
    ['a user glob', {users: ['system:serviceaccount:*']}, ['system:serviceaccount:ci:deployer']],
    ['an exact user', {users: ['alice@corp.com']}, ['alice@corp.com']],
    ['the impersonated user', {users: ['bob']}, ['admin']],
    ['verbs', {verbs: ['create', 'delete']}, ['alice@corp.com', 'admin']],
    ['namespace', {namespaces: ['ci']}, ['system:serviceaccount:ci:deployer']],
    ['tier', {tiers: ['security']}, ['admin']],
    ['outcome', {outcome: 'failed'}, ['system:serviceaccount:ci:deployer']],
    ['resources', {resources: new Set(['networkpolicies.projectcalico.org'])}, ['admin']],
  ]
  for (const [title, selection, users] of cases) {
    it(`filters by ${title}`, () =>
      assert.deepEqual(
        selectChanges(all, {...none, ...selection}).map((c) => c.user),
        users,
      ))
  }
  it('treats glob metacharacters other than * literally', () => {
    assert.equal(compileGlob('a.b')('axb'), false)
    assert.equal(compileGlob('a.b')('a.b'), true)
    assert.equal(compileGlob('*@corp.com')('alice@corp.com'), true)
    assert.equal(compileGlob('[a]*')('[a]x'), true)
  })
})

describe('compileGlob', () => {
  // Each row is checked against the regular expression a glob means, the obvious (but
  // backtracking) implementation, on short inputs where backtracking costs nothing.
  const rows: Array<[string, string, boolean]> = [
    ['', '', true],
    ['', 'a', false],
    ['*', '', true],
    ['*', 'anything', true],
    ['**', 'x', true],
    ['a*', 'a', true],
    ['a*', 'ba', false],
    ['*a', 'ba', true],
    ['*a', 'ab', false],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
    ['*ab*ab*', 'abab', true],
    ['*ab*ab*', 'aab', false],
    ['*aa*aa', 'aaa', false],
    ['*aa*aa', 'aaaa', true],
    ['system:serviceaccount:*:argocd-*', 'system:serviceaccount:argocd:argocd-application-controller', true],
    ['*:kube-system:*', 'system:serviceaccount:kube-system:namespace-controller', true],
    ['*a*a*a*b', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', false],
  ]
  for (const [pattern, text, expected] of rows) {
    it(`${JSON.stringify(pattern)} ${expected ? 'matches' : 'does not match'} ${JSON.stringify(text)}`, () => {
      const regex = new RegExp(
        `^${pattern
          .split('*')
          .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
        's',
      )
      assert.equal(regex.test(text), expected, 'the row itself agrees with the regular expression')
      assert.equal(compileGlob(pattern)(text), expected)
    })
  }

  it('decides a many-star pattern on a 20,000-character name in one pass', () => {
    // A backtracking regular expression takes time exponential in the stars here; mocha's timeout bounds the test.
    const name = `system:serviceaccount:${'a'.repeat(20_000)}`
    const pattern = `${'*a'.repeat(40)}*b`
    assert.equal(compileGlob(pattern)(name), false)
    assert.equal(compileGlob(pattern)(`${name}b`), true)
  })
})
