// Unified diffs between two versions of an object, as YAML laid out the way `kubectl get -o yaml`
// prints it, one marked line at a time so that a renderer can colour them as git diff does.
// jsdiff and yaml are loaded on first use: runs that show no diff never load them.

import {isObject, type JsonObject, MAX_DEPTH, nestedDeeperThan} from './json.js'
import {withoutNoise} from './noise.js'

/** `hunk` is an `@@ -a,b +c,d @@` header; the others are object lines with their marker. */
export type DiffLineKind = 'hunk' | 'context' | 'added' | 'removed'

export interface DiffLine {
  readonly kind: DiffLineKind
  /** The line as printed, marker first (`@@`, `+`, `-` or a space); no colour, no newline. */
  readonly text: string
}

export interface DiffOptions {
  /** Keep the fields noise.ts leaves out (resourceVersion, managedFields, status, …). */
  readonly showAllFields?: boolean
  /** Unchanged lines around each change, as `git diff -U`. */
  readonly context?: number
}

export const DEFAULT_CONTEXT = 3

/** Past this many changed lines jsdiff gives up; the diff is then everything removed, then everything added. */
const MAX_EDIT_LENGTH = 20_000

export const TOO_DEEP_LINE: DiffLine = {kind: 'context', text: ` # not shown: nested more than ${MAX_DEPTH} levels`}

/**
 * The object as YAML: keys in the object's own order, block lists at their key's indentation,
 * strings that YAML 1.1 would read as something else quoted (`"yes"`, `"80"`, timestamps), as
 * kubectl's YAML printer does. Long strings are not folded, so a changed string is one changed line.
 */
export async function objectYaml(object: JsonObject): Promise<string> {
  const {stringify} = await import('yaml')
  return stringify(object, {version: '1.1', indentSeq: false, lineWidth: 0, aliasDuplicateObjects: false})
}

/**
 * The unified diff from `before` to `after` (null: no object, so a create is all additions and a
 * delete all removals). Noise is left out unless `showAllFields`; keys present in both versions are
 * laid out in `before`'s order so that a different key order is not shown as a change. Empty when
 * the two print the same.
 */
export async function diffVersions(
  before: JsonObject | null,
  after: JsonObject | null,
  options: DiffOptions = {},
): Promise<DiffLine[]> {
  if ([before, after].some((o) => o !== null && nestedDeeperThan(o, MAX_DEPTH))) return [TOO_DEEP_LINE]
  const quiet = (o: JsonObject | null) => (o === null || options.showAllFields ? o : withoutNoise(o))
  const old = quiet(before)
  const next = quiet(after)
  const oldText = old === null ? '' : await objectYaml(old)
  const newText =
    next === null ? '' : await objectYaml(old === null || next === null ? next : (alignKeys(next, old) as JsonObject))
  if (oldText === newText) return []
  const {structuredPatch} = await import('diff')
  const context = options.context ?? DEFAULT_CONTEXT
  const patch = structuredPatch('', '', oldText, newText, undefined, undefined, {
    context,
    maxEditLength: MAX_EDIT_LENGTH,
  })
  if (patch === undefined) return wholesale(oldText, newText)
  const out: DiffLine[] = []
  for (const hunk of patch.hunks) {
    out.push({
      kind: 'hunk',
      text: `@@ -${range(hunk.oldStart, hunk.oldLines)} +${range(hunk.newStart, hunk.newLines)} @@`,
    })
    for (const line of hunk.lines) {
      const kind = MARKERS[line[0]]
      // "\ No newline at end of file" cannot happen (YAML ends with one) and is not an object line.
      if (kind !== undefined) out.push({kind, text: line})
    }
  }
  return out
}

const MARKERS: Record<string, DiffLineKind | undefined> = {'+': 'added', '-': 'removed', ' ': 'context'}

/** As diff -u and git print ranges: `start,count`, just `start` for one line, the line before for none. */
function range(start: number, count: number): string {
  if (count === 0) return `${Math.max(start - 1, 0)},0`
  return count === 1 ? `${start}` : `${start},${count}`
}

function wholesale(oldText: string, newText: string): DiffLine[] {
  const lines = (text: string) => (text === '' ? [] : text.slice(0, -1).split('\n'))
  const removed = lines(oldText)
  const added = lines(newText)
  return [
    {kind: 'hunk', text: `@@ -${range(1, removed.length)} +${range(1, added.length)} @@`},
    ...removed.map((l): DiffLine => ({kind: 'removed', text: `-${l}`})),
    ...added.map((l): DiffLine => ({kind: 'added', text: `+${l}`})),
  ]
}

/**
 * `value` with the keys of every map it shares with `reference` in `reference`'s order; keys only
 * in `value` stay after the shared key they follow there. Depth is bounded by the caller's check.
 */
export function alignKeys(value: unknown, reference: unknown): unknown {
  if (Array.isArray(value)) return Array.isArray(reference) ? value.map((v, i) => alignKeys(v, reference[i])) : value
  if (!isObject(value) || !isObject(reference)) return value
  // Keys only in `value` go after the last shared key before them in `value` (or first).
  const followers = new Map<string | undefined, string[]>()
  let lastShared: string | undefined
  for (const key of Object.keys(value)) {
    if (key in reference) lastShared = key
    else {
      const list = followers.get(lastShared) ?? []
      list.push(key)
      followers.set(lastShared, list)
    }
  }
  const order = [...(followers.get(undefined) ?? [])]
  for (const key of Object.keys(reference)) {
    if (!(key in value)) continue
    order.push(key)
    for (const follower of followers.get(key) ?? []) order.push(follower)
  }
  const out: JsonObject = {}
  for (const key of order) out[key] = alignKeys(value[key], reference[key])
  return out
}
