import assert from 'node:assert/strict'

import {ChangeCollector, type ChangeFilter, isDryRun, type PolicyChange} from '../../src/audit/changes.js'
import {decodeDocument} from '../../src/audit/event.js'
import {auditEvent, type EventSpec} from '../support/events.js'

const ALL: ChangeFilter = {sinceMs: null, untilMs: null, includeDryRun: false, includeSubresources: false}

function changesOf(specs: Array<EventSpec & {source?: string}>, filter: ChangeFilter = ALL): PolicyChange[] {
  const collector = new ChangeCollector(filter)
  for (const spec of specs) {
    const decoded = decodeDocument(auditEvent(spec))
    if ('error' in decoded) throw new Error(decoded.error)
    for (const event of decoded.events) collector.add(event, spec.source ?? 'audit.log')
  }
  return collector.finish()
}

const gnp = {apiGroup: 'projectcalico.org', resource: 'globalnetworkpolicies', apiVersion: 'v3'}
const gnpCRD = {apiGroup: 'crd.projectcalico.org', resource: 'globalnetworkpolicies', apiVersion: 'v1'}
const knp = {apiGroup: 'networking.k8s.io', resource: 'networkpolicies', namespace: 'shop'}
const calicoSA = 'system:serviceaccount:calico-apiserver:calico-apiserver'

describe('changes: what counts', () => {
  it('keeps writes to watched resources only', () => {
    const got = changesOf([
      {...knp, verb: 'create', name: 'web'},
      {...knp, verb: 'get', name: 'web'},
      {verb: 'update', resource: 'leases'},
      {apiGroup: '', resource: 'networkpolicies', verb: 'create', name: 'core-group-does-not-exist'},
      {apiGroup: 'projectcalico.org', resource: 'ippools', verb: 'create', name: 'not-watched'},
    ])
    assert.deepEqual(
      got.map((c) => `${c.verb} ${c.resource}.${c.apiGroup}/${c.name}`),
      ['create networkpolicies.networking.k8s.io/web'],
    )
  })

  it('keeps one change per request: the latest stage wins', () => {
    const got = changesOf([
      {
        ...knp,
        verb: 'patch',
        name: 'web',
        auditID: 'a1',
        stage: 'RequestReceived',
        time: '2026-11-24T10:00:00.000001Z',
      },
      {
        ...knp,
        verb: 'patch',
        name: 'web',
        auditID: 'a1',
        stage: 'ResponseComplete',
        code: 200,
        time: '2026-11-24T10:00:00.020000Z',
      },
      {
        ...knp,
        verb: 'delete',
        name: 'old',
        auditID: 'a2',
        stage: 'ResponseComplete',
        code: 200,
        time: '2026-11-24T10:00:01Z',
      },
      {...knp, verb: 'delete', name: 'old', auditID: 'a2', stage: 'RequestReceived', time: '2026-11-24T10:00:00.9Z'},
    ])
    assert.deepEqual(
      got.map((c) => [c.auditID, c.outcome, c.time]),
      [
        ['a1', 'succeeded', '2026-11-24T10:00:00.020000Z'],
        ['a2', 'succeeded', '2026-11-24T10:00:01Z'],
      ],
    )
  })

  it('keeps one change when rotation split its stages across two files of one log', () => {
    const got = changesOf([
      {
        ...knp,
        verb: 'create',
        name: 'web',
        auditID: 'r1',
        stage: 'RequestReceived',
        source: '/logs/audit-2026-11-24T10-00-00.000.log.gz',
      },
      {
        ...knp,
        verb: 'create',
        name: 'web',
        auditID: 'r1',
        stage: 'ResponseComplete',
        code: 201,
        source: '/logs/audit.log',
      },
    ])
    assert.deepEqual(
      got.map((c) => [c.outcome, c.source]),
      [['succeeded', '/logs/audit.log']],
    )
  })

  it('keeps requests apart that share an auditID but come from two apiservers', () => {
    const got = changesOf([
      {...knp, verb: 'create', name: 'web', auditID: 'same', source: 'node/cp-1:/var/log/audit.log'},
      {...knp, verb: 'create', name: 'web', auditID: 'same', source: 'node/cp-2:/var/log/audit.log'},
    ])
    assert.equal(got.length, 2)
  })

  it('marks a request seen only at RequestReceived as unknown', () => {
    const [c] = changesOf([{...knp, verb: 'create', name: 'web', stage: 'RequestReceived'}])
    assert.equal(c.outcome, 'unknown')
    assert.equal(c.code, null)
  })

  it('marks a request that ended in a Panic as failed, with or without a code (the apiserver answers 500)', () => {
    const got = changesOf([
      {...knp, verb: 'patch', name: 'a', stage: 'Panic', code: null},
      {...knp, verb: 'patch', name: 'b', stage: 'Panic', code: 500},
      {...knp, verb: 'patch', name: 'c', stage: 'ResponseComplete', code: null},
    ])
    assert.deepEqual(
      got.map((c) => [c.name, c.code, c.outcome]),
      [
        ['a', null, 'failed'],
        ['b', 500, 'failed'],
        ['c', null, 'succeeded'],
      ],
    )
  })

  it('keeps failed attempts with their code', () => {
    const got = changesOf([
      {...knp, verb: 'create', name: 'a', code: 403},
      {...knp, verb: 'create', name: 'b', code: 409},
      {...knp, verb: 'create', name: 'c', code: 422},
      {...knp, verb: 'create', name: 'd', code: 201},
    ])
    assert.deepEqual(got.map((c) => `${c.name}:${c.outcome}:${c.code}`).sort(), [
      'a:failed:403',
      'b:failed:409',
      'c:failed:422',
      'd:succeeded:201',
    ])
  })

  it('leaves out dry runs and subresource writes unless asked', () => {
    const specs = [
      {
        ...knp,
        verb: 'create',
        name: 'dry',
        requestURI: '/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies?dryRun=All&fieldManager=kubectl',
      },
      {...gnp, resource: 'tiers', verb: 'update', name: 'security', subresource: 'status'},
    ]
    assert.equal(changesOf(specs).length, 0)
    const all = changesOf(specs, {...ALL, includeDryRun: true, includeSubresources: true})
    assert.deepEqual(
      all.map((c) => [c.name, c.dryRun]),
      [
        ['dry', true],
        ['security', false],
      ],
    )
  })

  it('applies the time window on stageTimestamp, bounds included', () => {
    const specs = ['09:59:59.999999', '10:00:00', '10:30:00', '11:00:00', '11:00:00.000001'].map((t, i) => ({
      ...knp,
      verb: 'create',
      name: `p${i}`,
      time: `2026-11-24T${t}Z`,
    }))
    const got = changesOf(specs, {
      ...ALL,
      sinceMs: Date.parse('2026-11-24T10:00:00Z'),
      untilMs: Date.parse('2026-11-24T11:00:00Z'),
    })
    assert.deepEqual(
      got.map((c) => c.name),
      ['p1', 'p2', 'p3'],
    )
  })

  it('sorts by time, then auditID', () => {
    const got = changesOf([
      {...knp, verb: 'create', name: 'x', auditID: 'b', time: '2026-11-24T10:00:00Z'},
      {...knp, verb: 'create', name: 'y', auditID: 'a', time: '2026-11-24T10:00:00Z'},
      {...knp, verb: 'create', name: 'z', auditID: 'c', time: '2026-11-24T09:00:00Z'},
    ])
    assert.deepEqual(
      got.map((c) => c.auditID),
      ['c', 'a', 'b'],
    )
  })

  it('records impersonation and the authenticated user separately', () => {
    const [c] = changesOf([{...knp, verb: 'patch', name: 'web', user: 'admin', impersonatedUser: 'dev-bob'}])
    assert.equal(c.user, 'admin')
    assert.equal(c.impersonatedUser, 'dev-bob')
  })

  it('recognises dryRun=All among other parameters only', () => {
    assert.equal(isDryRun('/apis/x?fieldManager=a&dryRun=All'), true)
    assert.equal(isDryRun('/apis/x?dryRun=None'), false)
    assert.equal(isDryRun('/apis/dryRun=All'), false)
  })
})

describe('changes: tiers', () => {
  const cases: Array<[string, EventSpec, string | null]> = [
    [
      'spec.tier from the body',
      {
        ...gnp,
        verb: 'create',
        name: 'security.allow-dns',
        responseObject: {kind: 'GlobalNetworkPolicy', spec: {tier: 'security'}},
      },
      'security',
    ],
    ['name prefix on the CRD', {...gnpCRD, verb: 'update', name: 'platform.allow-dns', user: 'ops'}, 'platform'],
    ['no body, v3 name: default', {...gnp, verb: 'patch', name: 'allow-dns'}, 'default'],
    [
      'no body, v3 name with a tier prefix (Calico <= 3.31 naming)',
      {...gnp, verb: 'delete', name: 'security.allow-dns', code: 403},
      'security',
    ],
    ['Kubernetes NetworkPolicy', {...knp, verb: 'create', name: 'web'}, 'default'],
    ['a tier is its own tier', {...gnp, resource: 'tiers', verb: 'create', name: 'security'}, 'security'],
    ['network sets have none', {...gnp, resource: 'globalnetworksets', verb: 'create', name: 'blocklist'}, null],
    ['host endpoints have none', {...gnp, resource: 'hostendpoints', verb: 'delete', name: 'eth0'}, null],
    [
      'admin network policy tier',
      {apiGroup: 'policy.networking.k8s.io', resource: 'adminnetworkpolicies', verb: 'create', name: 'a'},
      'adminnetworkpolicy',
    ],
    ['patch body carries spec.tier', {...gnp, verb: 'patch', name: 'x', requestObject: {spec: {tier: 'edge'}}}, 'edge'],
  ]
  for (const [title, spec, tier] of cases) {
    it(title, () => assert.equal(changesOf([spec])[0].tier, tier))
  }
})

describe('changes: Calico aggregated API join', () => {
  it('joins the Calico API server CRD write to the user request and takes its tier', () => {
    const got = changesOf([
      {...gnp, verb: 'patch', name: 'allow-dns', user: 'alice', auditID: 'u1', time: '2026-11-24T10:00:00.100000Z'},
      {
        ...gnpCRD,
        verb: 'update',
        name: 'security.allow-dns',
        user: calicoSA,
        auditID: 'b1',
        time: '2026-11-24T10:00:00.180000Z',
        level: 'RequestResponse',
        responseObject: {spec: {tier: 'security'}},
      },
    ])
    assert.equal(got.length, 1)
    assert.equal(got[0].user, 'alice')
    assert.equal(got[0].tier, 'security')
    assert.equal(got[0].apiGroup, 'projectcalico.org')
  })

  it('names an aggregated create by its v3 name, from the backing write', () => {
    const got = changesOf([
      {...gnp, verb: 'create', user: 'alice', time: '2026-11-24T10:00:00Z'},
      {...gnpCRD, verb: 'create', name: 'security.allow-dns', user: calicoSA, time: '2026-11-24T10:00:00.2Z'},
      {...gnp, verb: 'create', user: 'alice', time: '2026-11-24T11:00:00Z'},
      {...gnpCRD, verb: 'create', name: 'default.allow-ntp', user: calicoSA, time: '2026-11-24T11:00:00.2Z'},
    ])
    assert.deepEqual(
      got.map((c) => [c.name, c.tier]),
      [
        ['security.allow-dns', 'security'],
        ['allow-ntp', 'default'],
      ],
    )
  })

  it("takes an aggregated tier create's name and tier from the backing write", () => {
    const tier = {resource: 'tiers'}
    const got = changesOf([
      {...gnp, ...tier, verb: 'create', user: 'alice', time: '2026-11-24T10:00:00.3Z'},
      {...gnpCRD, ...tier, verb: 'create', name: 'security', user: calicoSA, time: '2026-11-24T10:00:00.2Z'},
    ])
    assert.deepEqual(
      got.map((c) => [c.user, c.name, c.tier]),
      [['alice', 'security', 'security']],
    )
  })

  it('gives each of two quick edits of one object its own backing write, the nearest in time', () => {
    const got = changesOf([
      {...gnp, verb: 'patch', name: 'x', user: 'alice', auditID: 'u1', time: '2026-11-24T10:00:00.300Z'},
      {...gnp, verb: 'patch', name: 'x', user: 'bob', auditID: 'u2', time: '2026-11-24T10:00:01.300Z'},
      // listed out of time order, as two apiservers' logs may be
      {
        ...gnpCRD,
        verb: 'update',
        name: 'edge.x',
        user: calicoSA,
        time: '2026-11-24T10:00:01.200Z',
        responseObject: {spec: {tier: 'edge'}},
      },
      {
        ...gnpCRD,
        verb: 'update',
        name: 'default.x',
        user: calicoSA,
        time: '2026-11-24T10:00:00.200Z',
        responseObject: {spec: {tier: 'default'}},
      },
    ])
    assert.deepEqual(
      got.map((c) => [c.user, c.tier]),
      [
        ['alice', 'default'],
        ['bob', 'edge'],
      ],
    )
  })

  it('never gives a failed request the backing write of a successful one, however near', () => {
    const got = changesOf([
      {...gnp, verb: 'create', user: 'alice', code: 201, auditID: 'alice', time: '2026-11-24T09:00:00Z'},
      {...gnp, verb: 'create', user: 'bob', code: 403, auditID: 'bob', time: '2026-11-24T09:00:01.2Z'},
      {
        ...gnpCRD,
        verb: 'create',
        name: 'security.allow-x',
        user: calicoSA,
        code: 201,
        time: '2026-11-24T09:00:01.3Z',
        responseObject: {spec: {tier: 'security'}},
      },
    ])
    assert.deepEqual(
      got.map((c) => [c.user, c.name, c.tier, c.outcome]),
      [
        ['alice', 'security.allow-x', 'security', 'succeeded'],
        ['bob', null, null, 'failed'],
      ],
    )
  })

  it('joins a failed backing write to the request that failed with it, not to a successful one', () => {
    const got = changesOf([
      {...gnp, verb: 'create', user: 'alice', code: 409, auditID: 'alice', time: '2026-11-24T09:00:00.5Z'},
      {...gnp, verb: 'create', user: 'bob', code: 201, auditID: 'bob', time: '2026-11-24T09:00:01Z'},
      {...gnpCRD, verb: 'create', name: 'default.exists', user: calicoSA, code: 409, time: '2026-11-24T09:00:01.05Z'},
      {...gnpCRD, verb: 'create', name: 'edge.new', user: calicoSA, code: 201, time: '2026-11-24T09:00:01.1Z'},
    ])
    assert.deepEqual(
      got.map((c) => [c.user, c.name, c.outcome]),
      [
        ['alice', 'exists', 'failed'],
        ['bob', 'edge.new', 'succeeded'],
      ],
    )
  })

  it('does not join writes that are too far apart, or on another object', () => {
    const got = changesOf([
      {...gnp, verb: 'create', name: 'a', user: 'alice', time: '2026-11-24T10:00:00Z'},
      {...gnpCRD, verb: 'create', name: 'default.a', user: calicoSA, time: '2026-11-24T10:00:30Z'},
      {...gnpCRD, verb: 'create', name: 'default.b', user: calicoSA, time: '2026-11-24T10:00:00.5Z'},
    ])
    assert.deepEqual(
      got.map((c) => `${c.user}:${c.name}`),
      [`alice:a`, `${calicoSA}:default.b`, `${calicoSA}:default.a`],
    )
  })

  it('counts calicoctl writes straight to the CRDs as the user changes they are', () => {
    const got = changesOf([
      {...gnpCRD, verb: 'create', name: 'default.x', user: 'bob', code: 409, time: '2026-11-24T10:00:00Z'},
      {...gnpCRD, verb: 'update', name: 'default.x', user: 'bob', code: 200, time: '2026-11-24T10:00:00.2Z'},
    ])
    assert.deepEqual(
      got.map((c) => `${c.verb}:${c.outcome}:${c.tier}`),
      ['create:failed:default', 'update:succeeded:default'],
    )
  })

  it('joins the per-object CRD deletes to one deletecollection', () => {
    const ns = {namespace: 'sandbox', resource: 'networkpolicies'}
    const got = changesOf([
      {
        ...gnp,
        ...ns,
        verb: 'deletecollection',
        user: 'system:serviceaccount:kube-system:namespace-controller',
        time: '2026-11-24T10:00:00Z',
      },
      {...gnpCRD, ...ns, verb: 'delete', name: 'default.a', user: calicoSA, time: '2026-11-24T10:00:00.1Z'},
      {...gnpCRD, ...ns, verb: 'delete', name: 'security.b', user: calicoSA, time: '2026-11-24T10:00:00.2Z'},
    ])
    assert.deepEqual(
      got.map((c) => c.verb),
      ['deletecollection'],
    )
  })

  it('merges the Calico API server log with kube-apiserver on auditID', () => {
    const got = changesOf([
      {
        ...gnp,
        verb: 'create',
        name: 'x',
        user: 'alice',
        auditID: 'same',
        source: 'node/cp1:/var/log/kubernetes/audit/audit.log',
      },
      {
        ...gnp,
        verb: 'create',
        name: 'x',
        user: 'alice',
        auditID: 'same',
        level: 'RequestResponse',
        requestObject: {spec: {tier: 'security'}},
        source: 'node/cp1:/var/log/calico/audit/tsee-audit.log',
      },
    ])
    assert.equal(got.length, 1)
    assert.equal(got[0].tier, 'security')
  })

  it('keeps who impersonated whom when the Calico API server logged only the impersonated user', () => {
    for (const [kube, calico] of [
      ['node/cp1:/var/log/kubernetes/audit/audit.log', 'node/worker-2:/var/log/calico/audit/tsee-audit.log'],
      ['kube', 'ee'],
      ['es', 'es'],
    ]) {
      const got = changesOf([
        {...gnp, verb: 'create', name: 'x', user: 'admin', impersonatedUser: 'carol', auditID: 'same', source: kube},
        {
          ...gnp,
          verb: 'create',
          name: 'x',
          user: 'carol',
          auditID: 'same',
          level: 'RequestResponse',
          requestObject: {spec: {tier: 'security'}},
          source: calico,
        },
      ])
      assert.deepEqual(
        got.map((c) => [c.user, c.impersonatedUser, c.tier]),
        [['admin', 'carol', 'security']],
        `${kube} and ${calico}`,
      )
    }
  })
})

describe('changes: one request read from several places', () => {
  const copies = (specs: EventSpec[], sources: string[]) =>
    sources.flatMap((source) => specs.map((spec) => ({...spec, source})))

  it('counts identical copies of a log once (-f a/audit.log -f b/audit.log), whichever is read first', () => {
    const specs: EventSpec[] = [
      {...knp, verb: 'create', name: 'web', auditID: 'c1', code: 201},
      {...knp, verb: 'delete', name: 'old', auditID: 'c2', code: 403},
    ]
    const ab = changesOf(copies(specs, ['a/audit.log', 'b/audit.log']))
    const ba = changesOf(copies(specs, ['b/audit.log', 'a/audit.log']))
    assert.deepEqual(
      ab.map((c) => [c.auditID, c.outcome, c.source]),
      [
        ['c1', 'succeeded', 'a/audit.log'],
        ['c2', 'failed', 'a/audit.log'],
      ],
    )
    assert.deepEqual(ba, ab)
  })

  it('counts a backup beside the live log once, the latest stage winning across them', () => {
    const got = changesOf([
      {...knp, verb: 'patch', name: 'web', auditID: 'p1', stage: 'RequestReceived', source: '/backup/audit.log'},
      {
        ...knp,
        verb: 'patch',
        name: 'web',
        auditID: 'p1',
        stage: 'ResponseComplete',
        code: 200,
        source: '/var/log/audit.log',
      },
      {...knp, verb: 'patch', name: 'web', auditID: 'p1', stage: 'RequestReceived', source: '/var/log/audit.log'},
    ])
    assert.deepEqual(
      got.map((c) => [c.outcome, c.source]),
      [['succeeded', '/var/log/audit.log']],
    )
  })

  it('never merges events without an audit ID, even identical ones from two copies', () => {
    const got = changesOf(copies([{...knp, verb: 'create', name: 'web', auditID: ''}], ['a/audit.log', 'b/audit.log']))
    assert.equal(got.length, 2)
  })

  it('joins the Calico backing write once across copies: the Calico API server never shows up as a user', () => {
    const specs: EventSpec[] = [
      {
        ...gnp,
        verb: 'create',
        name: 'security.deny',
        user: 'alice',
        auditID: 'u1',
        code: 201,
        time: '2026-11-24T10:00:00.000000Z',
      },
      {
        ...gnpCRD,
        verb: 'create',
        name: 'security.deny',
        user: calicoSA,
        auditID: 'b1',
        code: 201,
        requestObject: {spec: {tier: 'security'}},
        time: '2026-11-24T10:00:00.050000Z',
      },
    ]
    const got = changesOf(copies(specs, ['a/audit.log', 'b/audit.log', 'c/audit.log']))
    assert.deepEqual(
      got.map((c) => [c.user, c.apiGroup, c.tier]),
      [['alice', 'projectcalico.org', 'security']],
    )
  })
})
