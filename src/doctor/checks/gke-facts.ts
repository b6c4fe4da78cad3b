// What GKE records of Kubernetes API writes, fixed by Google and the same in every cluster: its
// Kubernetes audit policy (the one kubernetes/cluster/gce/gci/configure-helper.sh writes,
// create-master-audit-policy) and where Cloud Audit Logs keeps the entries.

/**
 * The "known APIs" whose writes the policy records at RequestResponse (who, and the bodies: what
 * changed). Every other group, custom resources and aggregated APIs included, falls to its last
 * rule: Metadata (who changed which object, no bodies).
 */
export const GKE_REQUEST_RESPONSE_GROUPS: ReadonlySet<string> = new Set([
  '',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'apps',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'extensions',
  'metrics.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
])

export type GkeWriteLevel = 'RequestResponse' | 'Metadata'

/** The level GKE records a write to a resource of `apiGroup` at. */
export function gkeWriteLevel(apiGroup: string): GkeWriteLevel {
  return GKE_REQUEST_RESPONSE_GROUPS.has(apiGroup) ? 'RequestResponse' : 'Metadata'
}

/** Writes land in the Admin Activity log: always on, free, kept in the _Required bucket. */
export const GKE_ADMIN_ACTIVITY = {
  log: 'cloudaudit.googleapis.com/activity',
  retentionDays: 400,
  readRole: 'roles/logging.viewer',
} as const
