// The "known APIs" of the GCE audit policy (kubernetes/kubernetes cluster/gce/gci/configure-helper.sh,
// create-master-audit-policy), which GKE runs and EKS runs a copy of: writes to these groups are
// recorded at RequestResponse. Every other group, custom resources and aggregated APIs (Calico's)
// included, falls to the policy's last rule: Metadata.
export const GCE_KNOWN_API_GROUPS = [
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
  'settings.k8s.io',
  'storage.k8s.io',
] as const
