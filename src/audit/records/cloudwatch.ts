// CloudWatch Logs records that carry EKS audit events: the events of FilterLogEvents and
// GetLogEvents (and the `aws logs filter-log-events` / `get-log-events` JSON output), subscription
// payloads (decoded `{messageType, logEvents}`, or the base64 of their gzip, alone or as a Lambda's
// `{"awslogs": {"data": …}}`). Each event's `message` is one raw audit Event as JSON text, unless
// CloudWatch cut it (`[Truncated...]`): such an event cannot be read, only named by its audit ID.

import {gunzipSync} from 'node:zlib'

type Json = Record<string, unknown>

/** What a CloudWatch record holds: the audit events' JSON, and what could not be read. */
export interface CloudWatchRecords {
  /** The parsed `message` of each event, in order (each should be an audit Event). */
  readonly messages: unknown[]
  /** Events whose message is not JSON (another stream's text, cut off elsewhere). */
  readonly notUnderstood: number
  /** Audit IDs of events CloudWatch cut short (`[Truncated...]`); `?` when the ID was cut too. */
  readonly cut: string[]
}

/** The literal CloudWatch Logs appends to an event it cut at its size limit. */
export const TRUNCATED_SUFFIX = '[Truncated...]'

/** A subscription payload inflates to a few MB at most; anything far bigger is not one. */
const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The audit events in a CloudWatch record, or undefined when `value` is not one. Recognised by
 * shape: an event (`message` text and a numeric `timestamp`, with `eventId`, `id`, `ingestionTime`
 * or `logStreamName`), a page of them (`events`), a subscription payload (`messageType`), or a
 * Lambda's subscription event (`awslogs.data`).
 */
export function cloudWatchRecords(value: Json): CloudWatchRecords | undefined {
  if (isLogEvent(value)) return collect([value])
  if (Array.isArray(value.events) && value.events.some(isLogEvent)) return collect(value.events)
  // `aws logs filter-log-events` over a window with nothing in it still prints its shape.
  if (
    Array.isArray(value.events) &&
    value.events.length === 0 &&
    ('searchedLogStreams' in value || 'nextForwardToken' in value)
  )
    return collect([])
  if (typeof value.messageType === 'string' && Array.isArray(value.logEvents)) {
    // A CONTROL_MESSAGE checks that the destination is reachable: its one event is no log line.
    return value.messageType === 'CONTROL_MESSAGE' ? collect([]) : collect(value.logEvents)
  }
  if (isObject(value.awslogs) && typeof value.awslogs.data === 'string') {
    const payload = subscriptionPayload(value.awslogs.data)
    return payload === undefined ? {messages: [], notUnderstood: 1, cut: []} : cloudWatchRecords(payload)
  }
  return undefined
}

function isLogEvent(v: unknown): boolean {
  return (
    isObject(v) &&
    typeof v.message === 'string' &&
    typeof v.timestamp === 'number' &&
    ('eventId' in v || 'id' in v || 'ingestionTime' in v || 'logStreamName' in v)
  )
}

/** Each event's message; an item that is no event, or whose message is no JSON, is not understood. */
function collect(events: readonly unknown[]): CloudWatchRecords {
  const messages: unknown[] = []
  const cut: string[] = []
  let notUnderstood = 0
  for (const event of events) {
    if (!isObject(event) || typeof event.message !== 'string') {
      notUnderstood++
      continue
    }
    const {message} = event
    if (isTruncated(message)) {
      cut.push(auditIdOf(message))
      continue
    }
    try {
      messages.push(JSON.parse(message))
    } catch {
      notUnderstood++
    }
  }
  return {messages, notUnderstood, cut}
}

/** True when CloudWatch cut this message at its size limit. */
export function isTruncated(message: string): boolean {
  return message.trimEnd().endsWith(TRUNCATED_SUFFIX)
}

/** The audit ID near the start of a cut message (kube-apiserver writes it fourth), or `?`. */
export function auditIdOf(message: string): string {
  return /"auditID"\s*:\s*"([^"\\]{1,128})"/.exec(message)?.[1] ?? '?'
}

/** The gzip magic (1f 8b 08) in base64: how every subscription payload's base64 starts. */
const BASE64_GZIP = 'H4sI'

/** True when `text` may be the base64 of a gzip stream (a subscription payload as delivered). */
export function looksLikeBase64Gzip(text: string): boolean {
  return text.startsWith(BASE64_GZIP)
}

/**
 * The JSON of a subscription payload as delivered (base64 of gzip), or undefined when `data` is
 * not one: not base64 of gzip, inflating past MAX_PAYLOAD_BYTES, or not JSON.
 */
export function subscriptionPayload(data: string): Json | undefined {
  const text = data.trim()
  if (!looksLikeBase64Gzip(text) || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined
  try {
    const json: unknown = JSON.parse(
      gunzipSync(Buffer.from(text, 'base64'), {maxOutputLength: MAX_PAYLOAD_BYTES}).toString('utf8'),
    )
    return isObject(json) ? json : undefined
  } catch {
    return undefined
  }
}
