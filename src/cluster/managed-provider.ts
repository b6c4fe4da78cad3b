// Recognises managed control planes (EKS, GKE, AKS), whose apiserver is not visible in the
// cluster: by the server version suffix, node labels and provider IDs (as kube-bench does).

export type ManagedProviderId = 'eks' | 'gke' | 'aks'

export interface ManagedProvider {
  readonly id: ManagedProviderId
  readonly name: string
  /** What gave it away, for the report. */
  readonly evidence: string
}

/** The parts of a Node this needs; client-node's V1Node and raw JSON both fit. */
export interface NodeLike {
  readonly metadata?: {
    readonly name?: string
    readonly labels?: Record<string, string>
    readonly annotations?: Record<string, string>
  }
  readonly spec?: {readonly providerID?: string}
}

const NAMES: Record<ManagedProviderId, string> = {eks: 'Amazon EKS', gke: 'Google GKE', aks: 'Azure AKS'}

export function detectManagedProvider(
  gitVersion: string | undefined,
  nodes: readonly NodeLike[],
): ManagedProvider | undefined {
  const found = (id: ManagedProviderId, evidence: string): ManagedProvider => ({id, name: NAMES[id], evidence})
  if (gitVersion && /^v\d+\.\d+\.\d+-eks-/.test(gitVersion)) return found('eks', `server version ${gitVersion}`)
  if (gitVersion && /^v\d+\.\d+\.\d+-gke\./.test(gitVersion)) return found('gke', `server version ${gitVersion}`)
  for (const node of nodes) {
    const labels = node.metadata?.labels ?? {}
    const name = node.metadata?.name ?? '?'
    const label = (key: string) => (key in labels ? `label ${key} on node ${name}` : undefined)
    const eks = label('eks.amazonaws.com/nodegroup') ?? label('eks.amazonaws.com/compute-type')
    if (eks) return found('eks', eks)
    const gke = label('cloud.google.com/gke-nodepool')
    if (gke) return found('gke', gke)
    const aks = label('kubernetes.azure.com/cluster')
    if (aks) return found('aks', aks)
    if (node.spec?.providerID?.startsWith('azure://'))
      return found('aks', `provider ID ${node.spec.providerID} on node ${name}`)
  }
  return undefined
}

/** Where the audit log of a managed control plane is, and how to turn it on. */
export function managedAuditAdvice(provider: ManagedProvider): string {
  switch (provider.id) {
    case 'eks':
      return 'enable the "audit" control plane log type (aws eks update-cluster-config --name CLUSTER --logging \'{"clusterLogging":[{"types":["audit"],"enabled":true}]}\'); events go to CloudWatch Logs'
    case 'gke':
      return 'Kubernetes API audit goes to Cloud Audit Logs: Admin Activity (writes) is always on; kubectl audit policies reads it from Cloud Logging (needs roles/logging.viewer)'
    case 'aks':
      return 'add a diagnostic setting with the kube-audit (or kube-audit-admin) category, sent to a Log Analytics workspace'
  }
}
