// From the changes of a run to what each did: its write is recorded in the history of its object
// (in the report's order, so each is diffed against what the write before it left), and what the
// report adds to a change (before, after or patch, rules, opens, notes) is built from that.

import type {ChangeWrite, PolicyChange} from '../changes.js'
import {VersionHistory} from './history.js'
import {type Finding, whatChangeOpens} from './opens.js'
import {summarizeChange, summaryLineText} from './rule-summary.js'
import {withoutNoise} from './noise.js'
import type {JsonObject} from './json.js'
import {NOTES, type ObjectWrite, type Patch, type Side, type VersionShape, type WhatChanged} from './versions.js'

/** What --diff adds to a change in JSON and YAML (fields added to the contract, none renamed). */
export interface ChangeVersions {
  /** The object before the change; null when there was none (a create) or it is not in the log (notes say which). */
  before: JsonObject | null
  /** The object after it; null after a delete, or when it is not in the log (a patch alone, a write without bodies). */
  after: JsonObject | null
  /** The patch that was sent, when the object after it is not in the log. */
  patch: Patch | null
  /** The rule summary (`+ ingress allow tcp/22 from 0.0.0.0/0`); null when either side is not in the log, or the kind has no rules we read. */
  rules: string[] | null
  /** What the change widened: the findings a reviewer must see. */
  opens: Finding[]
  /** What the log could not tell, and how the versions are shown. */
  notes: string[]
  /** How before and after are shown: as the API returned them, or a stored Calico CRD object mapped back to projectcalico.org/v3 (or not). */
  shape: VersionShape | null
}

/** The history of every object the changes of a run wrote: only the last version of each is kept. */
export class ChangeVersionHistory {
  private readonly versions = new VersionHistory()

  /** What one change did; call in report order. */
  record(written: ChangeWrite): WhatChanged {
    const {change, bodies} = written
    const write: ObjectWrite = {
      verb: written.verb,
      outcome: change.outcome,
      dryRun: change.dryRun,
      requestURI: bodies?.requestURI,
      requestObject: parsed(bodies?.request),
      responseObject: parsed(bodies?.response),
    }
    return this.versions.record(
      {apiGroup: change.apiGroup, resource: change.resource, namespace: change.namespace, name: change.name},
      write,
    )
  }
}

/** The body text a record kept, as the object it was; undefined when none was kept. */
function parsed(text: string | null | undefined): unknown {
  if (text === null || text === undefined) return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

/** A side's object as shown: without the fields every write changes, unless all are asked for. */
export function shownObject(side: Side, showAllFields: boolean): JsonObject | null {
  if (side.state !== 'known') return null
  return showAllFields ? side.version.object : withoutNoise(side.version.object)
}

/** The fields --diff adds to a change. */
export function changeVersions(change: WhatChanged, showAllFields: boolean): ChangeVersions {
  const shown =
    change.after.state === 'known' ? change.after : change.before.state === 'known' ? change.before : undefined
  const version = shown?.state === 'known' ? shown.version : undefined
  return {
    before: shownObject(change.before, showAllFields),
    after:
      change.stored || change.notes.includes(NOTES.outcomeUnknown) ? shownObject(change.after, showAllFields) : null,
    patch: change.patch,
    rules: change.notes.includes(NOTES.failed) ? null : (summarizeChange(change)?.map(summaryLineText) ?? null),
    opens: whatChangeOpens(change),
    // A failed write shows no version: how versions are shown says nothing of it.
    notes:
      change.stored || !change.notes.includes(NOTES.failed)
        ? [...new Set([...change.notes, ...(version?.notes ?? [])])]
        : [...change.notes],
    shape: version?.shape ?? null,
  }
}

/**
 * The changes of a run, each walk recording them in a fresh history. What a change did is known
 * while it is the one a walk is at, and, when `remember` (a table, which lists the newest after
 * the walk), while the change is held; nothing else is kept.
 */
export class VersionedChanges {
  private readonly done = new WeakMap<PolicyChange, {whatChanged: WhatChanged; versions?: ChangeVersions}>()
  private current: {change: PolicyChange; whatChanged: WhatChanged; versions?: ChangeVersions} | undefined

  constructor(
    private readonly writes: () => Iterable<ChangeWrite>,
    private readonly options: {showAllFields: boolean; remember: boolean},
  ) {}

  *changes(): Generator<PolicyChange> {
    const history = new ChangeVersionHistory()
    for (const written of this.writes()) {
      this.current = {change: written.change, whatChanged: history.record(written)}
      if (this.options.remember) this.done.set(written.change, this.current)
      yield written.change
    }
    this.current = undefined
  }

  /** What a change of the walk did. */
  whatChanged(change: PolicyChange): WhatChanged {
    return this.entry(change).whatChanged
  }

  /** What --diff adds to a change of the walk. */
  versions(change: PolicyChange): ChangeVersions {
    const entry = this.entry(change)
    entry.versions ??= changeVersions(entry.whatChanged, this.options.showAllFields)
    return entry.versions
  }

  private entry(change: PolicyChange): {whatChanged: WhatChanged; versions?: ChangeVersions} {
    const entry = this.current?.change === change ? this.current : this.done.get(change)
    if (!entry) throw new Error('a change that is not the one a walk is at, nor one remembered')
    return entry
  }
}
