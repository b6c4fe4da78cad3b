// The run's filter as Elasticsearch query DSL, row by row: which field each part of the Event is
// searched in (from what _field_caps says of the store's mapping) and the _search body of a page.
import assert from 'node:assert/strict'

import {WATCHED_RESOURCES, WRITE_VERBS} from '../../src/audit/catalog.js'
import {
  type FieldCaps,
  type FieldPlan,
  fieldCapsNames,
  planFields,
  REQUEST_SLACK_MS,
  searchBody,
  wildcardPattern,
} from '../../src/sources/elasticsearch-query.js'
import type {QueryFilter} from '../../src/sources/source.js'

const caps = (types: Record<string, string | string[]>): FieldCaps =>
  Object.fromEntries(
    Object.entries(types).map(([field, type]) => [
      field,
      Object.fromEntries([type].flat().map((t) => [t, {type: t, searchable: true, aggregatable: t !== 'text'}])),
    ]),
  )

const EVENT_FIELDS = [
  'verb',
  'objectRef.apiGroup',
  'objectRef.resource',
  'objectRef.namespace',
  'user.username',
  'impersonatedUser.username',
  'auditID',
]
/** Calico Enterprise's template: keywords, two dates (stage, sourceIPs and userAgent are text, and not asked for). */
const CALICO = caps({
  ...Object.fromEntries(EVENT_FIELDS.map((f) => [f, 'keyword'])),
  requestReceivedTimestamp: 'date',
  stageTimestamp: 'date',
})
/** An index left to dynamic mapping: text with a keyword twin, times detected as dates. */
const DYNAMIC = caps({
  ...Object.fromEntries(
    EVENT_FIELDS.flatMap((f) => [
      [f, 'text'],
      [`${f}.keyword`, 'keyword'],
    ]),
  ),
  requestReceivedTimestamp: 'date',
  stageTimestamp: 'date',
})

const terms = (field: string) => ({field, how: 'terms' as const})
const match = (field: string) => ({field, how: 'match' as const})
const exact = (prefix: string, suffix = '') =>
  Object.fromEntries(
    EVENT_FIELDS.filter((f) => f !== 'auditID').map((f) => [f, terms(`${prefix}${f}${suffix}`)]),
  ) as FieldPlan['fields']

describe('planning the fields of a store', () => {
  it('asks _field_caps for each filtered field, its keyword twin and both times', () => {
    assert.deepEqual(fieldCapsNames('kubernetes.audit.').slice(0, 4), [
      'kubernetes.audit.verb',
      'kubernetes.audit.verb.keyword',
      'kubernetes.audit.objectRef.apiGroup',
      'kubernetes.audit.objectRef.apiGroup.keyword',
    ])
    assert.deepEqual(fieldCapsNames('').slice(-2), ['requestReceivedTimestamp', 'stageTimestamp'])
  })

  // [what the store is, prefix, caps, the plan or its problem]
  const rows: Array<[string, string, FieldCaps, FieldPlan | {problem: string}]> = [
    [
      "Calico Enterprise's template: exact terms, the window bounded exactly by both times",
      '',
      CALICO,
      {
        since: {field: 'stageTimestamp', slackMs: 0},
        until: {field: 'requestReceivedTimestamp', slackMs: 0},
        sort: {field: 'requestReceivedTimestamp', nanos: false},
        auditID: 'auditID',
        fields: exact(''),
      },
    ],
    [
      'dynamic mapping: the keyword twins',
      '',
      DYNAMIC,
      {
        since: {field: 'stageTimestamp', slackMs: 0},
        until: {field: 'requestReceivedTimestamp', slackMs: 0},
        sort: {field: 'requestReceivedTimestamp', nanos: false},
        auditID: 'auditID.keyword',
        fields: exact('', '.keyword'),
      },
    ],
    [
      "the Elastic integration's data stream",
      'kubernetes.audit.',
      caps({
        ...Object.fromEntries(EVENT_FIELDS.map((f) => [`kubernetes.audit.${f}`, 'keyword'])),
        'kubernetes.audit.requestReceivedTimestamp': 'date',
        'kubernetes.audit.stageTimestamp': 'date',
      }),
      {
        since: {field: 'kubernetes.audit.stageTimestamp', slackMs: 0},
        until: {field: 'kubernetes.audit.requestReceivedTimestamp', slackMs: 0},
        sort: {field: 'kubernetes.audit.requestReceivedTimestamp', nanos: false},
        auditID: 'kubernetes.audit.auditID',
        fields: exact('kubernetes.audit.'),
      },
    ],
    [
      'text without a keyword twin: searched by its words, no audit ID to sort on',
      '',
      caps({
        ...Object.fromEntries(EVENT_FIELDS.map((f) => [f, 'text'])),
        requestReceivedTimestamp: 'date',
        stageTimestamp: 'date',
      }),
      {
        since: {field: 'stageTimestamp', slackMs: 0},
        until: {field: 'requestReceivedTimestamp', slackMs: 0},
        sort: {field: 'requestReceivedTimestamp', nanos: false},
        auditID: null,
        fields: Object.fromEntries(
          EVENT_FIELDS.filter((f) => f !== 'auditID').map((f) => [f, match(f)]),
        ) as FieldPlan['fields'],
      },
    ],
    [
      'a keyword in one index and text in another: by its words',
      '',
      caps({
        ...Object.fromEntries(EVENT_FIELDS.map((f) => [f, 'keyword'])),
        verb: ['keyword', 'text'],
        requestReceivedTimestamp: 'date',
        stageTimestamp: 'date',
      }),
      {
        since: {field: 'stageTimestamp', slackMs: 0},
        until: {field: 'requestReceivedTimestamp', slackMs: 0},
        sort: {field: 'requestReceivedTimestamp', nanos: false},
        auditID: 'auditID',
        fields: {...exact(''), verb: match('verb')},
      },
    ],
    [
      'only the request time: the window starts an hour early (a request ends within it)',
      '',
      caps({
        ...Object.fromEntries(EVENT_FIELDS.map((f) => [f, 'keyword'])),
        requestReceivedTimestamp: 'date_nanos',
        stageTimestamp: 'keyword',
      }),
      {
        since: {field: 'requestReceivedTimestamp', slackMs: REQUEST_SLACK_MS},
        until: {field: 'requestReceivedTimestamp', slackMs: 0},
        sort: {field: 'requestReceivedTimestamp', nanos: true},
        auditID: 'auditID',
        fields: exact(''),
      },
    ],
    [
      'only the stage time: the window ends an hour late (a later stage of a request begun in it)',
      '',
      caps({...Object.fromEntries(EVENT_FIELDS.map((f) => [f, 'keyword'])), stageTimestamp: 'date'}),
      {
        since: {field: 'stageTimestamp', slackMs: 0},
        until: {field: 'stageTimestamp', slackMs: REQUEST_SLACK_MS},
        sort: {field: 'stageTimestamp', nanos: false},
        auditID: 'auditID',
        fields: exact(''),
      },
    ],
    [
      'fields no index maps: absent (no document has them)',
      '',
      caps({requestReceivedTimestamp: 'date'}),
      {
        since: {field: 'requestReceivedTimestamp', slackMs: REQUEST_SLACK_MS},
        until: {field: 'requestReceivedTimestamp', slackMs: 0},
        sort: {field: 'requestReceivedTimestamp', nanos: false},
        auditID: null,
        fields: Object.fromEntries(
          EVENT_FIELDS.filter((f) => f !== 'auditID').map((f) => [f, {field: f, how: 'absent'}]),
        ) as FieldPlan['fields'],
      },
    ],
    [
      'a field of a type that cannot be searched for a value: not filtered on',
      '',
      caps({
        ...Object.fromEntries(EVENT_FIELDS.map((f) => [f, 'keyword'])),
        'user.username': 'flattened',
        stageTimestamp: 'date',
      }),
      {
        since: {field: 'stageTimestamp', slackMs: 0},
        until: {field: 'stageTimestamp', slackMs: REQUEST_SLACK_MS},
        sort: {field: 'stageTimestamp', nanos: false},
        auditID: 'auditID',
        fields: {...exact(''), 'user.username': null},
      },
    ],
    [
      'no date field: no plan',
      '',
      caps({verb: 'keyword', requestReceivedTimestamp: 'keyword'}),
      {problem: 'neither requestReceivedTimestamp nor stageTimestamp is a date field there'},
    ],
  ]
  for (const [what, prefix, given, expected] of rows) {
    it(what, () => assert.deepEqual(planFields(prefix, given), expected))
  }
})

describe('the _search body of a page', () => {
  const plan = planFields('', CALICO) as FieldPlan
  const since = Date.parse('2026-11-24T10:00:00Z')
  const ALL: QueryFilter = {
    sinceMs: since + 0.5,
    untilMs: since + 3_600_000.25,
    resources: WATCHED_RESOURCES.map(({apiGroup, resource}) => ({apiGroup, resource})),
    verbs: [...WRITE_VERBS],
    users: [],
    namespaces: [],
  }
  const calicoResources = WATCHED_RESOURCES.filter((r) => r.apiGroup === 'projectcalico.org').map((r) => r.resource)
  const windowClauses = [
    {range: {stageTimestamp: {gte: since, format: 'epoch_millis'}}},
    {range: {requestReceivedTimestamp: {lt: since + 3_600_001, format: 'epoch_millis'}}},
  ]
  const resourceClause = {
    bool: {
      should: [
        {
          bool: {
            filter: [
              {terms: {'objectRef.apiGroup': ['projectcalico.org', 'crd.projectcalico.org']}},
              {terms: {'objectRef.resource': calicoResources}},
            ],
          },
        },
        {
          bool: {
            filter: [
              {terms: {'objectRef.apiGroup': ['networking.k8s.io', 'extensions']}},
              {terms: {'objectRef.resource': ['networkpolicies']}},
            ],
          },
        },
        {
          bool: {
            filter: [
              {terms: {'objectRef.apiGroup': ['policy.networking.k8s.io']}},
              {
                terms: {
                  'objectRef.resource': [
                    'adminnetworkpolicies',
                    'baselineadminnetworkpolicies',
                    'clusternetworkpolicies',
                  ],
                },
              },
            ],
          },
        },
      ],
      minimum_should_match: 1,
    },
  }
  const sort = [{requestReceivedTimestamp: {order: 'asc'}}, {auditID: {order: 'asc'}}]

  it('asks for the window in whole milliseconds, the watched resources by group and the write verbs, sorted by time and audit ID', () => {
    assert.deepEqual(searchBody(plan, ALL, {size: 1000, trackTotal: true}), {
      size: 1000,
      sort,
      track_total_hits: true,
      query: {bool: {filter: [...windowClauses, resourceClause, {terms: {verb: [...WRITE_VERBS]}}]}},
    })
  })

  it('continues after the last hit read, without counting again', () => {
    const body = searchBody(plan, ALL, {size: 1000, after: [since, 'a-1'], trackTotal: false})
    assert.deepEqual(body.search_after, [since, 'a-1'])
    assert.equal(body.track_total_hits, false)
  })

  it('keeps the Calico backing writes whatever the verb asked: a patch through the v3 API is an update of the CRD', () => {
    const filter = {
      ...ALL,
      verbs: ['patch'],
      resources: [
        {apiGroup: 'projectcalico.org', resource: 'globalnetworkpolicies'},
        {apiGroup: 'crd.projectcalico.org', resource: 'globalnetworkpolicies'},
      ],
    }
    const clauses = (searchBody(plan, filter, {size: 10, trackTotal: false}).query as {bool: {filter: object[]}}).bool
      .filter
    assert.deepEqual(clauses.slice(2), [
      {
        bool: {
          filter: [
            {terms: {'objectRef.apiGroup': ['projectcalico.org', 'crd.projectcalico.org']}},
            {terms: {'objectRef.resource': ['globalnetworkpolicies']}},
          ],
        },
      },
      {
        bool: {
          should: [
            {terms: {verb: ['patch']}},
            {
              bool: {
                filter: [{terms: {'objectRef.apiGroup': ['crd.projectcalico.org']}}, {terms: {verb: [...WRITE_VERBS]}}],
              },
            },
          ],
          minimum_should_match: 1,
        },
      },
    ])
  })

  it("asks for --user as the user or the impersonated user, a glob as a wildcard, and keeps the records that carry a Calico change's tier", () => {
    const filter = {...ALL, users: ['alice', 'system:serviceaccount:ci:*'], namespaces: ['shop']}
    const clauses = (searchBody(plan, filter, {size: 10, trackTotal: false}).query as {bool: {filter: object[]}}).bool
      .filter
    assert.deepEqual(clauses.slice(4), [
      {
        bool: {
          should: [
            {terms: {'user.username': ['alice']}},
            {wildcard: {'user.username': {value: 'system:serviceaccount:ci:*'}}},
            {terms: {'impersonatedUser.username': ['alice']}},
            {wildcard: {'impersonatedUser.username': {value: 'system:serviceaccount:ci:*'}}},
            {terms: {'objectRef.apiGroup': ['projectcalico.org', 'crd.projectcalico.org']}},
          ],
          minimum_should_match: 1,
        },
      },
      {terms: {'objectRef.namespace': ['shop']}},
    ])
  })

  it('searches text by its words, and leaves out a glob it cannot search there', () => {
    // Groups, resources and verbs unmapped: no document has them, the clauses on them are left out.
    const text = planFields(
      '',
      caps({'user.username': 'text', 'objectRef.namespace': 'text', stageTimestamp: 'date'}),
    ) as FieldPlan
    const clauses = (body: Record<string, unknown>) => (body.query as {bool: {filter: object[]}}).bool.filter
    const names = searchBody(
      text,
      {...ALL, users: ['alice'], namespaces: ['shop', 'prod']},
      {size: 10, trackTotal: false},
    )
    assert.deepEqual(clauses(names).slice(1), [
      {match: {'user.username': {query: 'alice', operator: 'and'}}},
      {
        bool: {
          should: [
            {match: {'objectRef.namespace': {query: 'shop', operator: 'and'}}},
            {match: {'objectRef.namespace': {query: 'prod', operator: 'and'}}},
          ],
          minimum_should_match: 1,
        },
      },
    ])
    const glob = searchBody(text, {...ALL, users: ['ali*']}, {size: 10, trackTotal: false})
    assert.deepEqual(clauses(glob), [
      {range: {stageTimestamp: {gte: since, lt: since + 3_600_001 + REQUEST_SLACK_MS, format: 'epoch_millis'}}},
    ])
  })

  it('sends only the window, and the cluster of a shared index, when the push-down is off', () => {
    const scope = [{term: {cluster: 'managed-eu'}}]
    assert.deepEqual(
      searchBody(plan, {...ALL, users: ['alice']}, {size: 10, trackTotal: true, scope, windowOnly: true}).query,
      {bool: {filter: [...windowClauses, ...scope]}},
    )
  })

  it('asks for an unbounded window with no range at all', () => {
    const query = searchBody(plan, {...ALL, sinceMs: null, untilMs: null}, {size: 10, trackTotal: false}).query as {
      bool: {filter: object[]}
    }
    assert.ok(!JSON.stringify(query).includes('range'))
  })

  it('escapes what is special to a wildcard query but not to a glob', () => {
    assert.equal(wildcardPattern('what?\\*'), 'what\\?\\\\*')
  })
})
