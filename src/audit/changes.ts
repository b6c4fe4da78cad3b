// From audit events to policy changes: which events are writes to watched resources, one change
// per request (latest stage wins), outcome and dry-run, tier, and the Calico aggregated-API join.

import {namesMatch, v3Name} from './calico-names.js'
import {CALICO_CRD_GROUP, CALICO_GROUP, findWatchedResource, isWriteVerb, type WatchedResource} from './catalog.js'
import type {AuditEvent} from './event.js'
import {boundUs} from './window.js'

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

interface Pending {
  change: PolicyChange
  timeUs: number
  stageRank: number
  /** The tier came from the body or a name prefix, not the "default" fallback. */
  tierKnown: boolean
  hasBody: boolean
}

const STAGE_RANK: Record<string, number> = {RequestReceived: 1, ResponseStarted: 2, ResponseComplete: 3, Panic: 3}

/** How long after the user's request the Calico API server's CRD write may land to be joined. */
export const CALICO_JOIN_WINDOW_MS = 5000

/** The Calico API server's own identity when it writes the crd.projectcalico.org backing objects. */
const CALICO_APISERVER_USER = /^system:serviceaccount:[^:]+:(calico-apiserver|tigera-apiserver|calico-api)$/

export interface ChangeFilter {
  sinceMs: number | null
  untilMs: number | null
  includeDryRun: boolean
  includeSubresources: boolean
}

/**
 * Collects the changes in a stream of events from several sources. Add events in any order;
 * `finish()` applies the stage dedupe and the Calico join and returns changes sorted by time.
 */
export class ChangeCollector {
  private readonly pending = new Map<string, Pending>()
  private anonymous = 0

  constructor(private readonly filter: ChangeFilter) {}

  /** Returns true when the event is a write to a watched resource (whatever the window). */
  add(event: AuditEvent, source: string): boolean {
    const ref = event.objectRef
    if (!ref || !isWriteVerb(event.verb)) return false
    const watched = findWatchedResource(ref.apiGroup, ref.resource)
    if (!watched) return false
    if (ref.subresource !== '' && !this.filter.includeSubresources) return true
    const dryRun = isDryRun(event.requestURI)
    if (dryRun && !this.filter.includeDryRun) return true
    // An audit ID names one request, wherever its events were read: two copies of a log, a
    // backup beside the live one, a request whose stages rotation put in two files. Only another
    // apiserver (another node) may reuse an ID (a client can set it). No ID, no merging.
    const key = event.auditID === '' ? `#${this.anonymous++}` : `${apiserverOf(source)}|${event.auditID}|${event.verb}|${ref.apiGroup}|${ref.resource}|${ref.subresource}|${ref.namespace}`
    const candidate = toPending(event, watched, source, dryRun, STAGE_RANK[event.stage] ?? 0)
    const existing = this.pending.get(key)
    if (!existing) this.pending.set(key, candidate)
    else if (prefer(candidate, existing)) {
      takeTier(candidate, existing)
      takeIdentity(candidate, existing)
      this.pending.set(key, candidate)
    } else {
      takeTier(existing, candidate)
      takeIdentity(existing, candidate)
    }
    return true
  }

  finish(): PolicyChange[] {
    const all = mergeCalicoAuditIDs([...this.pending.values()])
    const joined = joinCalicoBackingWrites(all)
    const sinceUs = boundUs(this.filter.sinceMs)
    const untilUs = boundUs(this.filter.untilMs)
    return joined
      .filter((p) => (sinceUs === null || p.timeUs >= sinceUs) && (untilUs === null || p.timeUs <= untilUs))
      .sort(compareByTime)
      .map((p) => p.change)
  }
}

/**
 * Of two records of one request: the latest stage; then the one with a body (the Calico API
 * server's, beside kube-apiserver's Metadata line); then, for copies, the first source by name,
 * so the answer does not depend on which source was read first.
 */
function prefer(candidate: Pending, existing: Pending): boolean {
  if (candidate.stageRank !== existing.stageRank) return candidate.stageRank > existing.stageRank
  if (candidate.hasBody !== existing.hasBody) return candidate.hasBody
  return candidate.change.source < existing.change.source
}

/** The tier one record knew and the kept one only guessed. */
function takeTier(kept: Pending, other: Pending): void {
  if (!kept.tierKnown && other.tierKnown) {
    kept.change.tier = other.change.tier
    kept.tierKnown = true
  }
}

/**
 * Who made the request, from the record that knew: the Calico API server logs an impersonated
 * request under the impersonated user alone, kube-apiserver under the user who impersonated them.
 */
function takeIdentity(kept: Pending, other: Pending): void {
  const impersonated = other.change.impersonatedUser
  if (impersonated !== null && kept.change.impersonatedUser === null && kept.change.user === impersonated) {
    kept.change.user = other.change.user
    kept.change.impersonatedUser = impersonated
  }
}

/**
 * The apiserver a source is the log of, where its name tells: the node of `node/NAME:PATH`, the
 * pod of `pod/NS/NAME`. Files given with -f could be any apiserver's, or copies: one origin.
 */
function apiserverOf(source: string): string {
  const node = /^node\/([^:]+):/.exec(source)
  if (node) return `node/${node[1]}`
  const pod = /^pod\/[^/]+\/[^/]+$/.exec(source)
  return pod ? source : ''
}

function compareByTime(a: Pending, b: Pending): number {
  if (a.timeUs !== b.timeUs) return a.timeUs - b.timeUs
  return a.change.auditID < b.change.auditID ? -1 : a.change.auditID > b.change.auditID ? 1 : 0
}

export function isDryRun(requestURI: string): boolean {
  const q = requestURI.indexOf('?')
  if (q === -1) return false
  return new URLSearchParams(requestURI.slice(q + 1)).getAll('dryRun').includes('All')
}

function toPending(event: AuditEvent, watched: WatchedResource, source: string, dryRun: boolean, stageRank: number): Pending {
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
    stageRank,
    tierKnown: known,
    hasBody: event.requestObject !== undefined || event.responseObject !== undefined,
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

const field = (v: unknown, key: string): unknown => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[key] : undefined)

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
export function deriveTier(watched: WatchedResource, name: string, fromBody: string | undefined): {tier: string | null; known: boolean} {
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

/**
 * With Calico Enterprise, the Calico API server logs the same request as kube-apiserver, under the
 * same auditID and with the bodies. Keep one change per auditID, the one with the most detail.
 */
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

/**
 * In aggregated mode kube-apiserver logs the user's projectcalico.org request at Metadata only,
 * and the Calico API server then writes the crd.projectcalico.org object as its own service
 * account. That backing write is the same change: attach it to the user's request (taking its
 * tier and name) instead of counting it again.
 */
function joinCalicoBackingWrites(all: Pending[]): Pending[] {
  const requests = all.filter((p) => p.change.apiGroup === CALICO_GROUP)
  const backings = all.filter((p) => p.change.apiGroup === CALICO_CRD_GROUP && CALICO_APISERVER_USER.test(p.change.user)).sort((a, b) => a.timeUs - b.timeUs)
  const taken = new Set<Pending>()
  const dropped = new Set<Pending>()
  for (const backing of backings) {
    // Of the requests it could belong to, the one that names the object, then the nearest in time:
    // two quick edits of one object must each get their own backing write. A request that failed
    // (denied before it reached the Calico API server, or refused by it) only gets a backing write
    // that failed too, and a successful one only a write that did not fail.
    let match: Pending | undefined
    let best = Number.POSITIVE_INFINITY
    for (const r of requests) {
      const distance = Math.abs(backing.timeUs - r.timeUs)
      if (taken.has(r) || distance > CALICO_JOIN_WINDOW_MS * 1000) continue
      if ((r.change.outcome === 'failed') !== (backing.change.outcome === 'failed')) continue
      if (r.change.resource !== backing.change.resource || r.change.namespace !== backing.change.namespace) continue
      if (!sameVerbFamily(r.change.verb, backing.change.verb) || !namesMatch(r.change.name, backing.change.name)) continue
      const score = (r.change.name === null ? CALICO_JOIN_WINDOW_MS * 1000 : 0) + distance
      if (score < best) {
        best = score
        match = r
      }
    }
    if (!match) continue
    dropped.add(backing)
    // One deletecollection through the v3 API becomes a delete per object on the CRDs: it stays
    // open for the others, and names no single object or tier.
    if (match.change.verb === 'deletecollection') continue
    taken.add(match)
    if (!match.tierKnown && backing.tierKnown) match.change.tier = backing.change.tier
    if (match.change.name === null && backing.change.name !== null) match.change.name = v3Name(backing.change.name)
  }
  return all.filter((p) => !dropped.has(p))
}

/** The Calico API server turns a v3 patch or update into a GET and a PUT on the CRD, a deletecollection into deletes. */
function sameVerbFamily(userVerb: string, backingVerb: string): boolean {
  const family = (v: string) => (v === 'patch' || v === 'update' ? 'modify' : v === 'deletecollection' ? 'delete' : v)
  return family(userVerb) === family(backingVerb)
}
