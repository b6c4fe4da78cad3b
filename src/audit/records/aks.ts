// The records AKS writes its audit log as, mapped back to audit Events: the diagnostic-settings
// record (a storage PT1H.json line, an Event Hubs message's `records`), whose properties.log is
// the Event (a JSON string, or an object once a shipper parsed it), and the Log Analytics row
// (AKSAudit, AKSAuditAdmin: one column per Event field; AzureDiagnostics: the Event in log_s),
// bare, in the query API's `{tables: [{columns, rows}]}` or as `az monitor log-analytics query`
// prints it. Pure: the reading stage decodes what this returns like any Event.

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/** What AKS puts in place of a request or response body too big for its pipeline. */
export const AKS_SKIPPED_BODY = 'skipped-too-big-size-object'

/** The diagnostic-settings categories that carry the audit log. */
export const AKS_AUDIT_CATEGORIES = ['kube-audit', 'kube-audit-admin'] as const

/** The Events' JSON an AKS document holds, and how many of its records held none (with why, for the first). */
export interface AksEvents {
  readonly events: unknown[]
  readonly notUnderstood: number
  readonly why?: string
}

/** The Events inside an AKS document, or undefined when it is none of AKS's shapes. */
export function aksEvents(value: Json): AksEvents | undefined {
  if (isDiagnosticRecord(value)) return collect([value], diagnosticRecordEvent)
  if (Array.isArray(value.records) && value.records.some(isDiagnosticRecord))
    return collect(value.records, diagnosticRecordEvent)
  if (isLogAnalyticsRow(value)) return collect([value], logAnalyticsRowEvent)
  if (Array.isArray(value.tables) && value.tables.some(isQueryTable))
    return collect(tableRows(value.tables), logAnalyticsRowEvent)
  return undefined
}

type OneEvent = {event: unknown} | {why: string}

function collect(items: readonly unknown[], map: (item: unknown) => OneEvent): AksEvents {
  const events: unknown[] = []
  let notUnderstood = 0
  let why: string | undefined
  for (const item of items) {
    const one = map(item)
    if ('event' in one) events.push(one.event)
    else {
      notUnderstood++
      why ??= one.why
    }
  }
  return why === undefined ? {events, notUnderstood} : {events, notUnderstood, why}
}

/**
 * The common resource-log schema of an AKS diagnostic setting: `properties.log` beside a category,
 * the ContainerService operation name or a managed cluster's resource ID (any one is enough: shippers
 * keep different parts).
 */
function isDiagnosticRecord(v: unknown): v is Json & {properties: Json} {
  if (!isObject(v) || !isObject(v.properties) || !('log' in v.properties)) return false
  const category = typeof v.category === 'string' ? v.category : ''
  return (
    category.startsWith('kube-audit') ||
    /Microsoft\.ContainerService/i.test(String(v.operationName ?? '')) ||
    /\/managedClusters\//i.test(String(v.resourceId ?? ''))
  )
}

function diagnosticRecordEvent(record: unknown): OneEvent {
  if (!isDiagnosticRecord(record)) return {why: 'not an AKS diagnostic record'}
  const category = typeof record.category === 'string' ? record.category : undefined
  if (category !== undefined && !(AKS_AUDIT_CATEGORIES as readonly string[]).includes(category)) {
    return {why: `an AKS ${category} record, not an audit one (kube-audit, kube-audit-admin)`}
  }
  return eventOfLog(record.properties.log, 'properties.log')
}

/** The Event in a log field: a JSON string (AKS writes it with a trailing newline at times) or an object. */
function eventOfLog(log: unknown, field: string): OneEvent {
  if (isObject(log)) return {event: log}
  if (typeof log !== 'string') return {why: `${field} is not an audit event`}
  try {
    const parsed: unknown = JSON.parse(log)
    return isObject(parsed) ? {event: parsed} : {why: `${field} is not an audit event`}
  } catch {
    return {why: `${field} is not JSON`}
  }
}

/** A row of AKSAudit or AKSAuditAdmin (AuditId and Verb columns), or of AzureDiagnostics with an audit category. */
function isLogAnalyticsRow(v: Json): boolean {
  if (typeof v.AuditId === 'string' && typeof v.Verb === 'string') return true
  return typeof v.log_s === 'string' && typeof v.Category === 'string' && v.Category.startsWith('kube-audit')
}

/** The columns of AKSAudit and AKSAuditAdmin that Log Analytics types `dynamic`: JSON text when not parsed by a client. */
const DYNAMIC_COLUMNS = [
  'User',
  'ImpersonatedUser',
  'SourceIps',
  'ObjectRef',
  'ResponseStatus',
  'RequestObject',
  'ResponseObject',
  'Annotations',
] as const

function logAnalyticsRowEvent(row: unknown): OneEvent {
  if (!isObject(row) || !isLogAnalyticsRow(row)) return {why: 'a Log Analytics row that is no AKS audit record'}
  if (typeof row.log_s === 'string') return eventOfLog(row.log_s, 'log_s')
  const column = (name: (typeof DYNAMIC_COLUMNS)[number]) => dynamicValue(row[name])
  const stageTime = timeText(row.StageReceivedTime) ?? timeText(row.TimeGenerated)
  const event: Json = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: row.Level,
    auditID: row.AuditId,
    stage: row.Stage,
    requestURI: row.RequestUri,
    verb: row.Verb,
    user: column('User'),
    impersonatedUser: column('ImpersonatedUser'),
    sourceIPs: column('SourceIps'),
    userAgent: row.UserAgent === '' ? undefined : row.UserAgent,
    objectRef: column('ObjectRef'),
    responseStatus: column('ResponseStatus'),
    requestObject: column('RequestObject'),
    responseObject: column('ResponseObject'),
    requestReceivedTimestamp: timeText(row.RequestReceivedTime),
    stageTimestamp: stageTime,
    annotations: column('Annotations'),
  }
  for (const key of Object.keys(event)) if (event[key] === undefined) delete event[key]
  return {event}
}

/**
 * A dynamic column's value: parsed already (the SDK does it), or JSON text (the REST API and the
 * az CLI), or the plain string AKS puts in place of a body. An empty cell is no value.
 */
function dynamicValue(value: unknown): unknown {
  if (value === null || value === '') return undefined
  if (typeof value !== 'string') return value
  const first = value.trimStart()[0]
  if (first !== '{' && first !== '[') return value
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}

/** A datetime cell as RFC3339 text: Log Analytics writes 7 fraction digits, which the Event's parser keeps to the microsecond. */
function timeText(value: unknown): string | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString()
  return typeof value === 'string' && value !== '' ? value : undefined
}

interface QueryTable {
  readonly columns: ReadonlyArray<{readonly name: string; readonly type?: string}>
  readonly rows: readonly unknown[]
}

function isQueryTable(v: unknown): v is QueryTable {
  return (
    isObject(v) &&
    Array.isArray(v.columns) &&
    v.columns.every((c) => isObject(c) && typeof c.name === 'string') &&
    Array.isArray(v.rows)
  )
}

/** The rows of the query API's tables as objects keyed by column name (dynamic cells stay JSON text: read as such). */
function tableRows(tables: readonly unknown[]): unknown[] {
  const rows: unknown[] = []
  for (const table of tables) {
    if (!isQueryTable(table)) continue
    const names = table.columns.map((c) => c.name)
    for (const cells of table.rows) {
      if (!Array.isArray(cells)) {
        rows.push(undefined)
        continue
      }
      const row: Json = {}
      for (const [i, name] of names.entries()) row[name] = cells[i]
      rows.push(row)
    }
  }
  return rows
}

/** Whether AKS replaced the event's request or response body (the Event's JSON, before or after decoding). */
export function hasSkippedBody(event: {readonly requestObject?: unknown; readonly responseObject?: unknown}): boolean {
  return event.requestObject === AKS_SKIPPED_BODY || event.responseObject === AKS_SKIPPED_BODY
}
