import assert from 'node:assert/strict'

import type {PolicyChange} from '../../src/audit/changes.js'
import {globToRegExp, selectChanges, type ChangeSelection} from '../../src/audit/select.js'
import {summarize} from '../../src/audit/summary.js'

function change(user: string, verb: string, outcome: PolicyChange['outcome'], extra: Partial<PolicyChange> = {}): PolicyChange {
  return {time: '2026-11-24T10:00:00Z', auditID: 'x', user, impersonatedUser: null, verb, apiGroup: 'networking.k8s.io', resource: 'networkpolicies', kind: 'NetworkPolicy', namespace: 'shop', name: 'web', tier: 'default', code: outcome === 'failed' ? 403 : 200, outcome, dryRun: false, userAgent: null, sourceIPs: [], source: 'a.log', ...extra}
}

describe('summarize', () => {
  it('counts by user × verb, sorted by total, then user, then verb', () => {
    const rows = summarize([change('bob', 'patch', 'succeeded'), change('alice', 'create', 'succeeded'), change('alice', 'create', 'failed'), change('bob', 'delete', 'succeeded'), change('carol', 'update', 'unknown')])
    assert.deepEqual(rows, [
      {user: 'alice', verb: 'create', succeeded: 1, failed: 1, unknown: 0},
      {user: 'bob', verb: 'delete', succeeded: 1, failed: 0, unknown: 0},
      {user: 'bob', verb: 'patch', succeeded: 1, failed: 0, unknown: 0},
      {user: 'carol', verb: 'update', succeeded: 0, failed: 0, unknown: 1},
    ])
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
    it(`filters by ${title}`, () => assert.deepEqual(selectChanges(all, {...none, ...selection}).map((c) => c.user), users))
  }
  it('treats glob metacharacters other than * literally', () => {
    assert.equal(globToRegExp('a.b').test('axb'), false)
    assert.equal(globToRegExp('*@corp.com').test('alice@corp.com'), true)
  })
})
