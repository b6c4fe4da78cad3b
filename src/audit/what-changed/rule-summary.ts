// A change in a policy's own terms: one line per rule added (+), removed (-) or changed (~), after
// the lines for the fields that say where it is evaluated (tier, order, priority) and who it
// applies to (selector, podSelector, subject).

import type {JsonObject} from './json.js'
import {policyView, type PolicyView, type RuleView, ruleText} from './policy-view.js'
import {pairRules} from './rule-matching.js'
import type {WhatChanged} from './versions.js'

export interface SummaryLine {
  readonly op: '+' | '-' | '~'
  readonly text: string
}

export const summaryLineText = (line: SummaryLine): string => `${line.op} ${line.text}`

/**
 * The summary of the change from `before` to `after` (null: no object, as before a create or after
 * a delete). Undefined when the kind is not one whose rules we read (policyView).
 */
export function ruleSummary(before: JsonObject | null, after: JsonObject | null): SummaryLine[] | undefined {
  const old = before === null ? null : policyView(before)
  const next = after === null ? null : policyView(after)
  if (old === undefined || next === undefined || (old === null && next === null)) return undefined
  return [...fieldLines(old, next), ...ruleLines(old, next)]
}

/** ruleSummary over the versions of one change; undefined when either side is not in the log. */
export function summarizeChange(change: WhatChanged): SummaryLine[] | undefined {
  const side = (s: WhatChanged['before']) =>
    s.state === 'known' ? s.version.object : s.state === 'none' ? null : undefined
  const before = side(change.before)
  const after = side(change.after)
  if (before === undefined || after === undefined) return undefined
  return ruleSummary(before, after)
}

function fieldLines(old: PolicyView | null, next: PolicyView | null): SummaryLine[] {
  if (old === null) return next!.fields.filter((f) => f.essential).map((f) => ({op: '+', text: `${f.key} ${f.text}`}))
  if (next === null) return old.fields.filter((f) => f.essential).map((f) => ({op: '-', text: `${f.key} ${f.text}`}))
  const lines: SummaryLine[] = []
  const oldByKey = new Map(old.fields.map((f) => [f.key, f]))
  for (const f of next.fields) {
    const was = oldByKey.get(f.key)
    if (!was) lines.push({op: '+', text: `${f.key} ${f.text}`})
    else if (was.text !== f.text) lines.push({op: '~', text: `${f.key} ${was.text} -> ${f.text}`})
  }
  const nextKeys = new Set(next.fields.map((f) => f.key))
  for (const f of old.fields) if (!nextKeys.has(f.key)) lines.push({op: '-', text: `${f.key} ${f.text}`})
  return lines
}

function ruleLines(old: PolicyView | null, next: PolicyView | null): SummaryLine[] {
  const {pairs, removed} = pairRules(old?.rules ?? [], next?.rules ?? [], (next ?? old)!.ordered)
  const pairOf = new Map(pairs.map((p) => [p.after, p]))
  const lines: SummaryLine[] = []
  for (const direction of ['ingress', 'egress'] as const) {
    for (const r of removed) if (r.direction === direction) lines.push({op: '-', text: ruleText(r)})
    for (const r of next?.rules ?? []) {
      if (r.direction !== direction) continue
      const pair = pairOf.get(r)
      if (!pair) lines.push({op: '+', text: ruleText(r)})
      else if (!pair.identical || pair.moved)
        lines.push({op: '~', text: `${ruleText(r)} (${changedText(pair.before, r, pair.moved)})`})
    }
  }
  return lines
}

/** What a changed rule was: its parts that differ, as they were (`was tcp/8080`), and any move. */
function changedText(before: RuleView, after: RuleView, moved: boolean): string {
  const was: string[] = []
  const beforeParts = new Map(before.parts.map((p) => [p.key, p]))
  const name = beforeParts.get('name')
  if (name && name.text !== after.parts.find((p) => p.key === 'name')?.text) was.push(name.text || name.unset)
  if (before.action !== after.action) was.push(before.action)
  for (const p of after.parts) {
    const b = beforeParts.get(p.key)
    if (p.key !== 'name' && b && b.text !== p.text) was.push(b.text || b.unset)
  }
  const notes = [
    ...(was.length > 0 ? [`was ${was.join(' ')}`] : []),
    ...(moved ? [`moved from ${before.position + 1} to ${after.position + 1}`] : []),
  ]
  // Identical text but different content: a field the line does not show (e.g. Calico rule metadata).
  return notes.length > 0 ? notes.join('; ') : 'changed in a field not shown here'
}
