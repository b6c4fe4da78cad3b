// The changes as a stream: the same answers as settling every change at once (the way it was done
// before, kept here as the oracle, with its quadratic Calico join), on generated logs full of
// near-collisions; through a store that spills to disk too; and with state bounded by log time:
// a change comes out a few seconds of log after it was read, whatever came before.
import assert from 'node:assert/strict'

import {v3Name, namesMatch} from '../../src/audit/calico-names.js'
import {CALICO_CRD_GROUP, CALICO_GROUP} from '../../src/audit/catalog.js'
import {
  CALICO_JOIN_WINDOW_MS,
  ChangeCollector,
  type ChangeFilter,
  type ChangeRecord,
  compareEncodedRecords,
  compareRecords,
  decodeRecord,
  encodedRecordStore,
  encodeRecord,
  MemoryRecordStore,
  type PolicyChange,
  type RecordStore,
  settleChanges,
} from '../../src/audit/changes.js'
import {decodeDocument} from '../../src/audit/event.js'
import {boundUs} from '../../src/audit/window.js'
import {ExternalSort} from '../../src/spill/external-sort.js'
import {auditEvent, type EventSpec} from '../support/events.js'

const ALL: ChangeFilter = {sinceMs: null, untilMs: null, includeDryRun: false, includeSubresources: false}
const CALICO_SA = 'system:serviceaccount:calico-apiserver:calico-apiserver'
const BASE_MS = Date.parse('2026-11-24T10:00:00Z')

type Spec = EventSpec & {source: string}

/** Every record the collector makes, in the order the events were added. */
class RecordingStore implements RecordStore {
  readonly added: ChangeRecord[] = []
  private readonly inner = new MemoryRecordStore()

  add(record: ChangeRecord): void {
    this.added.push(record)
    this.inner.add(record)
  }

  sorted(): Iterable<ChangeRecord> {
    return this.inner.sorted()
  }
}

function collect(specs: readonly Spec[], filter: ChangeFilter, store: RecordStore): ChangeCollector {
  const collector = new ChangeCollector(filter, store)
  for (const spec of specs) {
    const decoded = decodeDocument(auditEvent(spec))
    if ('error' in decoded) throw new Error(decoded.error)
    for (const event of decoded.events) collector.add(event, spec.source)
  }
  return collector
}

// ---- The oracle: how changes were settled before they were a stream (all at once, every request
// held, every backing write compared with every request). Ties in the join are taken in report
// order, as the stream takes them; before, they followed the order sources happened to be read in.

interface Pending {
  change: PolicyChange
  timeUs: number
  stageRank: number
  tierKnown: boolean
  hasBody: boolean
  seq: number
}

const CALICO_APISERVER_USER = /^system:serviceaccount:[^:]+:(calico-apiserver|tigera-apiserver|calico-api)$/

function apiserverOf(source: string): string {
  const node = /^node\/([^:]+):/.exec(source)
  if (node) return `node/${node[1]}`
  return /^pod\/[^/]+\/[^/]+$/.test(source) ? source : ''
}

function settleAllAtOnce(records: readonly ChangeRecord[], filter: ChangeFilter): PolicyChange[] {
  const pending = new Map<string, Pending>()
  let anonymous = 0
  for (const r of records) {
    const c = r.change
    const key =
      c.auditID === ''
        ? `#${anonymous++}`
        : `${apiserverOf(c.source)}|${c.auditID}|${c.verb}|${c.apiGroup}|${c.resource}|${r.subresource}|${c.namespace ?? ''}`
    const candidate: Pending = {
      change: {...c},
      timeUs: r.timeUs,
      stageRank: r.stageRank,
      tierKnown: r.tierKnown,
      hasBody: r.hasBody,
      seq: r.seq,
    }
    const existing = pending.get(key)
    if (!existing) pending.set(key, candidate)
    else if (prefer(candidate, existing)) {
      takeTier(candidate, existing)
      takeIdentity(candidate, existing)
      pending.set(key, candidate)
    } else {
      takeTier(existing, candidate)
      takeIdentity(existing, candidate)
    }
  }
  const merged = mergeCalicoAuditIDs([...pending.values()]).sort(reportOrder)
  const joined = joinCalicoBackingWrites(merged)
  const sinceUs = boundUs(filter.sinceMs)
  const untilUs = boundUs(filter.untilMs)
  return joined
    .filter((p) => (sinceUs === null || p.timeUs >= sinceUs) && (untilUs === null || p.timeUs <= untilUs))
    .sort(reportOrder)
    .map((p) => p.change)
}

function reportOrder(a: Pending, b: Pending): number {
  const text = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0)
  return (
    a.timeUs - b.timeUs ||
    text(a.change.auditID, b.change.auditID) ||
    text(a.change.source, b.change.source) ||
    a.seq - b.seq
  )
}

function prefer(candidate: Pending, existing: Pending): boolean {
  if (candidate.stageRank !== existing.stageRank) return candidate.stageRank > existing.stageRank
  if (candidate.hasBody !== existing.hasBody) return candidate.hasBody
  return candidate.change.source < existing.change.source
}

function takeTier(kept: Pending, other: Pending): void {
  if (!kept.tierKnown && other.tierKnown) {
    kept.change.tier = other.change.tier
    kept.tierKnown = true
  }
}

function takeIdentity(kept: Pending, other: Pending): void {
  const impersonated = other.change.impersonatedUser
  if (impersonated !== null && kept.change.impersonatedUser === null && kept.change.user === impersonated) {
    kept.change.user = other.change.user
    kept.change.impersonatedUser = impersonated
  }
}

function mergeCalicoAuditIDs(all: Pending[]): Pending[] {
  const byID = new Map<string, Pending>()
  const out: Pending[] = []
  for (const p of all) {
    if (p.change.apiGroup !== CALICO_GROUP || p.change.auditID === '') {
      out.push(p)
      continue
    }
    const id = `${p.change.auditID}|${p.change.verb}|${p.change.resource}`
    const seen = byID.get(id)
    if (!seen) {
      byID.set(id, p)
      continue
    }
    const better = richness(p) > richness(seen) ? p : seen
    const other = better === p ? seen : p
    takeTier(better, other)
    takeIdentity(better, other)
    byID.set(id, better)
  }
  return [...out, ...byID.values()]
}

const richness = (p: Pending): number => p.stageRank * 2 + (p.hasBody ? 1 : 0)

function joinCalicoBackingWrites(all: Pending[]): Pending[] {
  const requests = all.filter((p) => p.change.apiGroup === CALICO_GROUP)
  const backings = all
    .filter((p) => p.change.apiGroup === CALICO_CRD_GROUP && CALICO_APISERVER_USER.test(p.change.user))
    .sort((a, b) => a.timeUs - b.timeUs)
  const taken = new Set<Pending>()
  const dropped = new Set<Pending>()
  for (const backing of backings) {
    let match: Pending | undefined
    let best = Number.POSITIVE_INFINITY
    for (const r of requests) {
      const distance = Math.abs(backing.timeUs - r.timeUs)
      if (taken.has(r) || distance > CALICO_JOIN_WINDOW_MS * 1000) continue
      if ((r.change.outcome === 'failed') !== (backing.change.outcome === 'failed')) continue
      if (r.change.resource !== backing.change.resource || r.change.namespace !== backing.change.namespace) continue
      if (!sameVerbFamily(r.change.verb, backing.change.verb) || !namesMatch(r.change.name, backing.change.name))
        continue
      const score = (r.change.name === null ? CALICO_JOIN_WINDOW_MS * 1000 : 0) + distance
      if (score < best) {
        best = score
        match = r
      }
    }
    if (!match) continue
    dropped.add(backing)
    if (match.change.verb === 'deletecollection') continue
    taken.add(match)
    if (!match.tierKnown && backing.tierKnown) match.change.tier = backing.change.tier
    if (match.change.name === null && backing.change.name !== null) match.change.name = v3Name(backing.change.name)
  }
  return all.filter((p) => !dropped.has(p))
}

function sameVerbFamily(userVerb: string, backingVerb: string): boolean {
  const family = (v: string) => (v === 'patch' || v === 'update' ? 'modify' : v === 'deletecollection' ? 'delete' : v)
  return family(userVerb) === family(backingVerb)
}

// ---- Generated logs

/** A small seeded generator (mulberry32): the same cases on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const iso = (us: number) =>
  `${new Date(Math.floor(us / 1000)).toISOString().slice(0, 19)}.${String(us % 1_000_000).padStart(6, '0')}Z`

/**
 * A log of `requests` requests over `spanS` seconds, dense enough that Calico backing writes
 * compete for requests on the same object: aggregated requests with their backing writes (near,
 * late, too late, failed), the Calico API server's own record, copies of a log in two files,
 * calicoctl writes, deletecollections, requests without an audit ID, stages split in two, ties.
 */
function generatedLog(seed: number, requests: number, spanS: number): Spec[] {
  const rnd = random(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!
  const specs: Spec[] = []
  const kubeLogs = ['node/cp1:/var/log/kubernetes/audit/audit.log', 'a/audit.log']
  const calicoLog = 'node/cp1:/var/log/calico/audit/tsee-audit.log'
  const names = ['allow-dns', 'deny-all', 'web', 'db']
  const tiers = ['default', 'security', 'platform']
  const namespaces = ['shop', 'payments']
  const outcome = () => pick([200, 200, 200, 201, 403, 409])
  // On a grid of 100 ms for some logs, so that two requests are often exactly as near to a backing write.
  const grid = seed % 3 === 0 ? 100_000 : 1
  for (let i = 0; i < requests; i++) {
    const t0 = BASE_MS * 1000 + Math.floor((rnd() * spanS * 1_000_000) / grid) * grid
    const at = (deltaMs: number) => iso(t0 + Math.round((deltaMs * 1000) / grid) * grid)
    const auditID = `req-${seed}-${i}`
    const kind = rnd()
    const withReceived = rnd() < 0.3
    if (kind < 0.45) {
      // Through the aggregated API.
      const resource = pick(['globalnetworkpolicies', 'networkpolicies', 'tiers'])
      const namespace = resource === 'networkpolicies' ? pick(namespaces) : undefined
      const verb = pick(['create', 'patch', 'update', 'delete', 'deletecollection'])
      const tier = resource === 'tiers' ? undefined : pick(tiers)
      const v3 =
        resource === 'tiers' ? pick(tiers) : tier === 'default' || rnd() < 0.3 ? pick(names) : `${tier}.${pick(names)}`
      const name = verb === 'deletecollection' || (verb === 'create' && rnd() < 0.4) ? undefined : v3
      const code = outcome()
      const source = pick(kubeLogs)
      const base = {
        apiGroup: CALICO_GROUP,
        apiVersion: 'v3',
        resource,
        namespace,
        verb,
        name,
        auditID,
        user: pick(['alice', 'bob']),
        source,
      }
      if (withReceived) specs.push({...base, stage: 'RequestReceived', time: at(0)})
      const completeMs = rnd() * 800
      if (rnd() < 0.9) specs.push({...base, stage: 'ResponseComplete', code, time: at(completeMs)})
      if (rnd() < 0.25)
        specs.push({
          ...base,
          source: calicoLog,
          level: 'RequestResponse',
          stage: 'ResponseComplete',
          code,
          time: at(completeMs - rnd() * 50),
          requestObject: tier ? {spec: {tier}} : {metadata: {name: v3}},
        })
      // The backing writes: one per object for a deletecollection.
      const crdName = (n: string) => (resource === 'tiers' ? n : n.includes('.') ? n : `default.${n}`)
      const backings = verb === 'deletecollection' ? [crdName(pick(names)), crdName(pick(names))] : [crdName(v3)]
      for (const [k, backingName] of backings.entries()) {
        if (rnd() < 0.1) continue
        const late = rnd() < 0.1 ? 4000 + rnd() * 3000 : rnd() * 400 - 100
        const backingCode = rnd() < 0.1 ? outcome() : code
        const backingVerb = verb === 'patch' ? 'update' : verb === 'deletecollection' ? 'delete' : verb
        specs.push({
          apiGroup: CALICO_CRD_GROUP,
          apiVersion: 'v1',
          resource,
          namespace,
          verb: backingVerb,
          name: backingName,
          auditID: `${auditID}-crd-${k}`,
          user: CALICO_SA,
          code: backingCode,
          time: at(completeMs + late),
          source,
          level: rnd() < 0.5 ? 'RequestResponse' : 'Metadata',
          responseObject: rnd() < 0.5 && tier ? {spec: {tier}} : undefined,
        })
      }
    } else if (kind < 0.6) {
      // calicoctl straight to the CRDs, as the user.
      const resource = pick(['globalnetworkpolicies', 'networkpolicies'])
      specs.push({
        apiGroup: CALICO_CRD_GROUP,
        apiVersion: 'v1',
        resource,
        namespace: resource === 'networkpolicies' ? pick(namespaces) : undefined,
        verb: pick(['create', 'update', 'delete']),
        name: `${pick(tiers)}.${pick(names)}`,
        auditID,
        user: 'carol',
        code: outcome(),
        time: at(0),
        source: pick(kubeLogs),
      })
    } else {
      // Kubernetes network policies, sometimes read from two copies of one log, sometimes without an ID.
      const base = {
        apiGroup: 'networking.k8s.io',
        resource: 'networkpolicies',
        namespace: pick(namespaces),
        verb: pick(['create', 'patch', 'delete']),
        name: pick(names),
        auditID: rnd() < 0.05 ? '' : auditID,
        user: pick(['alice', 'dave']),
      }
      const copies = rnd() < 0.3 ? ['a/audit.log', 'b/audit.log'] : [pick(kubeLogs)]
      const code = outcome()
      const doneMs = rnd() * 1500
      for (const source of copies) {
        if (withReceived) specs.push({...base, stage: 'RequestReceived', time: at(0), source})
        if (rnd() < 0.95) specs.push({...base, stage: 'ResponseComplete', code, time: at(doneMs), source})
      }
    }
  }
  // Read in no particular order: sources interleave, and a log is only roughly in time order.
  for (let i = specs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1))
    ;[specs[i], specs[j]] = [specs[j]!, specs[i]!]
  }
  return specs
}

describe('changes as a stream', () => {
  for (let seed = 1; seed <= 40; seed++) {
    it(`settles generated log ${seed} as settling it all at once does`, () => {
      const specs = generatedLog(seed, 150 + seed * 10, 600)
      const filter: ChangeFilter =
        seed % 4 === 0 ? {...ALL, sinceMs: BASE_MS + 120_000, untilMs: BASE_MS + 400_000} : ALL
      const recording = new RecordingStore()
      const streamed = collect(specs, filter, recording).finish()
      const expected = settleAllAtOnce(recording.added, filter)
      assert.ok(expected.length > 50, `${expected.length} changes`)
      assert.deepEqual(streamed, expected)
    })
  }

  it('gives the same changes when its records went through sorted runs on disk, on every walk', () => {
    const specs = generatedLog(99, 800, 900)
    const inMemory = collect(specs, ALL, new MemoryRecordStore()).finish()
    const spill = new ExternalSort<string>(
      {encode: (line) => line, decode: (line) => line, compare: compareEncodedRecords},
      {bufferItems: 37, mergeReadBytes: 1},
    )
    try {
      const collector = collect(specs, ALL, encodedRecordStore(spill))
      assert.ok(spill.spilledRuns > 10, `${spill.spilledRuns} runs`)
      assert.deepEqual([...collector.changes()], inMemory)
      assert.deepEqual([...collector.changes()], inMemory)
    } finally {
      spill.dispose()
    }
  })

  it('walks the same records twice to the same changes: the store gives each walk records of its own', () => {
    const store = new MemoryRecordStore()
    const collector = collect(generatedLog(7, 400, 300), ALL, store)
    const before = structuredClone([...store.sorted()])
    assert.deepEqual(collector.finish(), collector.finish())
    // The walks joined tiers and names into what they were given, not into what the store keeps.
    assert.deepEqual([...store.sorted()], before)
  })

  it('orders encoded records as it orders records', () => {
    const recording = new RecordingStore()
    collect(generatedLog(5, 300, 60), ALL, recording)
    const records = recording.added.slice(0, 400)
    // Before 1970 too, and ties in time.
    records.push(...records.slice(0, 40).map((r, i) => ({...r, timeUs: -r.timeUs + i, seq: r.seq + 10_000})))
    const sign = (n: number) => Math.sign(n)
    for (const a of records)
      for (const b of records.slice(0, 60))
        assert.equal(sign(compareEncodedRecords(encodeRecord(a), encodeRecord(b))), sign(compareRecords(a, b)))
  })

  it('keeps an encoded record whole', () => {
    const recording = new RecordingStore()
    collect(
      [
        {
          apiGroup: CALICO_GROUP,
          resource: 'globalnetworkpolicies',
          verb: 'create',
          user: 'al\u2028ice\n"x"\t\\t\\\u0000\r',
          impersonatedUser: '\\0',
          source: 'a\tb.log',
          time: '2026-11-24T10:00:00.123456Z',
        },
      ],
      ALL,
      recording,
    )
    const [record] = recording.added
    assert.ok(record)
    assert.doesNotMatch(encodeRecord(record), /\n/)
    assert.deepEqual(decodeRecord(encodeRecord(record)), record)
    // Key for key in the same order too: -o json prints a change's keys as they come.
    assert.equal(JSON.stringify(decodeRecord(encodeRecord(record))), JSON.stringify(record))
    for (const sourceIPs of [[], ['10.0.0.1', '', 'x\ty']]) {
      const other = {...record, change: {...record.change, sourceIPs, name: null, namespace: '', code: null}}
      assert.deepEqual(decodeRecord(encodeRecord(other)), other)
    }
  })
})

describe('changes as a stream: bounded by log time', () => {
  const k8s = (i: number, us: number, over: Partial<ChangeRecord> = {}): ChangeRecord => ({
    change: {
      time: iso(us),
      auditID: `id-${i}`,
      user: 'controller',
      impersonatedUser: null,
      verb: 'patch',
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      kind: 'NetworkPolicy',
      namespace: 'n',
      name: `p${i % 50}`,
      tier: 'default',
      code: 200,
      outcome: 'succeeded',
      dryRun: false,
      userAgent: null,
      sourceIPs: [],
      source: 'audit.log',
    },
    timeUs: us,
    stageRank: 3,
    tierKnown: false,
    hasBody: false,
    subresource: '',
    seq: i,
    ...over,
  })

  const most = (values: readonly number[]) => values.reduce((a, b) => Math.max(a, b), 0)

  /** How many records the walk had taken when each change came out. */
  function lags(records: (pulled: () => void) => Iterable<ChangeRecord>): number[] {
    let pulled = 0
    const out: number[] = []
    let emitted = 0
    for (const _ of settleChanges(
      records(() => pulled++),
      ALL,
    ))
      out.push(pulled - ++emitted)
    return out
  }

  it('lets each change out within seconds of log, not at the end: 200,000 writes at 100 a second', () => {
    const count = 200_000
    const lag = lags(function* (pulled) {
      for (let i = 0; i < count; i++) {
        pulled()
        yield k8s(i, BASE_MS * 1000 + i * 10_000)
      }
    })
    assert.equal(lag.length, count)
    // 100 records a second; a change waits for the join window twice and the settling time once.
    assert.ok(most(lag) <= 100 * 3 * (CALICO_JOIN_WINDOW_MS / 1000) + 10, `lag ${most(lag)}`)
  })

  it('holds the output no longer than the stage bound for a request whose last stage never came', () => {
    const lag = lags(function* (pulled) {
      pulled()
      yield k8s(0, BASE_MS * 1000, {stageRank: 1, change: {...k8s(0, 0).change, outcome: 'unknown', code: null}})
      for (let i = 1; i < 100_000; i++) {
        pulled()
        yield k8s(i, BASE_MS * 1000 + i * 10_000)
      }
    })
    // Five minutes of records (30,000) wait behind it, and no more.
    const worst = most(lag)
    assert.ok(worst >= 29_000 && worst <= 32_000, `lag ${worst}`)
  })

  it('takes one audit ID again after the stage bound as another request', () => {
    const got = [...settleChanges([k8s(1, BASE_MS * 1000), {...k8s(1, BASE_MS * 1000 + 301_000_000), seq: 2}], ALL)]
    assert.equal(got.length, 2)
    const near = [
      ...settleChanges(
        [k8s(1, BASE_MS * 1000, {stageRank: 1}), {...k8s(1, BASE_MS * 1000 + 299_000_000), seq: 2}],
        ALL,
      ),
    ]
    assert.equal(near.length, 1)
  })
})
