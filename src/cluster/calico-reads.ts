// How Calico is served, as doctor reads it from the API: the APIServices of every served group
// (aggregated or local) and the ConfigMap that holds Calico Enterprise's audit policy. The client
// (@kubernetes/client-node) stays inside src/cluster and loads on the first call.
import type {KubeConfig, V1APIService, V1ConfigMap} from '@kubernetes/client-node'

export async function listApiServices(kc: KubeConfig): Promise<V1APIService[]> {
  const {ApiregistrationV1Api} = await import('@kubernetes/client-node')
  return (await kc.makeApiClient(ApiregistrationV1Api).listAPIService()).items
}

export async function readConfigMap(kc: KubeConfig, namespace: string, name: string): Promise<V1ConfigMap> {
  const {CoreV1Api} = await import('@kubernetes/client-node')
  return kc.makeApiClient(CoreV1Api).readNamespacedConfigMap({name, namespace})
}
