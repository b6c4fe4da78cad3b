// The policies command's flags, and their validation into one options object before any work.
import {Flags} from '@oclif/core'

import {KIND_SHORT_NAMES, resolveKind, WRITE_VERBS} from '../audit/catalog.js'
import type {ChangeFilter} from '../audit/changes.js'
import type {ChangeSelection} from '../audit/select.js'
import {resolveWindow, type TimeWindow} from '../audit/window.js'
import {UserError} from '../errors.js'
import type {ColorMode} from '../render/color.js'
import {commaList} from './comma-list.js'
import {FILE_VALUE} from './help-values.js'

export const policiesFlags = {
  file: Flags.string({char: 'f', multiple: true, helpValue: FILE_VALUE, summary: 'Audit log to read: a file (.gz too), a directory of audit logs and their rotated files, a glob, a pipe, or - for stdin. Repeatable.', helpGroup: 'INPUT'}),
  since: Flags.string({summary: 'Only changes newer than this: 30s, 5m, 1h, 2d, or all. [default: 24h; all with --until-time]', helpGroup: 'WINDOW'}),
  'since-time': Flags.string({summary: 'Only changes at or after this time (RFC3339).', helpGroup: 'WINDOW'}),
  'until-time': Flags.string({summary: 'Only changes at or before this time (RFC3339).', helpGroup: 'WINDOW'}),
  user: Flags.string({multiple: true, summary: 'Only changes by this user (exact, or a glob with *). Repeatable.', helpGroup: 'FILTER'}),
  verb: Flags.string({multiple: true, summary: `Only these verbs (comma list): ${WRITE_VERBS.join(', ')}.`, helpGroup: 'FILTER'}),
  kind: Flags.string({multiple: true, summary: 'Only these kinds (comma list): gnp, np, knp, sgnp, snp, sknp, tier, gns, netset, hep, anp, banp, cnp, or kind names.', helpGroup: 'FILTER'}),
  namespace: Flags.string({char: 'n', multiple: true, summary: 'Only changes in this namespace. Repeatable.', helpGroup: 'FILTER'}),
  'all-namespaces': Flags.boolean({char: 'A', summary: 'Changes in all namespaces (the default).', helpGroup: 'FILTER', exclusive: ['namespace']}),
  tier: Flags.string({multiple: true, summary: 'Only policies in this tier (comma list).', helpGroup: 'FILTER'}),
  outcome: Flags.option({options: ['succeeded', 'failed', 'all'] as const, default: 'all', summary: 'Only changes that succeeded, or failed (denied, conflict, invalid).', helpGroup: 'FILTER'})(),
  'include-dry-run': Flags.boolean({summary: 'Count dry-run requests (dryRun=All) as changes.', helpGroup: 'FILTER'}),
  'include-subresources': Flags.boolean({summary: 'Count subresource writes (e.g. tiers/status) as changes.', helpGroup: 'FILTER'}),
  limit: Flags.integer({min: 0, default: 20, summary: 'How many recent changes the table lists (0 = all). JSON and YAML list all.'}),
}

export interface PoliciesFlagValues {
  file?: string[]
  since?: string
  'since-time'?: string
  'until-time'?: string
  user?: string[]
  verb?: string[]
  kind?: string[]
  namespace?: string[]
  tier?: string[]
  outcome: 'succeeded' | 'failed' | 'all'
  'include-dry-run': boolean
  'include-subresources': boolean
  limit: number
  output: 'table' | 'wide' | 'json' | 'yaml'
  color: ColorMode
}

export interface PoliciesOptions {
  files: string[]
  window: TimeWindow
  filter: ChangeFilter
  selection: ChangeSelection
  /** The selection as given on the command line (`--user bob`, `--kind gnp,knp`), for messages. */
  selectionFlags: string[]
  output: 'table' | 'wide' | 'json' | 'yaml'
  color: ColorMode
  limit: number
}


/** Validates and compiles the flags; throws UserError (exit 2) on anything inconsistent. */
export function policiesOptions(flags: PoliciesFlagValues, now: number): PoliciesOptions {
  const window = resolveWindow({since: flags.since, sinceTime: flags['since-time'], untilTime: flags['until-time']}, now)
  const verbs = commaList(flags.verb).map((v) => v.toLowerCase())
  const badVerb = verbs.find((v) => !(WRITE_VERBS as readonly string[]).includes(v))
  if (badVerb) throw new UserError(`--verb ${badVerb} is not a write verb`, {hint: `use one of: ${WRITE_VERBS.join(', ')}`})
  const kinds = commaList(flags.kind)
  let resources: Set<string> | null = null
  if (kinds.length > 0) {
    resources = new Set()
    for (const kind of kinds) {
      const matched = resolveKind(kind)
      if (!matched) {
        throw new UserError(`--kind ${kind} is not a watched kind`, {hint: `use one of: ${KIND_SHORT_NAMES.join(', ')}`})
      }
      for (const r of matched) resources.add(`${r.resource}.${r.apiGroup}`)
    }
  }
  const tiers = commaList(flags.tier)
  const selectionFlags = [
    ...(flags.user ?? []).map((u) => `--user ${u}`),
    ...(verbs.length > 0 ? [`--verb ${verbs.join(',')}`] : []),
    ...(kinds.length > 0 ? [`--kind ${kinds.join(',')}`] : []),
    ...(flags.namespace ?? []).map((n) => `-n ${n}`),
    ...(tiers.length > 0 ? [`--tier ${tiers.join(',')}`] : []),
    ...(flags.outcome === 'all' ? [] : [`--outcome ${flags.outcome}`]),
  ]
  return {
    files: flags.file ?? [],
    window,
    filter: {sinceMs: window.sinceMs, untilMs: window.untilMs, includeDryRun: flags['include-dry-run'], includeSubresources: flags['include-subresources']},
    selection: {
      users: flags.user ?? [],
      verbs,
      resources,
      namespaces: flags.namespace ?? [],
      tiers,
      outcome: flags.outcome,
    },
    selectionFlags,
    output: flags.output,
    color: flags.color,
    limit: flags.limit,
  }
}
