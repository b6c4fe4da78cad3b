// The fields every write changes or the server owns: left out of diffs unless asked for, so a
// diff shows what the writer changed.

import {isObject, type JsonObject} from './json.js'

/** Server-set metadata that changes on every write or says nothing about the policy. */
export const NOISY_METADATA_FIELDS: readonly string[] = [
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
]

/** kubectl's copy of the whole object as last applied: a second copy of what the diff already shows. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration'

/**
 * A copy of `object` without the noisy metadata fields, `status`, and the last-applied annotation
 * (and the annotations map when that was its only entry). The input is not modified.
 */
export function withoutNoise(object: JsonObject): JsonObject {
  const out: JsonObject = {}
  for (const [key, value] of Object.entries(object)) {
    if (key === 'status') continue
    out[key] = key === 'metadata' && isObject(value) ? quietMetadata(value) : value
  }
  return out
}

function quietMetadata(metadata: JsonObject): JsonObject {
  const out: JsonObject = {}
  for (const [key, value] of Object.entries(metadata)) {
    if (NOISY_METADATA_FIELDS.includes(key)) continue
    if (key === 'annotations' && isObject(value) && LAST_APPLIED_ANNOTATION in value) {
      const rest = {...value}
      delete rest[LAST_APPLIED_ANNOTATION]
      if (Object.keys(rest).length > 0) out[key] = rest
      continue
    }
    out[key] = value
  }
  return out
}
