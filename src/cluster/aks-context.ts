// Which AKS cluster a kubeconfig context points at, from what `az aks get-credentials` writes: a
// server `<dns-prefix>-<hash>.hcp.<region>.azmk8s.io` (private clusters: `….privatelink.<region>.azmk8s.io`),
// a cluster entry named after the cluster, and a user entry `clusterUser_<resource group>_<cluster>`
// (`clusterAdmin_…` with --admin; kubelogin keeps the name). The subscription and the Log
// Analytics workspace are not in the kubeconfig. Pure: the context is given as plain data.
import type {KubeContextView} from './managed-context.js'

export interface AksContext {
  /** The server's host, which Azure Resource Manager knows the cluster by (fqdn, privateFQDN). */
  readonly host: string
  readonly region: string
  /** The AKS cluster's name: the cluster entry's, as az aks get-credentials writes it; null when renamed past telling. */
  readonly name: string | null
  /** From the user entry's name, when it has az's shape. */
  readonly resourceGroup: string | null
  /** What gave each away, for messages. */
  readonly evidence: readonly string[]
}

/** An AKS API server's host: the region is the label before azmk8s.io. */
const AKS_HOST = /^[a-z0-9][a-z0-9.-]*\.([a-z0-9]+)\.azmk8s\.io$/i
/** AKS's rule for cluster names. */
const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/
const USER_ENTRY = /^cluster(?:User|Admin|MonitoringUser)_(.+)$/

/** The AKS cluster of the context, or undefined when its server is no AKS API server. */
export function aksContext(view: KubeContextView): AksContext | undefined {
  const host = hostOf(view.server)
  const m = host === undefined ? null : AKS_HOST.exec(host)
  if (!host || !m) return undefined
  const evidence = ['server host']
  let name: string | null = null
  let resourceGroup: string | null = null
  // clusterUser_<group>_<name>: groups may hold underscores, so the cluster entry's name says where the group ends.
  const user = USER_ENTRY.exec(view.userName ?? '')
  if (user && CLUSTER_NAME.test(view.clusterName) && user[1]!.endsWith(`_${view.clusterName}`)) {
    name = view.clusterName
    resourceGroup = user[1]!.slice(0, -view.clusterName.length - 1)
    evidence.push(`user entry ${view.userName}`)
  } else if (CLUSTER_NAME.test(view.clusterName)) {
    name = view.clusterName
    evidence.push('cluster entry name')
  }
  return {host: host.toLowerCase(), region: m[1]!.toLowerCase(), name, resourceGroup, evidence}
}

function hostOf(server: string): string | undefined {
  try {
    return new URL(server).hostname
  } catch {
    return undefined
  }
}

/** The ARM resource ID of a managed cluster. */
export function aksResourceId(subscription: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscription}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`
}

/** The command that sends a cluster's audit log (without get and list) to a Log Analytics workspace, in its own tables. */
export function diagnosticSettingCommand(clusterId: string, workspaceId = 'WORKSPACE_RESOURCE_ID'): string {
  return `az monitor diagnostic-settings create --name kube-audit --resource ${clusterId} --workspace ${workspaceId} --export-to-resource-specific true --logs '[{"category":"kube-audit-admin","enabled":true}]'`
}
