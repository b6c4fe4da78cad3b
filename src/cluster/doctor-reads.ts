// The read-only API calls doctor makes besides apiserver discovery, as plain functions: the
// client (@kubernetes/client-node) stays inside src/cluster and loads on the first call.
import type {KubeConfig, V1APIService, V1ConfigMap, V1Node, VersionInfo} from '@kubernetes/client-node'

export async function readServerVersion(kc: KubeConfig): Promise<VersionInfo> {
  const {VersionApi} = await import('@kubernetes/client-node')
  return kc.makeApiClient(VersionApi).getCode()
}

export async function listNodes(kc: KubeConfig): Promise<V1Node[]> {
  const {CoreV1Api} = await import('@kubernetes/client-node')
  return (await kc.makeApiClient(CoreV1Api).listNode()).items
}

export async function listApiServices(kc: KubeConfig): Promise<V1APIService[]> {
  const {ApiregistrationV1Api} = await import('@kubernetes/client-node')
  return (await kc.makeApiClient(ApiregistrationV1Api).listAPIService()).items
}

export async function readConfigMap(kc: KubeConfig, namespace: string, name: string): Promise<V1ConfigMap> {
  const {CoreV1Api} = await import('@kubernetes/client-node')
  return kc.makeApiClient(CoreV1Api).readNamespacedConfigMap({name, namespace})
}
