// The imaginary cluster the synthetic logs come from: a kubeadm control plane with three workers,
// Calico installed by the tigera-operator with its aggregated API server, a few people and
// controllers. Everything derives from one seed so the logs are reproducible.

import type {Actor, UserInfo} from './audit-event.js'
import {SeededRandom} from './random.js'

export const KUBERNETES_VERSION = 'v1.34.2'
const KUBERNETES_COMMIT = '8cc511e'
export const CALICO_APISERVER_USER = 'system:serviceaccount:calico-apiserver:calico-apiserver'

export interface Node {
  readonly name: string
  readonly ip: string
  readonly kubelet: Actor
  /** Pod CIDR block owned by the node, as calico-ipam names its IPAM block. */
  readonly ipamBlock: string
}

export interface Cluster {
  readonly nodes: readonly Node[]
  readonly controlPlaneIP: string
  readonly namespaces: readonly string[]
  readonly people: Readonly<Record<'admin' | 'alice' | 'bob' | 'carol' | 'dave' | 'eve', Actor>>
  readonly controllers: Readonly<Record<ControllerName, Actor>>
  /** Kubernetes-style uid generator bound to the cluster's seed. */
  uid(): string
}

export type ControllerName =
  | 'kubeControllerManager'
  | 'kubeScheduler'
  | 'namespaceController'
  | 'endpointSliceController'
  | 'replicaSetController'
  | 'calicoApiserver'
  | 'calicoNode'
  | 'calicoTypha'
  | 'calicoKubeControllers'
  | 'calicoCni'
  | 'tigeraOperator'
  | 'coredns'
  | 'kubeProxy'
  | 'argocd'

function kubeComponentAgent(component: string, suffix = ''): string {
  return `${component}/${KUBERNETES_VERSION} (linux/amd64) kubernetes/${KUBERNETES_COMMIT}${suffix}`
}

export function createCluster(seed: number): Cluster {
  const rng = new SeededRandom(seed)
  const controlPlaneIP = '10.0.0.10'
  const nodes: Node[] = ['cp-1', 'worker-1', 'worker-2', 'worker-3'].map((name, i) => ({
    name,
    ip: `10.0.0.${10 + i}`,
    ipamBlock: `192-168-${[12, 45, 101, 230][i]}-0-26`,
    kubelet: {
      user: {
        username: `system:node:${name}`,
        groups: ['system:nodes', 'system:authenticated'],
      },
      sourceIPs: [`10.0.0.${10 + i}`],
      userAgent: kubeComponentAgent('kubelet'),
      allowedBy: '',
    },
  }))

  const serviceAccount = (namespace: string, name: string, podName: string, node: Node, userAgent: string, clusterRole: string): Actor => ({
    user: {
      username: `system:serviceaccount:${namespace}:${name}`,
      uid: rng.uuid(),
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
      extra: {
        'authentication.kubernetes.io/node-name': [node.name],
        'authentication.kubernetes.io/pod-name': [podName],
        'authentication.kubernetes.io/pod-uid': [rng.uuid()],
      },
    },
    sourceIPs: [`192.168.${rng.int(1, 250)}.${rng.int(2, 250)}`],
    userAgent,
    allowedBy: `RBAC: allowed by ClusterRoleBinding "${clusterRole}" of ClusterRole "${clusterRole}" to ServiceAccount "${name}/${namespace}"`,
  })

  const controlPlaneUser = (username: string, userAgent: string, clusterRole: string): Actor => ({
    user: {username, groups: ['system:authenticated']},
    sourceIPs: [controlPlaneIP],
    userAgent,
    allowedBy: `RBAC: allowed by ClusterRoleBinding "${clusterRole}" of ClusterRole "${clusterRole}" to User "${username}"`,
  })

  const controllerSA = (name: string): Actor => ({
    user: {username: `system:serviceaccount:kube-system:${name}`, uid: rng.uuid(), groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated']},
    sourceIPs: [controlPlaneIP],
    userAgent: kubeComponentAgent('kube-controller-manager', `/system:serviceaccount:kube-system:${name}`),
    allowedBy: `RBAC: allowed by ClusterRoleBinding "system:controller:${name}" of ClusterRole "system:controller:${name}" to ServiceAccount "${name}/kube-system"`,
  })

  const person = (username: string, groups: string[], ip: string, userAgent: string, binding: string): Actor => ({
    user: {username, groups: [...groups, 'system:authenticated']},
    sourceIPs: [ip],
    userAgent,
    allowedBy: `RBAC: allowed by ${binding}`,
  })
  const kubectl = 'kubectl/v1.34.1 (linux/amd64) kubernetes/93248f9'
  const kubectlMac = 'kubectl/v1.34.1 (darwin/arm64) kubernetes/93248f9'

  const [cp, w1, w2, w3] = nodes as [Node, Node, Node, Node]
  return {
    nodes,
    controlPlaneIP,
    namespaces: ['default', 'shop', 'payments', 'monitoring', 'sandbox', 'kube-system', 'calico-system'],
    people: {
      admin: person('kubernetes-admin', ['kubeadm:cluster-admins'], '10.0.0.10', kubectl, 'ClusterRoleBinding "kubeadm:cluster-admins" of ClusterRole "cluster-admin" to Group "kubeadm:cluster-admins"'),
      alice: person('alice', ['netops'], '10.20.4.17', kubectlMac, 'ClusterRoleBinding "netops" of ClusterRole "calico-network-admin" to Group "netops"'),
      bob: person('bob', ['dev-shop'], '10.20.7.42', kubectl, 'RoleBinding "shop-devs/shop" of ClusterRole "edit" to Group "dev-shop"'),
      carol: person('carol', ['secops'], '10.20.4.23', kubectl, 'ClusterRoleBinding "secops" of ClusterRole "security-admin" to Group "secops"'),
      dave: person('dave', ['sre'], '10.20.9.8', 'calicoctl/v0.0.0 (linux/amd64) kubernetes/$Format', 'ClusterRoleBinding "sre" of ClusterRole "cluster-admin" to Group "sre"'),
      eve: person('eve', ['dev-payments'], '10.20.7.61', kubectlMac, 'RoleBinding "payments-devs/payments" of ClusterRole "edit" to Group "dev-payments"'),
    },
    controllers: {
      kubeControllerManager: controlPlaneUser('system:kube-controller-manager', kubeComponentAgent('kube-controller-manager', '/leader-election'), 'system:kube-controller-manager'),
      kubeScheduler: controlPlaneUser('system:kube-scheduler', kubeComponentAgent('kube-scheduler', '/leader-election'), 'system:kube-scheduler'),
      namespaceController: controllerSA('namespace-controller'),
      endpointSliceController: controllerSA('endpointslice-controller'),
      replicaSetController: controllerSA('replicaset-controller'),
      calicoApiserver: serviceAccount('calico-apiserver', 'calico-apiserver', 'calico-apiserver-6b9f7c8d4-r7x2k', w1, 'apiserver/v0.0.0 (linux/amd64) kubernetes/$Format', 'calico-extension-apiserver'),
      calicoNode: serviceAccount('calico-system', 'calico-node', 'calico-node-8kz4t', w2, 'calico-node/v0.0.0 (linux/amd64) kubernetes/$Format', 'calico-node'),
      calicoTypha: serviceAccount('calico-system', 'calico-typha', 'calico-typha-5d8c9b7f6-m4q8w', w3, 'calico-typha/v0.0.0 (linux/amd64) kubernetes/$Format', 'calico-typha'),
      calicoKubeControllers: serviceAccount('calico-system', 'calico-kube-controllers', 'calico-kube-controllers-7f5d8c6b9-h2n5p', w1, 'kube-controllers/v0.0.0 (linux/amd64) kubernetes/$Format', 'calico-kube-controllers'),
      calicoCni: serviceAccount('calico-system', 'calico-cni-plugin', 'calico-node-x9d2m', w2, 'calico/v0.0.0 (linux/amd64) kubernetes/$Format', 'calico-cni-plugin'),
      tigeraOperator: serviceAccount('tigera-operator', 'tigera-operator', 'tigera-operator-84d7b5c9f6-t6v3j', cp, 'operator/v0.0.0 (linux/amd64) kubernetes/$Format', 'tigera-operator'),
      coredns: serviceAccount('kube-system', 'coredns', 'coredns-66bc5c9577-q9l7d', w3, 'coredns/v1.12.1 (linux/amd64) kubernetes/$Format', 'system:coredns'),
      kubeProxy: serviceAccount('kube-system', 'kube-proxy', 'kube-proxy-b5x8c', w1, kubeComponentAgent('kube-proxy'), 'system:node-proxier'),
      argocd: serviceAccount('argocd', 'argocd-application-controller', 'argocd-application-controller-0', w2, 'argocd-application-controller/v2.14.3 (linux/amd64) kubernetes/$Format', 'argocd-application-controller'),
    },
    uid: () => rng.uuid(),
  }
}

/** UserInfo of a person, for impersonation (`kubectl --as`). */
export function impersonated(actor: Actor): UserInfo {
  return {username: actor.user.username, groups: [...actor.user.groups]}
}
