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
  const userPatterns = selection.users.map(globToRegExp)
  return changes.filter(
    (c) =>
      (userPatterns.length === 0 || userPatterns.some((re) => re.test(c.user) || (c.impersonatedUser !== null && re.test(c.impersonatedUser)))) &&
      (selection.verbs.length === 0 || selection.verbs.includes(c.verb)) &&
      (selection.resources === null || selection.resources.has(`${c.resource}.${c.apiGroup}`)) &&
      (selection.namespaces.length === 0 || (c.namespace !== null && selection.namespaces.includes(c.namespace))) &&
      (selection.tiers.length === 0 || (c.tier !== null && selection.tiers.includes(c.tier))) &&
      (selection.outcome === 'all' || c.outcome === selection.outcome),
  )
}

/** `*` matches any run of characters (including none); everything else is literal. */
export function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
  return new RegExp(`^${escaped.join('.*')}$`)
}
