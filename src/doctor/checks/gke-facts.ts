// What GKE records of Kubernetes API writes, fixed by Google and the same in every cluster: its
// Kubernetes audit policy (the one kubernetes/cluster/gce/gci/configure-helper.sh writes,
// create-master-audit-policy) and where Cloud Audit Logs keeps the entries.
import {GCE_KNOWN_API_GROUPS} from '../gce-known-apis.js'

/** The groups whose writes GKE records with their bodies (who, and what changed); the rest at Metadata. */
const GKE_REQUEST_RESPONSE_GROUPS: ReadonlySet<string> = new Set(GCE_KNOWN_API_GROUPS)

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
