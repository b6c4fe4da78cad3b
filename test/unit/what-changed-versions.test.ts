import assert from 'node:assert/strict'

import {calicoV3FromCrd, CALICO_METADATA_ANNOTATION} from '../../src/audit/what-changed/calico-v3.js'
import {objectKey, VersionHistory} from '../../src/audit/what-changed/history.js'
import {MAX_DEPTH} from '../../src/audit/what-changed/json.js'
import {
  NONE,
  NOTES,
  type ObjectWrite,
  patchOf,
  type Side,
  UNKNOWN,
  whatChanged,
} from '../../src/audit/what-changed/versions.js'

const knp = (port: number, extra: Record<string, unknown> = {}) => ({
  kind: 'NetworkPolicy',
  apiVersion: 'networking.k8s.io/v1',
  metadata: {name: 'web', namespace: 'shop', resourceVersion: String(port), ...extra},
  spec: {podSelector: {}, ingress: [{ports: [{protocol: 'TCP', port}]}]},
})
const known = (object: Record<string, unknown>): Side => ({
  state: 'known',
  version: {object, origin: 'response', shape: 'object', notes: []},
})
const status = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Success',
  details: {name: 'web', group: 'networking.k8s.io', kind: 'networkpolicies'},
}
const ok = (verb: string, bodies: Partial<ObjectWrite> = {}): ObjectWrite => ({verb, outcome: 'succeeded', ...bodies})
const state = (s: Side) =>
  s.state === 'known'
    ? `known:${s.version.origin}:${JSON.stringify((s.version.object.spec as {ingress: Array<{ports: Array<{port: number}>}>}).ingress[0].ports[0].port)}`
    : s.state

describe('what changed: the versions one write leaves', () => {
  const cases: Array<
    [string, ObjectWrite, Side, {before: string; after: string; patch?: string; stored: boolean; notes: string[]}]
  > = [
    [
      'a create at RequestResponse: after is the response, before is nothing',
      ok('create', {requestObject: knp(1), responseObject: knp(80)}),
      UNKNOWN,
      {before: 'none', after: 'known:response:80', stored: true, notes: []},
    ],
    [
      'a create at Request: after is the body as sent',
      ok('create', {requestObject: knp(80)}),
      UNKNOWN,
      {before: 'none', after: 'known:request:80', stored: true, notes: []},
    ],
    [
      'a create at Metadata: no object',
      ok('create'),
      UNKNOWN,
      {before: 'none', after: 'unknown', stored: true, notes: [NOTES.noBodies]},
    ],
    [
      'an update diffs against the previous version',
      ok('update', {requestObject: knp(81), responseObject: knp(81)}),
      known(knp(80)),
      {before: 'known:response:80', after: 'known:response:81', stored: true, notes: []},
    ],
    [
      'an update with no previous version says so',
      ok('update', {responseObject: knp(81)}),
      UNKNOWN,
      {before: 'unknown', after: 'known:response:81', stored: true, notes: [NOTES.previousMissing]},
    ],
    [
      'a patch at RequestResponse: after is the response, the patch is not needed',
      ok('patch', {requestObject: {metadata: {labels: {a: 'b'}}}, responseObject: knp(81)}),
      known(knp(80)),
      {before: 'known:response:80', after: 'known:response:81', stored: true, notes: []},
    ],
    [
      'a patch at Request: only the patch',
      ok('patch', {requestObject: [{op: 'replace', path: '/spec/ingress/0/ports/0/port', value: 81}]}),
      known(knp(80)),
      {before: 'known:response:80', after: 'unknown', patch: 'json-patch', stored: true, notes: [NOTES.patchOnly]},
    ],
    [
      'a patch at Metadata with no previous version',
      ok('patch'),
      UNKNOWN,
      {before: 'unknown', after: 'unknown', stored: true, notes: [NOTES.noBodies, NOTES.previousMissing]},
    ],
    [
      'a delete diffs against the previous version, whatever it returns',
      ok('delete', {responseObject: knp(99)}),
      known(knp(80)),
      {before: 'known:response:80', after: 'none', stored: true, notes: []},
    ],
    [
      'a delete with no previous version diffs against the object it returned',
      ok('delete', {responseObject: knp(80)}),
      UNKNOWN,
      {before: 'known:delete-response:80', after: 'none', stored: true, notes: []},
    ],
    [
      'a delete that returned a Status, with no previous version',
      ok('delete', {requestObject: {kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1'}, responseObject: status}),
      UNKNOWN,
      {before: 'unknown', after: 'none', stored: true, notes: [NOTES.previousMissing]},
    ],
    [
      'a failed write changes nothing',
      {
        verb: 'update',
        outcome: 'failed',
        requestObject: knp(81),
        responseObject: {...status, status: 'Failure', code: 409},
      },
      known(knp(80)),
      {before: 'known:response:80', after: 'known:response:80', stored: false, notes: [NOTES.failed]},
    ],
    [
      'a dry run is shown but not stored',
      ok('update', {dryRun: true, responseObject: knp(81)}),
      known(knp(80)),
      {before: 'known:response:80', after: 'known:response:81', stored: false, notes: [NOTES.dryRun]},
    ],
    [
      'a write whose outcome is not logged is not known to be stored',
      {verb: 'update', outcome: 'unknown'},
      known(knp(80)),
      {before: 'known:response:80', after: 'unknown', stored: false, notes: [NOTES.outcomeUnknown, NOTES.noBodies]},
    ],
    [
      'a deletecollection names no object',
      ok('deletecollection'),
      UNKNOWN,
      {before: 'unknown', after: 'none', stored: true, notes: [NOTES.deleteCollection]},
    ],
    [
      'a create answered with a Status falls back to the body sent',
      ok('create', {requestObject: knp(80), responseObject: status}),
      UNKNOWN,
      {before: 'none', after: 'known:request:80', stored: true, notes: []},
    ],
  ]
  for (const [title, write, previous, expected] of cases) {
    it(title, () => {
      const got = whatChanged(write, previous)
      assert.deepEqual(
        {
          before: state(got.before),
          after: state(got.after),
          ...(got.patch ? {patch: got.patch.type} : {}),
          stored: got.stored,
          notes: got.notes,
        },
        expected,
      )
    })
  }

  it('says where a version came from in its notes', () => {
    const got = whatChanged(ok('create', {requestObject: knp(80)}), UNKNOWN)
    assert.deepEqual(got.after.state === 'known' && got.after.version.notes, [NOTES.asSent])
    const deleted = whatChanged(ok('delete', {responseObject: knp(80)}), UNKNOWN)
    assert.deepEqual(deleted.before.state === 'known' && deleted.before.version.notes, [NOTES.deleteResponse])
  })

  it('does not build a version from a body nested deeper than it shows', () => {
    let deep: Record<string, unknown> = {}
    const object = {kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1', metadata: {name: 'web'}, spec: deep}
    for (let i = 0; i < MAX_DEPTH + 5; i++) deep = (deep.x = {}) as Record<string, unknown>
    const got = whatChanged(ok('create', {responseObject: object}), UNKNOWN)
    assert.equal(got.after.state, 'unknown')
    assert.deepEqual(got.notes, [NOTES.tooDeep, NOTES.noBodies])
  })
})

describe('what changed: patch types', () => {
  const cases: Array<[string, unknown, string | undefined, string | null]> = [
    ['an array is a JSON patch', [{op: 'add', path: '/metadata/labels/a', value: 'b'}], undefined, 'json-patch'],
    ['an object is a merge patch', {metadata: {labels: {a: 'b'}}}, '/apis/x?fieldManager=kubectl-label', 'merge-patch'],
    [
      'an object with a strategic-merge directive, however deep',
      {spec: {$setElementOrder: 1, ingress: [{'$setElementOrder/ports': [{port: 80}]}]}},
      undefined,
      'strategic-merge-patch',
    ],
    ['$patch: delete', {spec: {ingress: [{$patch: 'delete', ports: []}]}}, undefined, 'strategic-merge-patch'],
    [
      'a whole object with a field manager of its own is a server-side apply',
      {apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: {name: 'web'}, spec: {}},
      '/apis/x/web?fieldManager=argocd-controller&force=true',
      'apply-patch',
    ],
    [
      "kubectl's own managers do not apply",
      {apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: {name: 'web'}},
      '/apis/x/web?fieldManager=kubectl-client-side-apply',
      'merge-patch',
    ],
    [
      'no field manager, no apply',
      {apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: {name: 'web'}},
      '/apis/x/web',
      'merge-patch',
    ],
    ['no body', undefined, undefined, null],
    ['a string body (a log that left it out) is no patch', 'skipped-too-big-size-object', undefined, null],
  ]
  for (const [title, body, requestURI, expected] of cases) {
    it(title, () =>
      assert.equal(
        patchOf({verb: 'patch', outcome: 'succeeded', requestObject: body, requestURI})?.type ?? null,
        expected,
      ),
    )
  }
})

describe('what changed: Calico CRD objects back to projectcalico.org/v3', () => {
  const crd = (
    name: string,
    spec: Record<string, unknown>,
    metadata: Record<string, unknown> = {},
    kind = 'GlobalNetworkPolicy',
  ) => ({
    apiVersion: 'crd.projectcalico.org/v1',
    kind,
    metadata: {
      annotations: {[CALICO_METADATA_ANNOTATION]: '{"creationTimestamp":null}'},
      creationTimestamp: '2026-11-24T07:00:00Z',
      name,
      resourceVersion: '7',
      uid: 'u1',
      ...metadata,
    },
    spec,
  })

  it('drops the default tier prefix and the metadata annotation, and takes back what the annotation keeps', () => {
    const saved = JSON.stringify({
      name: 'allow-dns',
      creationTimestamp: '2026-11-24T06:59:59Z',
      labels: {team: 'sre'},
      annotations: {note: 'kept'},
      ownerReferences: [{apiVersion: 'crd.projectcalico.org/v1', kind: 'Tier', name: 'default', uid: 'x'}],
    })
    const got = calicoV3FromCrd(
      crd(
        'default.allow-dns',
        {tier: 'default', order: 1},
        {
          labels: {'projectcalico.org/tier': 'default'},
          annotations: {[CALICO_METADATA_ANNOTATION]: saved, 'projectcalico.org/own': 'y'},
        },
      ),
    )
    assert.deepEqual(got, {
      mapped: true,
      object: {
        apiVersion: 'projectcalico.org/v3',
        kind: 'GlobalNetworkPolicy',
        metadata: {
          name: 'allow-dns',
          uid: 'u1',
          resourceVersion: '7',
          creationTimestamp: '2026-11-24T06:59:59Z',
          labels: {'projectcalico.org/tier': 'default', team: 'sre'},
          annotations: {'projectcalico.org/own': 'y', note: 'kept'},
          ownerReferences: [{apiVersion: 'projectcalico.org/v3', kind: 'Tier', name: 'default', uid: 'x'}],
        },
        spec: {tier: 'default', order: 1},
      },
    })
  })

  const names: Array<[string, ReturnType<typeof crd>, string]> = [
    [
      'another tier keeps its prefix: it is part of the v3 name',
      crd('security.allow-dns', {tier: 'security'}),
      'security.allow-dns',
    ],
    ['an older object with no spec.tier: default. dropped', crd('default.allow-dns', {}), 'allow-dns'],
    ['Calico 3.32 stores the plain name', crd('allow-dns', {tier: 'security'}), 'allow-dns'],
    [
      'a saved name wins, without the default. a v3 read drops',
      crd(
        'default.allow-dns',
        {tier: 'default'},
        {annotations: {[CALICO_METADATA_ANNOTATION]: '{"name":"default.allow-dns"}'}},
      ),
      'allow-dns',
    ],
    ['a tier is named as stored', crd('default', {order: 1000000}, {}, 'Tier'), 'default'],
    [
      'a network set is not tiered: default. is its own',
      crd('default.partners', {nets: ['192.0.2.0/24']}, {}, 'GlobalNetworkSet'),
      'default.partners',
    ],
  ]
  for (const [title, object, name] of names) {
    it(title, () => {
      const got = calicoV3FromCrd(object)
      assert.equal(got.mapped, true)
      assert.equal((got.object.metadata as {name: string}).name, name)
      assert.equal(got.object.apiVersion, 'projectcalico.org/v3')
    })
  }

  const unsafe: Array<[string, Record<string, unknown>, string]> = [
    [
      'a kind with no known v3 form',
      crd('pool', {cidr: '10.0.0.0/16'}, {}, 'IPPool'),
      'no projectcalico.org/v3 form is known for kind "IPPool"',
    ],
    [
      'an unreadable metadata annotation',
      crd('default.x', {}, {annotations: {[CALICO_METADATA_ANNOTATION]: '{not json'}}),
      'its projectcalico.org/metadata annotation is not a JSON object',
    ],
    [
      "the default tier's prefix on a policy of another tier",
      crd('default.x', {tier: 'security'}),
      `its name has the default tier's prefix but spec.tier is "security"`,
    ],
    ['no name', {...crd('x', {}), metadata: {}}, 'the stored object has no metadata.name'],
  ]
  for (const [title, object, reason] of unsafe) {
    it(`keeps the stored object when mapping would guess: ${title}`, () =>
      assert.deepEqual(calicoV3FromCrd(object), {mapped: false, object, reason}))
  }

  it('says in the version which shape it is', () => {
    const mapped = whatChanged(ok('create', {responseObject: crd('default.x', {})}), UNKNOWN)
    assert.deepEqual(mapped.after.state === 'known' && [mapped.after.version.shape, mapped.after.version.notes], [
      'calico-v3',
      [NOTES.calicoMapped],
    ])
    const stored = whatChanged(ok('create', {responseObject: crd('default.x', {tier: 'security'})}), UNKNOWN)
    assert.deepEqual(stored.after.state === 'known' && [stored.after.version.shape, stored.after.version.notes], [
      'calico-crd',
      [NOTES.calicoStored(`its name has the default tier's prefix but spec.tier is "security"`)],
    ])
  })
})

describe('what changed: the history of versions', () => {
  const gnpV3 = {apiGroup: 'projectcalico.org', resource: 'globalnetworkpolicies', namespace: null}
  const gnpCRD = {apiGroup: 'crd.projectcalico.org', resource: 'globalnetworkpolicies', namespace: null}
  const stored = (order: number) => ({
    apiVersion: 'crd.projectcalico.org/v1',
    kind: 'GlobalNetworkPolicy',
    metadata: {name: 'default.allow-dns'},
    spec: {order},
  })

  it('keys one object by its v3 name whichever API wrote it', () => {
    assert.equal(objectKey({...gnpV3, name: 'allow-dns'}), objectKey({...gnpCRD, name: 'default.allow-dns'}))
    assert.notEqual(objectKey({...gnpV3, name: 'allow-dns'}), objectKey({...gnpCRD, name: 'security.allow-dns'}))
    const knp = {resource: 'networkpolicies', namespace: 'shop', name: 'web'}
    assert.equal(objectKey({...knp, apiGroup: 'extensions'}), objectKey({...knp, apiGroup: 'networking.k8s.io'}))
    assert.notEqual(
      objectKey({...knp, apiGroup: 'projectcalico.org'}),
      objectKey({...knp, apiGroup: 'networking.k8s.io'}),
    )
    const sets = {apiGroup: 'crd.projectcalico.org', resource: 'globalnetworksets', namespace: null}
    assert.notEqual(objectKey({...sets, name: 'default.partners'}), objectKey({...sets, name: 'partners'}))
    assert.equal(objectKey({...gnpV3, name: null}), undefined)
  })

  it('follows an object from an aggregated create (no name) to a calicoctl update of its CRD', () => {
    const history = new VersionHistory()
    history.record({...gnpV3, name: null}, ok('create', {responseObject: stored(1)}))
    const update = history.record({...gnpCRD, name: 'default.allow-dns'}, ok('update', {responseObject: stored(2)}))
    assert.deepEqual(
      [update.before.state, update.before.state === 'known' && update.before.version.object.spec],
      ['known', {order: 1}],
    )
    assert.equal(history.size, 1)
  })

  it('keeps nothing a failed write, a dry run or an unlogged outcome might not have stored', () => {
    const history = new VersionHistory()
    const ref = {...gnpV3, name: 'allow-dns'}
    history.record(ref, ok('create', {responseObject: stored(1)}))
    history.record(ref, {verb: 'update', outcome: 'failed', responseObject: stored(9)})
    history.record(ref, ok('update', {dryRun: true, responseObject: stored(9)}))
    const next = history.record(ref, ok('update', {responseObject: stored(2)}))
    assert.deepEqual(next.before.state === 'known' && next.before.version.object.spec, {order: 1})
    history.record(ref, {verb: 'update', outcome: 'unknown'})
    assert.deepEqual(history.record(ref, ok('update', {responseObject: stored(3)})).notes, [NOTES.previousMissing])
  })

  it('after a patch-only write, the next one has no previous version', () => {
    const history = new VersionHistory()
    const ref = {...gnpV3, name: 'allow-dns'}
    history.record(ref, ok('create', {responseObject: stored(1)}))
    history.record(ref, ok('patch', {requestObject: {spec: {order: 2}}}))
    assert.deepEqual(history.record(ref, ok('update', {responseObject: stored(3)})).notes, [NOTES.previousMissing])
  })

  it('forgets a deleted object, and every object a deletecollection may have deleted', () => {
    const history = new VersionHistory()
    const knp = (namespace: string, name: string) => ({
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      namespace,
      name,
    })
    const body = (namespace: string, name: string) => ({
      kind: 'NetworkPolicy',
      apiVersion: 'networking.k8s.io/v1',
      metadata: {name, namespace},
      spec: {},
    })
    for (const [ns, name] of [
      ['shop', 'a'],
      ['shop', 'b'],
      ['payments', 'c'],
      ['payments', 'd'],
    ])
      history.record(knp(ns, name), ok('create', {responseObject: body(ns, name)}))
    history.record(knp('payments', 'd'), ok('delete', {responseObject: status}))
    assert.equal(history.size, 3)
    history.record({...knp('shop', 'x'), name: null}, ok('deletecollection'))
    assert.equal(history.size, 1)
    assert.equal(
      history.record(knp('payments', 'c'), ok('update', {responseObject: body('payments', 'c')})).before.state,
      'known',
    )
    history.record(
      {apiGroup: 'networking.k8s.io', resource: 'networkpolicies', namespace: null, name: null},
      ok('deletecollection'),
    )
    assert.equal(history.size, 0)
  })

  it('a create after a delete diffs against nothing', () => {
    const history = new VersionHistory()
    const ref = {...gnpV3, name: 'allow-dns'}
    history.record(ref, ok('create', {responseObject: stored(1)}))
    history.record(ref, ok('delete', {responseObject: stored(1)}))
    assert.equal(history.record(ref, ok('create', {responseObject: stored(2)})).before, NONE)
  })
})
