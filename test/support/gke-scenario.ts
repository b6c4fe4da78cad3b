// One morning of a GKE cluster's Admin Activity log, as the tests and README examples use it:
// Kubernetes and Calico policy writes (one denied, one through Calico's aggregated API with the
// Calico API server's backing write) among the noise of other writes.
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {stringify} from 'yaml'

import {gkeEntry, networkPolicyBody} from './gke-entries.js'

export const GKE_PROJECT = 'shop-prod'
export const GKE_LOCATION = 'europe-west1'
export const GKE_CLUSTER = 'prod'

const at = (clock: string) => `2026-11-24T${clock}Z`

export function gkeMorning(): Array<Record<string, unknown>> {
  return [
    gkeEntry({
      id: 'e0a1c0de-0000-4000-8000-000000000001',
      time: at('09:58:02.114207'),
      method: 'io.k8s.core.v1.pods.create',
      resourceName: 'core/v1/namespaces/shop/pods/web-7d9c-x2v4q',
      principal: 'system:serviceaccount:kube-system:replicaset-controller',
      request: {'@type': 'core.k8s.io/v1.Pod', kind: 'Pod'},
    }),
    gkeEntry({
      id: 'e0a1c0de-0000-4000-8000-000000000002',
      time: at('10:02:11.503311'),
      method: 'io.k8s.networking.v1.networkpolicies.create',
      resourceName: 'networking.k8s.io/v1/namespaces/shop/networkpolicies/web-allow-frontend',
      principal: 'alice@example.com',
      request: networkPolicyBody('web-allow-frontend'),
      response: networkPolicyBody('web-allow-frontend'),
    }),
    gkeEntry({
      id: 'e0a1c0de-0000-4000-8000-000000000003',
      time: at('10:07:45.020871'),
      method: 'io.k8s.networking.v1.networkpolicies.patch',
      resourceName: 'networking.k8s.io/v1/namespaces/shop/networkpolicies/web-allow-frontend',
      principal: 'bob@example.com',
      status: 7,
      statusMessage: 'networkpolicies.networking.k8s.io "web-allow-frontend" is forbidden',
    }),
    gkeEntry({
      id: 'e0a1c0de-0000-4000-8000-000000000004',
      time: at('10:12:30.781004'),
      method: 'org.projectcalico.v3.globalnetworkpolicies.patch',
      resourceName: 'projectcalico.org/v3/globalnetworkpolicies/security.deny-egress',
      principal: 'carol@example.com',
      userAgent: 'calicoctl/v3.29.1',
    }),
    gkeEntry({
      id: 'e0a1c0de-0000-4000-8000-000000000005',
      time: at('10:12:30.912548'),
      method: 'org.projectcalico.crd.v1.globalnetworkpolicies.update',
      resourceName: 'crd.projectcalico.org/v1/globalnetworkpolicies/security.deny-egress',
      principal: 'system:serviceaccount:calico-apiserver:calico-apiserver',
      userAgent: 'calico-apiserver/v3.29.1',
      callerIp: '10.8.0.12',
    }),
    gkeEntry({
      id: 'e0a1c0de-0000-4000-8000-000000000006',
      time: at('10:20:05.330270'),
      method: 'io.k8s.coordination.v1.leases.update',
      resourceName: 'coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler',
      principal: 'system:kube-scheduler',
    }),
    gkeEntry({
      id: 'e0a1c0de-0000-4000-8000-000000000007',
      time: at('10:31:58.004412'),
      method: 'org.projectcalico.v3.tiers.delete',
      resourceName: 'projectcalico.org/v3/tiers/sandbox',
      principal: 'dave@example.com',
      userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/abcdef',
    }),
    gkeEntry({
      id: 'e0a1c0de-0000-4000-8000-000000000008',
      time: at('10:31:58.150933'),
      method: 'org.projectcalico.crd.v1.tiers.delete',
      resourceName: 'crd.projectcalico.org/v1/tiers/sandbox',
      principal: 'system:serviceaccount:calico-apiserver:calico-apiserver',
      userAgent: 'calico-apiserver/v3.29.1',
      callerIp: '10.8.0.12',
    }),
  ]
}

/** The policy writes of the morning, as `policies -o json` lists them: [auditID suffix, user, verb, kind, name, code]. */
export const GKE_MORNING_CHANGES: ReadonlyArray<[string, string, string, string, string, number]> = [
  ['0002', 'alice@example.com', 'create', 'NetworkPolicy', 'web-allow-frontend', 200],
  ['0003', 'bob@example.com', 'patch', 'NetworkPolicy', 'web-allow-frontend', 403],
  ['0004', 'carol@example.com', 'patch', 'GlobalNetworkPolicy', 'security.deny-egress', 200],
  ['0007', 'dave@example.com', 'delete', 'Tier', 'sandbox', 200],
]

/** A kubeconfig as `gcloud container clusters get-credentials` writes it (the server is never contacted). */
export function writeGkeKubeconfig(
  dir: string,
  context: string,
  user: Record<string, unknown> = {
    exec: {
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      command: 'gke-gcloud-auth-plugin',
      provideClusterInfo: true,
    },
  },
): string {
  const path = join(dir, `${context.replace(/[^\w-]/g, '_')}.kubeconfig`)
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{name: context, cluster: {server: 'https://192.0.2.10'}}],
      users: [{name: context, user}],
      contexts: [{name: context, context: {cluster: context, user: context}}],
      'current-context': context,
    }),
  )
  return path
}

/** The environment of a run that gets its Google token from `fake`'s metadata server and reads its entries:list, with nothing of this machine's own Google login. */
export function fakeGoogleEnv(home: string, fake: {url: string; metadataHost: string}): NodeJS.ProcessEnv {
  return {
    HOME: home,
    CLOUDSDK_CONFIG: join(home, 'gcloud'),
    GOOGLE_APPLICATION_CREDENTIALS: '',
    GCE_METADATA_HOST: fake.metadataHost,
    KUBECTL_AUDIT_CLOUD_LOGGING_URL: fake.url,
  }
}
