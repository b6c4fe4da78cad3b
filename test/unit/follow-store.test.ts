// Following a log store: the first ask is the whole window, each later one starts a lateness back
// from the last; what was handed on is not handed on again, what reaches the store late is; a
// store is asked no more often than its pace allows; a failed ask is said once and asked again.
import assert from 'node:assert/strict'

import type {AuditEvent} from '../../src/audit/event.js'
import {followStore} from '../../src/reading/follow-store.js'
import {emptyStats} from '../../src/reading/stats.js'
import type {QueryFilter, QueryPage, QuerySource, StorePace} from '../../src/sources/source.js'
import {auditEvent} from '../support/events.js'

const T0 = Date.parse('2026-11-24T10:00:00Z')
const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z')

/** A write at `ms` (epoch), as a store holds it once it has arrived. */
function write(id: string, ms: number): Record<string, unknown> {
  return auditEvent({
    auditID: id,
    verb: 'patch',
    apiGroup: 'networking.k8s.io',
    resource: 'networkpolicies',
    namespace: 'shop',
    name: 'allow-web',
    time: iso(ms),
  })
}

/** A store that answers from what has arrived, by stage time, two records a page; it says what it was asked. */
class FakeStore implements QuerySource {
  readonly name = 'fake:store'
  readonly format = 'fake'
  readonly arrived: Array<Record<string, unknown>> = []
  readonly asked: Array<number | null> = []
  failNext = 0
  /** The next ask fails after this many pages. */
  failAfterPage: number | undefined

  constructor(readonly pace?: StorePace) {}

  async *query(filter: QueryFilter): AsyncIterable<QueryPage> {
    this.asked.push(filter.sinceMs)
    if (this.failNext > 0) {
      this.failNext--
      throw new Error('503 Service Unavailable')
    }
    const held = this.arrived.filter(
      (r) => filter.sinceMs === null || Date.parse(r.stageTimestamp as string) >= filter.sinceMs,
    )
    for (let i = 0; i < held.length; i += 2) {
      if (this.failAfterPage !== undefined && i / 2 === this.failAfterPage) {
        this.failAfterPage = undefined
        throw new Error('connection reset')
      }
      yield {records: held.slice(i, i + 2), bytes: 100}
    }
  }
}

const FILTER: QueryFilter = {
  sinceMs: T0 - 3_600_000,
  untilMs: null,
  resources: [{apiGroup: 'networking.k8s.io', resource: 'networkpolicies'}],
  verbs: ['patch'],
  users: [],
  namespaces: [],
}

/**
 * Follows `store` for as many asks as `steps` has; before ask k+1 the clock moves on by the
 * interval and steps[k] runs (things arrive). Returns what was handed on, per ask.
 */
async function follow(store: FakeStore, steps: Array<() => void>, intervalMs = 1000) {
  let clock = T0
  const controller = new AbortController()
  const handed: string[][] = []
  const caughtUp: number[] = []
  const notices: string[] = []
  const reachable: boolean[] = []
  const sleeps: number[] = []
  let ask = 0
  const stats = emptyStats(store.name)
  await followStore(store, {
    filter: FILTER,
    intervalMs,
    signal: controller.signal,
    add: (events: readonly AuditEvent[]) => handed[ask - 1]!.push(...events.map((e) => e.auditID)),
    caughtUp: (at) => caughtUp.push(at),
    reachable: (up) => reachable.push(up),
    notice: (line) => notices.push(line),
    stats,
    now: () => {
      handed.push([])
      ask++
      return clock
    },
    sleep: async (ms) => {
      sleeps.push(ms)
      clock += ms
      const step = steps[ask - 1]
      if (step) step()
      else controller.abort()
    },
  })
  return {handed, caughtUp, notices, reachable, sleeps, stats}
}

describe('following a log store', () => {
  it('hands on the whole window first, then only what is new at each ask, each event once', async () => {
    const store = new FakeStore({minIntervalMs: 1000, lateMs: 60_000})
    store.arrived.push(write('a', T0 - 600_000), write('b', T0 - 1000), write('c', T0 - 1000))
    const got = await follow(store, [
      () => store.arrived.push(write('d', T0 + 500)),
      () => {},
      // Written 30 s before this ask, it reached the store only now: still found (within a minute).
      () => store.arrived.push(write('e', T0 + 3000 - 30_000), write('f', T0 + 2900)),
    ])
    assert.deepEqual(got.handed, [['a', 'b', 'c'], ['d'], [], ['e', 'f']])
    assert.deepEqual(store.asked, [FILTER.sinceMs, T0 - 60_000, T0 + 1000 - 60_000, T0 + 2000 - 60_000])
    // Caught up to an interval before each ask: what reaches the store within it comes in order.
    assert.deepEqual(got.caughtUp, [T0 - 1000, T0, T0 + 1000, T0 + 2000])
    assert.equal(got.stats.events, 6)
    // Every answer counts, repeats and all: asks overlap by the lateness.
    assert.equal(got.stats.bytesRead, 100 * (2 + 2 + 2 + 3))
    assert.equal(got.stats.finished, true)
  })

  it('hands on nothing of an ask that fails half-way: the next ask finds it all again', async () => {
    const store = new FakeStore()
    store.arrived.push(write('a', T0 - 3000), write('b', T0 - 2000), write('c', T0 - 1000))
    store.failAfterPage = 1
    const got = await follow(store, [() => {}])
    assert.deepEqual(got.handed, [[], ['a', 'b', 'c']])
    assert.equal(got.stats.events, 3)
  })

  it('asks no more often than the store allows', async () => {
    const store = new FakeStore({minIntervalMs: 10_000, lateMs: 600_000})
    const got = await follow(store, [() => {}], 1000)
    assert.deepEqual(got.sleeps, [10_000, 10_000])
    const often = await follow(new FakeStore({minIntervalMs: 1000, lateMs: 60_000}), [() => {}], 3000)
    assert.deepEqual(often.sleeps, [3000, 3000])
  })

  it('says once that the store cannot be asked, asks again each interval, and loses nothing', async () => {
    const store = new FakeStore()
    store.arrived.push(write('a', T0 - 1000))
    const got = await follow(store, [
      () => {
        store.failNext = 2
        store.arrived.push(write('b', T0 + 500))
      },
      () => {},
      () => {},
    ])
    assert.deepEqual(got.handed, [['a'], [], [], ['b']])
    assert.deepEqual(got.reachable, [true, false, false, true])
    assert.equal(got.notices.length, 2, got.notices.join('\n'))
    assert.match(
      got.notices[0]!,
      /^fake:store: cannot be asked now \(503 Service Unavailable\); asking again every 1 s$/,
    )
    assert.equal(got.notices[1], 'fake:store: answers again')
    // After the failures, the ask starts a lateness back from the last answered one.
    assert.equal(store.asked.at(-1), T0 - 60_000)
  })
})
