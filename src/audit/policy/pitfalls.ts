// Rules that load fine but cannot match what they name: the mistakes the apiserver accepts
// silently (a non-core resource under the core group, resourceNames on creates, "*" taken
// literally, rules shadowed by an earlier catch-all).
import {WATCHED_RESOURCES} from '../catalog.js'
import {CORE_RESOURCES, groupsServing} from './known-resources.js'
import type {Policy, PolicyRule} from './types.js'

export interface Pitfall {
  /** Field path, as in validation problems. */
  readonly path: string
  readonly message: string
}

const UNNAMED_VERBS = ['create', 'list', 'watch', 'deletecollection']

export function findPitfalls(policy: Policy): Pitfall[] {
  const pitfalls: Pitfall[] = []
  let catchAll: number | undefined
  policy.rules.forEach((rule, i) => {
    const path = `rules[${i}]`
    if (catchAll !== undefined) {
      pitfalls.push({path, message: `never used: rules[${catchAll}] already matches every request`})
      return
    }
    for (const pitfall of [...literalWildcards(rule, path), ...resourcePitfalls(rule, path)]) pitfalls.push(pitfall)
    if (matchesEverything(rule)) catchAll = i
  })
  return pitfalls
}

function matchesEverything(rule: PolicyRule): boolean {
  return [rule.users, rule.userGroups, rule.verbs, rule.resources, rule.namespaces, rule.nonResourceURLs].every(
    (list) => list.length === 0,
  )
}

function literalWildcards(rule: PolicyRule, path: string): Pitfall[] {
  const fields = {
    users: rule.users,
    userGroups: rule.userGroups,
    verbs: rule.verbs,
    namespaces: rule.namespaces,
  } as const
  const pitfalls: Pitfall[] = []
  for (const [field, values] of Object.entries(fields)) {
    const i = values.indexOf('*')
    if (i !== -1)
      pitfalls.push({
        path: `${path}.${field}[${i}]`,
        message: `"*" is a literal string here, not a wildcard: leave ${field} out to match all`,
      })
  }
  rule.resources.forEach((gr, g) => {
    const i = gr.resourceNames.indexOf('*')
    if (i !== -1)
      pitfalls.push({
        path: `${path}.resources[${g}].resourceNames[${i}]`,
        message: '"*" is a literal name, not a wildcard: leave resourceNames out to match all',
      })
  })
  return pitfalls
}

function resourcePitfalls(rule: PolicyRule, path: string): Pitfall[] {
  const pitfalls: Pitfall[] = []
  const unnamedVerbs = rule.verbs.filter((v) => UNNAMED_VERBS.includes(v))
  rule.resources.forEach((gr, g) => {
    const at = `${path}.resources[${g}]`
    if (gr.resourceNames.length > 0 && unnamedVerbs.length > 0) {
      pitfalls.push({
        path: `${at}.resourceNames`,
        message: `resourceNames never match ${unnamedVerbs.join(', ')}: those requests carry no object name`,
      })
    }
    gr.resources.forEach((res, r) => {
      const base = res.split('/', 1)[0]
      if (base === '*' || base === '') return
      if (base !== base.toLowerCase()) {
        pitfalls.push({
          path: `${at}.resources[${r}]`,
          message: `"${res}" never matches: resource names are lower-case plurals (e.g. "${base.toLowerCase()}")`,
        })
        return
      }
      const singular = WATCHED_RESOURCES.find(
        (w) => w.kind.toLowerCase() === base && (w.apiGroup === gr.group || gr.group === '*'),
      )
      if (singular) {
        pitfalls.push({
          path: `${at}.resources[${r}]`,
          message: `"${base}" never matches: resources are plural ("${singular.resource}")`,
        })
        return
      }
      if (gr.group === '' && !CORE_RESOURCES.includes(base)) {
        const elsewhere = groupsServing(base).filter((group) => group !== '')
        const where = elsewhere.length > 0 ? `; it is served by ${elsewhere.join(', ')}` : ''
        pitfalls.push({
          path: `${at}.resources[${r}]`,
          message: `"${base}" is not in the core group, so this entry never matches it${where}`,
        })
      }
    })
  })
  return pitfalls
}
