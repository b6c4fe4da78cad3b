// What a raw line must show to be worth decoding, derived from the catalog: the name of a watched
// resource and a write verb. The scanner (src/reading/line-scanner.ts) searches for these on bytes.

import {WATCHED_RESOURCE_NAMES, WRITE_VERBS} from './catalog.js'

/**
 * The needles: resource names whose every watched plural contains one of them (networkpolicies
 * also finds globalnetworkpolicies, adminnetworkpolicies, ...), so a handful cover the whole catalog.
 */
export const RESOURCE_NEEDLES: readonly string[] = WATCHED_RESOURCE_NAMES.filter((n) => !WATCHED_RESOURCE_NAMES.some((other) => other !== n && n.includes(other))).sort()

/** All resource needles in one expression: one pass over the text finds the next of any of them. */
export const RESOURCE_PATTERN = new RegExp(RESOURCE_NEEDLES.join('|'))

const WRITE_VERB_SET: ReadonlySet<string> = new Set(WRITE_VERBS)

/**
 * True when a "verb" field in text[start, end) holds a write verb (a line may hold several events),
 * or a "methodName" field ends in one (GKE's `io.k8s.networking.v1.networkpolicies.patch`).
 * The text is a line's bytes as latin1: one byte, one character.
 */
export function hasWriteVerb(text: string, start: number, end: number): boolean {
  const verb = text.indexOf('"verb"', start)
  // An apiserver line names its verb: the method is only looked for in a line without one.
  if (verb !== -1 && verb < end) return fieldHolds(text, verb, end, '"verb"', (value) => WRITE_VERB_SET.has(value))
  return fieldHolds(text, start, end, '"methodName"', (value) => WRITE_VERB_SET.has(value.slice(value.lastIndexOf('.') + 1)))
}

function fieldHolds(text: string, start: number, end: number, key: string, wanted: (value: string) => boolean): boolean {
  for (let at = text.indexOf(key, start); at !== -1 && at < end; at = text.indexOf(key, at + key.length)) {
    let i = at + key.length
    while (i < end && (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x3a)) i++
    if (text.charCodeAt(i) !== 0x22) continue
    const close = text.indexOf('"', i + 1)
    if (close !== -1 && close < end && wanted(text.substring(i + 1, close))) return true
  }
  return false
}
