// Changes of followed logs, settled as they land (reading/follow.ts): let out once every log has
// been read past them, so they come once each and in time order across logs; a log that is away,
// or ended, does not hold the others back; a quiet stream counts as read up to a second ago; a
// request in two logs, and a Calico request with its backing write, are one change; what was read
// before following comes first.
import assert from 'node:assert/strict'

import type {ChangeFilter, ChangeRecord, ChangeWrite, PolicyChange} from '../../src/audit/changes.js'
import {ChangeCollector, MemoryRecordStore} from '../../src/audit/changes.js'
import {decodeDocument} from '../../src/audit/event.js'
import {
  FOLLOW_LAG_MS,
  followChanges,
  type FollowedLogState,
  readUpTo,
  STREAM_QUIET_MS,
} from '../../src/reading/follow.js'
import type {Followable, FollowedLog, FollowOptions} from '../../src/sources/follow.js'
import type {LogSource, QueryFilter, QuerySource} from '../../src/sources/source.js'
import type {BodyKeeping} from '../../src/audit/write-bodies.js'
import type {SourceStats} from '../../src/reading/stats.js'
import {auditEvent, auditLine, type EventSpec} from '../support/events.js'

const ALL: ChangeFilter = {sinceMs: null, untilMs: null, includeDryRun: false, includeSubresources: false}
const T0 = Date.parse('2026-12-07T10:00:00Z')
const at = (ms: number) => new Date(T0 + ms).toISOString().replace('Z', '000Z')
const write = (name: string, ms: number, spec: EventSpec = {}) =>
  auditLine({
    verb: 'patch',
    apiGroup: 'networking.k8s.io',
    resource: 'networkpolicies',
    namespace: 'shop',
    name,
    time: at(ms),
    ...spec,
  }) + '\n'

/** A followed log whose bytes and progress the test gives by hand. */
class ScriptedLog implements LogSource, Followable {
  readonly rotatedAt = null
  options?: FollowOptions
  private queue: Buffer[] = []
  private ended = false
  private wake?: () => void

  constructor(
    readonly name: string,
    private readonly streamed = false,
    readonly isStream = false,
  ) {}

  async size(): Promise<number> {
    return 0
  }

  async *read(): AsyncIterable<Buffer> {}

  follow(_from: number, options: FollowOptions): FollowedLog {
    this.options = options
    options.signal.addEventListener('abort', () => this.end())
    const log = this
    return {
      streamed: this.streamed,
      bytes: (async function* () {
        for (;;) {
          const next = log.queue.shift()
          if (next) yield next
          else if (log.ended) return
          else
            await new Promise<void>((resolve) => {
              log.wake = resolve
            })
        }
      })(),
    }
  }

  /** Lines written, and (for a polled log) read up to `readUpToMs` of the test's clock. */
  give(text: string, readUpToMs?: number): void {
    this.queue.push(Buffer.from(text))
    this.wake?.()
    if (readUpToMs !== undefined) setTimeout(() => this.options!.caughtUp(T0 + readUpToMs), 10)
  }

  end(): void {
    this.ended = true
    this.wake?.()
  }
}

/** Runs a test left going when it failed: ended after each test. */
const running = new Set<AbortController>()

/** followChanges on scripted logs, a clock the test moves, and every change as it was let out. */
function follow(
  logs: ScriptedLog[],
  options: {before?: ChangeRecord[]; filter?: ChangeFilter; bodies?: BodyKeeping; stores?: QuerySource[]} = {},
) {
  const controller = new AbortController()
  running.add(controller)
  const clock = {ms: T0}
  const out: Array<{name: string | null; following: boolean; change: PolicyChange; write: ChangeWrite}> = []
  let followingSaid = 0
  let storesRead: readonly SourceStats[] = []
  const done = followChanges({
    logs: logs.map((source) => ({source, from: 0, readUpToMs: T0, format: 'lines'})),
    before: options.before ?? [],
    filter: options.filter ?? ALL,
    bodies: options.bodies,
    intervalMs: 1000,
    signal: controller.signal,
    onChanges: (writes, following) =>
      out.push(...writes.map((write) => ({name: write.change.name, following, change: write.change, write}))),
    stores: (options.stores ?? []).map((source) => ({source, query: QUERY})),
    onFollowing: (stores) => {
      followingSaid++
      storesRead = stores
    },
    onNotice: () => {},
    now: () => clock.ms,
  })
  const names = () => out.map((o) => o.name)
  return {
    clock,
    out,
    names,
    followingSaid: () => followingSaid,
    storesRead: () => storesRead,
    /** Lets the ticks run at the test's time `ms`, then gives the names let out. */
    async at(ms: number) {
      clock.ms = T0 + ms
      await new Promise((resolve) => setTimeout(resolve, 250))
      return names()
    },
    async stop() {
      controller.abort()
      return done
    },
  }
}

const QUERY: QueryFilter = {sinceMs: null, untilMs: null, resources: [], verbs: [], users: [], namespaces: []}

/** A log store that answers `records` to every ask (or fails every ask), asked at most once a second. */
function store(records: unknown[] | Error): QuerySource {
  return {
    name: 'store',
    format: 'fake',
    pace: {minIntervalMs: 1000, lateMs: 60_000},
    async *query() {
      if (records instanceof Error) throw records
      yield {records, bytes: 100}
    },
  }
}

describe('following changes', () => {
  afterEach(() => {
    for (const controller of running) controller.abort()
    running.clear()
  })

  it('lets a change out only once every log was read past it (and the waits), in time order across logs', async () => {
    const a = new ScriptedLog('a')
    const b = new ScriptedLog('b')
    const run = follow([a, b])
    a.give(write('a-at-1s', 1000) + write('a-at-3s', 3000), 3500)
    b.give('', 500)
    assert.deepEqual(await run.at(4000), [], 'b was read only up to 0.5s')
    b.give(write('b-at-2s', 2000), 4000)
    // Let out once every log was read past it, less the lag (0.25s), by the settling's waits (twice 0.25s):
    // a was read up to 3.5s, so up to 2.75s of changes.
    assert.deepEqual(await run.at(4100), ['a-at-1s', 'b-at-2s'])
    a.give('', 4000)
    assert.deepEqual(await run.at(4100), ['a-at-1s', 'b-at-2s', 'a-at-3s'])
    await run.stop()
    assert.ok(run.out.every((o) => o.following))
  })

  it('does not wait for a log that is away or ended, and lets everything out at the end', async () => {
    const a = new ScriptedLog('a')
    const b = new ScriptedLog('b')
    const run = follow([a, b])
    a.give(write('a-at-1s', 1000), 2000)
    assert.deepEqual(await run.at(2000), [])
    b.options!.reachable(false)
    assert.deepEqual(await run.at(2000), ['a-at-1s'])
    a.give(write('a-at-3s', 3000), 3100)
    b.options!.reachable(true)
    b.give(write('b-at-2.5s', 2500))
    // b is back but not read past 0s: nothing more until it is, or until the end.
    assert.deepEqual(await run.at(3100), ['a-at-1s'])
    const stats = await run.stop()
    assert.deepEqual(run.names(), ['a-at-1s', 'b-at-2.5s', 'a-at-3s'])
    assert.deepEqual(
      stats.map((s) => [s.name, s.events]),
      [
        ['a', 2],
        ['b', 1],
      ],
    )
  })

  it("takes a log store's first answer as what was there before following, and what it answers later as new", async function () {
    this.timeout(10_000)
    const answers = [JSON.parse(write('in-the-window', 500)) as unknown]
    const run = follow([], {stores: [store(answers)]})
    for (let ms = 3000; run.out.length === 0 && ms < 8000; ms += 250) await run.at(ms)
    assert.deepEqual(
      run.out.map((o) => [o.name, o.following]),
      [['in-the-window', false]],
    )
    answers.push(JSON.parse(write('later', 4000)))
    for (let ms = 6000; run.out.length === 1 && ms < 12_000; ms += 250) await run.at(ms)
    await run.stop()
    assert.deepEqual(
      run.out.map((o) => [o.name, o.following]),
      [
        ['in-the-window', false],
        ['later', true],
      ],
      'each once, though every ask answers both',
    )
    assert.equal(run.followingSaid(), 1)
    assert.deepEqual(
      run.storesRead().map((s) => [s.name, s.events]),
      [['store', 1]],
    )
  })

  it('does not wait for a log store that cannot be asked: following starts, and the logs go on', async () => {
    const a = new ScriptedLog('a')
    const run = follow([a], {stores: [store(new Error('503 Service Unavailable'))]})
    a.give(write('a-at-1s', 1000), 2000)
    assert.deepEqual(await run.at(2000), ['a-at-1s'])
    assert.equal(run.followingSaid(), 1, 'following started while the store fails')
    await run.stop()
    assert.deepEqual(run.names(), ['a-at-1s'])
  })

  it('takes a quiet stream as read up to a second ago, and a busy one up to its latest line', async () => {
    const s = new ScriptedLog('-', true, true)
    const run = follow([s])
    s.give(write('one', 1000) + write('two', 2000))
    assert.deepEqual(await run.at(2100), ['one'], 'up to its latest line (2s), less the waits')
    assert.deepEqual(await run.at(2100 + STREAM_QUIET_MS), ['one'])
    assert.deepEqual(await run.at(2000 + STREAM_QUIET_MS + FOLLOW_LAG_MS + 600), ['one', 'two'])
    await run.stop()
  })

  it('prints a request once when two logs hold it, and a Calico request once, with its backing write joined', async () => {
    const a = new ScriptedLog('node/cp-1:/var/log/calico/audit/tsee-audit.log')
    const b = new ScriptedLog('node/cp-1:/var/log/kubernetes/audit/audit.log')
    const run = follow([a, b])
    const calico = {
      apiGroup: 'projectcalico.org',
      resource: 'globalnetworkpolicies',
      namespace: undefined,
      verb: 'create',
      auditID: 'req-1',
      code: 201,
    }
    // kube-apiserver logs the user's request at Metadata (no name); the Calico API server writes the CRD as its service account.
    b.give(
      write('', 1000, {...calico, name: undefined}) +
        write('security.allow-dns', 1001, {
          ...calico,
          apiGroup: 'crd.projectcalico.org',
          auditID: 'crd-1',
          user: 'system:serviceaccount:calico-apiserver:calico-apiserver',
        }),
      2000,
    )
    a.give(
      write('security.allow-dns', 999, {
        ...calico,
        level: 'RequestResponse',
        requestObject: {kind: 'GlobalNetworkPolicy', metadata: {name: 'security.allow-dns'}, spec: {tier: 'security'}},
      }),
      2000,
    )
    assert.deepEqual(await run.at(2000), ['security.allow-dns'])
    await run.stop()
    assert.equal(run.out[0]!.change.tier, 'security')
  })

  it('hands on the bodies of followed writes only when asked, a Calico request with its backing write', async () => {
    const policy = {kind: 'NetworkPolicy', metadata: {name: 'allow-web', namespace: 'shop'}, spec: {podSelector: {}}}
    const crd = {kind: 'GlobalNetworkPolicy', metadata: {name: 'default.allow-dns'}, spec: {order: 10}}
    const calico = {apiGroup: 'projectcalico.org', resource: 'globalnetworkpolicies', namespace: undefined, code: 200}
    const lines =
      write('allow-web', 1000, {level: 'RequestResponse', responseObject: policy}) +
      // The user's request through the aggregated API, at Metadata; the Calico API server's CRD write carries the object.
      write('allow-dns', 1500, {...calico, verb: 'update', auditID: 'req-2'}) +
      write('default.allow-dns', 1501, {
        ...calico,
        apiGroup: 'crd.projectcalico.org',
        verb: 'update',
        auditID: 'crd-2',
        level: 'RequestResponse',
        user: 'system:serviceaccount:calico-apiserver:calico-apiserver',
        responseObject: crd,
      })
    const kept = new ScriptedLog('audit.log')
    const withBodies = follow([kept], {bodies: {objects: null}})
    kept.give(lines, 3000)
    assert.deepEqual(await withBodies.at(3000), ['allow-web', 'allow-dns'])
    await withBodies.stop()
    const [k8s, v3] = withBodies.out.map((o) => o.write)
    assert.deepEqual(JSON.parse(k8s!.bodies!.response!), policy)
    assert.equal(v3!.verb, 'update')
    assert.deepEqual(JSON.parse(v3!.bodies!.response!), crd)

    const slim = new ScriptedLog('audit.log')
    const without = follow([slim])
    slim.give(lines, 3000)
    assert.deepEqual(await without.at(3000), ['allow-web', 'allow-dns'])
    await without.stop()
    assert.deepEqual(
      without.out.map((o) => o.write.bodies),
      [undefined, undefined],
    )
  })

  it('lets out what was read before following first, then says following has begun', async () => {
    const collector = new ChangeCollector(ALL, new MemoryRecordStore())
    const store = new MemoryRecordStore()
    const keep = new ChangeCollector(ALL, store)
    for (const [name, ms] of [
      ['old-1', -60_000],
      ['old-2', -100],
    ] as const) {
      const decoded = decodeDocument(
        auditEvent({
          verb: 'create',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'shop',
          name,
          time: at(ms),
        }),
      )
      if ('error' in decoded) throw new Error(decoded.error)
      for (const event of decoded.events) {
        collector.add(event, 'audit.log')
        keep.add(event, 'audit.log')
      }
    }
    const a = new ScriptedLog('audit.log')
    const run = follow([a], {before: [...store.sorted()]})
    assert.deepEqual(run.names(), ['old-1'], 'old-2 waits for the log to be read past it')
    assert.equal(run.followingSaid(), 0)
    a.give(write('new', 500), 1000)
    assert.deepEqual(await run.at(1000), ['old-1', 'old-2'])
    assert.equal(run.followingSaid(), 1)
    a.give('', 1500)
    assert.deepEqual(await run.at(1500), ['old-1', 'old-2', 'new'])
    await run.stop()
    assert.deepEqual(
      run.out.map((o) => o.following),
      [false, false, true],
    )
  })
})

describe('how far followed logs were read', () => {
  const state = (changes: Partial<FollowedLogState>): FollowedLogState => ({
    streamed: false,
    readUpToMs: T0,
    latestLineMs: Number.NEGATIVE_INFINITY,
    lastBytesAtMs: T0,
    up: true,
    ended: false,
    ...changes,
  })

  it('is the earliest of the logs that can be read, less the lag; this clock when none can', () => {
    assert.equal(
      readUpTo([state({readUpToMs: T0 + 5000}), state({readUpToMs: T0 + 2000})], T0 + 9000),
      T0 + 2000 - FOLLOW_LAG_MS,
    )
    assert.equal(
      readUpTo([state({readUpToMs: T0 + 5000}), state({readUpToMs: T0 + 2000, up: false})], T0 + 9000),
      T0 + 5000 - FOLLOW_LAG_MS,
    )
    assert.equal(readUpTo([state({ended: true})], T0 + 9000), T0 + 9000 - FOLLOW_LAG_MS)
    assert.equal(readUpTo([state({readUpToMs: T0, latestLineMs: T0 + 3000})], T0 + 9000), T0 + 3000 - FOLLOW_LAG_MS)
    assert.equal(
      readUpTo([state({streamed: true, readUpToMs: Number.NEGATIVE_INFINITY, lastBytesAtMs: T0 + 8500})], T0 + 9000),
      Number.NEGATIVE_INFINITY,
    )
    assert.equal(
      readUpTo([state({streamed: true, readUpToMs: Number.NEGATIVE_INFINITY, lastBytesAtMs: T0 + 7000})], T0 + 9000),
      T0 + 9000 - STREAM_QUIET_MS - FOLLOW_LAG_MS,
    )
  })
})
