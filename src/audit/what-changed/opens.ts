// What a change opens: the widenings a reviewer must see, as data. Only widening counts, and only
// what the two versions of one object show. Not flagged, and why:
// - A rule that was already open (to every address, or with no peer) and gains ports or
//   protocols: the world could already reach those endpoints; the rule summary shows the ports.
// - Allow rules to every pod or namespace (`namespaceSelector {}`, Calico `all()` peers): they
//   stay inside the cluster; only every address (a /0 CIDR) or no peer at all is flagged.
// - A deny rule whose match shrinks, a selector that selects fewer endpoints for a deny policy,
//   allow rules moved above deny rules, tier order and priority changes: telling whether they
//   widen needs the cluster's endpoints and the other policies, which the log does not have.
// - Deleting a Kubernetes NetworkPolicy that only allows: whether its pods become open depends on
//   the other policies that select them. Deleting a policy that denies is flagged.
// - Staged policies: they enforce nothing until promoted, and promotion is a write of the
//   enforced kind, checked then.
// - Changes whose new version is not in the log (a patch at Request level): there is nothing to
//   read the rules from; the patch is shown instead.
// - Network sets (a /0 added to a set that allow rules use): the rules live in other objects.

import type {JsonObject} from './json.js'
import {type Direction, type PolicyView, policyView, type RuleView, ruleText} from './policy-view.js'
import {pairRules} from './rule-matching.js'
import {NOTES, type WhatChanged} from './versions.js'

export type FindingCode =
  /** An allow rule whose other end is every address: 0.0.0.0/0 or ::/0. */
  | 'allow-world-cidr'
  /** An allow rule that names no other end: a Kubernetes rule with no from/to, a Calico rule with no source/destination peer. */
  | 'allow-any-peer'
  /** A deny rule removed, on its own or with its policy. */
  | 'deny-rule-removed'
  /** A rule's Deny made Allow or Pass; a tier's defaultAction made Pass. */
  | 'deny-replaced'
  /** A policy that denied a direction outright (isolating with no rule) deleted, or no longer isolating it. */
  | 'default-deny-removed'
  /** A policy with allow or pass rules made to apply to every endpoint it can. */
  | 'applies-to-all'

export interface Finding {
  readonly code: FindingCode
  readonly message: string
  /** The rule, as the rule summary prints it, when the finding is about one rule. */
  readonly rule?: string
}

export interface OpensOptions {
  /** The version before is not in the log: what `after` opens may not be new. */
  readonly previousMissing?: boolean
}

const MAYBE_NOT_NEW = ` (${NOTES.previousMissing}: this may not be new)`

/** What the change from `before` to `after` opens (null: no object, as before a create or after a delete). */
export function whatOpens(before: JsonObject | null, after: JsonObject | null, options: OpensOptions = {}): Finding[] {
  const old = before === null ? null : policyView(before)
  const next = after === null ? null : policyView(after)
  if (old === undefined || next === undefined || (old === null && next === null)) return []
  if (old?.staged || next?.staged) return []
  const suffix = old === null && options.previousMissing ? MAYBE_NOT_NEW : ''
  const findings = [...ruleFindings(old, next), ...policyFindings(old, next)]
  return suffix === '' ? findings : findings.map((f) => ({...f, message: f.message + suffix}))
}

/**
 * whatOpens over the versions of one change. Nothing for a failed request or a dry run (nothing
 * was stored), nor when the version after it is not in the log, nor for a delete whose object is
 * not in the log.
 */
export function whatChangeOpens(change: WhatChanged): Finding[] {
  if (change.notes.includes(NOTES.failed) || change.notes.includes(NOTES.dryRun)) return []
  if (change.after.state === 'unknown' || (change.before.state === 'unknown' && change.after.state === 'none'))
    return []
  const side = (s: WhatChanged['before']) => (s.state === 'known' ? s.version.object : null)
  return whatOpens(side(change.before), side(change.after), {previousMissing: change.before.state === 'unknown'})
}

const isOpen = (r: RuleView): boolean => r.action === 'allow' && (r.peerIsAnything || r.worldCidrs.length > 0)

function ruleFindings(old: PolicyView | null, next: PolicyView | null): Finding[] {
  const {pairs, removed} = pairRules(old?.rules ?? [], next?.rules ?? [], (next ?? old)!.ordered)
  const pairOf = new Map(pairs.map((p) => [p.after, p.before]))
  const findings: Finding[] = []
  for (const r of next?.rules ?? []) {
    const was = pairOf.get(r)
    if (isOpen(r) && !(was && isOpen(was))) findings.push(openFinding(r, next!))
    if (was && was.action === 'deny' && (r.action === 'allow' || r.action === 'pass')) {
      findings.push({code: 'deny-replaced', message: `${r.action} replaces deny`, rule: ruleText(r)})
    }
  }
  for (const r of removed) {
    if (r.action === 'deny')
      findings.push({
        code: 'deny-rule-removed',
        message: next === null ? 'deny rule removed with the policy' : 'deny rule removed',
        rule: ruleText(r),
      })
  }
  return findings
}

function openFinding(r: RuleView, policy: PolicyView): Finding {
  const end = r.direction === 'ingress' ? 'from' : 'to'
  if (r.worldCidrs.length > 0)
    return {
      code: 'allow-world-cidr',
      message: `allows ${end} every address (${r.worldCidrs.join(', ')})`,
      rule: ruleText(r),
    }
  const missing =
    policy.family === 'kubernetes'
      ? `the rule has no ${end}`
      : `the rule's ${r.direction === 'ingress' ? 'source' : 'destination'} names no peer`
  return {code: 'allow-any-peer', message: `allows ${end} anywhere: ${missing}`, rule: ruleText(r)}
}

function policyFindings(old: PolicyView | null, next: PolicyView | null): Finding[] {
  const findings: Finding[] = []
  if (next?.appliesToAll && !old?.appliesToAll && next.rules.some((r) => r.action === 'allow' || r.action === 'pass')) {
    findings.push({
      code: 'applies-to-all',
      message: `${old === null ? 'applies' : 'now applies'} to ${next.appliesToAll}`,
    })
  }
  for (const direction of old?.denyAll ?? []) {
    if (next !== null && next.denyAll.includes(direction)) continue
    // Rules added to a direction that denied everything are flagged (or not) as rules.
    if (next !== null && isolates(next, direction)) continue
    findings.push({code: 'default-deny-removed', message: defaultDenyMessage(old!, next, direction)})
  }
  if (
    old?.family === 'tier' &&
    next?.family === 'tier' &&
    old.defaultAction?.toLowerCase() === 'deny' &&
    next.defaultAction?.toLowerCase() === 'pass'
  ) {
    findings.push({
      code: 'deny-replaced',
      message: 'defaultAction Pass replaces Deny: traffic no policy in the tier decides goes on to the next tier',
    })
  }
  return findings
}

/** The policy still lists the direction in its policyTypes/types. */
function isolates(policy: PolicyView, direction: Direction): boolean {
  const types = policy.fields.find((f) => f.key === 'policyTypes' || f.key === 'types')?.text ?? ''
  return types.toLowerCase().split(',').includes(direction)
}

function defaultDenyMessage(old: PolicyView, next: PolicyView | null, direction: Direction): string {
  const denied =
    old.family === 'kubernetes'
      ? `denied all ${direction} traffic of the pods it selects`
      : `sent all ${direction} traffic of the endpoints it selects to its tier's default action (Deny unless the tier says otherwise)`
  if (next === null) return `deleted policy ${denied}`
  return `${direction === 'ingress' ? 'Ingress' : 'Egress'} removed from ${old.family === 'kubernetes' ? 'policyTypes' : 'types'}: the policy ${denied}`
}
