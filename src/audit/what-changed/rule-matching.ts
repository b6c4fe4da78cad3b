// Which rule of the new version is which rule of the old one. Decided per direction:
//  1. Identical rules are the same rule, wherever they are.
//  2. Admin network policy rules with the same name are the same rule.
//  3. Rules left at the same position are the same rule, changed, when they still share their
//     other end (`from`/`to`) or their ports; otherwise one was removed and the other added.
// In ordered policies (Calico, admin network policies) a rule whose position changed relative to
// the others has moved: the fewest moves that explain the new order are reported.

import type {RuleView} from './policy-view.js'

export interface RulePair {
  readonly before: RuleView
  readonly after: RuleView
  readonly identical: boolean
  readonly moved: boolean
}

export interface RulePairing {
  readonly pairs: readonly RulePair[]
  readonly removed: readonly RuleView[]
  readonly added: readonly RuleView[]
}

export function pairRules(before: readonly RuleView[], after: readonly RuleView[], ordered: boolean): RulePairing {
  const pairs: RulePair[] = []
  const removed: RuleView[] = []
  const added: RuleView[] = []
  for (const direction of ['ingress', 'egress'] as const) {
    const olds = before.filter((r) => r.direction === direction)
    const news = after.filter((r) => r.direction === direction)
    const matched = new Map<RuleView, RuleView>()
    const taken = new Set<RuleView>()
    const take = (n: RuleView, o: RuleView | undefined) => {
      if (!o) return
      matched.set(n, o)
      taken.add(o)
    }

    const byContent = groupBy(olds, (o) => o.content)
    for (const n of news)
      take(
        n,
        byContent.get(n.content)?.find((o) => !taken.has(o)),
      )
    const byName = groupBy(olds, (o) => o.name)
    for (const n of news)
      if (!matched.has(n) && n.name !== undefined)
        take(
          n,
          byName.get(n.name)?.find((o) => !taken.has(o)),
        )
    for (const n of news) {
      const o = olds[n.position]
      if (!matched.has(n) && o && !taken.has(o) && similar(o, n)) take(n, o)
    }

    const inOrder = ordered ? keptInOrder([...matched].map(([n, o]) => [o.position, n.position] as const)) : undefined
    for (const n of news) {
      const o = matched.get(n)
      if (!o) added.push(n)
      else
        pairs.push({
          before: o,
          after: n,
          identical: o.content === n.content,
          moved: inOrder !== undefined && !inOrder.has(n.position),
        })
    }
    for (const o of olds) if (!taken.has(o)) removed.push(o)
  }
  return {pairs, removed, added}
}

function groupBy<K>(rules: readonly RuleView[], key: (r: RuleView) => K): Map<K, RuleView[]> {
  const groups = new Map<K, RuleView[]>()
  for (const r of rules) {
    const group = groups.get(key(r))
    if (group) group.push(r)
    else groups.set(key(r), [r])
  }
  return groups
}

function similar(a: RuleView, b: RuleView): boolean {
  const part = (r: RuleView, key: string) => r.parts.find((p) => p.key === key)?.text
  return part(a, a.peerKey) === part(b, b.peerKey) || part(a, 'ports') === part(b, 'ports')
}

/**
 * Given (old position, new position) pairs, the new positions of the largest set of pairs whose
 * relative order did not change (a longest increasing subsequence); the others moved.
 */
function keptInOrder(pairs: ReadonlyArray<readonly [number, number]>): Set<number> {
  const seq = [...pairs].sort((x, y) => x[0] - y[0]).map(([, n]) => n)
  const tails: number[] = [] // index into seq of the smallest tail of an increasing run of each length
  const previous: number[] = new Array<number>(seq.length).fill(-1)
  for (let i = 0; i < seq.length; i++) {
    let lo = 0
    let hi = tails.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (seq[tails[mid]] < seq[i]) lo = mid + 1
      else hi = mid
    }
    if (lo > 0) previous[i] = tails[lo - 1]
    tails[lo] = i
  }
  const kept = new Set<number>()
  for (let i = tails.length > 0 ? tails[tails.length - 1] : -1; i !== -1; i = previous[i]) kept.add(seq[i])
  return kept
}
