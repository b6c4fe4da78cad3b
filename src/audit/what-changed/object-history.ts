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
  const groups = new Set(target.resources.map((r) => `${r.resource}.${r.apiGroup}`))
  const history = new ChangeVersionHistory()
  const found: Array<{entry: HistoryEntry; shown: boolean}> = []
  const namespaces = new Set<string>()
  for (const written of writes) {
    const {change} = written
    if (!groups.has(`${change.resource}.${change.apiGroup}`)) continue
    if (target.namespace !== null && change.namespace !== null && change.namespace !== target.namespace) continue
    const collection = change.verb === 'deletecollection'
    // A write with no name may be a create whose name only its body has: recorded, then looked at.
    if (!collection && change.name !== null && !sameObject(change, target)) continue
    const whatChanged = history.record(written)
    if (!collection && change.name === null && !createdTarget(change, whatChanged, target)) continue
    if (!collection && change.namespace !== null) namespaces.add(change.namespace)
    found.push({
      entry: {change, whatChanged, versions: changeVersions(whatChanged, showAllFields), mayHaveDeleted: collection},
      shown: isShown(change),
    })
  }
  // A deletecollection counts where the object was: its namespace, or every namespace.
  const kept = found.filter(
    ({entry}) =>
      !entry.mayHaveDeleted ||
      entry.change.namespace === null ||
      namespaces.size === 0 ||
      namespaces.has(entry.change.namespace),
  )
  const first = kept.find(({entry}) => !entry.mayHaveDeleted)?.entry.change ?? null
  const firstStored = kept.find(({entry}) => !entry.mayHaveDeleted && entry.change.outcome !== 'failed')?.entry.change
  return {
    entries: kept.filter((f) => f.shown).map((f) => f.entry),
    total: kept.length,
    startsMidway: firstStored !== undefined && firstStored.verb !== 'create',
    first,
    namespaces: [...namespaces].sort(),
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
