// AKS audit records for tests, written from the documented shapes: the diagnostic-settings record
// (storage PT1H.json line, Event Hubs `records`) and the Log Analytics row of AKSAudit /
// AKSAuditAdmin (as the SDK hands it back, as the REST API sends it, as the az CLI prints it) and
// of AzureDiagnostics.

export const CLUSTER_RESOURCE_ID =
  '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/shop-rg/providers/Microsoft.ContainerService/managedClusters/shop-prod'

type Event = Record<string, unknown>

/** A diagnostic-settings record around an Event: properties.log as AKS writes it (a string, with a trailing newline) or parsed. */
export function diagnosticRecord(
  event: Event,
  {category = 'kube-audit-admin', logAs = 'string'}: {category?: string; logAs?: 'string' | 'object'} = {},
): Record<string, unknown> {
  return {
    category,
    operationName: 'Microsoft.ContainerService/managedClusters/diagnosticLogs/Read',
    properties: {
      log: logAs === 'string' ? `${JSON.stringify(event)}\n` : event,
      containerID: 'c0ffee',
      stream: 'stdout',
      pod: 'kube-apiserver-5d8f7c9b6-x2x7k',
    },
    resourceId: CLUSTER_RESOURCE_ID.toUpperCase(),
    serviceBuild: 'na',
    time: String(event.stageTimestamp),
  }
}

/** Log Analytics' datetime text: seven fraction digits. */
function laTime(rfc3339: unknown): string {
  const text = String(rfc3339)
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(text)
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(7, '0')}Z` : text
}

/** The AKSAudit/AKSAuditAdmin columns of an Event, dynamic ones as objects (how the SDK hands rows back). */
export function logAnalyticsRow(event: Event, table = 'AKSAuditAdmin'): Record<string, unknown> {
  return {
    TenantId: '99999999-8888-7777-6666-555555555555',
    TimeGenerated: laTime(event.stageTimestamp),
    Level: event.level,
    AuditId: event.auditID,
    Stage: event.stage,
    RequestUri: event.requestURI,
    Verb: event.verb,
    User: event.user,
    SourceIps: event.sourceIPs,
    UserAgent: event.userAgent ?? '',
    ObjectRef: event.objectRef ?? null,
    ResponseStatus: event.responseStatus ?? null,
    RequestObject: event.requestObject ?? null,
    ResponseObject: event.responseObject ?? null,
    Annotations: event.annotations ?? null,
    RequestReceivedTime: laTime(event.requestReceivedTimestamp),
    StageReceivedTime: laTime(event.stageTimestamp),
    PodName: 'kube-apiserver-5d8f7c9b6-x2x7k',
    SourceSystem: 'Azure',
    Type: table,
    _ResourceId: CLUSTER_RESOURCE_ID.toLowerCase(),
  }
}

/** The columns of AKSAudit/AKSAuditAdmin and their Log Analytics types, in the table's order. */
export const AKS_AUDIT_COLUMNS: ReadonlyArray<{name: string; type: string}> = [
  {name: 'TenantId', type: 'string'},
  {name: 'TimeGenerated', type: 'datetime'},
  {name: 'Level', type: 'string'},
  {name: 'AuditId', type: 'string'},
  {name: 'Stage', type: 'string'},
  {name: 'RequestUri', type: 'string'},
  {name: 'Verb', type: 'string'},
  {name: 'User', type: 'dynamic'},
  {name: 'SourceIps', type: 'dynamic'},
  {name: 'UserAgent', type: 'string'},
  {name: 'ObjectRef', type: 'dynamic'},
  {name: 'ResponseStatus', type: 'dynamic'},
  {name: 'RequestObject', type: 'dynamic'},
  {name: 'ResponseObject', type: 'dynamic'},
  {name: 'Annotations', type: 'dynamic'},
  {name: 'RequestReceivedTime', type: 'datetime'},
  {name: 'StageReceivedTime', type: 'datetime'},
  {name: 'PodName', type: 'string'},
  {name: 'SourceSystem', type: 'string'},
  {name: 'Type', type: 'string'},
  {name: '_ResourceId', type: 'string'},
]

/** A cell as the REST API sends it: dynamic values as JSON text, empty when there is none. */
export function wireCell(value: unknown, type: string): unknown {
  if (type !== 'dynamic') return value ?? ''
  if (value === null || value === undefined) return ''
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** The query API's answer (`{tables: [{name, columns, rows}]}`) holding rows of AKSAudit columns. */
export function queryResponse(
  rows: ReadonlyArray<Record<string, unknown>>,
  columns = AKS_AUDIT_COLUMNS,
): {tables: Array<{name: string; columns: typeof columns; rows: unknown[][]}>} {
  return {
    tables: [
      {name: 'PrimaryResult', columns, rows: rows.map((row) => columns.map((c) => wireCell(row[c.name], c.type)))},
    ],
  }
}

/** `az monitor log-analytics query` output: one object per row, dynamic values as JSON text, plus TableName. */
export function azCliRows(rows: ReadonlyArray<Record<string, unknown>>): Array<Record<string, unknown>> {
  return rows.map((row) => {
    const out: Record<string, unknown> = {}
    for (const column of AKS_AUDIT_COLUMNS) out[column.name] = wireCell(row[column.name], column.type)
    out.TableName = 'PrimaryResult'
    return out
  })
}

/** A legacy AzureDiagnostics row: the Event as a string in log_s. */
export function azureDiagnosticsRow(event: Event, category = 'kube-audit-admin'): Record<string, unknown> {
  return {
    TimeGenerated: laTime(event.stageTimestamp),
    Category: category,
    ResourceProvider: 'MICROSOFT.CONTAINERSERVICE',
    Resource: 'SHOP-PROD',
    ResourceId: CLUSTER_RESOURCE_ID.toUpperCase(),
    log_s: JSON.stringify(event),
    pod_s: 'kube-apiserver-5d8f7c9b6-x2x7k',
    Type: 'AzureDiagnostics',
    _ResourceId: CLUSTER_RESOURCE_ID.toLowerCase(),
  }
}
