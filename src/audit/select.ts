// The user's selection of changes: --user, --verb, --kind, -n, --tier, --outcome.

import type {PolicyChange} from './changes.js'

export interface ChangeSelection {
  /** Exact names or `*` globs, matched against the user and the impersonated user. */
  users: readonly string[]
  verbs: readonly string[]
  /** `resource.apiGroup` keys from the catalog. */
  resources: ReadonlySet<string> | null
  namespaces: readonly string[]
  tiers: readonly string[]
  outcome: 'succeeded' | 'failed' | 'all'
}

export function selectChanges(changes: readonly PolicyChange[], selection: ChangeSelection): PolicyChange[] {
  return changes.filter(changeMatcher(selection))
}

/** Whether a change is selected: the selection compiled once, for a stream of changes. */
export function changeMatcher(selection: ChangeSelection): (change: PolicyChange) => boolean {
  const userGlobs = selection.users.map(compileGlob)
  return (c) =>
    (userGlobs.length === 0 ||
      userGlobs.some((matches) => matches(c.user) || (c.impersonatedUser !== null && matches(c.impersonatedUser)))) &&
    (selection.verbs.length === 0 || selection.verbs.includes(c.verb)) &&
    (selection.resources === null || selection.resources.has(`${c.resource}.${c.apiGroup}`)) &&
    (selection.namespaces.length === 0 || (c.namespace !== null && selection.namespaces.includes(c.namespace))) &&
    (selection.tiers.length === 0 || (c.tier !== null && selection.tiers.includes(c.tier))) &&
    (selection.outcome === 'all' || c.outcome === selection.outcome)
}

/**
 * `*` matches any run of characters (including none); everything else is literal. Matched without
 * regular expressions, which backtrack: `*a*a*a*b` against a long name took seconds per name. The
 * text between stars is found left to right, each piece at its earliest place after the one before
 * (taking the earliest never loses a match), so one pass over the name decides.
 */
export function compileGlob(pattern: string): (text: string) => boolean {
  const pieces = pattern.split('*')
  if (pieces.length === 1) return (text) => text === pattern
  const first = pieces[0]!
  const last = pieces.at(-1)!
  const middle = pieces.slice(1, -1).filter((piece) => piece !== '')
  const least = first.length + last.length + middle.reduce((n, piece) => n + piece.length, 0)
  return (text) => {
    if (text.length < least || !text.startsWith(first) || !text.endsWith(last)) return false
    let at = first.length
    const end = text.length - last.length
    for (const piece of middle) {
      const found = text.indexOf(piece, at)
      if (found === -1 || found + piece.length > end) return false
      at = found + piece.length
    }
    return true
  }
}
