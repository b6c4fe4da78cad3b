// Builds GKE Cloud Audit Logs entries (LogEntry with an AuditLog protoPayload) for tests, in the
// shape entries:list and `gcloud logging read --format=json` return them.

export interface GkeEntrySpec {
  /** insertId and operation.id (GKE sets both to the request's audit ID). */
  id?: string
  method?: string
  resourceName?: string
  principal?: string
  callerIp?: string
  userAgent?: string
  /** gRPC code; null: no status at all. */
  status?: number | null
  statusMessage?: string
  time?: string
  project?: string
  location?: string
  cluster?: string
  /** `activity` (writes) or `data_access` (reads). */
  log?: 'activity' | 'data_access'
  request?: Record<string, unknown>
  response?: Record<string, unknown>
}

let counter = 0

export function gkeEntry(spec: GkeEntrySpec = {}): Record<string, unknown> {
  const id = spec.id ?? `00000000-0000-4000-8000-${String(++counter).padStart(12, '0')}`
  const project = spec.project ?? 'shop-prod'
  const method = spec.method ?? 'io.k8s.networking.v1.networkpolicies.create'
  const payload: Record<string, unknown> = {
    '@type': 'type.googleapis.com/google.cloud.audit.AuditLog',
    authenticationInfo: {principalEmail: spec.principal ?? 'alice@example.com'},
    authorizationInfo: [
      {
        granted: spec.status === 7 ? false : true,
        permission: method,
        resource: spec.resourceName ?? 'networking.k8s.io/v1/namespaces/shop/networkpolicies/web',
      },
    ],
    methodName: method,
    requestMetadata: {
      callerIp: spec.callerIp ?? '203.0.113.7',
      callerSuppliedUserAgent: spec.userAgent ?? 'kubectl/v1.31.0 (linux/amd64) kubernetes/abcdef',
    },
    resourceName: spec.resourceName ?? 'networking.k8s.io/v1/namespaces/shop/networkpolicies/web',
    serviceName: 'k8s.io',
  }
  if (spec.status !== null)
    payload.status =
      spec.statusMessage === undefined
        ? {code: spec.status ?? 0}
        : {code: spec.status ?? 0, message: spec.statusMessage}
  if (spec.request) payload.request = spec.request
  if (spec.response) payload.response = spec.response
  const time = spec.time ?? '2026-11-24T10:00:00.123456Z'
  return {
    insertId: id,
    labels: {
      'authorization.k8s.io/decision': spec.status === 7 ? 'forbid' : 'allow',
      'authorization.k8s.io/reason': '',
    },
    logName: `projects/${project}/logs/cloudaudit.googleapis.com%2F${spec.log ?? 'activity'}`,
    operation: {first: true, id, last: true, producer: 'k8s.io'},
    protoPayload: payload,
    receiveTimestamp: time,
    resource: {
      labels: {cluster_name: spec.cluster ?? 'prod', location: spec.location ?? 'europe-west1', project_id: project},
      type: 'k8s_cluster',
    },
    timestamp: time,
  }
}

/** A Kubernetes NetworkPolicy body as GKE logs it: with the `@type` Cloud Logging adds. */
export function networkPolicyBody(name: string, namespace = 'shop'): Record<string, unknown> {
  return {
    '@type': 'networking.k8s.io/v1.NetworkPolicy',
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {name, namespace},
    spec: {podSelector: {}, policyTypes: ['Ingress']},
  }
}
