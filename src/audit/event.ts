// The audit Event as the rest of the pipeline sees it: one shape for audit.k8s.io/v1, v1beta1,
// v1alpha1 and version-less events, unwrapped from EventLists and known log-shipper wrappers, or
// mapped from a provider's own record (src/audit/records/).

import {aksEvents, type AksEvents, hasSkippedBody} from './records/aks.js'
import {cloudWatchRecords, type CloudWatchRecords} from './records/cloudwatch.js'
import {elasticIntegrationEvent} from './records/elastic-integration.js'
import {eventOfGkeEntry, GKE_RECORD, isLogEntry} from './records/gke.js'
import {lokiRecords} from './records/loki.js'

export interface UserInfo {
  readonly username: string
  readonly groups: readonly string[]
}

export interface ObjectRef {
  readonly apiGroup: string
  readonly apiVersion: string
  readonly resource: string
  readonly subresource: string
  readonly namespace: string
  readonly name: string
}

export interface AuditEvent {
  readonly auditID: string
  readonly stage: string
  readonly level: string
  readonly verb: string
  readonly requestURI: string
  readonly user: UserInfo
  readonly impersonatedUser: UserInfo | null
  readonly sourceIPs: readonly string[]
  readonly userAgent: string | null
  readonly objectRef: ObjectRef | null
  /** responseStatus.code when it is an HTTP status (an integer 100-599); else null. */
  readonly code: number | null
  /** There was a responseStatus.code, but not an HTTP status (`1e999`, `"403"`, 4.5): the outcome is not known. */
  readonly codeUnreadable?: boolean
  /** RFC3339 in UTC, as precise as the log (microseconds for v1). */
  readonly time: string
  /** `time` in epoch microseconds (the log's precision), for windows and ordering. */
  readonly timeUs: number
  readonly requestObject?: unknown
  readonly responseObject?: unknown
  /** AKS replaced its request or response body with "skipped-too-big-size-object": who and when are known, what changed is not. */
  readonly bodySkipped?: true
  /**
   * The provider's record this event was mapped from, when the log held no audit.k8s.io Event
   * (`gke`): what that record does not carry is empty here, and said once per run.
   */
  readonly mappedFrom?: string
}

/**
 * The events in a JSON value, or why it is not an audit event (for the malformed count). A known
 * wrapper of many (an Elasticsearch response) may hold items that are no event: `notUnderstood`.
 * `cut`: audit IDs of events a log service cut short (counted as not understood, or the error).
 */
export type DecodeResult =
  {events: AuditEvent[]; notUnderstood?: number; cut?: string[]} | {error: string; cut?: string[]}

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string => (typeof v === 'string' ? v : '')

/**
 * Turns one parsed JSON document into audit events. An EventList yields its items; a wrapper
 * (`{"event": {...}}` from SIEM exports, `{"_source": {...}}` from Elasticsearch hits) yields the
 * event inside. Anything that is not recognisably an audit event is an error, never a guess.
 */
export function decodeDocument(value: unknown, depth = 0): DecodeResult {
  // A list of lists is as deep as real input goes; deeper nesting is garbage, not a stack overflow.
  if (depth > 2) return {error: 'nested too deeply'}
  if (Array.isArray(value)) return decodeMany(value, depth)
  if (!isObject(value)) return {error: 'not a JSON object'}
  if (Array.isArray(value.items) && (value.kind === 'EventList' || str(value.apiVersion).startsWith('audit.k8s.io/'))) {
    return decodeMany(value.items, depth)
  }
  // An Elasticsearch `_search` response (or a saved page of one): the events are its hits' _source.
  if (isObject(value.hits) && Array.isArray(value.hits.hits)) return decodeHits(value.hits.hits)
  const cloudWatch = cloudWatchRecords(value)
  if (cloudWatch) return decodeRecords(cloudWatch, depth)
  const aks = aksEvents(value)
  if (aks) return decodeInner(aks, depth)
  const shipped = elasticIntegrationEvent(value)
  if (shipped) return decodeOne(shipped)
  const gke = eventOfGkeEntry(value)
  if (gke !== undefined) return 'error' in gke ? gke : mappedFrom(GKE_RECORD, decodeOne(gke.event))
  const loki = lokiRecords(value)
  if (loki) return decodeInner(loki, depth)
  for (const key of ['event', '_source']) {
    const inner = value[key]
    if (isObject(inner) && looksLikeEvent(inner)) return decodeOne(inner)
  }
  return decodeOne(value)
}

function decodeMany(items: unknown[], depth: number): DecodeResult {
  const events: AuditEvent[] = []
  const cut: string[] = []
  let notUnderstood = 0
  for (const item of items) {
    const one = decodeDocument(item, depth + 1)
    for (const id of one.cut ?? []) cut.push(id)
    // An event a log service cut short is counted and named; so is an entry `gcloud logging read`
    // printed that is no Kubernetes API audit entry. Anything else spoils the list.
    if ('error' in one && one.cut === undefined && !isLogEntry(item)) return {error: `list item: ${one.error}`}
    if ('error' in one) {
      notUnderstood++
      continue
    }
    notUnderstood += one.notUnderstood ?? 0
    // One at a time: a spread of a long list would put every item on the call stack.
    for (const event of one.events) events.push(event)
  }
  return {events, ...(notUnderstood > 0 ? {notUnderstood} : {}), ...(cut.length > 0 ? {cut} : {})}
}

function mappedFrom(record: string, decoded: DecodeResult): DecodeResult {
  return 'error' in decoded ? decoded : {events: decoded.events.map((event) => ({...event, mappedFrom: record}))}
}

/**
 * A log service's records, unwrapped to the events' JSON: each decoded on its own, and one that
 * is no event counted, not fatal. A single record that is nothing but a cut event is the error.
 */
function decodeRecords(records: CloudWatchRecords, depth: number): DecodeResult {
  const {messages, cut} = records
  const events: AuditEvent[] = []
  let notUnderstood = records.notUnderstood + cut.length
  let why =
    cut.length > 0 ? `cut short by CloudWatch Logs (audit ID ${cut[0]})` : "the CloudWatch event's message is not JSON"
  for (const message of messages) {
    const one = decodeDocument(message, depth + 1)
    if ('error' in one) {
      notUnderstood++
      why = `the CloudWatch event's message: ${one.error}`
    } else for (const event of one.events) events.push(event)
  }
  // One event that could not be read is malformed, as a line would be.
  if (events.length === 0 && notUnderstood === 1 && messages.length + records.notUnderstood + cut.length === 1)
    return {error: why, ...(cut.length > 0 ? {cut} : {})}
  return {events, ...(notUnderstood > 0 ? {notUnderstood} : {}), ...(cut.length > 0 ? {cut} : {})}
}

/**
 * The events a provider's record (or batch of records) holds, each decoded on its own: one that is
 * no event is counted, not fatal; a document that is one record and no event is the error.
 */
function decodeInner(inner: AksEvents, depth: number): DecodeResult {
  const events: AuditEvent[] = []
  let notUnderstood = inner.notUnderstood
  let why = inner.why
  for (const value of inner.events) {
    const one = decodeDocument(value, depth + 1)
    if ('error' in one) {
      notUnderstood++
      why ??= one.error
    } else for (const event of one.events) events.push(event)
  }
  if (events.length === 0 && notUnderstood === 1 && inner.events.length + inner.notUnderstood === 1)
    return {error: why ?? 'not an audit event'}
  return notUnderstood > 0 ? {events, notUnderstood} : {events}
}

/** Each hit on its own: one that is no audit event (another index in the search) is counted, not fatal. */
function decodeHits(hits: unknown[]): DecodeResult {
  const events: AuditEvent[] = []
  let notUnderstood = 0
  for (const hit of hits) {
    const inner = isObject(hit) && isObject(hit._source) ? (elasticIntegrationEvent(hit) ?? hit._source) : undefined
    const one = inner === undefined ? undefined : decodeOne(inner)
    if (one === undefined || 'error' in one) notUnderstood++
    else for (const event of one.events) events.push(event)
  }
  return {events, notUnderstood}
}

function looksLikeEvent(v: Json): boolean {
  return v.kind === 'Event' || (typeof v.auditID === 'string' && typeof v.verb === 'string')
}

function decodeOne(raw: Json): DecodeResult {
  if (raw.kind !== undefined && raw.kind !== 'Event') return {error: `kind is ${JSON.stringify(raw.kind)}, not "Event"`}
  if (!looksLikeEvent(raw)) return {error: 'not an audit event (no kind "Event", auditID or verb)'}
  if (typeof raw.verb !== 'string' || raw.verb === '') return {error: 'event has no verb'}
  const apiVersion = str(raw.apiVersion)
  if (apiVersion !== '' && !apiVersion.startsWith('audit.k8s.io/')) return {error: `unknown apiVersion ${apiVersion}`}
  const time = eventTime(raw)
  if (time === undefined) return {error: 'no usable timestamp'}
  const status = isObject(raw.responseStatus) ? raw.responseStatus : undefined
  const event: AuditEvent = {
    auditID: str(raw.auditID),
    stage: str(raw.stage),
    level: str(raw.level),
    verb: str(raw.verb),
    requestURI: str(raw.requestURI),
    user: userInfo(raw.user) ?? {username: '', groups: []},
    impersonatedUser: userInfo(raw.impersonatedUser),
    sourceIPs: Array.isArray(raw.sourceIPs) ? raw.sourceIPs.filter((ip): ip is string => typeof ip === 'string') : [],
    userAgent: typeof raw.userAgent === 'string' ? raw.userAgent : null,
    objectRef: objectRef(raw.objectRef, apiVersion),
    code: isHttpStatus(status?.code) ? status.code : null,
    time: time.text,
    timeUs: time.us,
    requestObject: raw.requestObject,
    responseObject: raw.responseObject,
  }
  const marked: AuditEvent = hasSkippedBody(event) ? {...event, bodySkipped: true} : event
  if (status?.code !== undefined && !isHttpStatus(status.code)) return {events: [{...marked, codeUnreadable: true}]}
  return {events: [marked]}
}

function isHttpStatus(code: unknown): code is number {
  return typeof code === 'number' && Number.isInteger(code) && code >= 100 && code <= 599
}

function userInfo(v: unknown): UserInfo | null {
  if (!isObject(v)) return null
  const groups = Array.isArray(v.groups) ? v.groups.filter((g): g is string => typeof g === 'string') : []
  return {username: str(v.username), groups}
}

function objectRef(v: unknown, eventApiVersion: string): ObjectRef | null {
  if (!isObject(v)) return null
  let apiGroup = str(v.apiGroup)
  let apiVersion = str(v.apiVersion)
  // audit.k8s.io/v1alpha1 has no apiGroup: its objectRef.apiVersion is "group/version" ("v1" for core).
  // Version-less events from old clusters can have the same shape, so decide by the value, not the version.
  if (v.apiGroup === undefined && apiVersion.includes('/')) {
    const slash = apiVersion.lastIndexOf('/')
    apiGroup = apiVersion.slice(0, slash)
    apiVersion = apiVersion.slice(slash + 1)
  } else if (eventApiVersion === 'audit.k8s.io/v1alpha1' && v.apiGroup === undefined) {
    apiGroup = ''
  }
  return {
    apiGroup,
    apiVersion,
    resource: str(v.resource),
    subresource: str(v.subresource),
    namespace: str(v.namespace),
    name: str(v.name),
  }
}

/**
 * The top-level fields that carry an event's time, in the order they are preferred: stageTimestamp
 * (what the contract reports), then the older ones. The time of a raw line is found by the same list.
 */
export const TIME_FIELDS = ['stageTimestamp', 'requestReceivedTimestamp', 'timestamp'] as const

function eventTime(raw: Json): {text: string; ms: number; us: number} | undefined {
  for (const field of TIME_FIELDS) {
    const candidate = raw[field]
    const parsed = typeof candidate === 'string' ? parseTimestamp(candidate) : undefined
    if (parsed) return parsed
  }
  const created = isObject(raw.metadata) ? raw.metadata.creationTimestamp : undefined
  return typeof created === 'string' ? parseTimestamp(created) : undefined
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/i

/**
 * Parses RFC3339 (and the "2022-11-29 22:40:02.903" form some exporters write, read as UTC).
 * Returns the time normalised to UTC with the original sub-second digits (up to microseconds),
 * in epoch ms and µs.
 */
export function parseTimestamp(text: string): {text: string; ms: number; us: number} | undefined {
  return apiserverTime(text) ?? anyTimestamp(text)
}

/**
 * The form kube-apiserver writes every timestamp in (`2026-11-23T16:00:00.007745Z`: UTC, up to six
 * digits of fraction), read without a regular expression or a Date object: every change is timed, and a
 * log of millions of changes spent more time here than in JSON.parse. Anything else: undefined.
 */
function apiserverTime(text: string): {text: string; ms: number; us: number} | undefined {
  const n = text.length
  if (n < 20 || n > 27 || n === 21 || text.charCodeAt(n - 1) !== 0x5a /* Z */) return undefined
  if (text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d || text.charCodeAt(10) !== 0x54 /* T */)
    return undefined
  if (text.charCodeAt(13) !== 0x3a || text.charCodeAt(16) !== 0x3a) return undefined
  if (n > 20 && text.charCodeAt(19) !== 0x2e /* . */) return undefined
  const year = digits(text, 0, 4)
  const month = digits(text, 5, 2)
  const day = digits(text, 8, 2)
  const hour = digits(text, 11, 2)
  const minute = digits(text, 14, 2)
  const second = digits(text, 17, 2)
  const fraction = n > 20 ? digits(text, 20, n - 21) : 0
  // Years before 1000 are left to the general path (Date.UTC reads 0-99 as 19xx).
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || fraction < 0) return undefined
  const micros = n > 20 ? fraction * 10 ** (27 - n) : 0
  const ms = Date.UTC(year, month - 1, day, hour, minute, second) + Math.floor(micros / 1000)
  return {text, ms, us: ms * 1000 + (micros % 1000)}
}

/** The whole number written in text[at, at + count) in decimal digits, or -1. */
function digits(text: string, at: number, count: number): number {
  let value = 0
  for (let i = at; i < at + count; i++) {
    const d = text.charCodeAt(i) - 0x30
    if (d < 0 || d > 9) return -1
    value = value * 10 + d
  }
  return value
}

function daysIn(year: number, month: number): number {
  if (month !== 2) return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
}

/** Every other form parseTimestamp takes: offsets, a space for the T, more than six digits. */
function anyTimestamp(text: string): {text: string; ms: number; us: number} | undefined {
  const m = RFC3339.exec(text.trim())
  if (!m) return undefined
  const [, date, clock, fraction = '', zoneRaw] = m
  if (!isCalendarTime(date, clock)) return undefined
  const zone =
    zoneRaw === undefined || zoneRaw.toUpperCase() === 'Z'
      ? 'Z'
      : zoneRaw.includes(':')
        ? zoneRaw
        : `${zoneRaw.slice(0, 3)}:${zoneRaw.slice(3)}`
  const ms = Date.parse(`${date}T${clock}${fraction.slice(0, 4)}${zone}`)
  if (Number.isNaN(ms)) return undefined
  const digits = fraction.slice(1, 7)
  const us = ms * 1000 + Number(digits.padEnd(6, '0').slice(3))
  if (zone === 'Z') return {text: `${date}T${clock}${digits ? `.${digits}` : ''}Z`, ms, us}
  const utc = new Date(ms).toISOString().slice(0, 19)
  // Keep the digits below a millisecond that Date cannot hold.
  return {text: `${utc}${digits ? `.${digits}` : ''}Z`, ms, us}
}

/** Date.parse rolls 2026-02-30 over to March 2; Go's RFC3339 parser (and so the apiserver) refuses it. */
function isCalendarTime(date: string, clock: string): boolean {
  const [y, mo, d] = date.split('-').map(Number)
  const [h, mi, sec] = clock.split(':').map(Number)
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, sec))
  return (
    t.getUTCFullYear() === y &&
    t.getUTCMonth() === mo - 1 &&
    t.getUTCDate() === d &&
    t.getUTCHours() === h &&
    t.getUTCMinutes() === mi &&
    t.getUTCSeconds() === sec
  )
}
