// Builds audit.k8s.io/v1 event lines for tests, shaped like the apiserver's own output
// (compact JSON, kind/apiVersion first, microsecond timestamps).

export interface EventSpec {
  auditID?: string
  stage?: 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic'
  level?: string
  verb?: string
  user?: string
  groups?: string[]
  impersonatedUser?: string
  apiGroup?: string
  apiVersion?: string
  resource?: string
  subresource?: string
  namespace?: string
  name?: string
  /** null: no responseStatus at all. */
  code?: number | null
  time?: string
  requestURI?: string
  userAgent?: string
  requestObject?: unknown
  responseObject?: unknown
}

let counter = 0

export function auditEvent(spec: EventSpec = {}): Record<string, unknown> {
  const stage = spec.stage ?? 'ResponseComplete'
  const time = spec.time ?? '2026-11-24T10:00:00.000000Z'
  const objectRef: Record<string, string> = {
    resource: spec.resource ?? 'leases',
    apiGroup: spec.apiGroup ?? 'coordination.k8s.io',
    apiVersion: spec.apiVersion ?? 'v1',
  }
  if (spec.namespace) objectRef.namespace = spec.namespace
  if (spec.name) objectRef.name = spec.name
  if (spec.subresource) objectRef.subresource = spec.subresource
  const event: Record<string, unknown> = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: spec.level ?? 'Metadata',
    auditID: spec.auditID ?? `00000000-0000-0000-0000-${String(++counter).padStart(12, '0')}`,
    stage,
    requestURI: spec.requestURI ?? `/apis/${objectRef.apiGroup}/${objectRef.apiVersion}/${objectRef.resource}`,
    verb: spec.verb ?? 'get',
    user: {username: spec.user ?? 'alice', groups: spec.groups ?? ['system:authenticated']},
  }
  if (spec.impersonatedUser) event.impersonatedUser = {username: spec.impersonatedUser}
  event.sourceIPs = ['10.0.0.1']
  event.userAgent = spec.userAgent ?? 'kubectl/v1.31.0 (linux/amd64) kubernetes/abcdef'
  event.objectRef = objectRef
  if (stage !== 'RequestReceived' && spec.code !== null) event.responseStatus = {metadata: {}, code: spec.code ?? 200}
  if (spec.requestObject !== undefined) event.requestObject = spec.requestObject
  if (spec.responseObject !== undefined) event.responseObject = spec.responseObject
  event.requestReceivedTimestamp = time
  event.stageTimestamp = time
  return event
}

export function auditLine(spec: EventSpec = {}): string {
  return JSON.stringify(auditEvent(spec))
}

/**
 * Events `second`s after `t0` (epoch ms), answered 200: any event (`at`), a NetworkPolicy create
 * in shop (`knp`), and a lease update, the noise a store also holds (`lease`).
 */
export function eventsAfter(t0: number) {
  const at = (second: number, spec: EventSpec) =>
    auditEvent({time: new Date(t0 + second * 1000).toISOString().replace('Z', '000Z'), code: 200, ...spec})
  const knp = (second: number, auditID: string, spec: EventSpec = {}) =>
    at(second, {
      auditID,
      verb: 'create',
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      namespace: 'shop',
      name: 'web',
      ...spec,
    })
  const lease = (second: number, auditID: string) =>
    at(second, {
      auditID,
      verb: 'update',
      apiGroup: 'coordination.k8s.io',
      resource: 'leases',
      namespace: 'kube-system',
      name: 'kube-scheduler',
    })
  return {at, knp, lease}
}
