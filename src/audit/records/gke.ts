// GKE's Kubernetes API audit entries (Cloud Audit Logs): a Cloud Logging LogEntry whose protoPayload
// is an AuditLog that re-encodes the apiserver's Event. Mapped here, as plain JSON, to the
// audit.k8s.io Event the rest of the pipeline reads; what GKE does not carry stays empty, and is
// said once per run (GKE_NOT_CARRIED).

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string => (typeof v === 'string' ? v : '')

/** The name events mapped from GKE entries carry (AuditEvent.mappedFrom). */
export const GKE_RECORD = 'gke'

/** What a GKE entry cannot tell, for the one line a run says about it. */
export const GKE_NOT_CARRIED =
  'GKE audit entries (Cloud Audit Logs) carry no stage, level, request URI (so dry runs cannot be told apart from real changes), user groups or impersonated user; their status is a gRPC code, shown as the HTTP code it stands for (7 → 403, 6 and 10 → 409, 3 → 400: a 422 shows as 400)'

/** A gRPC (google.rpc.Code) status as the HTTP code users know, by google.rpc's own mapping (code.proto). */
export const GRPC_TO_HTTP: readonly number[] = [
  200, // 0 OK
  499, // 1 CANCELLED
  500, // 2 UNKNOWN
  400, // 3 INVALID_ARGUMENT
  504, // 4 DEADLINE_EXCEEDED
  404, // 5 NOT_FOUND
  409, // 6 ALREADY_EXISTS
  403, // 7 PERMISSION_DENIED
  429, // 8 RESOURCE_EXHAUSTED
  400, // 9 FAILED_PRECONDITION
  409, // 10 ABORTED
  400, // 11 OUT_OF_RANGE
  501, // 12 UNIMPLEMENTED
  500, // 13 INTERNAL
  503, // 14 UNAVAILABLE
  500, // 15 DATA_LOSS
  401, // 16 UNAUTHENTICATED
]

/** What a method name says: `io.k8s.networking.v1.networkpolicies.patch`, or a non-resource `io.k8s.get`. */
export interface GkeMethod {
  readonly apiGroup: string
  readonly apiVersion: string
  /** '' for a non-resource request (`io.k8s.get` on a path). */
  readonly resource: string
  readonly subresource: string
  readonly verb: string
}

/**
 * Built-in groups without a dot, which GKE still writes under `io.k8s.` (`io.k8s.apps.v1…`); every
 * other `io.k8s.<x>` is `<x reversed>.k8s.io`, and the core group is `io.k8s.core`.
 */
const LEGACY_GROUPS: ReadonlySet<string> = new Set(['apps', 'batch', 'autoscaling', 'policy', 'extensions'])

/**
 * Groups a method name might spell in forward order. GKE reverses a group's DNS name
 * (`com.coreos.database.etcd` for etcd.database.coreos.com); that Calico's groups follow the same
 * rule (`org.projectcalico.crd`, `org.projectcalico`) is inferred, not seen: both spellings are read.
 */
const FORWARD_GROUPS: ReadonlySet<string> = new Set(['projectcalico.org', 'crd.projectcalico.org'])

const VERSION = /^v\d+(?:(?:alpha|beta)\d+)?$/
const API_NAME = /^[a-z][a-z0-9-]*$/

export function parseMethodName(method: string): GkeMethod | undefined {
  const parts = method.split('.')
  if (parts.some((part) => part === '')) return undefined
  const at = parts.findIndex((part, i) => i > 0 && VERSION.test(part))
  if (at === -1) {
    // A non-resource request: `io.k8s.<verb>`, the path in resourceName.
    return parts.length === 3 && parts[0] === 'io' && parts[1] === 'k8s'
      ? {apiGroup: '', apiVersion: '', resource: '', subresource: '', verb: parts[2]}
      : undefined
  }
  const rest = parts.slice(at + 1)
  // Kubernetes resource and verb names are lower case: `google.container.v1.ClusterManager.UpdateCluster` is not one.
  if ((rest.length !== 2 && rest.length !== 3) || !rest.every((part) => API_NAME.test(part))) return undefined
  return {
    apiGroup: groupOf(parts.slice(0, at)),
    apiVersion: parts[at],
    resource: rest[0],
    subresource: rest.length === 3 ? rest[1] : '',
    verb: rest.at(-1)!,
  }
}

function groupOf(labels: readonly string[]): string {
  const forward = labels.join('.')
  if (FORWARD_GROUPS.has(forward)) return forward
  if (labels.length >= 3 && labels[0] === 'io' && labels[1] === 'k8s') {
    if (labels.length === 3 && labels[2] === 'core') return ''
    if (labels.length === 3 && LEGACY_GROUPS.has(labels[2])) return labels[2]
  }
  return [...labels].reverse().join('.')
}

/**
 * How a method name may spell an API group: the inverse of groupOf (`io.k8s.networking` for
 * networking.k8s.io), both spellings for Calico's groups. For querying a store by method name.
 */
export function methodGroupSpellings(apiGroup: string): string[] {
  if (apiGroup === '') return ['io.k8s.core']
  if (LEGACY_GROUPS.has(apiGroup)) return [`io.k8s.${apiGroup}`]
  const reversed = apiGroup.split('.').reverse().join('.')
  return FORWARD_GROUPS.has(apiGroup) ? [reversed, apiGroup] : [reversed]
}

/** Namespace, name and subresource from `<group>/<version>/namespaces/<ns>/<resource>/<name>[/<sub>]` (or without the namespace part). */
export function parseResourceName(
  resourceName: string,
  resource: string,
): {namespace: string; name: string; subresource: string} {
  const none = {namespace: '', name: '', subresource: ''}
  const path = resourceName.split('/').slice(2)
  if (resource === '') return none
  if (path[0] === 'namespaces' && path.length >= 3 && path[2] === resource)
    return {namespace: path[1], name: path[3] ?? '', subresource: path[4] ?? ''}
  if (path[0] === resource) return {namespace: '', name: path[1] ?? '', subresource: path[2] ?? ''}
  return none
}

/** A Cloud Logging LogEntry: what `gcloud logging read`, entries:list, a sink or Pub/Sub hand out. */
export function isLogEntry(value: unknown): value is Json {
  return (
    isObject(value) &&
    (isObject(value.protoPayload) || isObject(value.jsonPayload) || 'textPayload' in value) &&
    (typeof value.logName === 'string' || typeof value.insertId === 'string')
  )
}

/**
 * The audit.k8s.io Event (as JSON) that a GKE entry stands for; an error for a LogEntry that is
 * not one of the Kubernetes API's audit entries; undefined for anything that is no LogEntry.
 */
export function eventOfGkeEntry(value: unknown): {event: Json} | {error: string} | undefined {
  if (!isLogEntry(value)) return undefined
  const payload = value.protoPayload
  if (!isObject(payload)) return {error: 'a Cloud Logging entry without an audit payload'}
  const service = str(payload.serviceName)
  if (service !== '' && service !== 'k8s.io')
    return {error: `a Cloud Audit Logs entry of ${service}, not of the Kubernetes API`}
  const methodName = str(payload.methodName)
  const method = parseMethodName(methodName)
  if (!method) return {error: `Cloud Audit Logs method ${JSON.stringify(methodName)} is not a Kubernetes API method`}
  const time = str(value.timestamp) || str(value.receiveTimestamp)
  if (time === '') return {error: 'a Cloud Logging entry without a timestamp'}
  const operation = isObject(value.operation) ? value.operation : {}
  const authentication = isObject(payload.authenticationInfo) ? payload.authenticationInfo : {}
  const request = isObject(payload.requestMetadata) ? payload.requestMetadata : {}
  const event: Json = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    // The apiserver's audit ID, as GKE passes it on (equal in every sample; inferred, not documented).
    auditID: str(operation.id) || str(value.insertId),
    verb: method.verb,
    user: {username: str(authentication.principalEmail)},
    sourceIPs: str(request.callerIp) === '' ? [] : [str(request.callerIp)],
    stageTimestamp: time,
  }
  if (typeof request.callerSuppliedUserAgent === 'string') event.userAgent = request.callerSuppliedUserAgent
  if (method.resource !== '') {
    const where = parseResourceName(str(payload.resourceName), method.resource)
    event.objectRef = {
      apiGroup: method.apiGroup,
      apiVersion: method.apiVersion,
      resource: method.resource,
      subresource: method.subresource || where.subresource,
      namespace: where.namespace,
      name: where.name,
    }
  }
  const status = payload.status
  // An absent status says nothing about the outcome; an empty one is OK (proto3 leaves a 0 code out).
  if (isObject(status)) {
    const code = status.code ?? 0
    event.responseStatus = {
      code:
        typeof code === 'number' && Number.isInteger(code) && code >= 0 && code < GRPC_TO_HTTP.length
          ? GRPC_TO_HTTP[code]
          : String(code),
      message: str(status.message),
    }
  }
  if (payload.request !== undefined) event.requestObject = withoutType(payload.request)
  if (payload.response !== undefined) event.responseObject = withoutType(payload.response)
  return {event}
}

/** A body as the apiserver logged it: without the `@type` key Cloud Logging adds (`core.k8s.io/v1.Pod`, `k8s.io/Patch`). */
function withoutType(body: unknown): unknown {
  if (!isObject(body) || !('@type' in body)) return body
  const {'@type': _type, ...rest} = body
  return rest
}
