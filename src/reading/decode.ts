// What the scanners hand on (a line or a document worth decoding), and how it becomes audit events.

import {type DecodeResult, decodeDocument} from '../audit/event.js'
import {isLegacyLine} from '../audit/legacy-format.js'
import {isSpace} from './bytes.js'

export interface Candidate {
  /** The bytes of the line (or document), without the newline: valid only during the callback. */
  readonly bytes: Buffer
  /** 1-based line number where it starts. */
  readonly line: number
  /** True for the last line of the input when it had no newline: a log being written. */
  readonly unterminated: boolean
}

/** Lines (and documents) longer than this are counted as malformed and dropped: memory stays bounded. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024

export function decodeCandidate(candidate: Candidate): DecodeResult {
  const text = jsonTextOf(candidate.bytes)
  if (text === undefined) return {error: isLegacyLine(candidate.bytes) ? 'legacy format line' : 'not JSON'}
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return {error: 'invalid JSON'}
  }
  return decodeDocument(value)
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
