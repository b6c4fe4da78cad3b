// CloudWatch Logs records carrying audit events, built from the documented shapes: the events of
// FilterLogEvents / GetLogEvents (and the CLI's JSON output), subscription payloads (decoded, and
// as delivered: base64 of gzip), and S3 export lines.
import {gzipSync} from 'node:zlib'

/** The stream EKS writes audit events to (`kube-apiserver-audit-` and 32 hex digits). */
export const AUDIT_STREAM = 'kube-apiserver-audit-0123456789abcdef0123456789abcdef'

/** What CloudWatch appends to an event it cut at its size limit. */
export const TRUNCATED = '[Truncated...]'

export interface LogEvent {
  logStreamName: string
  timestamp: number
  message: string
  ingestionTime: number
  eventId: string
}

let eventCounter = 0

/** One FilterLogEvents event holding `event` (an audit Event object, or a raw message). */
export function logEvent(
  event: Record<string, unknown> | string,
  options: {timestamp?: number; stream?: string; eventId?: string} = {},
): LogEvent {
  const message = typeof event === 'string' ? event : JSON.stringify(event)
  const timestamp =
    options.timestamp ??
    (typeof event === 'string'
      ? Date.parse('2026-11-24T10:00:00Z')
      : Math.floor(Date.parse(String(event.stageTimestamp))))
  // eventIds are long decimal strings in real answers: unique, not ordered by anything we rely on.
  const eventId =
    options.eventId ?? `3798${String(timestamp).padStart(16, '0')}${String(++eventCounter).padStart(36, '0')}`
  return {logStreamName: options.stream ?? AUDIT_STREAM, timestamp, message, ingestionTime: timestamp + 1500, eventId}
}

/** `message` as CloudWatch keeps an event past its size limit: cut, with the mark appended. */
export function truncatedMessage(event: Record<string, unknown>, keep = 120): string {
  return `${JSON.stringify(event).slice(0, keep)}${TRUNCATED}`
}

/** `aws logs filter-log-events --output json` (what FilterLogEvents answers, paged through). */
export function filterLogEventsOutput(events: readonly LogEvent[]): string {
  return `${JSON.stringify({events, searchedLogStreams: []}, null, 4)}\n`
}

/** `aws logs get-log-events --output json`: one stream, no eventId or stream name on the events. */
export function getLogEventsOutput(events: readonly LogEvent[]): string {
  const trimmed = events.map(({timestamp, message, ingestionTime}) => ({timestamp, message, ingestionTime}))
  return `${JSON.stringify({events: trimmed, nextForwardToken: 'f/3798', nextBackwardToken: 'b/3798'}, null, 4)}\n`
}

/** A decoded subscription payload (DATA_MESSAGE) for the log group of `cluster`. */
export function subscriptionPayload(events: readonly LogEvent[], cluster = 'prod-eu'): Record<string, unknown> {
  return {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: `/aws/eks/${cluster}/cluster`,
    logStream: AUDIT_STREAM,
    subscriptionFilters: ['audit-to-archive'],
    logEvents: events.map(({eventId, timestamp, message}) => ({id: eventId, timestamp, message})),
  }
}

/** A subscription payload as delivered: the base64 of its gzip. */
export function deliveredPayload(payload: Record<string, unknown>): string {
  return gzipSync(JSON.stringify(payload)).toString('base64')
}

/** One line of a CloudWatch export to S3: `<ISO time> <message>`. */
export function s3ExportLine(event: LogEvent): string {
  return `${new Date(event.timestamp).toISOString()} ${event.message}`
}
