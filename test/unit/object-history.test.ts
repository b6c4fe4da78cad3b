// The history of one object among the changes of a run: which changes wrote it (through either
// Calico API group), where its history in the log starts, what is shown and what only feeds the
// diffs; and the fields --diff adds to a change.
import assert from 'node:assert/strict'

import {resolveKind} from '../../src/audit/catalog.js'
import {ChangeCollector, type PolicyChange} from '../../src/audit/changes.js'
import {decodeDocument} from '../../src/audit/event.js'
import {changeVersions} from '../../src/audit/what-changed/change-versions.js'
import {objectHistory} from '../../src/audit/what-changed/object-history.js'
import {NOTES} from '../../src/audit/what-changed/versions.js'
import {bodiesFor} from '../../src/audit/write-bodies.js'
import {loadSequence, SEQUENCE_NAMES} from '../fixtures/what-changed/sequences.js'
import {auditEvent, type EventSpec} from '../support/events.js'

const filter = {sinceMs: null, untilMs: null, includeDryRun: false, includeSubresources: false}

/** Every event of the fixture sequences (and any extra), read as a run that keeps bodies reads them. */
function collect(extra: EventSpec[] = [], names: readonly string[] = SEQUENCE_NAMES): ChangeCollector {
  const collector = new ChangeCollector(filter, undefined, bodiesFor({objects: null}))
  const raw = [
    ...names.flatMap((name) => loadSequence(name as (typeof SEQUENCE_NAMES)[number]).steps.flatMap((s) => s.events)),
    ...extra.map(auditEvent),
  ]
  for (const value of raw) {
    const decoded = decodeDocument(value)
    if ('error' in decoded) throw new Error(decoded.error)
    for (const event of decoded.events) collector.add(event, 'audit.log')
  }
  return collector
}

const target = (kind: string, name: string, namespace: string | null = null) => ({
  resources: resolveKind(kind)!,
  name,
  namespace,
})
const all = () => true
const summary = (c: PolicyChange) => `${c.user} ${c.verb}`

describe('the history of one object', () => {
  it('a Calico policy written through the v3 API: the user changes, told by their backing writes', () => {
    const history = objectHistory(collect().changeWrites(), target('gnp', 'allow-monitoring'), all, false)
    assert.deepEqual(
      history.entries.map((e) => summary(e.change)),
      ['alice create', 'alice patch', 'alice update', 'alice patch', 'alice delete'],
    )
    assert.equal(history.startsMidway, false)
    assert.deepEqual(
      history.entries.map((e) => e.versions.shape),
      ['calico-v3', 'calico-v3', 'calico-v3', 'calico-v3', 'calico-v3'],
    )
    assert.deepEqual(
      history.entries.map((e) => [e.whatChanged.before.state, e.whatChanged.after.state]),
      [
        ['none', 'known'],
        ['known', 'known'],
        ['known', 'known'],
        ['known', 'known'],
        ['known', 'none'],
      ],
    )
  })

  it('the same policy found by its CRD name', () => {
    const byCrd = objectHistory(collect().changeWrites(), target('gnp', 'default.allow-monitoring'), all, false)
    assert.equal(byCrd.entries.length, 5)
  })

  it('what is not shown still feeds the diffs: the update is diffed against the patch before it', () => {
    const everything = objectHistory(collect().changeWrites(), target('gnp', 'allow-monitoring'), all, false)
    const updates = objectHistory(
      collect().changeWrites(),
      target('gnp', 'allow-monitoring'),
      (c) => c.verb === 'update',
      false,
    )
    assert.deepEqual(
      updates.entries.map((e) => summary(e.change)),
      ['alice update'],
    )
    assert.equal(updates.total, 5)
    assert.deepEqual(updates.entries[0].versions, everything.entries[2].versions)
  })

  it('starts mid-way when its first change in the log is not a create', () => {
    const collector = collect(
      [
        {
          verb: 'patch',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'shop',
          name: 'late',
          level: 'RequestResponse',
          responseObject: {
            kind: 'NetworkPolicy',
            apiVersion: 'networking.k8s.io/v1',
            metadata: {name: 'late', namespace: 'shop'},
            spec: {podSelector: {}},
          },
        },
      ],
      [],
    )
    const history = objectHistory(collector.changeWrites(), target('knp', 'late'), all, false)
    assert.equal(history.startsMidway, true)
    assert.deepEqual(history.entries[0].versions.notes, [NOTES.previousMissing])
    assert.equal(history.entries[0].versions.rules, null)
  })

  it('a name in any namespace: the namespaces it was found in; a deletecollection where it was may have deleted it', () => {
    const knp = (namespace: string, verb: string, time: string, name?: string): EventSpec => ({
      verb,
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      namespace,
      name,
      time,
    })
    const collector = collect(
      [
        knp('shop', 'create', '2026-11-24T10:00:00.000000Z', 'web'),
        knp('sandbox', 'deletecollection', '2026-11-24T10:00:01.000000Z'),
        knp('shop', 'deletecollection', '2026-11-24T10:00:02.000000Z'),
        knp('payments', 'create', '2026-11-24T10:00:03.000000Z', 'web'),
      ],
      [],
    )
    const anywhere = objectHistory(collector.changeWrites(), target('knp', 'web'), all, false)
    assert.deepEqual(anywhere.namespaces, ['payments', 'shop'])
    const inShop = objectHistory(collector.changeWrites(), target('knp', 'web', 'shop'), all, false)
    assert.deepEqual(
      inShop.entries.map((e) => [e.change.verb, e.change.namespace, e.mayHaveDeleted]),
      [
        ['create', 'shop', false],
        ['deletecollection', 'shop', true],
      ],
    )
    assert.deepEqual(inShop.namespaces, ['shop'])
  })
})

describe('what --diff adds to a change', () => {
  const [create, label] = objectHistory(
    collect().changeWrites(),
    target('knp', 'allow-web', 'shop'),
    all,
    false,
  ).entries

  it('versions without the fields every write changes, unless all are asked for', () => {
    const quiet = changeVersions(create.whatChanged, false)
    assert.equal(quiet.before, null)
    assert.ok(
      quiet.after &&
        !('uid' in (quiet.after.metadata as object)) &&
        !('managedFields' in (quiet.after.metadata as object)),
    )
    const loud = changeVersions(create.whatChanged, true)
    assert.ok(loud.after && 'uid' in (loud.after.metadata as object))
  })

  it('a label changes no rule: rules is empty, not null', () => {
    assert.deepEqual(changeVersions(label.whatChanged, false).rules, [])
  })
})
