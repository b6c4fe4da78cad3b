// The flags that show what changes did (policies --diff, --opens, --show-all-fields), compiled
// into one options object: they need the bodies of writes, which other runs never keep.
import {Flags} from '@oclif/core'

import {UserError} from '../errors.js'

export const whatChangedFlags = {
  diff: Flags.boolean({
    summary:
      'Show what each change did: a diff of the object against its previous version in the log, and a summary of the rules it added, removed or changed. JSON and YAML gain before, after or patch, rules, opens and notes.',
    helpGroup: 'WHAT CHANGED',
  }),
  opens: Flags.boolean({
    summary:
      'Only changes that widened what a policy allows (a rule from 0.0.0.0/0 or from anywhere, a deny removed or made Allow/Pass, a policy made to apply to everything), with what each opened.',
    helpGroup: 'WHAT CHANGED',
  }),
  'show-all-fields': Flags.boolean({
    summary:
      'Keep in diffs the fields every write changes (resourceVersion, uid, generation, creationTimestamp, managedFields, status, the last-applied annotation).',
    helpGroup: 'WHAT CHANGED',
  }),
}

export interface WhatChangedFlagValues {
  diff?: boolean
  opens?: boolean
  'show-all-fields'?: boolean
}

export interface WhatChangedOptions {
  /** Diffs, patches and rule summaries. */
  diff: boolean
  /** Only changes that opened something, with their findings. */
  opens: boolean
  showAllFields: boolean
}

/** Null when the run shows nothing of what changed: then no body is kept. */
export function whatChangedOptions(flags: WhatChangedFlagValues): WhatChangedOptions | null {
  const diff = flags.diff ?? false
  const opens = flags.opens ?? false
  const showAllFields = flags['show-all-fields'] ?? false
  if (showAllFields && !diff)
    throw new UserError('--show-all-fields is for the diffs of --diff', {hint: 'add --diff, or drop --show-all-fields'})
  return diff || opens ? {diff, opens, showAllFields} : null
}
