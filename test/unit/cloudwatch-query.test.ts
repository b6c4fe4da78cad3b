// The run's filter as a FilterLogEvents request: what is pushed down, what is left to be filtered
// after decoding, and that the pattern never narrows away Calico's backing writes.
import assert from 'node:assert/strict'

import {policiesOptions} from '../../src/flags/policies.js'
import {filterLogEventsRequest, jsonFilterPattern, MAX_FILTER_PATTERN} from '../../src/sources/cloudwatch-query.js'
import type {QueryFilter} from '../../src/sources/source.js'

const NOW = Date.parse('2026-11-24T12:00:00Z')
/** The filter policies compiles from these flags. */
const filterOf = (flags: Record<string, unknown>): QueryFilter =>
  policiesOptions(
    {output: 'table', color: 'never', outcome: 'all', limit: 20, 'pod-timeout': undefined, ...flags} as never,
    NOW,
  ).query

describe('FilterLogEvents request from the run filter', () => {
  it('asks for the audit streams, and the window with slack on both sides, in whole milliseconds', () => {
    const request = filterLogEventsRequest(
      {...filterOf({since: '1h'}), sinceMs: NOW - 3_600_000 + 0.5, untilMs: NOW + 0.25},
      '/aws/eks/prod/cluster',
    )
    assert.equal(request.logGroupName, '/aws/eks/prod/cluster')
    assert.equal(request.logStreamNamePrefix, 'kube-apiserver-audit')
    assert.equal(request.startTime, NOW - 3_600_000 - 60_000)
    assert.equal(request.endTime, NOW + 1 + 300_000)
    const all = filterLogEventsRequest(filterOf({since: 'all'}), '/g')
    assert.equal('startTime' in all || 'endTime' in all, false, '--since all: no bounds')
  })

  // [flags, what the pattern must say, what it must not]
  const cases: Array<[string, Record<string, unknown>, RegExp[], RegExp[]]> = [
    [
      'every watched resource by name, no group needed',
      {},
      [
        /^\{ \(\$\.objectRef\.resource = "globalnetworkpolicies" \|\| /,
        /\$\.objectRef\.resource = "tiers"/,
        /\(\$\.verb = "create" \|\| \$\.verb = "update" \|\| \$\.verb = "patch" \|\| \$\.verb = "delete" \|\| \$\.verb = "deletecollection"\) \}$/,
      ],
      [/apiGroup/],
    ],
    [
      '--kind knp: networkpolicies of the Kubernetes groups only',
      {kind: ['knp']},
      [
        /^\{ \(\$\.objectRef\.resource = "networkpolicies" && \(\$\.objectRef\.apiGroup = "networking\.k8s\.io" \|\| \$\.objectRef\.apiGroup = "extensions"\)\) && /,
      ],
      [/globalnetworkpolicies/],
    ],
    [
      '--kind gnp brings the crd.projectcalico.org twin',
      {kind: ['gnp']},
      [/^\{ \$\.objectRef\.resource = "globalnetworkpolicies" && /],
      [/apiGroup = "projectcalico/],
    ],
    [
      '--verb delete on Calico keeps every write of the backing CRDs',
      {verb: ['delete'], kind: ['gnp']},
      [
        /\(\$\.verb = "delete" \|\| \(\$\.objectRef\.apiGroup = "crd\.projectcalico\.org" && \(\$\.verb = "create" \|\| /,
      ],
      [],
    ],
    [
      '--verb delete on Kubernetes policies alone: just delete',
      {verb: ['delete'], kind: ['knp']},
      [/ && \$\.verb = "delete" \}$/],
      [/crd\.projectcalico/],
    ],
    [
      '--user is matched as the user or the impersonated user',
      {user: ['alice'], kind: ['knp']},
      [/\(\$\.user\.username = "alice" \|\| \$\.impersonatedUser\.username = "alice"\)/],
      [/crd\.projectcalico/],
    ],
    ['--user glob: left to after decoding', {user: ['system:serviceaccount:*']}, [], [/username/]],
    ['--user with a quote: left to after decoding', {user: ['o"brien']}, [], [/username/]],
    [
      '-n',
      {namespace: ['shop', 'dev']},
      [/\(\$\.objectRef\.namespace = "shop" \|\| \$\.objectRef\.namespace = "dev"\) \}$/],
      [],
    ],
  ]
  for (const [name, flags, says, never] of cases) {
    it(name, () => {
      const pattern = jsonFilterPattern(filterOf(flags))
      for (const re of says) assert.match(pattern, re)
      for (const re of never) assert.doesNotMatch(pattern, re)
      assert.ok(pattern.length <= MAX_FILTER_PATTERN)
    })
  }

  it('drops what it cannot fit, the least selective first, and stays a valid pattern', () => {
    const users = Array.from({length: 30}, (_, i) => `user-number-${i}@example.com`)
    const namespaces = Array.from({length: 30}, (_, i) => `namespace-${i}`)
    const full = jsonFilterPattern(filterOf({user: users, namespace: namespaces}))
    assert.ok(full.length <= MAX_FILTER_PATTERN)
    assert.doesNotMatch(full, /namespace-0|user-number/, 'neither fits beside the resources')
    const usersOnly = jsonFilterPattern(filterOf({user: users.slice(0, 2), namespace: namespaces}))
    assert.doesNotMatch(usersOnly, /namespace-0/, 'the namespaces go first')
    assert.match(usersOnly, /user-number-1/)
    const knp = jsonFilterPattern(filterOf({kind: ['knp'], namespace: namespaces.slice(0, 10)}))
    assert.match(knp, /namespace-9/, 'a narrow --kind leaves room for them')
  })
})
