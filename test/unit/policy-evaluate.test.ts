// Upstream's checker_test.go (apiserver pkg/audit/policy), re-created row by row: the same
// request fixtures, the same rule fixtures, the same expected levels and stages.
import assert from 'node:assert/strict'

import {evaluatePolicy, type RequestAttributes} from '../../src/audit/policy/evaluate.js'
import type {Policy, PolicyRule} from '../../src/audit/policy/types.js'

const tim = {name: 'tim@k8s.io', groups: ['humans', 'developers']}

const requests: Record<string, RequestAttributes> = {
  namespaced: {
    user: tim,
    verb: 'get',
    namespace: 'default',
    apiGroup: '',
    resource: 'pods',
    name: 'busybox',
    resourceRequest: true,
    path: '/api/v1/namespaces/default/pods/busybox',
  },
  cluster: {
    user: tim,
    verb: 'get',
    namespace: '',
    apiGroup: 'rbac.authorization.k8s.io',
    resource: 'clusterroles',
    name: 'edit',
    resourceRequest: true,
    path: '/apis/rbac.authorization.k8s.io/v1beta1/clusterroles/edit',
  },
  nonResource: {user: tim, verb: 'get', resourceRequest: false, path: '/logs/kubelet.log'},
  subresource: {
    user: tim,
    verb: 'get',
    namespace: 'default',
    apiGroup: '',
    resource: 'pods',
    subresource: 'log',
    name: 'busybox',
    resourceRequest: true,
    path: '/api/v1/namespaces/default/pods/busybox',
  },
  Unauthorized: {
    verb: 'get',
    namespace: 'default',
    apiGroup: '',
    resource: 'pods',
    name: 'busybox',
    resourceRequest: true,
    path: '/api/v1/namespaces/default/pods/busybox',
  },
  ClusterRoleUpdate: {
    user: tim,
    verb: 'update',
    namespace: '',
    apiGroup: 'rbac.authorization.k8s.io',
    resource: 'clusterroles',
    subresource: 'status',
    name: 'somerole',
    resourceRequest: true,
    path: '/apis/rbac.authorization.k8s.io/v1beta1/clusterroles/somerole',
  },
}

function rule(fields: Partial<PolicyRule> & {level: string}): PolicyRule {
  return {
    users: [],
    userGroups: [],
    verbs: [],
    resources: [],
    namespaces: [],
    nonResourceURLs: [],
    omitStages: [],
    ...fields,
  }
}

const gr = (group: string, resources: string[], resourceNames: string[] = []) => ({group, resources, resourceNames})

const rules: Record<string, PolicyRule> = {
  default: rule({level: 'Metadata'}),
  create: rule({level: 'Request', verbs: ['create']}),
  tims: rule({level: 'Metadata', users: ['tim@k8s.io']}),
  humans: rule({level: 'Metadata', userGroups: ['humans']}),
  serviceAccounts: rule({level: 'Request', userGroups: ['system:serviceaccounts']}),
  getPods: rule({level: 'RequestResponse', verbs: ['get'], resources: [gr('', ['pods'])]}),
  getPodLogs: rule({level: 'Request', verbs: ['get'], resources: [gr('', ['pods/log'])]}),
  getPodWildcardMatching: rule({level: 'Request', verbs: ['get'], resources: [gr('', ['*'])]}),
  getPodResourceWildcardMatching: rule({level: 'Request', verbs: ['get'], resources: [gr('', ['*/log'])]}),
  getPodSubResourceWildcardMatching: rule({level: 'Request', verbs: ['get'], resources: [gr('', ['pods/*'])]}),
  getClusterRoles: rule({
    level: 'RequestResponse',
    verbs: ['get'],
    resources: [gr('rbac.authorization.k8s.io', ['clusterroles'])],
    namespaces: [''],
  }),
  getGroupWildCardMatchingWithSubresourceWildcardMatching: rule({
    level: 'RequestResponse',
    verbs: ['update'],
    resources: [gr('*', ['*/status'])],
  }),
  getLogs: rule({level: 'RequestResponse', verbs: ['get'], nonResourceURLs: ['/logs*']}),
  getMetrics: rule({level: 'Request', verbs: ['get'], nonResourceURLs: ['/metrics']}),
  clusterRoleEdit: rule({level: 'Request', resources: [gr('rbac.authorization.k8s.io', ['clusterroles'], ['edit'])]}),
  'omit RequestReceived': rule({level: 'Request', omitStages: ['RequestReceived']}),
  'only audit panic': rule({level: 'Request', omitStages: ['RequestReceived', 'ResponseStarted', 'ResponseComplete']}),
}

type Row = [request: string, ruleNames: string[], level: string]

// testAuditLevel: every row expects the policy's own omitStages back, matched or not.
const auditLevelRows: Row[] = [
  ['namespaced', ['default'], 'Metadata'],
  ['namespaced', ['create'], 'None'],
  ['namespaced', ['tims'], 'Metadata'],
  ['namespaced', ['humans'], 'Metadata'],
  ['namespaced', ['serviceAccounts'], 'None'],
  ['namespaced', ['getPods'], 'RequestResponse'],
  ['namespaced', ['getClusterRoles'], 'None'],
  ['namespaced', ['getLogs'], 'None'],
  ['namespaced', ['getMetrics'], 'None'],
  ['namespaced', ['getMetrics', 'serviceAccounts', 'default'], 'Metadata'],
  ['namespaced', ['getMetrics', 'getPods', 'default'], 'RequestResponse'],
  ['namespaced', ['getPodLogs', 'getPods'], 'RequestResponse'],

  ['cluster', ['default'], 'Metadata'],
  ['cluster', ['create'], 'None'],
  ['cluster', ['tims'], 'Metadata'],
  ['cluster', ['humans'], 'Metadata'],
  ['cluster', ['serviceAccounts'], 'None'],
  ['cluster', ['getPods'], 'None'],
  ['cluster', ['getClusterRoles'], 'RequestResponse'],
  ['cluster', ['clusterRoleEdit', 'getClusterRoles'], 'Request'],
  ['cluster', ['getLogs'], 'None'],
  ['cluster', ['getMetrics'], 'None'],
  ['cluster', ['getMetrics', 'serviceAccounts', 'default'], 'Metadata'],
  ['cluster', ['getMetrics', 'getClusterRoles', 'default'], 'RequestResponse'],
  ['cluster', ['getPodLogs', 'getPods'], 'None'],

  ['nonResource', ['default'], 'Metadata'],
  ['nonResource', ['create'], 'None'],
  ['nonResource', ['tims'], 'Metadata'],
  ['nonResource', ['humans'], 'Metadata'],
  ['nonResource', ['serviceAccounts'], 'None'],
  ['nonResource', ['getPods'], 'None'],
  ['nonResource', ['getClusterRoles'], 'None'],
  ['nonResource', ['getLogs'], 'RequestResponse'],
  ['nonResource', ['getMetrics'], 'None'],
  ['nonResource', ['getMetrics', 'serviceAccounts', 'default'], 'Metadata'],
  ['nonResource', ['getLogs', 'getClusterRoles', 'default'], 'RequestResponse'],
  ['nonResource', ['getPodLogs', 'getPods'], 'None'],

  ['subresource', ['getPodLogs', 'getPods'], 'Request'],
  ['subresource', ['getPodWildcardMatching'], 'Request'],
  ['subresource', ['getPodResourceWildcardMatching'], 'Request'],
  ['subresource', ['getPodSubResourceWildcardMatching'], 'Request'],

  ['Unauthorized', ['tims'], 'None'],
  ['Unauthorized', ['tims', 'default'], 'Metadata'],
  ['Unauthorized', ['humans'], 'None'],
  ['Unauthorized', ['humans', 'default'], 'Metadata'],

  ['ClusterRoleUpdate', ['getGroupWildCardMatchingWithSubresourceWildcardMatching'], 'RequestResponse'],
]

function policyOf(ruleNames: string[], omitStages: string[]): Policy {
  return {
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    omitStages,
    omitManagedFields: false,
    rules: ruleNames.map((n) => rules[n]),
  }
}

function check(request: string, ruleNames: string[], policyStages: string[], level: string, stages: string[]): void {
  const verdict = evaluatePolicy(policyOf(ruleNames, policyStages), requests[request])
  assert.equal(verdict.level, level)
  assert.deepEqual(new Set(verdict.omitStages), new Set(stages))
}

describe('policy evaluation: upstream checker_test table', () => {
  describe('TestChecker (policy omitStages empty)', () => {
    for (const [request, ruleNames, level] of auditLevelRows) {
      it(`${request} [${ruleNames.join(', ')}] => ${level}`, () => check(request, ruleNames, [], level, []))
    }
    const extra: Array<[string, string[], string, string[]]> = [
      ['namespaced', ['omit RequestReceived', 'getPods', 'default'], 'Request', ['RequestReceived']],
      [
        'namespaced',
        ['only audit panic', 'getPods', 'default'],
        'Request',
        ['RequestReceived', 'ResponseStarted', 'ResponseComplete'],
      ],
      ['cluster', ['omit RequestReceived', 'getPods', 'default'], 'Request', ['RequestReceived']],
      [
        'cluster',
        ['only audit panic', 'getPods', 'default'],
        'Request',
        ['RequestReceived', 'ResponseStarted', 'ResponseComplete'],
      ],
      ['nonResource', ['omit RequestReceived', 'getPods', 'default'], 'Request', ['RequestReceived']],
      [
        'nonResource',
        ['only audit panic', 'getPods', 'default'],
        'Request',
        ['RequestReceived', 'ResponseStarted', 'ResponseComplete'],
      ],
    ]
    for (const [request, ruleNames, level, stages] of extra) {
      it(`${request} [${ruleNames.join(', ')}] => ${level} omitting ${stages.join('+')}`, () =>
        check(request, ruleNames, [], level, stages))
    }
  })

  describe('TestCheckerPolicyOmitStages (policy omits RequestReceived, ResponseStarted)', () => {
    const policyStages = ['RequestReceived', 'ResponseStarted']
    for (const [request, ruleNames, level] of auditLevelRows) {
      it(`${request} [${ruleNames.join(', ')}] => ${level}`, () =>
        check(request, ruleNames, policyStages, level, policyStages))
    }
    const extra: Array<[string, string[], string, string[]]> = [
      ['namespaced', ['omit RequestReceived', 'getPods', 'default'], 'Request', ['RequestReceived', 'ResponseStarted']],
      [
        'namespaced',
        ['only audit panic', 'getPods', 'default'],
        'Request',
        ['RequestReceived', 'ResponseStarted', 'ResponseComplete'],
      ],
      ['cluster', ['omit RequestReceived', 'getPods', 'default'], 'Request', ['RequestReceived', 'ResponseStarted']],
      [
        'cluster',
        ['only audit panic', 'getPods', 'default'],
        'Request',
        ['RequestReceived', 'ResponseStarted', 'ResponseComplete'],
      ],
      [
        'nonResource',
        ['default', 'omit RequestReceived', 'getPods'],
        'Metadata',
        ['RequestReceived', 'ResponseStarted'],
      ],
      [
        'nonResource',
        ['only audit panic', 'getPods', 'default'],
        'Request',
        ['RequestReceived', 'ResponseStarted', 'ResponseComplete'],
      ],
    ]
    for (const [request, ruleNames, level, stages] of extra) {
      it(`${request} [${ruleNames.join(', ')}] => ${level} omitting ${stages.join('+')}`, () =>
        check(request, ruleNames, policyStages, level, stages))
    }
  })

  describe('TestUnionStages', () => {
    const RR = 'RequestReceived'
    const RS = 'ResponseStarted'
    const unionRows: Array<[string[], string[], string[]]> = [
      [[], [], []],
      [[RR], [], [RR]],
      [[RR], [RR], [RR]],
      [[RR], [RS], [RR, RS]],
      [[RR, RR], [RR, RR], [RR]],
      [
        [RR, RS],
        ['Panic', RR],
        [RR, RS, 'Panic'],
      ],
      [[], [RR], [RR]],
    ]
    for (const [policyStages, ruleStages, expected] of unionRows) {
      it(`[${policyStages.join(',')}] ∪ [${ruleStages.join(',')}] = [${expected.join(',')}]`, () => {
        const policy: Policy = {
          apiVersion: 'audit.k8s.io/v1',
          kind: 'Policy',
          omitStages: policyStages,
          omitManagedFields: false,
          rules: [rule({level: 'Metadata', omitStages: ruleStages})],
        }
        assert.deepEqual(new Set(evaluatePolicy(policy, requests.namespaced).omitStages), new Set(expected))
      })
    }
  })

  describe('TestOmitManagedFields', () => {
    const getOnly: RequestAttributes = {verb: 'get', resourceRequest: false}
    const cases: Array<[string, boolean, boolean | undefined, boolean]> = [
      ['policy false, rule unset', false, undefined, false],
      ['policy true, rule unset', true, undefined, true],
      ['policy true, rule false', true, false, false],
      ['policy false, rule true', false, true, true],
    ]
    for (const [name, policyValue, ruleValue, expected] of cases) {
      it(name, () => {
        const matching = rule({
          level: 'RequestResponse',
          verbs: ['get'],
          ...(ruleValue === undefined ? {} : {omitManagedFields: ruleValue}),
        })
        const policy: Policy = {
          apiVersion: 'audit.k8s.io/v1',
          kind: 'Policy',
          omitStages: [],
          omitManagedFields: policyValue,
          rules: [matching],
        }
        assert.equal(evaluatePolicy(policy, getOnly).omitManagedFields, expected)
      })
    }
  })
})

describe('policy evaluation: semantics the upstream table leaves out', () => {
  const ordinary = {name: 'jane', groups: ['system:authenticated']}
  const write = (fields: Partial<RequestAttributes>): RequestAttributes => ({
    user: ordinary,
    verb: 'update',
    resourceRequest: true,
    namespace: 'default',
    apiGroup: 'networking.k8s.io',
    resource: 'networkpolicies',
    name: 'deny-all',
    ...fields,
  })
  const evaluate = (r: PolicyRule, request: RequestAttributes) =>
    evaluatePolicy({...policyOf([], []), rules: [r]}, request)

  const rows: Array<[string, PolicyRule, RequestAttributes, string]> = [
    ['"*" in verbs is a literal string', rule({level: 'Metadata', verbs: ['*']}), write({}), 'None'],
    ['"*" in users is a literal string', rule({level: 'Metadata', users: ['*']}), write({}), 'None'],
    ['"*" in userGroups is a literal string', rule({level: 'Metadata', userGroups: ['*']}), write({}), 'None'],
    ['"*" in namespaces is a literal string', rule({level: 'Metadata', namespaces: ['*']}), write({}), 'None'],
    [
      '"*" in resourceNames is a literal string',
      rule({level: 'Metadata', resources: [gr('networking.k8s.io', ['networkpolicies'], ['*'])]}),
      write({}),
      'None',
    ],
    [
      'an omitted group is the core group only',
      rule({level: 'Metadata', resources: [gr('', ['networkpolicies'])]}),
      write({}),
      'None',
    ],
    [
      'resourceNames never match create (no name yet)',
      rule({level: 'Metadata', resources: [gr('networking.k8s.io', ['networkpolicies'], ['deny-all'])]}),
      write({verb: 'create', name: ''}),
      'None',
    ],
    [
      'resourceNames match update of that name',
      rule({level: 'Metadata', resources: [gr('networking.k8s.io', ['networkpolicies'], ['deny-all'])]}),
      write({}),
      'Metadata',
    ],
    [
      '"" namespace matches cluster-scoped resources',
      rule({level: 'Metadata', namespaces: ['']}),
      write({apiGroup: 'projectcalico.org', resource: 'tiers', namespace: ''}),
      'Metadata',
    ],
    ['"" namespace does not match a namespaced write', rule({level: 'Metadata', namespaces: ['']}), write({}), 'None'],
    [
      '"pods/*" also matches "pods" itself',
      rule({level: 'Metadata', resources: [gr('', ['pods/*'])]}),
      write({apiGroup: '', resource: 'pods'}),
      'Metadata',
    ],
    [
      '"pods" does not match "pods/status"',
      rule({level: 'Metadata', resources: [gr('', ['pods'])]}),
      write({apiGroup: '', resource: 'pods', subresource: 'status'}),
      'None',
    ],
    [
      '"*/status" does not match the parent resource',
      rule({level: 'Metadata', resources: [gr('', ['*/status'])]}),
      write({apiGroup: '', resource: 'pods'}),
      'None',
    ],
    [
      'a group without resources matches all its resources and subresources',
      rule({level: 'Metadata', resources: [gr('projectcalico.org', [])]}),
      write({apiGroup: 'projectcalico.org', resource: 'tiers', subresource: 'status', namespace: ''}),
      'Metadata',
    ],
    [
      'namespaces alone match every resource in them',
      rule({level: 'Metadata', namespaces: ['default']}),
      write({}),
      'Metadata',
    ],
    [
      'a resource rule never matches a non-resource request',
      rule({level: 'Metadata', namespaces: ['default'], nonResourceURLs: ['*']}),
      {user: ordinary, verb: 'get', resourceRequest: false, path: '/healthz'},
      'None',
    ],
    [
      'a non-resource rule never matches a resource request',
      rule({level: 'Metadata', nonResourceURLs: ['*']}),
      write({}),
      'None',
    ],
    ['a rule with no selectors matches everything', rule({level: 'Request'}), write({}), 'Request'],
    [
      '"/api*" matches by prefix',
      rule({level: 'Metadata', nonResourceURLs: ['/api*']}),
      {user: ordinary, verb: 'get', resourceRequest: false, path: '/apis/apps'},
      'Metadata',
    ],
  ]
  for (const [name, r, request, level] of rows) {
    it(name, () => assert.equal(evaluate(r, request).level, level))
  }

  it('reports the index of the first matching rule, null when none matched', () => {
    const policy = policyOf(['getMetrics', 'create', 'default'], [])
    assert.equal(evaluatePolicy(policy, requests.namespaced).ruleIndex, 2)
    assert.equal(evaluatePolicy(policyOf(['create'], []), requests.namespaced).ruleIndex, null)
  })
})
