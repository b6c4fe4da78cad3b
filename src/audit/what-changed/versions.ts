// The versions of an object that one write leaves in the audit log: the object after it (the
// response at RequestResponse, the body sent for a create or update at Request), or only the patch
// that was sent; what it is diffed against; and what the log cannot tell.

import {calicoV3FromCrd, isCalicoCrdObject} from './calico-v3.js'
import {isObject, type JsonObject, MAX_DEPTH, nestedDeeperThan, stringField} from './json.js'

/** Where a version came from. */
export type VersionOrigin = 'response' | 'request' | 'delete-response'

/**
 * `object`: as the API that served the write returns it. `calico-v3`: a crd.projectcalico.org
 * object mapped back to the projectcalico.org/v3 object the user wrote. `calico-crd`: the stored
 * CRD object, because mapping it would be a guess (the version's notes say why).
 */
export type VersionShape = 'object' | 'calico-v3' | 'calico-crd'

export interface ObjectVersion {
  readonly object: JsonObject
  readonly origin: VersionOrigin
  readonly shape: VersionShape
  readonly notes: readonly string[]
}

/**
 * The log does not record a patch's Content-Type. An array is a JSON patch; an object with
 * strategic-merge directives (`$patch`, `$setElementOrder/…`, `$retainKeys`,
 * `$deleteFromPrimitiveList/…`) is a strategic merge patch; a whole object (apiVersion, kind,
 * metadata) sent with a field manager that is not one of kubectl's imperative ones
 * (`kubectl-client-side-apply`, `kubectl-edit`, …) is a server-side apply; any other object is a
 * merge patch, JSON merge or strategic merge without directives, which the log cannot tell apart.
 */
export type PatchType = 'json-patch' | 'merge-patch' | 'strategic-merge-patch' | 'apply-patch'

export interface Patch {
  readonly type: PatchType
  readonly body: unknown
}

/** One side of a change: no object (before a create, after a delete), not in the log, or a version. */
export type Side =
  {readonly state: 'none'} | {readonly state: 'unknown'} | {readonly state: 'known'; readonly version: ObjectVersion}

export const NONE: Side = {state: 'none'}
export const UNKNOWN: Side = {state: 'unknown'}

/** What one write did to one object, as far as the log tells. */
export interface WhatChanged {
  readonly before: Side
  readonly after: Side
  /** The patch that was sent, when the object after it is not in the log. */
  readonly patch: Patch | null
  /** False when nothing was stored: the request failed, was a dry run, or its outcome is not logged. */
  readonly stored: boolean
  readonly notes: readonly string[]
}

/**
 * The request whose bodies tell what happened. For a projectcalico.org request that kube-apiserver
 * logged at Metadata, pass the joined crd.projectcalico.org backing write: its verb and its bodies.
 */
export interface ObjectWrite {
  readonly verb: string
  readonly outcome: 'succeeded' | 'failed' | 'unknown'
  readonly dryRun?: boolean
  readonly requestURI?: string
  readonly requestObject?: unknown
  readonly responseObject?: unknown
}

export const NOTES = {
  previousMissing: 'previous version not in the log',
  patchOnly: 'the full object is not in the log: the change is the patch that was sent',
  noBodies: 'the object is not in the log (the write was logged without bodies)',
  asSent: 'the object as the client sent it: fields the server sets or defaults are not in the log',
  deleteResponse: 'the object as the delete response returned it',
  failed: 'the request failed: nothing changed',
  dryRun: 'dry run: nothing was stored',
  outcomeUnknown: 'the outcome is not in the log: the change may not have been made',
  tooDeep: `the body nests more than ${MAX_DEPTH} levels: not shown`,
  deleteCollection: 'deletecollection: the log does not name the objects it deleted',
  calicoMapped: 'mapped from the stored crd.projectcalico.org object to projectcalico.org/v3',
  calicoStored: (reason: string) => `shown as the stored crd.projectcalico.org object: ${reason}`,
  patchTypeUnknown: 'a merge patch: JSON merge or strategic merge, the log does not say which',
} as const

/**
 * What `write` did, given the last version known before it (`previous`). A create diffs against
 * nothing, a delete against the last known version (or, when that is not in the log, the object
 * the delete returned), anything else against `previous`.
 */
export function whatChanged(write: ObjectWrite, previous: Side): WhatChanged {
  if (write.outcome === 'failed')
    return {before: previous, after: previous, patch: null, stored: false, notes: [NOTES.failed]}
  const notes: string[] = []
  if (write.outcome === 'unknown') notes.push(NOTES.outcomeUnknown)
  if (write.dryRun === true) notes.push(NOTES.dryRun)
  const {before, after, patch} = sides(write, previous, notes)
  if (before.state === 'unknown' && write.verb !== 'deletecollection') notes.push(NOTES.previousMissing)
  return {before, after, patch, stored: write.outcome === 'succeeded' && write.dryRun !== true, notes}
}

function sides(write: ObjectWrite, previous: Side, notes: string[]): {before: Side; after: Side; patch: Patch | null} {
  switch (write.verb) {
    case 'create':
    case 'update': {
      const after =
        versionFrom(write.responseObject, 'response', notes) ?? versionFrom(write.requestObject, 'request', notes)
      if (!after) notes.push(NOTES.noBodies)
      return {before: write.verb === 'create' ? NONE : previous, after: after ? known(after) : UNKNOWN, patch: null}
    }
    case 'patch': {
      const after = versionFrom(write.responseObject, 'response', notes)
      if (after) return {before: previous, after: known(after), patch: null}
      const patch = patchOf(write)
      if (!patch) notes.push(NOTES.noBodies)
      else notes.push(NOTES.patchOnly, ...(patch.type === 'merge-patch' ? [NOTES.patchTypeUnknown] : []))
      return {before: previous, after: UNKNOWN, patch}
    }
    case 'delete': {
      if (previous.state === 'known') return {before: previous, after: NONE, patch: null}
      const returned = versionFrom(write.responseObject, 'delete-response', notes)
      return {before: returned ? known(returned) : UNKNOWN, after: NONE, patch: null}
    }
    case 'deletecollection':
      notes.push(NOTES.deleteCollection)
      return {before: UNKNOWN, after: NONE, patch: null}
    default:
      notes.push(NOTES.noBodies)
      return {before: previous, after: UNKNOWN, patch: null}
  }
}

const known = (version: ObjectVersion): Side => ({state: 'known', version})

/** Bodies that are not the object: a Status (failure, or a delete's answer), DeleteOptions, a list. */
export function isObjectBody(body: unknown): body is JsonObject {
  if (!isObject(body)) return false
  const kind = stringField(body, 'kind')
  if (kind === 'Status' || kind === 'DeleteOptions' || (kind !== undefined && kind.endsWith('List'))) return false
  return isObject(body.metadata) || isObject(body.spec)
}

/** The version a body holds, if it holds an object; Calico CRD objects mapped back to v3 where safe. */
export function versionFrom(body: unknown, origin: VersionOrigin, notes: string[]): ObjectVersion | undefined {
  if (!isObjectBody(body)) return undefined
  if (nestedDeeperThan(body, MAX_DEPTH)) {
    notes.push(NOTES.tooDeep)
    return undefined
  }
  const originNotes = origin === 'request' ? [NOTES.asSent] : origin === 'delete-response' ? [NOTES.deleteResponse] : []
  if (!isCalicoCrdObject(body)) return {object: body, origin, shape: 'object', notes: originNotes}
  const mapping = calicoV3FromCrd(body)
  if (mapping.mapped)
    return {object: mapping.object, origin, shape: 'calico-v3', notes: [...originNotes, NOTES.calicoMapped]}
  return {object: body, origin, shape: 'calico-crd', notes: [...originNotes, NOTES.calicoStored(mapping.reason)]}
}

const DIRECTIVE = /^\$(patch|retainKeys|setElementOrder\/|deleteFromPrimitiveList\/)/

/** The patch a write sent, typed as well as the log allows (see PatchType). */
export function patchOf(write: ObjectWrite): Patch | null {
  const body = write.requestObject
  if (Array.isArray(body)) return nestedDeeperThan(body, MAX_DEPTH) ? null : {type: 'json-patch', body}
  if (!isObject(body) || nestedDeeperThan(body, MAX_DEPTH)) return null
  if (hasDirective(body)) return {type: 'strategic-merge-patch', body}
  const manager = fieldManager(write.requestURI)
  const whole = typeof body.apiVersion === 'string' && typeof body.kind === 'string' && isObject(body.metadata)
  if (whole && manager !== undefined && !manager.startsWith('kubectl-')) return {type: 'apply-patch', body}
  return {type: 'merge-patch', body}
}

function hasDirective(body: JsonObject): boolean {
  const stack: unknown[] = [body]
  while (stack.length > 0) {
    const v = stack.pop()
    if (Array.isArray(v)) {
      for (const item of v) stack.push(item)
    } else if (isObject(v)) {
      for (const [key, child] of Object.entries(v)) {
        if (DIRECTIVE.test(key)) return true
        stack.push(child)
      }
    }
  }
  return false
}

function fieldManager(requestURI: string | undefined): string | undefined {
  if (requestURI === undefined) return undefined
  const q = requestURI.indexOf('?')
  if (q === -1) return undefined
  return new URLSearchParams(requestURI.slice(q + 1)).get('fieldManager') ?? undefined
}
