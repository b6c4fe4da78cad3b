// How a source is laid out, told from its first line: JSON lines (the apiserver's own format),
// pretty-printed documents, YAML documents (`gcloud logging read --format=yaml`), or the legacy
// text format.

import {LEGACY_LINE} from '../audit/legacy-format.js'
import {BOM, isBomByte, isSpace, NEWLINE} from './bytes.js'

export type LogFormat = 'lines' | 'documents' | 'yaml' | 'legacy'

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
  const first = head
    .subarray(start, nl === -1 ? head.length : nl)
    .toString('utf8')
    .trim()
  if (LEGACY_LINE.test(first)) return 'legacy'
  if (isYamlOfEvents(head, start)) return 'yaml'
  // Pretty-printed documents break lines early; a first line longer than what we have is a line.
  if (nl === -1) return 'lines'
  if (first === '{' || (first.startsWith('{') && /[,{[]$/.test(first))) return 'documents'
  return 'lines'
}

/** A top-level `key:` line, the start of a YAML mapping (`insertId: 85371f7c-…`). */
const YAML_KEY = /^['"]?[A-Za-z_@][\w.@/-]*['"]?:(?:[ \t]|$)/
const YAML_START = /^(?:---|%YAML)(?:[ \t]|$)/
/** A top-level field of a GKE audit entry or of an audit Event: what makes YAML worth reading here. */
const YAML_EVENT_FIELD = /^(?:insertId|logName|protoPayload|auditID):|^kind:[ \t]+['"]?Event['"]?[ \t]*$/m

/**
 * YAML documents of audit entries: the first line that is no comment starts a document (`---`) or
 * a mapping, and a top-level field of an entry or an event is in sight. Other YAML (a manifest
 * given by mistake) is read as lines, as before.
 */
function isYamlOfEvents(head: Buffer, start: number): boolean {
  const text = head.toString('utf8', start, Math.min(head.length, FORMAT_HEAD_BYTES))
  let from = 0
  let first: string | undefined
  while (from < text.length) {
    const nl = text.indexOf('\n', from)
    const line = text.slice(from, nl === -1 ? text.length : nl).trimEnd()
    from = nl === -1 ? text.length : nl + 1
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue
    first = line
    break
  }
  if (first === undefined || !(YAML_START.test(first) || YAML_KEY.test(first))) return false
  return YAML_EVENT_FIELD.test(text)
}
