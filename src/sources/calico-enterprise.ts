// Calico Enterprise's Elasticsearch, found through the cluster: the service the operator runs in
// `tigera-elasticsearch`, reached through a port-forward the API server makes (nothing else to run),
// its certificate checked against the operator's CA (ConfigMap `tigera-ca-bundle`), and the
// credentials from the environment or, when the user may read it, the operator's secret.
import type {CoreV1Api, KubeConfig, V1Pod, V1Service, V1ServicePort} from '@kubernetes/client-node'

import {apiErrorToUserError, refusalCodeOf} from '../cluster/api-errors.js'
import {abortable} from '../cluster/api-http.js'
import {serverOf} from '../cluster/kubeconfig.js'
import {openPortForward} from '../cluster/port-forward.js'
import {UserError} from '../errors.js'
import type {StoreEndpoint} from './elasticsearch-http.js'
import type {ElasticsearchOptions} from './elasticsearch.js'

export const CALICO_ES_NAMESPACE = 'tigera-elasticsearch'
/**
 * The services in front of Elasticsearch, preferred first: ECK's own (straight to the Elasticsearch
 * pods, where the `elastic` user is known), then the one the operator names, then es-gateway,
 * which may only take the credentials it issues.
 */
export const CALICO_ES_SERVICES = [
  'tigera-secure-es-internal-http',
  'tigera-secure-es-http',
  'tigera-secure-es-gateway-http',
]
const ES_PORT = 9200
/** ECK's superuser: the user `elastic`, its password under the key of the same name. */
const ELASTIC_USER_SECRET = 'tigera-secure-es-elastic-user'
const ELASTIC_USER = 'elastic'
const SECRET_NAMESPACES = [CALICO_ES_NAMESPACE, 'tigera-operator']
/** The operator's CA bundle, published to the namespaces of its components; the key changed across releases. */
const CA_CONFIGMAP = 'tigera-ca-bundle'
const CA_KEYS = ['tigera-ca-bundle.crt', 'ca.crt']
const CA_NAMESPACES = [CALICO_ES_NAMESPACE, 'calico-system']

/** Whether the cluster runs Calico Enterprise's log storage; false when it cannot be told (no permission). */
export async function hasCalicoLogStorage(kc: KubeConfig, signal?: AbortSignal): Promise<boolean> {
  try {
    return (await storeService(await coreApi(kc), signal)) !== undefined
  } catch {
    return false
  }
}

/** How to reach the store, with what is said about it; every refusal is one line naming the permission. */
export async function calicoEnterpriseEndpoint(
  kc: KubeConfig,
  options: ElasticsearchOptions,
  requestTimeoutMs: number,
  signal?: AbortSignal,
): Promise<StoreEndpoint> {
  const core = await coreApi(kc)
  const server = serverOf(kc)
  const ask = <T>(call: () => Promise<T>, verb: string, resource: string, namespace: string, purpose: string) =>
    abortable(call(), signal).catch((error: unknown) => {
      throw apiErrorToUserError(error, {verb, resource, namespace, purpose, server})
    })
  const service = await ask(
    () => storeService(core, signal),
    'list',
    'services',
    CALICO_ES_NAMESPACE,
    "find Calico Enterprise's Elasticsearch",
  )
  if (!service) {
    throw new UserError(
      `no Calico Enterprise Elasticsearch in the cluster: namespace ${CALICO_ES_NAMESPACE} has none of the services ${CALICO_ES_SERVICES.join(', ')}`,
      {
        hint: 'is LogStorage installed (kubectl get logstorage)? For a store reached directly, give --es URL',
      },
    )
  }
  const name = service.metadata!.name!
  const port = servicePort(service)
  const selector = Object.entries(service.spec?.selector ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
  if (!port || selector === '')
    throw new UserError(
      `service ${CALICO_ES_NAMESPACE}/${name} has no port ${ES_PORT} or no selector: it cannot be forwarded to`,
    )
  const pods = await ask(
    () => core.listNamespacedPod({namespace: CALICO_ES_NAMESPACE, labelSelector: selector}),
    'list',
    'pods',
    CALICO_ES_NAMESPACE,
    `find the pods behind service ${name}`,
  )
  const pod = pods.items.find(isReady)
  if (!pod)
    throw new UserError(`no ready pod behind service ${CALICO_ES_NAMESPACE}/${name} (${pods.items.length} found)`, {
      hint: `see them with: kubectl get pods -n ${CALICO_ES_NAMESPACE} -l ${selector}`,
    })
  const podName = pod.metadata!.name!
  const targetPort = podPort(pod, port)
  if (targetPort === undefined)
    throw new UserError(`pod ${CALICO_ES_NAMESPACE}/${podName} has no port named ${String(port.targetPort)}`)

  const ca = options.caFile !== undefined || options.insecure ? undefined : await operatorCa(core, ask)
  const {credentials, credentialsFrom} = options.credentials ? options : await elasticUser(core, signal, server)
  const where = {namespace: CALICO_ES_NAMESPACE, pod: podName, port: targetPort}
  return {
    url: `https://${name}.${CALICO_ES_NAMESPACE}.svc:${port.port}`,
    description: `Calico Enterprise's Elasticsearch (pod ${CALICO_ES_NAMESPACE}/${podName}, through a port-forward)`,
    credentials,
    credentialsFrom,
    ca,
    insecure: options.insecure,
    serverNames: CALICO_ES_SERVICES.flatMap((svc) => serviceNames(svc)),
    requestTimeoutMs,
    connect: (abort) =>
      openPortForward(kc, where, abort).catch((error: unknown) => {
        throw apiErrorToUserError(error, {
          verb: 'create',
          resource: 'pods/portforward',
          namespace: CALICO_ES_NAMESPACE,
          purpose: `reach Elasticsearch in pod ${podName}`,
          server,
        })
      }),
  }
}

async function coreApi(kc: KubeConfig): Promise<CoreV1Api> {
  const {CoreV1Api} = await import('@kubernetes/client-node')
  return kc.makeApiClient(CoreV1Api)
}

async function storeService(core: CoreV1Api, signal?: AbortSignal): Promise<V1Service | undefined> {
  const list = await abortable(core.listNamespacedService({namespace: CALICO_ES_NAMESPACE}), signal)
  for (const name of CALICO_ES_SERVICES) {
    const found = list.items.find((s) => s.metadata?.name === name)
    if (found) return found
  }
  return undefined
}

function servicePort(service: V1Service): V1ServicePort | undefined {
  const ports = service.spec?.ports ?? []
  return ports.find((p) => p.port === ES_PORT) ?? ports[0]
}

/** The container port a service port leads to: a number, or a port of the pod by name. */
function podPort(pod: V1Pod, port: V1ServicePort): number | undefined {
  const target = port.targetPort ?? port.port
  if (typeof target === 'number') return target
  if (/^\d+$/.test(target)) return Number(target)
  for (const container of pod.spec?.containers ?? []) {
    const found = container.ports?.find((p) => p.name === target)
    if (found) return found.containerPort
  }
  return undefined
}

function isReady(pod: V1Pod): boolean {
  return (
    pod.status?.phase === 'Running' &&
    (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  )
}

/** The names a certificate for a service may carry: short, namespaced, `.svc`, and with the cluster domain. */
function serviceNames(service: string): string[] {
  const namespaced = `${service}.${CALICO_ES_NAMESPACE}`
  return [service, namespaced, `${namespaced}.svc`, `${namespaced}.svc.cluster.local`]
}

type Ask = <T>(call: () => Promise<T>, verb: string, resource: string, namespace: string, purpose: string) => Promise<T>

/** The operator's CA, from the first namespace that has its bundle. */
async function operatorCa(core: CoreV1Api, ask: Ask): Promise<string> {
  for (const namespace of CA_NAMESPACES) {
    const configMap = await ask(
      () =>
        core.readNamespacedConfigMap({name: CA_CONFIGMAP, namespace}).catch((error: unknown) => {
          if (refusalCodeOf(error) === 404) return undefined
          throw error
        }),
      'get',
      `configmaps/${CA_CONFIGMAP}`,
      namespace,
      "check the certificate of Calico Enterprise's Elasticsearch",
    )
    const pem = CA_KEYS.map((key) => configMap?.data?.[key]).find(
      (v) => v !== undefined && v.includes('BEGIN CERTIFICATE'),
    )
    if (pem) return pem
  }
  throw new UserError(
    `the operator's CA (ConfigMap ${CA_CONFIGMAP}) is in none of the namespaces ${CA_NAMESPACES.join(', ')}`,
    {
      hint: "give the CA of Elasticsearch's certificate with --es-ca FILE (or, knowing the risk, --es-insecure-skip-tls-verify)",
    },
  )
}

/** ECK's `elastic` user, when the user of the kubeconfig may read its secret. */
async function elasticUser(
  core: CoreV1Api,
  signal: AbortSignal | undefined,
  server: string,
): Promise<Pick<StoreEndpoint, 'credentials' | 'credentialsFrom'>> {
  const refused: string[] = []
  for (const namespace of SECRET_NAMESPACES) {
    try {
      const secret = await abortable(core.readNamespacedSecret({name: ELASTIC_USER_SECRET, namespace}), signal)
      const encoded = secret.data?.[ELASTIC_USER]
      if (encoded)
        return {
          credentials: {
            kind: 'basic',
            username: ELASTIC_USER,
            password: Buffer.from(encoded, 'base64').toString('utf8'),
          },
          credentialsFrom: `secret ${namespace}/${ELASTIC_USER_SECRET}`,
        }
    } catch (error) {
      const code = refusalCodeOf(error)
      if (code === undefined)
        throw apiErrorToUserError(error, {
          verb: 'get',
          resource: `secrets/${ELASTIC_USER_SECRET}`,
          namespace,
          purpose: 'read the Elasticsearch credentials',
          server,
        })
      if (code !== 404) refused.push(`${namespace} (${code})`)
    }
  }
  throw new UserError(
    `no Elasticsearch credentials: ES_USERNAME and ES_PASSWORD (or ES_API_KEY) are not set, and secret ${ELASTIC_USER_SECRET} ${refused.length > 0 ? `could not be read in ${refused.join(', ')}` : `is in none of ${SECRET_NAMESPACES.join(', ')}`}`,
    {
      hint: `set ES_USERNAME and ES_PASSWORD (or ES_API_KEY) to a user of the store that may read the audit indices, or ask for: kubectl auth can-i get secrets/${ELASTIC_USER_SECRET} -n ${CALICO_ES_NAMESPACE}`,
    },
  )
}
