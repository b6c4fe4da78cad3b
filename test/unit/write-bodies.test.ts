// Which writes keep their bodies on the way to the changes (a run that shows what changed), and
// that the records of changes carry them, through their encoded lines, with the Calico join.
import assert from 'node:assert/strict'

import {
  ChangeCollector,
  type ChangeWrite,
  decodeRecord,
  encodeRecord,
  MemoryRecordStore,
} from '../../src/audit/changes.js'
import {type AuditEvent, decodeDocument} from '../../src/audit/event.js'
import {ANY_NAMESPACE, bodiesFor, type BodyKeeping, keepsBodies, keptOfEvent} from '../../src/audit/write-bodies.js'
import {objectKey} from '../../src/audit/what-changed/history.js'
import {auditEvent, type EventSpec} from '../support/events.js'

const event = (spec: EventSpec): AuditEvent => {
  const decoded = decodeDocument(auditEvent(spec))
  if ('error' in decoded) throw new Error(decoded.error)
  return decoded.events[0]
}

const knp = (port: number) => ({
  kind: 'NetworkPolicy',
  apiVersion: 'networking.k8s.io/v1',
  metadata: {name: 'allow-web', namespace: 'shop'},
  spec: {podSelector: {}, ingress: [{ports: [{port}]}]},
})
const write = (spec: EventSpec = {}): EventSpec => ({
  verb: 'patch',
  apiGroup: 'networking.k8s.io',
  resource: 'networkpolicies',
  namespace: 'shop',
  name: 'allow-web',
  level: 'RequestResponse',
  requestObject: {metadata: {labels: {a: 'b'}}},
  responseObject: knp(80),
  ...spec,
})
const every: BodyKeeping = {objects: null}
const allowWeb = (namespace: string) =>
  objectKey({apiGroup: 'networking.k8s.io', resource: 'networkpolicies', namespace, name: 'allow-web'})!

describe('write bodies: which events keep them', () => {
  const cases: Array<[string, EventSpec, BodyKeeping | undefined, boolean]> = [
    ['a successful patch of a watched object, when asked', write(), every, true],
    ['the same, when no run asked for bodies', write(), undefined, false],
    ['a failed write (its body is a Status)', write({code: 403}), every, false],
    ['a write that panicked', write({stage: 'Panic', code: 500}), every, false],
    [
      'a dry run',
      write({requestURI: '/apis/networking.k8s.io/v1/namespaces/shop/networkpolicies/allow-web?dryRun=All'}),
      every,
      false,
    ],
    [
      'a subresource write',
      write({
        apiGroup: 'projectcalico.org',
        resource: 'tiers',
        name: 'security',
        namespace: undefined,
        subresource: 'status',
      }),
      every,
      false,
    ],
    ['a read', write({verb: 'get'}), every, false],
    ['a write to what is not watched', write({apiGroup: 'coordination.k8s.io', resource: 'leases'}), every, false],
    [
      'a write logged without bodies',
      write({level: 'Metadata', requestObject: undefined, responseObject: undefined}),
      every,
      false,
    ],
    ['the one object asked for', write(), {objects: [allowWeb('shop')]}, true],
    ['the name in another namespace', write({namespace: 'payments'}), {objects: [allowWeb('shop')]}, false],
    ['the name in any namespace', write({namespace: 'payments'}), {objects: [allowWeb(ANY_NAMESPACE)]}, true],
    ['another object', write({name: 'deny-all'}), {objects: [allowWeb('shop')]}, false],
    [
      'a create that names its object only in the body',
      write({verb: 'create', name: undefined, responseObject: knp(80)}),
      {objects: [allowWeb('shop')]},
      true,
    ],
    [
      'a deletecollection, which names no object',
      write({verb: 'deletecollection', name: undefined}),
      {objects: [allowWeb('shop')]},
      true,
    ],
    [
      'a Calico backing write of the v3 object asked for (default.allow-dns is allow-dns)',
      write({
        apiGroup: 'crd.projectcalico.org',
        resource: 'globalnetworkpolicies',
        namespace: undefined,
        name: 'default.allow-dns',
      }),
      {
        objects: [
          objectKey({
            apiGroup: 'projectcalico.org',
            resource: 'globalnetworkpolicies',
            namespace: null,
            name: 'allow-dns',
          })!,
        ],
      },
      true,
    ],
  ]
  for (const [title, spec, keeping, kept] of cases) {
    it(`${title}: ${kept ? 'kept' : 'not kept'}`, () => assert.equal(keepsBodies(event(spec), keeping), kept))
  }

  it('what waits of a kept write: its response, the object after it; the patch only when the response is not the object', () => {
    const kept = keptOfEvent(event(write()), every)
    assert.deepEqual([kept.requestObject, kept.responseObject], [undefined, knp(80)])
    const status = {kind: 'Status', apiVersion: 'v1', status: 'Success'}
    const patchOnly = keptOfEvent(event(write({level: 'Request', responseObject: status})), every)
    assert.deepEqual([patchOnly.requestObject, patchOnly.responseObject], [{metadata: {labels: {a: 'b'}}}, status])
  })

  it('what waits of any other event: only the fields changes read', () => {
    const slim = keptOfEvent(event(write()), undefined)
    assert.deepEqual(slim.responseObject, {
      kind: 'NetworkPolicy',
      metadata: {name: 'allow-web'},
      spec: {tier: undefined},
    })
  })
})

describe('write bodies: in the records of changes', () => {
  const filter = {sinceMs: null, untilMs: null, includeDryRun: false, includeSubresources: false}
  const writes = (collector: ChangeCollector): ChangeWrite[] => [...collector.changeWrites()]

  it('survive the encoded line a record waits as (JSON with tabs and line breaks in its strings)', () => {
    const store = new MemoryRecordStore()
    const collector = new ChangeCollector(filter, store, bodiesFor(every))
    const tricky = {
      ...knp(80),
      metadata: {name: 'allow-web', namespace: 'shop', annotations: {note: 'a\ttab\nand a line\\ break'}},
    }
    collector.add(event(write({responseObject: tricky})), 'audit.log')
    const [record] = store.sorted()
    const line = encodeRecord(record)
    assert.ok(!line.includes('\n'), 'one line')
    assert.deepEqual(decodeRecord(line), record)
    assert.deepEqual(JSON.parse(decodeRecord(line).bodies!.response!), tricky)
  })

  it('a record without bodies reads back without them', () => {
    const store = new MemoryRecordStore()
    const collector = new ChangeCollector(filter, store)
    collector.add(event(write()), 'audit.log')
    const [record] = store.sorted()
    assert.equal(decodeRecord(encodeRecord(record)).bodies, undefined)
    assert.equal(writes(collector)[0].bodies, undefined)
  })

  it('a Calico v3 request logged at Metadata is told by its joined backing write: its verb and bodies', () => {
    const collector = new ChangeCollector(filter, new MemoryRecordStore(), bodiesFor(every))
    const crd = {
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'GlobalNetworkPolicy',
      metadata: {name: 'default.allow-dns'},
      spec: {order: 100},
    }
    collector.add(
      event({
        verb: 'patch',
        apiGroup: 'projectcalico.org',
        apiVersion: 'v3',
        resource: 'globalnetworkpolicies',
        name: 'allow-dns',
        time: '2026-11-24T10:00:00.000000Z',
      }),
      'audit.log',
    )
    collector.add(
      event({
        verb: 'update',
        apiGroup: 'crd.projectcalico.org',
        resource: 'globalnetworkpolicies',
        name: 'default.allow-dns',
        level: 'RequestResponse',
        user: 'system:serviceaccount:calico-apiserver:calico-apiserver',
        requestObject: crd,
        responseObject: crd,
        time: '2026-11-24T10:00:00.020000Z',
      }),
      'audit.log',
    )
    const [only, ...rest] = writes(collector)
    assert.equal(rest.length, 0, 'the backing write is no change of its own')
    assert.deepEqual(
      [only.change.user, only.change.verb, only.verb, JSON.parse(only.bodies!.response!)],
      ['alice', 'patch', 'update', crd],
    )
  })
})
