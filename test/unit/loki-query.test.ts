// The run's filter as a Loki query: what the LogQL says (row by row), and what it keeps when
// applied to lines as shippers send them (bare, escaped in a record, behind a CRI prefix): every
// line the filter wants and Calico's backing writes, never fewer; most of the rest dropped.
import assert from 'node:assert/strict'

import {WATCHED_RESOURCES, WRITE_VERBS} from '../../src/audit/catalog.js'
import {DEFAULT_SELECTOR, globRegexp, lokiQuery, lokiWindow} from '../../src/sources/loki-query.js'
import {goDurationMs, splitWindow} from '../../src/sources/loki.js'
import type {QueryFilter} from '../../src/sources/source.js'
import {auditLine, type EventSpec} from '../support/events.js'
import {parseLogQuery, runPipeline} from '../support/logql.js'

const T0 = Date.parse('2026-11-24T10:00:00Z')
const ALL: QueryFilter['resources'] = WATCHED_RESOURCES.map(({apiGroup, resource}) => ({apiGroup, resource}))
const FILTER: QueryFilter = {
  sinceMs: T0,
  untilMs: T0 + 3_600_000,
  resources: ALL,
  verbs: [...WRITE_VERBS],
  users: [],
  namespaces: [],
}
const SELECTOR = '{job="kube-apiserver-audit"}'
const BACKING_USER = 'system:serviceaccount:calico-apiserver:calico-apiserver'

const knp = (spec: EventSpec = {}) =>
  auditLine({
    verb: 'create',
    apiGroup: 'networking.k8s.io',
    resource: 'networkpolicies',
    namespace: 'shop',
    name: 'web',
    user: 'alice',
    ...spec,
  })

/** Whether the query keeps the line (the fake Loki's evaluator, which the fake server uses too). */
function keeps(filter: QueryFilter, line: string): boolean {
  const query = parseLogQuery(lokiQuery(filter, SELECTOR))
  return runPipeline(query, {job: 'kube-apiserver-audit'}, line) !== undefined
}

describe("Loki query (LogQL from the run's filter)", () => {
  it('starts with the selector, then line filters, the json stage with only the fields it needs, and label filters', () => {
    assert.equal(
      lokiQuery(FILTER, SELECTOR),
      [
        SELECTOR,
        '|~ `networkpolicies|tiers|networksets|hostendpoints`',
        '|~ `"verb\\\\?"\\s*:\\s*\\\\?"(?:create|update|patch|delete|deletecollection)\\\\?"`',
        '| json audit_verb="verb", audit_group="objectRef.apiGroup", audit_resource="objectRef.resource"',
        `| audit_verb="" or (audit_resource=~"${[...new Set(ALL.map((r) => r.resource))].join('|')}" and audit_verb=~"create|update|patch|delete|deletecollection")`,
      ].join(' '),
    )
  })

  // [what, filter change, a piece the query holds]
  const rows: Array<[string, Partial<QueryFilter>, string]> = [
    [
      '--kind knp ties networkpolicies to its groups',
      {
        resources: [
          {apiGroup: 'networking.k8s.io', resource: 'networkpolicies'},
          {apiGroup: 'extensions', resource: 'networkpolicies'},
        ],
      },
      '(audit_resource="networkpolicies" and audit_group=~"networking\\\\.k8s\\\\.io|extensions")',
    ],
    [
      '--kind tier (both groups) needs no group',
      {
        resources: [
          {apiGroup: 'projectcalico.org', resource: 'tiers'},
          {apiGroup: 'crd.projectcalico.org', resource: 'tiers'},
        ],
      },
      'audit_resource="tiers"',
    ],
    [
      "--verb patch keeps the backing writes' update and delete",
      {verbs: ['patch']},
      '(audit_verb="patch" or (audit_group="crd.projectcalico.org" and audit_verb=~"create|update|patch|delete|deletecollection"))',
    ],
    [
      '--verb patch without Calico kinds is exact, in the line filter too',
      {verbs: ['patch'], resources: [{apiGroup: 'networking.k8s.io', resource: 'networkpolicies'}]},
      '(?:patch)',
    ],
    [
      '--user, against the impersonated user too, keeping backing writes',
      {users: ['alice']},
      '(audit_user=~"alice" or audit_impersonated=~"alice" or audit_group="crd.projectcalico.org")',
    ],
    [
      'a --user glob becomes an anchored regexp, its dots literal',
      {users: ['system:serviceaccount:ci.*']},
      'audit_user=~"system:serviceaccount:ci\\\\..*"',
    ],
    ['-n, several', {namespaces: ['shop', 'dev']}, 'audit_namespace=~"shop|dev"'],
    ['a value with a quote is quoted', {namespaces: ['a"b']}, 'audit_namespace="a\\"b"'],
  ]
  for (const [what, change, piece] of rows) {
    it(what, () => {
      const query = lokiQuery({...FILTER, ...change}, SELECTOR)
      assert.ok(query.includes(piece), `${piece}\nnot in\n${query}`)
      assert.doesNotThrow(() => parseLogQuery(query))
    })
  }

  it('asks for the fields a filter needs and no others', () => {
    assert.doesNotMatch(lokiQuery(FILTER, SELECTOR), /audit_user|audit_namespace/)
    assert.match(
      lokiQuery({...FILTER, users: ['bob'], namespaces: ['x']}, SELECTOR),
      /audit_user="user\.username", audit_impersonated="impersonatedUser\.username", audit_namespace="objectRef\.namespace"/,
    )
  })

  // [line, kept with --user alice --verb patch -n shop?]
  const narrow: QueryFilter = {...FILTER, verbs: ['patch'], users: ['alice'], namespaces: ['shop']}
  const lines: Array<[string, string, boolean]> = [
    ['the write asked for', knp({verb: 'patch'}), true],
    ['as alice, by impersonation', knp({verb: 'patch', user: 'ci', impersonatedUser: 'alice'}), true],
    ['another user', knp({verb: 'patch', user: 'bob'}), false],
    ['another verb', knp({verb: 'create'}), false],
    ['another namespace', knp({verb: 'patch', namespace: 'dev'}), false],
    ['a read of a watched resource', knp({verb: 'get'}), false],
    [
      'a write of another resource',
      auditLine({verb: 'patch', apiGroup: 'coordination.k8s.io', resource: 'leases', namespace: 'shop', user: 'alice'}),
      false,
    ],
    [
      "Calico's backing write, by the Calico API server",
      auditLine({
        verb: 'update',
        apiGroup: 'crd.projectcalico.org',
        resource: 'networkpolicies',
        namespace: 'shop',
        name: 'default.web',
        user: BACKING_USER,
      }),
      true,
    ],
    ['the write, escaped in a Fluent Bit record', JSON.stringify({log: knp({verb: 'patch'}), stream: 'stdout'}), true],
    ['the write, behind a CRI prefix', `2026-11-24T10:00:00.123456789Z stdout F ${knp({verb: 'patch'})}`, true],
    ['a read, escaped in a record', JSON.stringify({log: knp({verb: 'get'})}), false],
    ['another log line', 'I1124 10:00:00.000000 1 controller.go:1] networkpolicies synced', false],
  ]
  for (const [what, line, kept] of lines) {
    it(`${kept ? 'keeps' : 'drops'} ${what}`, () => assert.equal(keeps(narrow, line), kept))
  }

  it('keeps every watched write whatever the filter, when nothing is narrowed', () => {
    for (const {apiGroup, resource} of WATCHED_RESOURCES) {
      for (const verb of WRITE_VERBS)
        assert.ok(keeps(FILTER, auditLine({verb, apiGroup, resource, name: 'x'})), `${verb} ${resource}.${apiGroup}`)
    }
  })

  it('the default selector is valid LogQL and names both usual jobs', () => {
    const query = parseLogQuery(DEFAULT_SELECTOR)
    assert.deepEqual(query.selector, [
      {name: 'job', op: '=~', value: 'integrations/kubernetes-audit|kube-apiserver-audit'},
    ])
  })

  it('globs: * is any run, the rest literal', () => {
    assert.equal(globRegexp('a*b'), 'a.*b')
    assert.equal(globRegexp('x.y+(z)'), 'x\\.y\\+\\(z\\)')
  })
})

describe('Loki window', () => {
  it("is the filter's in nanoseconds, with slack for when lines are shipped", () => {
    const {startNs, endNs} = lokiWindow(FILTER, T0 + 10 * 3_600_000)
    assert.equal(startNs, BigInt(T0 - 60_000) * 1_000_000n)
    assert.equal(endNs, BigInt(T0 + 3_600_000 + 300_000) * 1_000_000n)
  })

  it('ends at now (with slack) when open, and reaches back 30 days when it has no start', () => {
    const now = T0
    const {startNs, endNs} = lokiWindow({...FILTER, sinceMs: null, untilMs: null}, now)
    assert.equal(endNs, BigInt(now + 300_000) * 1_000_000n)
    assert.equal(startNs, BigInt(now - 30 * 86_400_000) * 1_000_000n)
  })

  it('splits into pieces no longer than the server allows, in time order, covering it all', () => {
    const hour = 3_600_000_000_000n
    assert.deepEqual(splitWindow({startNs: 0n, endNs: 5n * hour}, 2n * hour), [
      {startNs: 0n, endNs: 2n * hour},
      {startNs: 2n * hour, endNs: 4n * hour},
      {startNs: 4n * hour, endNs: 5n * hour},
    ])
  })

  it('reads the limits Loki states as Go durations', () => {
    assert.equal(goDurationMs('721h0m0s'), 721 * 3_600_000)
    assert.equal(goDurationMs('1h30m0.5s'), 5_400_500)
    assert.equal(goDurationMs('30d'), undefined)
  })
})
