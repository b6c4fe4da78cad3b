// The names of Calico Enterprise's audit indices (Linseed's layouts), and the cluster an index
// belongs to. Kept apart from the store's code: the flags name them without loading it.

/** The multi-index layout: `<prefix>.<cluster>.<suffix>`, the kube-apiserver's log and the Calico API server's. */
export const CALICO_KUBE_PREFIX = 'tigera_secure_ee_audit_kube'
export const CALICO_EE_PREFIX = 'tigera_secure_ee_audit_ee'
/** The single-index layout: one index, the log in `audit_type` (kube, ee) and the cluster in `cluster`. */
export const CALICO_SINGLE_INDEX = 'calico_auditlogs*'
/** The name of a cluster's own logs, and of a standalone or management cluster's. */
export const DEFAULT_CLUSTER = 'cluster'

/** `tigera_secure_ee_audit_kube.<cluster>.fluentd-20260101-000001` → `<cluster>` (a tenant's is `<tenant>.<cluster>`). */
export function clusterOfIndex(index: string, prefix: string): string | undefined {
  if (!index.startsWith(`${prefix}.`)) return undefined
  const rest = index.slice(prefix.length + 1)
  const last = rest.lastIndexOf('.')
  return last > 0 ? rest.slice(0, last) : undefined
}
