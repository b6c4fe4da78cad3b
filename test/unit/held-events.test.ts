// Events held back during a read that trusts the log's time order: handed on in the order they
// came, whole (bodies and all), whether they waited in memory or in the temporary file; the file
// gone afterwards, released or dropped.
import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {type AuditEvent, decodeDocument} from '../../src/audit/event.js'
import {HeldEvents} from '../../src/reading/held-events.js'
import {auditEvent} from '../support/events.js'

function events(count: number): AuditEvent[] {
  return Array.from({length: count}, (_, i) => {
    const decoded = decodeDocument(
      auditEvent({
        verb: i % 3 === 0 ? 'patch' : 'create',
        apiGroup: 'networking.k8s.io',
        resource: 'networkpolicies',
        namespace: 'shop',
        name: `allow-${i}`,
        impersonatedUser: i % 5 === 0 ? 'bob' : undefined,
        code: i % 7 === 0 ? null : 201,
        time: new Date(Date.UTC(2026, 10, 24, 10, 0, i)).toISOString().replace('Z', '000Z'),
        requestObject: i % 2 === 0 ? {spec: {podSelector: {}, note: `line\u2028sep ✓ ${i}`}} : undefined,
      }),
    )
    assert.ok('events' in decoded)
    return decoded.events[0]!
  })
}

function withoutUndefined(event: AuditEvent): AuditEvent {
  return Object.fromEntries(Object.entries(event).filter(([, value]) => value !== undefined)) as unknown as AuditEvent
}

describe('held events', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'held-events-test-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  for (const count of [0, 5, 1000]) {
    it(`hands on ${count} events in the order they came, equal to what was held, and leaves no file`, () => {
      const all = events(count)
      const held = new HeldEvents({inMemory: 64, directory: dir})
      for (const event of all) held.add(event)
      if (count > 64) assert.equal(readdirSync(dir).length, 1, 'past 64 events, a temporary folder')
      const out: AuditEvent[] = []
      const batches: number[] = []
      held.release((batch) => {
        batches.push(batch.length)
        out.push(...batch)
      })
      // A key whose value is undefined does not come back from the file (no reader tells it from a missing key).
      assert.deepEqual(out.map(withoutUndefined), all.map(withoutUndefined))
      assert.ok(batches.every((n) => n > 0 && n <= 4096))
      assert.deepEqual(readdirSync(dir), [])
    })
  }

  it('lets them go unseen when dropped, the temporary file too', () => {
    const held = new HeldEvents({inMemory: 8, directory: dir})
    for (const event of events(100)) held.add(event)
    assert.equal(readdirSync(dir).length, 1)
    held.drop()
    assert.deepEqual(readdirSync(dir), [])
  })
})
