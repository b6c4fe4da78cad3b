// The history of one object: of the changes of a run (in report order), those that wrote it,
// whichever API group they went through (a Calico policy through projectcalico.org or straight
// to its crd.projectcalico.org object), each diffed against what the one before left. Every change
// of the object feeds its history; what is shown is the caller's choice.

import type {WatchedResource} from '../catalog.js'
import type {ChangeWrite, PolicyChange} from '../changes.js'
import {ChangeVersionHistory, changeVersions, type ChangeVersions} from './change-versions.js'
import {objectKey} from './history.js'
import {objectField, stringField} from './json.js'
import type {WhatChanged} from './versions.js'

export interface HistoryTarget {
  readonly resources: readonly WatchedResource[]
  readonly name: string
  /** Null: a cluster-scoped kind, or any namespace. */
  readonly namespace: string | null
}

export interface HistoryEntry {
  readonly change: PolicyChange
  readonly whatChanged: WhatChanged
  readonly versions: ChangeVersions
  /** A deletecollection, which does not name what it deleted, where the object was. */
  readonly mayHaveDeleted: boolean
}

export interface ObjectHistory {
  /** The changes shown, in time order. */
  readonly entries: HistoryEntry[]
  /** Changes of the object in the log, shown or not. */
  readonly total: number
  /** The log has the object from part-way: its first change is not a create. */
  readonly startsMidway: boolean
  /** The first change found, shown or not (what starts the history in the log). */
  readonly first: PolicyChange | null
  /** The namespaces the name was found in (a namespaced kind asked for without one). */
  readonly namespaces: string[]
}

export function objectHistory(
  writes: Iterable<ChangeWrite>,
  target: HistoryTarget,
  isShown: (change: PolicyChange) => boolean,
  showAllFields: boolean,
): ObjectHistory {
  const changes = new ObjectChanges(target, showAllFields)
  const found: Array<{entry: HistoryEntry; shown: boolean}> = []
  for (const written of writes) {
    const entry = changes.add(written)
    if (entry) found.push({entry, shown: isShown(entry.change)})
  }
  // A deletecollection counts where the object was: its namespace, or every namespace.
  const kept = found.filter(({entry}) => changes.counts(entry))
  const first = kept.find(({entry}) => !entry.mayHaveDeleted)?.entry.change ?? null
  const firstStored = kept.find(({entry}) => !entry.mayHaveDeleted && entry.change.outcome !== 'failed')?.entry.change
  return {
    entries: kept.filter((f) => f.shown).map((f) => f.entry),
    total: kept.length,
    startsMidway: firstStored !== undefined && firstStored.verb !== 'create',
    first,
    namespaces: changes.namespaces(),
  }
}

/**
 * The changes of one object as they come, in report order: each write of it is recorded in its
 * history (only the last version is kept) and given with what it did; every other write is passed
 * over. What a following reader (history -w) and the whole-log history share.
 */
export class ObjectChanges {
  private readonly groups: Set<string>
  private readonly history = new ChangeVersionHistory()
  private readonly found = new Set<string>()

  constructor(
    private readonly target: HistoryTarget,
    private readonly showAllFields: boolean,
  ) {
    this.groups = new Set(target.resources.map((r) => `${r.resource}.${r.apiGroup}`))
  }

  /** The write as a change of the object, diffed against the one before; undefined when it is not of the object. */
  add(written: ChangeWrite): HistoryEntry | undefined {
    const {change} = written
    const {target} = this
    if (!this.groups.has(`${change.resource}.${change.apiGroup}`)) return undefined
    if (target.namespace !== null && change.namespace !== null && change.namespace !== target.namespace)
      return undefined
    const collection = change.verb === 'deletecollection'
    // A write with no name may be a create whose name only its body has: recorded, then looked at.
    if (!collection && change.name !== null && !sameObject(change, target)) return undefined
    const whatChanged = this.history.record(written)
    if (!collection && change.name === null && !createdTarget(change, whatChanged, target)) return undefined
    if (!collection && change.namespace !== null) this.found.add(change.namespace)
    return {
      change,
      whatChanged,
      versions: changeVersions(whatChanged, this.showAllFields),
      mayHaveDeleted: collection,
    }
  }

  /** Whether the change counts in the object's history: a deletecollection only where the object was found (so far). */
  counts(entry: HistoryEntry): boolean {
    const {namespace} = entry.change
    return !entry.mayHaveDeleted || namespace === null || this.found.size === 0 || this.found.has(namespace)
  }

  /** The namespaces the name was found in so far, sorted. */
  namespaces(): string[] {
    return [...this.found].sort()
  }
}

/** The change names the object (a Calico CRD name `default.foo` is the v3 object `foo`). */
function sameObject(change: PolicyChange, target: HistoryTarget): boolean {
  const key = (name: string) =>
    objectKey({apiGroup: change.apiGroup, resource: change.resource, namespace: change.namespace, name})
  return key(change.name!) === key(target.name)
}

function createdTarget(change: PolicyChange, whatChanged: WhatChanged, target: HistoryTarget): boolean {
  if (whatChanged.after.state !== 'known') return false
  const name = stringField(objectField(whatChanged.after.version.object, 'metadata'), 'name')
  return name !== undefined && sameObject({...change, name}, target)
}
