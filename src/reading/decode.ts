// What the scanners hand on (a line or a document worth decoding), and how it becomes audit events.

import {type DecodeResult, decodeDocument} from '../audit/event.js'
import {isLegacyLine} from '../audit/legacy-format.js'
import {auditIdOf, isTruncated, looksLikeBase64Gzip, subscriptionPayload} from '../audit/records/cloudwatch.js'
import {isSpace} from './bytes.js'

export interface Candidate {
  /** The bytes of the line (or document), without the newline: valid only during the callback. */
  readonly bytes: Buffer
  /** 1-based line number where it starts. */
  readonly line: number
  /** True for the last line of the input when it had no newline: a log being written. */
  readonly unterminated: boolean
  /** Its events go on to the sink; false: decoded only to be counted. Documents always go on. */
  readonly handOn?: boolean
}

/** Why a candidate did not decode when its text is not JSON at all (or cut short). */
export const INVALID_JSON = 'invalid JSON'

/** Lines (and documents) longer than this are counted as malformed and dropped: memory stays bounded. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024

export function decodeCandidate(candidate: Candidate): DecodeResult {
  const text = jsonTextOf(candidate.bytes)
  if (text === undefined) return decodeNonJson(candidate.bytes)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // A CloudWatch S3 export line (`<time> <event>`) of an event CloudWatch cut: named, not read.
    if (isTruncated(text)) return {error: INVALID_JSON, cut: [auditIdOf(text)]}
    return {error: INVALID_JSON}
  }
  return decodeDocument(value)
}

/** A line that is no JSON: a CloudWatch subscription payload as delivered (base64 of gzip), or not an event. */
function decodeNonJson(bytes: Buffer): DecodeResult {
  let start = 0
  while (start < bytes.length && isSpace(bytes[start])) start++
  if (looksLikeBase64Gzip(bytes.toString('latin1', start, start + 4))) {
    const payload = subscriptionPayload(bytes.toString('latin1', start))
    if (payload !== undefined) return decodeDocument(payload)
  }
  return {error: isLegacyLine(bytes) ? 'legacy format line' : 'not JSON'}
}

/**
 * The time of the first event among the whole lines of a source's head: where the input starts,
 * counting only what is read as an event (a first line that is not one does not say).
 */
export function firstEventTime(head: Buffer): number | null {
  let line = 1
  for (let start = 0, nl = head.indexOf(0x0a); nl !== -1; start = nl + 1, nl = head.indexOf(0x0a, start), line++) {
    const decoded = decodeCandidate({bytes: head.subarray(start, nl), line, unterminated: false})
    if (!('error' in decoded) && decoded.events.length > 0) return decoded.events[0].timeUs / 1000
  }
  return null
}

/** Some node-log tools prefix each line with the host name (`oc adm node-logs`). */
const HOST_PREFIX = /^[\w.:-]+ $/

/**
 * The JSON text of a candidate line: the line itself, or what follows a host-name prefix.
 * Returns undefined when the line is not JSON at all.
 */
export function jsonTextOf(bytes: Buffer): string | undefined {
  let start = 0
  while (start < bytes.length && isSpace(bytes[start])) start++
  if (bytes[start] === 0x7b || bytes[start] === 0x5b) return bytes.toString('utf8', start)
  const brace = bytes.indexOf(0x7b, start)
  if (brace === -1 || brace > 512) return undefined
  if (!HOST_PREFIX.test(bytes.toString('utf8', start, brace))) return undefined
  return bytes.toString('utf8', brace)
}
