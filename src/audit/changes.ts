// From audit events to policy changes: which events are writes to watched resources, one change
// per request (latest stage wins), outcome and dry-run, tier, and the Calico aggregated-API join.
//
// Changes are settled as a stream. Every event that is a write becomes a record; the records are
// sorted by time (a RecordStore: in memory, or spilled to disk by the caller when there are many)
// and walked in that order, keeping only the requests that can still get a later stage, another
// log's copy or a backing write. So what is held in memory is the last few seconds of the log (the
// last few minutes for a request whose final stage is still to come), however many changes it has.

import {BackingWriteIndex, CALICO_JOIN_WINDOW_MS, type IndexedRequest} from './calico-join.js'
import {v3Name} from './calico-names.js'
import {CALICO_CRD_GROUP, CALICO_GROUP, findWatchedResource, isWriteVerb, type WatchedResource} from './catalog.js'
import type {AuditEvent} from './event.js'
import {MinHeap, OrderedQueue} from './heap.js'
import {boundUs, ORDER_SLACK_MS} from './window.js'

export {CALICO_JOIN_WINDOW_MS} from './calico-join.js'

export type Outcome = 'succeeded' | 'failed' | 'unknown'

/** One write request on a watched resource: the unit of every report. */
export interface PolicyChange {
  time: string
  auditID: string
  user: string
  impersonatedUser: string | null
  verb: string
  apiGroup: string
  resource: string
  kind: string
  namespace: string | null
  name: string | null
  tier: string | null
  code: number | null
  /** `unknown` when only the RequestReceived stage was logged. */
  outcome: Outcome
  dryRun: boolean
  userAgent: string | null
  sourceIPs: string[]
  source: string
}

/** What one event tells of a change: the request as one stage of it was logged, in one source. */
export interface ChangeRecord {
  change: PolicyChange
  timeUs: number
  stageRank: number
  /** The tier came from the body or a name prefix, not the "default" fallback. */
  tierKnown: boolean
  hasBody: boolean
  subresource: string
  /** The order records were added in: the last tie-break, and the identity of a request without an audit ID. */
  seq: number
  /** The request's bodies, kept only when a run shows what changed (ChangeCollector's bodiesOf). */
  bodies?: WriteBodies
  /** For a Calico v3 request: the backing crd.projectcalico.org write joined to it, which carries the object. */
  joined?: {verb: string; bodies: WriteBodies | undefined}
}

/** The bodies of one write as JSON text: a record that waits holds one string, not a tree of objects. */
export interface WriteBodies {
  readonly requestURI: string
  readonly request: string | null
  readonly response: string | null
}

/** A change and the write that tells what it did: the request's own, or its joined backing write's. */
export interface ChangeWrite {
  readonly change: PolicyChange
  readonly verb: string
  readonly bodies: WriteBodies | undefined
}

/**
 * Where records wait until reading is over. `sorted()` gives every record added, in
 * `compareRecords` order, and may be called more than once (a report walks the changes twice).
 * The walk changes the records it is given (a joined tier, a name): each call gives fresh ones.
 */
export interface RecordStore {
  add(record: ChangeRecord): void
  sorted(): Iterable<ChangeRecord>
}

/** Records held in memory: fine for what one test or one small log holds. */
export class MemoryRecordStore implements RecordStore {
  private readonly records: ChangeRecord[] = []
  private ordered = true

  add(record: ChangeRecord): void {
    this.records.push(record)
    this.ordered = false
  }

  /** Copies: a walk may change the records it is given. */
  *sorted(): Iterable<ChangeRecord> {
    if (!this.ordered) this.records.sort(compareRecords)
    this.ordered = true
    for (const record of this.records) yield {...record, change: {...record.change}}
  }
}

/** Somewhere to keep lines of text and get them back sorted: memory, or disk past a bound. */
export interface SortedLines {
  add(line: string): void
  sorted(): Iterable<string>
}

/**
 * Records kept as their encoded lines (`encodeRecord`), sorted with `compareEncodedRecords`: a
 * line is one flat string where a record is a dozen objects, which matters for records that wait
 * long (until a buffer fills, or reading ends) and would otherwise crowd the old generation.
 */
export function encodedRecordStore(lines: SortedLines): RecordStore {
  return {
    add: (record) => lines.add(encodeRecord(record)),
    sorted: function* () {
      for (const line of lines.sorted()) yield decodeRecord(line)
    },
  }
}

/** compareRecords on encoded records: by the time that starts each line, decoding both only for a tie. */
export function compareEncodedRecords(a: string, b: string): number {
  const aEnd = a.indexOf('\t')
  const bEnd = b.indexOf('\t')
  if (a.charCodeAt(0) === MINUS || b.charCodeAt(0) === MINUS) {
    const byTime = Number(a.slice(0, aEnd)) - Number(b.slice(0, bEnd))
    if (byTime !== 0) return byTime
  } else {
    // Whole numbers without leading zeros: the longer is the larger, else the first digit apart decides.
    if (aEnd !== bEnd) return aEnd - bEnd
    for (let i = 0; i < aEnd; i++) {
      const d = a.charCodeAt(i) - b.charCodeAt(i)
      if (d !== 0) return d
    }
  }
  return compareRecords(decodeRecord(a), decodeRecord(b))
}

const MINUS = 0x2d

/** By time, then audit ID (the report's order), then source and arrival, so that every order is total. */
export function compareRecords(a: ChangeRecord, b: ChangeRecord): number {
  if (a.timeUs !== b.timeUs) return a.timeUs - b.timeUs
  return (
    compareText(a.change.auditID, b.change.auditID) || compareText(a.change.source, b.change.source) || a.seq - b.seq
  )
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * A record as one line of text, for a store that writes records to disk: fields apart by tabs,
 * the bodies (JSON, which never holds a raw tab or line break) next, the source IPs last.
 * Splitting on tabs reads a record back several times faster than JSON.parse.
 */
export function encodeRecord(r: ChangeRecord): string {
  const c = r.change
  // join() makes one flat string; a template of many parts would be a rope holding every part.
  const fields = [
    r.timeUs,
    r.stageRank,
    r.tierKnown ? 1 : 0,
    r.hasBody ? 1 : 0,
    encodeField(r.subresource),
    r.seq,
    encodeField(c.time),
    encodeField(c.auditID),
    encodeField(c.user),
    encodeField(c.impersonatedUser),
    encodeField(c.verb),
    encodeField(c.apiGroup),
    encodeField(c.resource),
    encodeField(c.kind),
    encodeField(c.namespace),
    encodeField(c.name),
    encodeField(c.tier),
    c.code === null ? NULL : c.code,
    c.outcome,
    c.dryRun ? 1 : 0,
    encodeField(c.userAgent),
    encodeField(c.source),
  ]
  const b = r.bodies
  fields.push(b === undefined ? NULL : encodeField(b.requestURI), b?.request ?? NULL, b?.response ?? NULL)
  for (const ip of c.sourceIPs) fields.push(encodeField(ip))
  return fields.join('\t')
}

export function decodeRecord(line: string): ChangeRecord {
  const f = line.split('\t')
  return {
    change: {
      time: text(f[6]!),
      auditID: text(f[7]!),
      user: text(f[8]!),
      impersonatedUser: nullable(f[9]!),
      verb: text(f[10]!),
      apiGroup: text(f[11]!),
      resource: text(f[12]!),
      kind: text(f[13]!),
      namespace: nullable(f[14]!),
      name: nullable(f[15]!),
      tier: nullable(f[16]!),
      code: f[17] === NULL ? null : Number(f[17]),
      outcome: f[18] as Outcome,
      dryRun: f[19] === '1',
      userAgent: nullable(f[20]!),
      // In PolicyChange's order: the JSON of a change lists its keys as they were made.
      sourceIPs: f.slice(25).map(text),
      source: text(f[21]!),
    },
    timeUs: Number(f[0]),
    stageRank: Number(f[1]),
    tierKnown: f[2] === '1',
    hasBody: f[3] === '1',
    subresource: text(f[4]!),
    seq: Number(f[5]),
    ...(f[22] === NULL
      ? {}
      : {
          bodies: {
            requestURI: text(f[22]!),
            request: f[23] === NULL ? null : f[23]!,
            response: f[24] === NULL ? null : f[24]!,
          },
        }),
  }
}

/** Null in an encoded record: a raw NUL, which an encoded string never holds. */
const NULL = '\u0000'
const SPECIAL = /[\t\n\r\\\u0000]/
const ESCAPES: Record<string, string> = {'\t': '\\t', '\n': '\\n', '\r': '\\r', '\\': '\\\\', '\u0000': '\\0'}
const UNESCAPES: Record<string, string> = {t: '\t', n: '\n', r: '\r', '\\': '\\', '0': '\u0000'}

function encodeField(value: string | null): string {
  if (value === null) return NULL
  return SPECIAL.test(value) ? value.replace(/[\t\n\r\\\u0000]/g, (c) => ESCAPES[c]!) : value
}

function text(encoded: string): string {
  return encoded.includes('\\') ? encoded.replace(/\\(.)/g, (_, c: string) => UNESCAPES[c] ?? c) : encoded
}

function nullable(encoded: string): string | null {
  return encoded === NULL ? null : text(encoded)
}

const STAGE_RANK: Record<string, number> = {RequestReceived: 1, ResponseStarted: 2, ResponseComplete: 3, Panic: 3}
/** ResponseComplete or Panic: the request's last stage. */
const FINAL_STAGE = 3

/** The Calico API server's own identity when it writes the crd.projectcalico.org backing objects. */
const CALICO_APISERVER_USER = /^system:serviceaccount:[^:]+:(calico-apiserver|tigera-apiserver|calico-api)$/

/**
 * How long after a request's first logged stage its later stages may come: a write takes far less
 * (the apiserver's request timeout is a minute); this is also how far reading lets lines run out of
 * time order. Long-running watches are not writes.
 */
const STAGE_SPAN_US = ORDER_SLACK_MS * 1000
/** How long after a request's last stage another record of it may come: a copy of the log, the Calico API server's. */
const SETTLE_US = CALICO_JOIN_WINDOW_MS * 1000
const JOIN_US = CALICO_JOIN_WINDOW_MS * 1000

/** How long settling waits for what may still come of a request. */
export interface SettleBounds {
  /** After a request's first stage, for its later stages; later, the same audit ID is another request. */
  readonly stageSpanUs: number
  /** After its last stage, for another record of it (a copy of the log, the Calico API server's). */
  readonly settleUs: number
  /** After a backing write, for the request it joins; a change waits twice this for a backing write to join it. */
  readonly joinWaitUs: number
}

const WHOLE_LOG: SettleBounds = {stageSpanUs: STAGE_SPAN_US, settleUs: SETTLE_US, joinWaitUs: JOIN_US}

/**
 * A log followed as it is written (--watch): a change must show within seconds, and the records
 * of one request are written within milliseconds of each other, so the waits are short; a request
 * still waits up to the apiserver's request timeout (a minute) for its last stage.
 */
export const FOLLOWED_LOG: SettleBounds = {stageSpanUs: 60_000_000, settleUs: 250_000, joinWaitUs: 250_000}

export interface ChangeFilter {
  sinceMs: number | null
  untilMs: number | null
  includeDryRun: boolean
  includeSubresources: boolean
}

/**
 * Collects the changes in a stream of events from several sources, as the reading stage's sink.
 * Add events in any order; `changes()` gives one change per request, Calico's backing writes
 * joined, in the window, sorted by time then audit ID.
 */
export class ChangeCollector {
  private seq = 0

  /**
   * `bodiesOf` says which events keep their bodies in their records (write-bodies.ts); without
   * it no record holds any, and changeWrites() gives no bodies.
   */
  constructor(
    private readonly filter: ChangeFilter,
    private readonly store: RecordStore = new MemoryRecordStore(),
    private readonly bodiesOf?: (event: AuditEvent) => WriteBodies | undefined,
  ) {}

  /** Returns true when the event is a write to a watched resource (whatever the window). */
  add(event: AuditEvent, source: string): boolean {
    const ref = event.objectRef
    if (!ref || !isWriteVerb(event.verb)) return false
    const watched = findWatchedResource(ref.apiGroup, ref.resource)
    if (!watched) return false
    if (ref.subresource !== '' && !this.filter.includeSubresources) return true
    const dryRun = isDryRun(event.requestURI)
    if (dryRun && !this.filter.includeDryRun) return true
    const record = toRecord(event, watched, source, dryRun, this.seq++)
    const bodies = this.bodiesOf?.(event)
    this.store.add(bodies === undefined ? record : {...record, bodies})
    return true
  }

  /** The changes, in order; each call walks the records again. */
  changes(): Iterable<PolicyChange> {
    return settleChanges(this.store.sorted(), this.filter)
  }

  /** The changes with the writes that tell what each did, in order; each call walks the records again. */
  *changeWrites(): Generator<ChangeWrite> {
    for (const record of settleRecords(this.store.sorted(), this.filter)) yield changeWriteOf(record)
  }

  /** All the changes at once. */
  finish(): PolicyChange[] {
    return [...this.changes()]
  }
}

/** Turns records sorted by `compareRecords` into changes in the window, in report order. */
export function* settleChanges(
  records: Iterable<ChangeRecord>,
  filter: Pick<ChangeFilter, 'sinceMs' | 'untilMs'>,
): Generator<PolicyChange> {
  for (const record of settleRecords(records, filter)) yield record.change
}

/**
 * The write that tells what a change did: a Calico v3 request logged without bodies (kube-apiserver
 * logs it at Metadata) is told by its joined backing write; otherwise by the request itself.
 */
export function changeWriteOf(record: ChangeRecord): ChangeWrite {
  const joined = record.bodies === undefined ? record.joined : undefined
  return joined
    ? {change: record.change, verb: joined.verb, bodies: joined.bodies}
    : {change: record.change, verb: record.change.verb, bodies: record.bodies}
}

/** The record that settled each change (settleChanges), joined backing write attached. */
export function* settleRecords(
  records: Iterable<ChangeRecord>,
  filter: Pick<ChangeFilter, 'sinceMs' | 'untilMs'>,
): Generator<ChangeRecord> {
  const settler = new Settler(boundUs(filter.sinceMs), boundUs(filter.untilMs))
  for (const record of records) {
    settler.add(record)
    if (settler.out.length > 0) yield* settler.takeOut()
  }
  settler.end()
  yield* settler.takeOut()
}

/** The records of one request seen so far; `best` is changed as others tell more. */
interface Group {
  /** Its first record: what makes another record one of the same request (sameRequest). */
  readonly first: ChangeRecord
  readonly firstUs: number
  best: ChangeRecord
  /** Another open request under the same audit ID (from another apiserver, or another verb or object). */
  sameID: Group | undefined
  /** When, in log time, no other record of it can come any more. */
  closeAt: number
  open: boolean
}

/** A request's change, settled but for the Calico join, waiting for its turn in the output. */
interface Settled {
  readonly record: ChangeRecord
  /** A backing write joined to its user's request: not a change of its own. */
  dropped: boolean
  request?: IndexedRequest<Settled>
}

const bySettledRecord = (a: Settled, b: Settled) => compareRecords(a.record, b.record)

/**
 * The stream's state, all bounded by log time. Records come in time order, so "now" is the time of
 * the latest. A request is open while a record of it may still come (up to STAGE_SPAN after its
 * first, or SETTLE after its last stage); the watermark is the earliest time an open request or a
 * record still to come can have. A backing write is joined once every request within the join
 * window of it is settled; a change is let out once every backing write that could join it was.
 */
export class Settler {
  readonly out: ChangeRecord[] = []
  /** Open requests by audit ID; those without one are in no map, since they never merge. */
  private readonly groups = new Map<string, Group>()
  private readonly apiservers = new Map<string, string>()
  private readonly deadlines = new MinHeap<{at: number; group: Group}>((a, b) => a.at - b.at)
  /** Open requests in the order they were opened, which is by their first time. */
  private opened: Group[] = []
  private openedHead = 0
  private readonly waiting = new OrderedQueue<Settled>(bySettledRecord)
  private readonly backings = new OrderedQueue<Settled>(bySettledRecord)
  private readonly requests = new BackingWriteIndex<Settled>(bySettledRecord)

  constructor(
    private readonly sinceUs: number | null,
    private readonly untilUs: number | null,
    private readonly bounds: SettleBounds = WHOLE_LOG,
  ) {}

  add(record: ChangeRecord): void {
    this.advance(record.timeUs)
    const id = record.change.auditID
    let group = id === '' ? undefined : this.groups.get(id)
    while (group !== undefined && !this.sameRequest(group.first, record)) group = group.sameID
    // A repeated audit ID long after is another request.
    if (group && record.timeUs - group.firstUs <= this.bounds.stageSpanUs) {
      this.merge(group, record)
      return
    }
    if (group) this.close(group)
    const fresh: Group = {
      first: record,
      firstUs: record.timeUs,
      best: record,
      sameID: undefined,
      closeAt: 0,
      open: true,
    }
    if (id !== '') {
      fresh.sameID = this.groups.get(id)
      this.groups.set(id, fresh)
    }
    this.opened.push(fresh)
    this.schedule(fresh)
  }

  end(): void {
    this.advance(Number.POSITIVE_INFINITY)
  }

  takeOut(): ChangeRecord[] {
    return this.out.splice(0)
  }

  private merge(group: Group, record: ChangeRecord): void {
    const [kept, other] = prefer(record, group.best) ? [record, group.best] : [group.best, record]
    takeTier(kept, other)
    takeIdentity(kept, other)
    kept.bodies ??= other.bodies
    group.best = kept
    this.schedule(group)
  }

  private schedule(group: Group): void {
    const last =
      group.best.stageRank >= FINAL_STAGE ? group.best.timeUs + this.bounds.settleUs : Number.POSITIVE_INFINITY
    const closeAt = Math.min(group.firstUs + this.bounds.stageSpanUs, last)
    if (closeAt === group.closeAt) return
    group.closeAt = closeAt
    this.deadlines.push({at: closeAt, group})
  }

  /**
   * Every record before `nowUs` has been added: for a log followed as it is written, where time
   * passes without records (adding a record says as much up to its own time).
   */
  advance(nowUs: number): void {
    for (let next = this.deadlines.peek(); next !== undefined && next.at < nowUs; next = this.deadlines.peek()) {
      this.deadlines.pop()
      if (next.group.open && next.at === next.group.closeAt) this.close(next.group)
    }
    while (this.openedHead < this.opened.length && !this.opened[this.openedHead]!.open) this.openedHead++
    if (this.openedHead > 1024 && this.openedHead * 2 > this.opened.length) {
      this.opened = this.opened.slice(this.openedHead)
      this.openedHead = 0
    }
    const watermark = Math.min(nowUs, this.opened[this.openedHead]?.firstUs ?? Number.POSITIVE_INFINITY)
    for (
      let b = this.backings.peek();
      b !== undefined && b.record.timeUs + this.bounds.joinWaitUs < watermark;
      b = this.backings.peek()
    )
      this.join(this.backings.shift()!)
    for (
      let w = this.waiting.peek();
      w !== undefined && w.record.timeUs + 2 * this.bounds.joinWaitUs < watermark;
      w = this.waiting.peek()
    )
      this.letOut(this.waiting.shift()!)
  }

  /** Takes a closed request out of the audit ID map. */
  private forget(group: Group): void {
    const id = group.first.change.auditID
    if (id === '') return
    let at = this.groups.get(id)
    if (at === group) {
      if (group.sameID) this.groups.set(id, group.sameID)
      else this.groups.delete(id)
      return
    }
    while (at !== undefined && at.sameID !== group) at = at.sameID
    if (at) at.sameID = group.sameID
  }

  /**
   * Whether two records with one audit ID are of one request. An audit ID names one request,
   * wherever its events were read: two copies of a log, a backup beside the live one, a request
   * whose stages rotation put in two files. Only another apiserver (another node) may reuse an ID
   * (a client can set it), except that kube-apiserver and the Calico API server log one aggregated
   * request under one ID.
   */
  private sameRequest(a: ChangeRecord, b: ChangeRecord): boolean {
    const x = a.change
    const y = b.change
    if (x.verb !== y.verb || x.resource !== y.resource || x.apiGroup !== y.apiGroup) return false
    if (x.apiGroup === CALICO_GROUP) return true
    return (
      a.subresource === b.subresource &&
      x.namespace === y.namespace &&
      this.apiserverOf(x.source) === this.apiserverOf(y.source)
    )
  }

  /**
   * The apiserver a source is the log of, where its name tells: the node of `node/NAME:PATH`, the
   * pod of `pod/NS/NAME`. Files given with -f could be any apiserver's, or copies: one origin.
   */
  private apiserverOf(source: string): string {
    let known = this.apiservers.get(source)
    if (known === undefined) {
      const node = /^node\/([^:]+):/.exec(source)
      known = node ? `node/${node[1]}` : /^pod\/[^/]+\/[^/]+$/.test(source) ? source : ''
      this.apiservers.set(source, known)
    }
    return known
  }

  private close(group: Group): void {
    group.open = false
    this.forget(group)
    const settled: Settled = {record: group.best, dropped: false}
    const change = settled.record.change
    if (change.apiGroup === CALICO_CRD_GROUP && CALICO_APISERVER_USER.test(change.user)) this.backings.push(settled)
    else if (change.apiGroup === CALICO_GROUP) settled.request = this.requests.add(joinedWrite(settled.record), settled)
    this.waiting.push(settled)
  }

  /**
   * In aggregated mode kube-apiserver logs the user's projectcalico.org request at Metadata only,
   * and the Calico API server then writes the crd.projectcalico.org object as its own service
   * account. That backing write is the same change: attach it to the user's request (taking its
   * tier and name) instead of counting it again.
   */
  private join(backing: Settled): void {
    const match = this.requests.find(joinedWrite(backing.record))
    if (!match) return
    backing.dropped = true
    const request = match.item.record.change
    // One deletecollection through the v3 API becomes a delete per object on the CRDs: it stays
    // open for the others, and names no single object or tier.
    if (request.verb === 'deletecollection') return
    match.taken = true
    const from = backing.record
    match.item.record.joined = {verb: from.change.verb, bodies: from.bodies}
    if (!match.item.record.tierKnown && from.tierKnown) request.tier = from.change.tier
    if (request.name === null && from.change.name !== null) request.name = v3Name(from.change.name)
  }

  private letOut(settled: Settled): void {
    if (settled.request) this.requests.remove(settled.request)
    if (settled.dropped) return
    const {timeUs} = settled.record
    if ((this.sinceUs === null || timeUs >= this.sinceUs) && (this.untilUs === null || timeUs <= this.untilUs))
      this.out.push(settled.record)
  }
}

function joinedWrite(record: ChangeRecord) {
  const {resource, namespace, name, verb, outcome} = record.change
  return {timeUs: record.timeUs, resource, namespace, name, verb, failed: outcome === 'failed'}
}

/**
 * Of two records of one request: the latest stage; then the one with a body (the Calico API
 * server's, beside kube-apiserver's Metadata line); then, for copies, the first source by name,
 * so the answer does not depend on which source was read first.
 */
function prefer(candidate: ChangeRecord, existing: ChangeRecord): boolean {
  if (candidate.stageRank !== existing.stageRank) return candidate.stageRank > existing.stageRank
  if (candidate.hasBody !== existing.hasBody) return candidate.hasBody
  return candidate.change.source < existing.change.source
}

/** The tier one record knew and the kept one only guessed. */
function takeTier(kept: ChangeRecord, other: ChangeRecord): void {
  if (!kept.tierKnown && other.tierKnown) {
    kept.change.tier = other.change.tier
    kept.tierKnown = true
  }
}

/**
 * Who made the request, from the record that knew: the Calico API server logs an impersonated
 * request under the impersonated user alone, kube-apiserver under the user who impersonated them.
 */
function takeIdentity(kept: ChangeRecord, other: ChangeRecord): void {
  const impersonated = other.change.impersonatedUser
  if (impersonated !== null && kept.change.impersonatedUser === null && kept.change.user === impersonated) {
    kept.change.user = other.change.user
    kept.change.impersonatedUser = impersonated
  }
}

export function isDryRun(requestURI: string): boolean {
  const q = requestURI.indexOf('?')
  if (q === -1) return false
  return new URLSearchParams(requestURI.slice(q + 1)).getAll('dryRun').includes('All')
}

function toRecord(
  event: AuditEvent,
  watched: WatchedResource,
  source: string,
  dryRun: boolean,
  seq: number,
): ChangeRecord {
  const ref = event.objectRef!
  const name = ref.name || bodyName(event) || ''
  const {tier, known} = deriveTier(watched, name, bodyTier(event))
  const code = event.code
  const outcome = event.codeUnreadable === true && event.stage !== 'Panic' ? 'unknown' : outcomeOf(event.stage, code)
  return {
    change: {
      time: event.time,
      auditID: event.auditID,
      user: event.user.username,
      impersonatedUser: event.impersonatedUser?.username || null,
      verb: event.verb,
      apiGroup: ref.apiGroup,
      resource: ref.resource,
      kind: watched.kind,
      namespace: ref.namespace || null,
      name: name || null,
      tier,
      code,
      outcome,
      dryRun,
      userAgent: event.userAgent,
      sourceIPs: [...event.sourceIPs],
      source,
    },
    timeUs: event.timeUs,
    stageRank: STAGE_RANK[event.stage] ?? 0,
    tierKnown: known,
    hasBody: event.requestObject !== undefined || event.responseObject !== undefined,
    subresource: ref.subresource,
    seq,
  }
}

/**
 * `failed` for a code >= 400, and for a Panic whatever it says (the apiserver answers 500);
 * `unknown` when the response was never logged (RequestReceived, ResponseStarted alone), or its
 * code is not an HTTP status (see AuditEvent.codeUnreadable).
 */
function outcomeOf(stage: string, code: number | null): Outcome {
  if (stage === 'Panic' || (code !== null && code >= 400)) return 'failed'
  return code !== null || (STAGE_RANK[stage] ?? 0) >= 3 ? 'succeeded' : 'unknown'
}

function bodyField(event: AuditEvent, pick: (body: Record<string, unknown>) => unknown): string | undefined {
  for (const body of [event.responseObject, event.requestObject]) {
    if (typeof body !== 'object' || body === null) continue
    const value = pick(body as Record<string, unknown>)
    if (typeof value === 'string' && value !== '') return value
  }
  return undefined
}

const field = (v: unknown, key: string): unknown =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined

/**
 * The only parts of a request or response body that changes use (kind, metadata.name, spec.tier):
 * lets a worker thread send events without their full bodies.
 */
export function slimBody(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return undefined
  const b = body as Record<string, unknown>
  return {kind: b.kind, metadata: {name: field(b.metadata, 'name')}, spec: {tier: field(b.spec, 'tier')}}
}

/** An event with only the body fields changes read: what a worker sends, what a held-back read keeps. */
export function slimEvent(event: AuditEvent): AuditEvent {
  return {...event, requestObject: slimBody(event.requestObject), responseObject: slimBody(event.responseObject)}
}

function bodyTier(event: AuditEvent): string | undefined {
  return bodyField(event, (b) => (b.kind === 'Status' ? undefined : field(b.spec, 'tier')))
}

function bodyName(event: AuditEvent): string | undefined {
  return bodyField(event, (b) => (b.kind === 'Status' ? undefined : field(b.metadata, 'name')))
}

/** Tier rules: ARCHITECTURE.md, "What counts as a policy change". */
export function deriveTier(
  watched: WatchedResource,
  name: string,
  fromBody: string | undefined,
): {tier: string | null; known: boolean} {
  switch (watched.tiering) {
    case 'none':
      return {tier: null, known: true}
    case 'self':
      // A tier created through the aggregated API has no name yet: the backing write gives both.
      return {tier: name || null, known: name !== ''}
    case 'fixed':
      return {tier: watched.fixedTier ?? null, known: true}
    case 'default':
      return fromBody ? {tier: fromBody, known: true} : {tier: 'default', known: false}
    case 'tiered': {
      if (fromBody) return {tier: fromBody, known: true}
      // CRD names always carry the tier (`<tier>.<name>`). Through the v3 API a policy outside the
      // default tier had to be named that way up to Calico 3.31, so the prefix is a good guess
      // there too, but a guess: a joined backing write or a body overrides it.
      const dot = name.indexOf('.')
      if (dot > 0) return {tier: name.slice(0, dot), known: watched.apiGroup === CALICO_CRD_GROUP}
      return {tier: name ? 'default' : null, known: false}
    }
  }
}
