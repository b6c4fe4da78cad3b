// What a raw line must show to be worth decoding, derived from the catalog: the name of a watched
// resource and a write verb. The scanner (src/reading/line-scanner.ts) searches for these on bytes.

import {WATCHED_RESOURCE_NAMES, WRITE_VERBS} from './catalog.js'

/**
 * The needles: resource names whose every watched plural contains one of them (networkpolicies
 * also finds globalnetworkpolicies, adminnetworkpolicies, ...), so a handful cover the whole catalog.
 */
export const RESOURCE_NEEDLES: readonly string[] = WATCHED_RESOURCE_NAMES.filter(
  (n) => !WATCHED_RESOURCE_NAMES.some((other) => other !== n && n.includes(other)),
).sort()

/** All resource needles in one expression: one pass over the text finds the next of any of them. */
export const RESOURCE_PATTERN = new RegExp(RESOURCE_NEEDLES.join('|'))

const WRITE_VERB_SET: ReadonlySet<string> = new Set(WRITE_VERBS)

/** The key every audit event has, with its quotes: 6 characters. */
export const VERB_KEY = '"verb"'

/**
 * Where the next `"verb"` key starts at or after `from`, or -1. Searched as `verb"`: V8 looks for
 * a short needle's first character with memchr, and `"` is the most common byte in JSON, `v` is not.
 */
export function findVerbKey(text: string, from: number): number {
  for (let i = text.indexOf('verb"', from + 1); i !== -1; i = text.indexOf('verb"', i + 5)) {
    if (text.charCodeAt(i - 1) === 0x22) return i - 1
  }
  return -1
}

/**
 * True when a "verb" field in text[start, end) holds a write verb (a line may hold several events),
 * or, in a line without one, a "methodName" field ends in one (GKE's
 * `io.k8s.networking.v1.networkpolicies.patch`). The text is a line's bytes as latin1: one byte,
 * one character.
 */
export function hasWriteVerb(text: string, start: number, end: number): boolean {
  // Searched within the line only, whatever follows it.
  const line = text.substring(start, end)
  let verbs = 0
  for (let key = findVerbKey(line, 0); key !== -1; key = findVerbKey(line, key + VERB_KEY.length)) {
    verbs++
    const value = stringAfter(line, key + VERB_KEY.length)
    if (value !== undefined && WRITE_VERB_SET.has(value)) return true
  }
  if (verbs > 0) return false
  for (let key = line.indexOf(METHOD_KEY); key !== -1; key = line.indexOf(METHOD_KEY, key + METHOD_KEY.length)) {
    const value = stringAfter(line, key + METHOD_KEY.length)
    if (value !== undefined && WRITE_VERB_SET.has(value.slice(value.lastIndexOf('.') + 1))) return true
  }
  return false
}

const METHOD_KEY = '"methodName"'
const VERB_KEY_BYTES = Buffer.from(VERB_KEY, 'latin1')

/**
 * True when the line bytes[start, end) has a "verb" key and none of its "verb" keys holds a write
 * verb, read as hasWriteVerb reads them (so hasWriteVerb would say false). On the bytes: a line
 * that holds a resource needle but only reads (a get, list or watch of network policies: most
 * such lines) is told apart without becoming a string.
 */
export function onlyReadVerbs(bytes: Buffer, start: number, end: number): boolean {
  let verbs = 0
  for (
    let key = bytes.indexOf(VERB_KEY_BYTES, start);
    key !== -1 && key + VERB_KEY.length <= end;
    key = bytes.indexOf(VERB_KEY_BYTES, key + VERB_KEY.length)
  ) {
    verbs++
    let i = key + VERB_KEY.length
    while (i < end && (bytes[i] === 0x20 || bytes[i] === 0x3a)) i++
    if (i >= end || bytes[i] !== 0x22) continue
    const close = bytes.indexOf(0x22, i + 1)
    if (close !== -1 && close < end && WRITE_VERB_SET.has(bytes.toString('latin1', i + 1, close))) return false
  }
  return verbs > 0
}

/** The string value that follows a key ending at `at` (`: "value"`), or undefined. */
function stringAfter(line: string, at: number): string | undefined {
  let i = at
  while (i < line.length && (line.charCodeAt(i) === 0x20 || line.charCodeAt(i) === 0x3a)) i++
  if (line.charCodeAt(i) !== 0x22) return undefined
  const close = line.indexOf('"', i + 1)
  return close === -1 ? undefined : line.substring(i + 1, close)
}
