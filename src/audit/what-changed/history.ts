// The versions of every object seen so far, in time order: each write is diffed against the last
// version an earlier write left, and only that last version is kept per object.

import {v3Name} from '../calico-names.js'
import {CALICO_CRD_GROUP, CALICO_GROUP, findWatchedResource} from '../catalog.js'
import {objectField, stringField} from './json.js'
import {type ObjectWrite, type Side, UNKNOWN, whatChanged, type WhatChanged} from './versions.js'

export interface ObjectRefLike {
  readonly apiGroup: string
  readonly resource: string
  readonly namespace: string | null
  /** Null for a create whose name only the body has (aggregated API, generateName). */
  readonly name: string | null
}

/** API groups that serve the same objects: the v3 API and the CRDs behind it; networking.k8s.io and extensions. */
function groupFamily(apiGroup: string): string {
  if (apiGroup === CALICO_CRD_GROUP) return CALICO_GROUP
  if (apiGroup === 'extensions') return 'networking.k8s.io'
  return apiGroup
}

/**
 * One key per object whichever API wrote it: a Calico policy written as `foo` through the v3 API
 * and stored as `default.foo` by the CRDs is one object.
 */
export function objectKey(ref: ObjectRefLike): string | undefined {
  if (ref.name === null || ref.name === '') return undefined
  const tiered = findWatchedResource(ref.apiGroup, ref.resource)?.tiering === 'tiered'
  const name = tiered ? v3Name(ref.name) : ref.name
  return `${groupFamily(ref.apiGroup)}|${ref.resource}|${ref.namespace ?? ''}|${name}`
}

export class VersionHistory {
  private readonly last = new Map<string, Side>()

  /** How many objects a version is kept for. */
  get size(): number {
    return this.last.size
  }

  /** What `write` did to the object `ref` names, diffed against what earlier writes left; remembered for the next. */
  record(ref: ObjectRefLike, write: ObjectWrite): WhatChanged {
    if (write.verb === 'deletecollection') {
      this.forgetCollection(ref)
      return whatChanged(write, UNKNOWN)
    }
    let key = objectKey(ref)
    const change = whatChanged(write, key === undefined ? UNKNOWN : (this.last.get(key) ?? UNKNOWN))
    key ??= this.keyFromBody(ref, change)
    if (key === undefined || write.outcome === 'failed' || write.dryRun === true) return change
    // Kept only when the log says what the object now is; a deleted object needs no version
    // (the next write to that name is a create), and after a patch-only or an unlogged outcome the
    // next write must say that its previous version is not in the log.
    if (write.outcome === 'succeeded' && change.after.state === 'known') this.last.set(key, change.after)
    else this.last.delete(key)
    return change
  }

  private keyFromBody(ref: ObjectRefLike, change: WhatChanged): string | undefined {
    if (change.after.state !== 'known') return undefined
    const name = stringField(objectField(change.after.version.object, 'metadata'), 'name')
    return name === undefined ? undefined : objectKey({...ref, name})
  }

  /** A deletecollection does not say which objects went: none of them has a known version any more. */
  private forgetCollection(ref: ObjectRefLike): void {
    // Across all namespaces when the request named none.
    const prefix = `${groupFamily(ref.apiGroup)}|${ref.resource}|${ref.namespace === null ? '' : `${ref.namespace}|`}`
    for (const key of [...this.last.keys()]) if (key.startsWith(prefix)) this.last.delete(key)
  }
}
