// How a source is laid out, told from its first line: JSON lines (the apiserver's own format),
// pretty-printed documents, or the legacy text format.

import {LEGACY_LINE} from '../audit/legacy-format.js'
import {BOM, isBomByte, isSpace, NEWLINE} from './bytes.js'

export type LogFormat = 'lines' | 'documents' | 'legacy'

/** detectFormat looks at most this far into a source. */
export const FORMAT_HEAD_BYTES = 64 * 1024

/** True once `head` holds the first line with something on it: enough for detectFormat. */
export function hasFirstLine(head: Buffer): boolean {
  let i = 0
  while (i < head.length && (isSpace(head[i]) || isBomByte(head[i]))) i++
  return head.indexOf(NEWLINE, i) !== -1
}

/**
 * Decides how a source is laid out from its first bytes: the first line with something on it, or
 * FORMAT_HEAD_BYTES of it (see hasFirstLine).
 * JSON lines is the apiserver's own format; "documents" are pretty-printed events or EventLists
 * one after another; "legacy" is the old text format, which we recognise but cannot summarise.
 */
export function detectFormat(head: Buffer): LogFormat {
  let start = head.subarray(0, 3).equals(BOM) ? 3 : 0
  while (start < head.length && isSpace(head[start])) start++
  if (head[start] === 0x5b /* [ */) return 'documents'
  const nl = head.indexOf(NEWLINE, start)
  const first = head.subarray(start, nl === -1 ? head.length : nl).toString('utf8').trim()
  if (LEGACY_LINE.test(first)) return 'legacy'
  // Pretty-printed documents break lines early; a first line longer than what we have is a line.
  if (nl === -1) return 'lines'
  if (first === '{' || (first.startsWith('{') && /[,{[]$/.test(first))) return 'documents'
  return 'lines'
}
