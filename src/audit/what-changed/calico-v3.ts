// Calico keeps its projectcalico.org/v3 objects as crd.projectcalico.org/v1 objects (facts §6).
// When the log holds only the stored object (the aggregated API's backing write, or calicoctl),
// map it back to the v3 object the user wrote and `kubectl get` shows, as Calico's own read path
// does; where that would be a guess, keep the stored object and say why.

import {v3Name} from '../calico-names.js'
import {CALICO_CRD_GROUP, CALICO_GROUP, WATCHED_RESOURCES} from '../catalog.js'
import {isObject, type JsonObject, objectField, stringField} from './json.js'

/** Where Calico keeps the v3 metadata that the CRD cannot hold (name, labels, annotations, timestamps). */
export const CALICO_METADATA_ANNOTATION = 'projectcalico.org/metadata'

export type CalicoMapping = {mapped: true; object: JsonObject} | {mapped: false; object: JsonObject; reason: string}

const crdKinds = new Map(WATCHED_RESOURCES.filter((r) => r.apiGroup === CALICO_CRD_GROUP).map((r) => [r.kind, r]))

/** ObjectMeta's field order, which is how the apiserver writes metadata. */
const OBJECT_META_ORDER = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]

export function isCalicoCrdObject(object: JsonObject): boolean {
  const apiVersion = stringField(object, 'apiVersion')
  return apiVersion !== undefined && apiVersion.startsWith(`${CALICO_CRD_GROUP}/`)
}

/**
 * The projectcalico.org/v3 object for a stored crd.projectcalico.org/v1 object: the v3 apiVersion,
 * the name without the default tier's `default.` storage prefix (another tier's prefix is part of
 * the v3 name), and the metadata Calico keeps in its `projectcalico.org/metadata` annotation merged
 * back. The spec is the same in both. Not mapped (`mapped: false`, the stored object as it is) when
 * the kind is not one we know, the annotation cannot be read, or the name and spec.tier disagree.
 */
export function calicoV3FromCrd(crd: JsonObject): CalicoMapping {
  const unsafe = (reason: string): CalicoMapping => ({mapped: false, object: crd, reason})
  const kind = stringField(crd, 'kind')
  const watched = kind === undefined ? undefined : crdKinds.get(kind)
  if (!watched) return unsafe(`no projectcalico.org/v3 form is known for kind ${JSON.stringify(kind ?? null)}`)
  const metadata = objectField(crd, 'metadata') ?? {}
  const storedName = stringField(metadata, 'name')
  if (!storedName) return unsafe('the stored object has no metadata.name')

  const storedAnnotations = objectField(metadata, 'annotations') ?? {}
  let saved: JsonObject = {}
  if (CALICO_METADATA_ANNOTATION in storedAnnotations) {
    const parsed = parseSavedMetadata(storedAnnotations[CALICO_METADATA_ANNOTATION])
    if (parsed === undefined) return unsafe(`its ${CALICO_METADATA_ANNOTATION} annotation is not a JSON object`)
    saved = parsed
  }

  // Calico 3.2x+ saves the v3 name of a policy in the annotation; older objects only have the
  // stored name, `<tier>.<name>`, where the default tier's prefix is not part of the v3 name.
  let name = stringField(saved, 'name') || storedName
  if (watched.tiering === 'tiered') {
    const tier = stringField(objectField(crd, 'spec'), 'tier')
    if (!stringField(saved, 'name') && storedName.startsWith('default.') && tier && tier !== 'default') {
      return unsafe(`its name has the default tier's prefix but spec.tier is ${JSON.stringify(tier)}`)
    }
    name = v3Name(name)
  }

  const merged: JsonObject = {...metadata}
  for (const [key, value] of Object.entries(saved)) {
    if (key === 'name' || key === 'namespace' || key === 'resourceVersion' || key === 'uid') continue
    if (key === 'labels' || key === 'annotations') continue
    if (key === 'creationTimestamp' && (value === null || value === '')) continue
    merged[key] = key === 'ownerReferences' ? v3OwnerReferences(value) : value
  }
  merged.name = name
  const labels = {...(objectField(metadata, 'labels') ?? {}), ...(objectField(saved, 'labels') ?? {})}
  const annotations: JsonObject = {...storedAnnotations, ...(objectField(saved, 'annotations') ?? {})}
  delete annotations[CALICO_METADATA_ANNOTATION]
  setOrDrop(merged, 'labels', labels)
  setOrDrop(merged, 'annotations', annotations)

  const object: JsonObject = {}
  for (const [key, value] of Object.entries(crd)) {
    if (key === 'apiVersion') object[key] = `${CALICO_GROUP}/v3`
    else if (key === 'metadata') object[key] = inObjectMetaOrder(merged)
    else object[key] = value
  }
  return {mapped: true, object}
}

function parseSavedMetadata(raw: unknown): JsonObject | undefined {
  if (typeof raw !== 'string') return undefined
  try {
    const parsed: unknown = JSON.parse(raw)
    return isObject(parsed) ? parsed : undefined
  } catch {
    return undefined
  }
}

/** Calico rewrites owners of its own kinds to the CRD group when it stores them, and back on reads. */
function v3OwnerReferences(value: unknown): unknown {
  if (!Array.isArray(value)) return value
  return value.map((ref) =>
    isObject(ref) && ref.apiVersion === `${CALICO_CRD_GROUP}/v1` ? {...ref, apiVersion: `${CALICO_GROUP}/v3`} : ref,
  )
}

function setOrDrop(metadata: JsonObject, key: string, map: JsonObject): void {
  if (Object.keys(map).length > 0) metadata[key] = map
  else delete metadata[key]
}

function inObjectMetaOrder(metadata: JsonObject): JsonObject {
  const out: JsonObject = {}
  for (const key of OBJECT_META_ORDER) if (key in metadata) out[key] = metadata[key]
  for (const [key, value] of Object.entries(metadata)) if (!(key in out)) out[key] = value
  return out
}
