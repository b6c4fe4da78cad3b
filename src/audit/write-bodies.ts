// Which events keep their request and response bodies on the way to the changes. A run that shows
// what changed (policies --diff or --opens, history) needs the objects that successful writes of
// watched resources stored; every other event, and every event of a run that shows no diff, is
// cut down to the few body fields changes read (slimEvent), so the default run stays lean.

import {findWatchedResource, isWriteVerb} from './catalog.js'
import {isDryRun, slimEvent, type WriteBodies} from './changes.js'
import type {AuditEvent} from './event.js'
import {objectKey} from './what-changed/history.js'
import {isObjectBody} from './what-changed/versions.js'

/** Which writes keep their bodies. Plain data: it crosses to the worker threads that scan. */
export interface BodyKeeping {
  /**
   * Only the writes of these objects (history's objectKey, with ANY_NAMESPACE for a name in any
   * namespace); null: of every watched object.
   */
  readonly objects: readonly string[] | null
}

/** A namespace no object has (namespaces are DNS labels): in an object key, any namespace. */
export const ANY_NAMESPACE = '*'

/**
 * Whether an event's bodies can tell what changed: a write to a watched object (not a
 * subresource) that did not fail and was not a dry run, of an object `keeping` names.
 */
export function keepsBodies(event: AuditEvent, keeping: BodyKeeping | undefined): boolean {
  if (keeping === undefined) return false
  const ref = event.objectRef
  if (ref === null || ref.subresource !== '' || !isWriteVerb(event.verb)) return false
  if (event.stage === 'Panic' || (event.code !== null && event.code >= 400)) return false
  if (event.requestObject === undefined && event.responseObject === undefined) return false
  if (!findWatchedResource(ref.apiGroup, ref.resource) || isDryRun(event.requestURI)) return false
  if (keeping.objects === null || event.verb === 'deletecollection') return true
  // A create may name its object only in the body (generateName, or the aggregated API's).
  const name = ref.name || bodyName(event.responseObject) || bodyName(event.requestObject)
  if (!name) return true
  const key = (namespace: string | null) =>
    objectKey({apiGroup: ref.apiGroup, resource: ref.resource, namespace, name})!
  return (
    keeping.objects.includes(key(ref.namespace || null)) ||
    (ref.namespace !== '' && keeping.objects.includes(key(ANY_NAMESPACE)))
  )
}

/**
 * What is kept of an event that waits to be handed on, or crosses from a worker thread: the
 * bodies of a write that tells what changed (keepsBodies), else only what changes read.
 */
export function keptOfEvent(event: AuditEvent, keeping: BodyKeeping | undefined): AuditEvent {
  if (!keepsBodies(event, keeping)) return slimEvent(event)
  // The object after the write is in its response: what was sent then says nothing more.
  if (isObjectBody(event.responseObject) || event.verb === 'delete' || event.verb === 'deletecollection')
    return {...event, requestObject: undefined}
  return event
}

/** The bodies a record of the event's change keeps (ChangeCollector's bodiesOf): only those keepsBodies. */
export function bodiesFor(
  keeping: BodyKeeping | undefined,
): ((event: AuditEvent) => WriteBodies | undefined) | undefined {
  if (keeping === undefined) return undefined
  return (event) => (keepsBodies(event, keeping) ? writeBodies(event) : undefined)
}

function writeBodies(event: AuditEvent): WriteBodies {
  const response = event.responseObject === undefined ? null : JSON.stringify(event.responseObject)
  const requestNeeded =
    !isObjectBody(event.responseObject) && event.verb !== 'delete' && event.verb !== 'deletecollection'
  const request = event.requestObject === undefined || !requestNeeded ? null : JSON.stringify(event.requestObject)
  return {requestURI: event.requestURI, request, response}
}

function bodyName(body: unknown): string | undefined {
  if (!isObjectBody(body)) return undefined
  const metadata = body.metadata
  const name =
    typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>).name : undefined
  return typeof name === 'string' && name !== '' ? name : undefined
}
