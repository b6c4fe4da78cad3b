// Query sources (a log store queried where the log is) go through the same reading stage as files:
// the run's filter reaches the store as given, each record is decoded like a document of a file,
// and a query that fails part-way keeps what came before and marks the source incomplete.
import assert from 'node:assert/strict'

import type {AuditEvent} from '../../src/audit/event.js'
import {readSources} from '../../src/reading/read.js'
import type {QueryFilter, QueryPage, QuerySource} from '../../src/sources/source.js'
import {auditEvent} from '../support/events.js'

const FILTER: QueryFilter = {
  sinceMs: Date.parse('2026-11-24T10:00:00Z'),
  untilMs: null,
  resources: [{apiGroup: 'networking.k8s.io', resource: 'networkpolicies'}],
  verbs: ['create'],
  users: ['alice'],
  namespaces: ['shop'],
}

/** A store holding pages of records; it records the filter it was asked with. */
class MemoryStore implements QuerySource {
  readonly format = 'memory-store'
  asked: QueryFilter[] = []
  constructor(
    readonly name: string,
    private readonly pages: QueryPage[],
    private readonly failAfter?: number,
  ) {}

  async *query(filter: QueryFilter): AsyncIterable<QueryPage> {
    this.asked.push(filter)
    for (const [i, page] of this.pages.entries()) {
      if (i === this.failAfter) throw new Error('the store stopped answering (503)')
      yield page
    }
  }
}

const write = (auditID: string, time: string) =>
  auditEvent({
    auditID,
    time,
    verb: 'create',
    user: 'alice',
    apiGroup: 'networking.k8s.io',
    resource: 'networkpolicies',
    namespace: 'shop',
    name: 'web',
    code: 201,
  })

async function read(store: MemoryStore) {
  const added: Array<{event: AuditEvent; source: string}> = []
  const [stats] = await readSources([store], {
    window: {sinceMs: FILTER.sinceMs, untilMs: null},
    query: FILTER,
    sink: {add: (event, source) => added.push({event, source})},
  })
  return {stats: stats!, added}
}

describe('reading a query source', () => {
  it('asks the store with the run filter, decodes every record, and counts what is not an event', async () => {
    const store = new MemoryStore('store:audit', [
      {
        records: [write('a', '2026-11-24T10:00:01.000001Z'), {_source: write('b', '2026-11-24T10:00:02.000000Z')}],
        bytes: 900,
      },
      {records: [{hello: 'world'}, write('c', '2026-11-24T10:00:03.000000Z')], bytes: 700},
    ])
    const {stats, added} = await read(store)
    assert.deepEqual(store.asked, [FILTER])
    assert.deepEqual(
      added.map((a) => [a.event.auditID, a.source]),
      [
        ['a', 'store:audit'],
        ['b', 'store:audit'],
        ['c', 'store:audit'],
      ],
    )
    assert.equal(stats.events, 3)
    assert.equal(stats.malformed, 1)
    assert.equal(stats.firstMalformedLine, 3, 'the third record is the first not understood')
    assert.equal(stats.bytesRead, 1600)
    assert.equal(stats.format, 'memory-store')
    assert.equal(stats.firstTimeMs, Date.parse('2026-11-24T10:00:01.000Z') + 0.001)
    assert.equal(stats.lastTimeMs, Date.parse('2026-11-24T10:00:03Z'))
    assert.equal(stats.error, null)
  })

  it('keeps the records read before a failure and says why the rest is missing', async () => {
    const store = new MemoryStore(
      'store:audit',
      [
        {records: [write('a', '2026-11-24T10:00:01Z')], bytes: 300},
        {records: [write('b', '2026-11-24T10:00:02Z')], bytes: 300},
      ],
      1,
    )
    const {stats, added} = await read(store)
    assert.deepEqual(
      added.map((a) => a.event.auditID),
      ['a'],
    )
    assert.equal(stats.error, 'the store stopped answering (503)')
    assert.equal(stats.finished, true)
  })

  it('reads several stores at once, each under its own name', async () => {
    const one = new MemoryStore('store:one', [{records: [write('a', '2026-11-24T10:00:01Z')], bytes: 1}])
    const two = new MemoryStore('store:two', [{records: [write('b', '2026-11-24T10:00:02Z')], bytes: 1}])
    const added: string[] = []
    const stats = await readSources([one, two], {
      window: {sinceMs: null, untilMs: null},
      query: FILTER,
      sink: {add: (event, source) => added.push(`${source}:${event.auditID}`)},
    })
    assert.deepEqual(added.sort(), ['store:one:a', 'store:two:b'])
    assert.deepEqual(
      stats.map((s) => s.name),
      ['store:one', 'store:two'],
    )
  })
})
