// Field types of the fake Elasticsearch's indices, as a real index maps them: the mappings that
// matter here (Calico Enterprise's audit indices, the Elastic integration's data stream, an index
// left to dynamic mapping), the analysis of text fields, and how a JSON value becomes what a query
// compares.

/** The types the fake knows; `disabled` is an object kept in _source but not indexed (`enabled: false`). */
export type FieldType = 'keyword' | 'text' | 'date' | 'date_nanos' | 'long' | 'boolean' | 'flattened' | 'disabled'

/** Dotted path → type. A `text` field may have a `.keyword` twin (dynamic mapping gives every string one). */
export type Mapping = Map<string, FieldType>

/**
 * Calico Enterprise's audit index template, as its documentation describes it: the Event's fields
 * as keywords, except `stage`, `sourceIPs` and `userAgent` (text); the bodies and `user.extra`
 * stored but not indexed; annotations flattened; both times as dates.
 */
export function calicoAuditMapping(): Mapping {
  return new Map<string, FieldType>([
    ['apiVersion', 'keyword'],
    ['kind', 'keyword'],
    ['level', 'keyword'],
    ['auditID', 'keyword'],
    ['stage', 'text'],
    ['requestURI', 'keyword'],
    ['verb', 'keyword'],
    ['user.username', 'keyword'],
    ['user.uid', 'keyword'],
    ['user.groups', 'keyword'],
    ['user.extra', 'disabled'],
    ['impersonatedUser.username', 'keyword'],
    ['impersonatedUser.uid', 'keyword'],
    ['impersonatedUser.groups', 'keyword'],
    ['impersonatedUser.extra', 'disabled'],
    ['sourceIPs', 'text'],
    ['userAgent', 'text'],
    ['objectRef.resource', 'keyword'],
    ['objectRef.namespace', 'keyword'],
    ['objectRef.name', 'keyword'],
    ['objectRef.uid', 'keyword'],
    ['objectRef.apiGroup', 'keyword'],
    ['objectRef.apiVersion', 'keyword'],
    ['objectRef.resourceVersion', 'keyword'],
    ['objectRef.subresource', 'keyword'],
    ['responseStatus.code', 'long'],
    ['responseStatus.status', 'keyword'],
    ['responseStatus.message', 'text'],
    ['responseStatus.reason', 'keyword'],
    ['requestObject', 'disabled'],
    ['responseObject', 'disabled'],
    ['requestReceivedTimestamp', 'date'],
    ['stageTimestamp', 'date'],
    ['annotations', 'flattened'],
    ['name', 'keyword'],
    ['cluster', 'keyword'],
    ['generated_time', 'date'],
  ])
}

/** The single-index layout: the same, with the log each record came from. */
export function calicoSingleIndexMapping(): Mapping {
  const mapping = calicoAuditMapping()
  mapping.set('audit_type', 'keyword')
  mapping.set('tenant', 'keyword')
  return mapping
}

/** The Elastic integration's `kubernetes.audit_logs` data stream (its fields.yml, the parts read here). */
export function elasticIntegrationMapping(): Mapping {
  const audit = 'kubernetes.audit.'
  const keyword = [
    'apiVersion',
    'kind',
    'level',
    'auditID',
    'stage',
    'requestURI',
    'verb',
    'user.username',
    'user.uid',
    'impersonatedUser.username',
    'impersonatedUser.uid',
    'userAgent',
    'objectRef.resource',
    'objectRef.namespace',
    'objectRef.name',
    'objectRef.uid',
    'objectRef.apiGroup',
    'objectRef.apiVersion',
    'objectRef.resourceVersion',
    'objectRef.subresource',
    'responseStatus.status',
  ]
  return new Map<string, FieldType>([
    ...keyword.map((f) => [`${audit}${f}`, 'keyword'] as [string, FieldType]),
    [`${audit}user.groups`, 'text'],
    [`${audit}impersonatedUser.groups`, 'text'],
    [`${audit}sourceIPs`, 'text'],
    [`${audit}responseStatus.message`, 'text'],
    [`${audit}responseStatus.code`, 'long'],
    [`${audit}requestReceivedTimestamp`, 'date'],
    [`${audit}stageTimestamp`, 'date'],
    [`${audit}requestObject`, 'disabled'],
    [`${audit}responseObject`, 'disabled'],
    [`${audit}annotations`, 'flattened'],
    ['@timestamp', 'date'],
    ['event.action', 'keyword'],
    ['event.kind', 'keyword'],
    ['event.outcome', 'keyword'],
    ['user.name', 'keyword'],
    ['source.ip', 'keyword'],
    ['user_agent.original', 'keyword'],
  ])
}

const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

/**
 * Maps what `doc` has and `mapping` does not, as dynamic mapping does: a string that is an
 * RFC 3339 time becomes a date, another string text with a `.keyword` twin, a number a long.
 * Nothing under a disabled or flattened object is mapped.
 */
export function mapDynamically(mapping: Mapping, doc: unknown, prefix = ''): void {
  if (typeof doc !== 'object' || doc === null) return
  for (const [key, value] of Object.entries(doc)) {
    const path = `${prefix}${key}`
    const type = mapping.get(path)
    if (type === 'disabled' || type === 'flattened') continue
    const sample = Array.isArray(value) ? value.find((v) => v !== null) : value
    if (sample === undefined || sample === null) continue
    if (typeof sample === 'object') {
      mapDynamically(mapping, Array.isArray(value) ? sample : value, `${path}.`)
      continue
    }
    if (type !== undefined) continue
    if (typeof sample === 'string') {
      if (DATE.test(sample)) mapping.set(path, 'date')
      else {
        mapping.set(path, 'text')
        mapping.set(`${path}.keyword`, 'keyword')
      }
    } else if (typeof sample === 'number') mapping.set(path, 'long')
    else if (typeof sample === 'boolean') mapping.set(path, 'boolean')
  }
}

/** A field's type, and the JSON path its values are read from (`x.keyword` reads `x`). */
export function resolveField(mapping: Mapping, field: string): {type: FieldType; path: string} | undefined {
  const type = mapping.get(field)
  if (type === undefined) return undefined
  const path =
    field.endsWith('.keyword') && mapping.get(field.slice(0, -'.keyword'.length)) === 'text'
      ? field.slice(0, -'.keyword'.length)
      : field
  return {type, path}
}

/** The words of a text field, as the standard analyzer makes them (lower case; `.`, `:` and `'` inside a word keep it whole). */
export function analyze(text: string): string[] {
  return [...text.toLowerCase().matchAll(/[\p{L}\p{N}_]+(?:[.:'][\p{L}\p{N}_]+)*/gu)].map((m) => m[0])
}

/** A time as the field holds it: epoch milliseconds, whole ones for `date`. */
export function dateValue(value: unknown, type: FieldType): number | undefined {
  let ms: number
  if (typeof value === 'number') ms = value
  else if (typeof value === 'string') {
    if (/^\d+(\.\d+)?$/.test(value)) ms = Number(value)
    else {
      const parsed = Date.parse(value)
      if (Number.isNaN(parsed)) return undefined
      ms = parsed
      // Date.parse keeps milliseconds; date_nanos keeps what is below them too.
      const fraction = /\.(\d+)/.exec(value)?.[1]
      if (type === 'date_nanos' && fraction && fraction.length > 3) ms += Number(`0.${fraction.slice(3)}`)
    }
  } else return undefined
  return type === 'date' ? Math.floor(ms) : ms
}
