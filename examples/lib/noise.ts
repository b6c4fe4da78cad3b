// The background traffic that makes up almost all of a real audit log: leases, node and pod
// status, gets, lists and watches, Calico's own datastore traffic. Nothing here is a policy
// change, but some of it deliberately looks like one to a careless filter: watches and lists of
// network policies, Calico IPAM writes in crd.projectcalico.org, an RBAC update whose body lists
// network-policy resources and write verbs.

import type {Actor, ApiRequest, ObjectRef} from './audit-event.js'
import type {GenerationContext} from './context.js'

type NoiseBuilder = (ctx: GenerationContext, at: number) => ApiRequest[]

function request(ctx: GenerationContext, actor: Actor, verb: string, requestURI: string, objectRef: ObjectRef | undefined, at: number, code = 200): ApiRequest {
  return {
    auditID: ctx.auditID(),
    actor,
    verb,
    requestURI,
    objectRef,
    level: 'Metadata',
    receivedAt: at,
    completedAt: at + ctx.rng.int(900, 9000),
    code,
    stages: ['ResponseComplete'],
  }
}

function watch(ctx: GenerationContext, actor: Actor, path: string, objectRef: ObjectRef, at: number, extraQuery = ''): ApiRequest {
  const seconds = ctx.rng.int(300, 599)
  const uri = `${path}?allowWatchBookmarks=true${extraQuery}&resourceVersion=${ctx.nextRevision()}&timeout=${Math.floor(seconds / 60)}m${seconds % 60}s&timeoutSeconds=${seconds}&watch=true`
  return {...request(ctx, actor, 'watch', uri, objectRef, at), completedAt: at + seconds * 1_000_000 + ctx.rng.int(100, 900), stages: ['ResponseStarted', 'ResponseComplete']}
}

const kubeletLease: NoiseBuilder = (ctx, at) => {
  const node = ctx.rng.pick(ctx.cluster.nodes)
  return [request(ctx, node.kubelet, 'update', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node.name}?timeout=10s`,
    {resource: 'leases', namespace: 'kube-node-lease', name: node.name, uid: ctx.cluster.uid(), apiGroup: 'coordination.k8s.io', apiVersion: 'v1', resourceVersion: ctx.nextRevision()}, at)]
}

const leaderElection: NoiseBuilder = (ctx, at) => {
  const [actor, lease] = ctx.rng.pick([
    [ctx.cluster.controllers.kubeControllerManager, 'kube-controller-manager'],
    [ctx.cluster.controllers.kubeScheduler, 'kube-scheduler'],
  ] as const)
  const path = `/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/${lease}?timeout=5s`
  const ref = {resource: 'leases', namespace: 'kube-system', name: lease, apiGroup: 'coordination.k8s.io', apiVersion: 'v1'}
  return [
    request(ctx, actor, 'get', path, ref, at),
    request(ctx, actor, 'update', path, {...ref, uid: ctx.cluster.uid(), resourceVersion: ctx.nextRevision()}, at + 4_000),
  ]
}

const nodeStatus: NoiseBuilder = (ctx, at) => {
  const node = ctx.rng.pick(ctx.cluster.nodes)
  return [request(ctx, node.kubelet, 'patch', `/api/v1/nodes/${node.name}/status?timeout=10s`, {resource: 'nodes', name: node.name, apiVersion: 'v1', subresource: 'status'}, at)]
}

const podGet: NoiseBuilder = (ctx, at) => {
  const pod = ctx.rng.pick(ctx.pods)
  return [request(ctx, pod.node.kubelet, 'get', `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}`, {resource: 'pods', namespace: pod.namespace, name: pod.name, apiVersion: 'v1'}, at)]
}

const podStatus: NoiseBuilder = (ctx, at) => {
  const pod = ctx.rng.pick(ctx.pods)
  return [request(ctx, pod.node.kubelet, 'patch', `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}/status`,
    {resource: 'pods', namespace: pod.namespace, name: pod.name, apiVersion: 'v1', subresource: 'status'}, at)]
}

const configMapGet: NoiseBuilder = (ctx, at) => {
  const [actor, namespace, name] = ctx.rng.pick([
    [ctx.cluster.controllers.tigeraOperator, 'calico-system', 'cni-config'],
    [ctx.cluster.controllers.tigeraOperator, 'tigera-operator', 'active-operator'],
    [ctx.cluster.controllers.tigeraOperator, 'calico-system', 'typha-ca'],
    [ctx.cluster.controllers.kubeProxy, 'kube-system', 'kube-proxy'],
    [ctx.cluster.controllers.coredns, 'kube-system', 'coredns'],
    [ctx.cluster.controllers.calicoKubeControllers, 'calico-system', 'calico-kube-controllers-metrics'],
  ] as const)
  return [request(ctx, actor, 'get', `/api/v1/namespaces/${namespace}/configmaps/${name}`, {resource: 'configmaps', namespace, name, apiVersion: 'v1'}, at)]
}

const secretGet: NoiseBuilder = (ctx, at) => {
  const [namespace, name] = ctx.rng.pick([['calico-system', 'node-certs'], ['calico-system', 'typha-certs'], ['calico-apiserver', 'calico-apiserver-certs'], ['tigera-operator', 'tigera-ca-private']] as const)
  return [request(ctx, ctx.cluster.controllers.tigeraOperator, 'get', `/api/v1/namespaces/${namespace}/secrets/${name}`, {resource: 'secrets', namespace, name, apiVersion: 'v1'}, at)]
}

const list: NoiseBuilder = (ctx, at) => {
  const node = ctx.rng.pick(ctx.cluster.nodes)
  const namespace = ctx.rng.pick(ctx.cluster.namespaces)
  return [ctx.rng.pick([
    () => request(ctx, node.kubelet, 'list', `/api/v1/pods?fieldSelector=spec.nodeName%3D${node.name}&limit=500&resourceVersion=0`, {resource: 'pods', apiVersion: 'v1'}, at),
    () => request(ctx, ctx.cluster.controllers.replicaSetController, 'list', `/apis/apps/v1/namespaces/${namespace}/replicasets?limit=500&resourceVersion=0`, {resource: 'replicasets', namespace, apiGroup: 'apps', apiVersion: 'v1'}, at),
    () => request(ctx, ctx.cluster.controllers.tigeraOperator, 'list', `/api/v1/namespaces/calico-system/pods?labelSelector=k8s-app%3Dcalico-node&limit=500`, {resource: 'pods', namespace: 'calico-system', apiVersion: 'v1'}, at),
    () => request(ctx, ctx.cluster.people.bob, 'list', `/api/v1/namespaces/shop/pods?limit=500`, {resource: 'pods', namespace: 'shop', apiVersion: 'v1'}, at),
  ])()]
}

const coreWatch: NoiseBuilder = (ctx, at) => {
  const pod = ctx.rng.pick(ctx.pods)
  return [ctx.rng.pick([
    () => watch(ctx, pod.node.kubelet, `/api/v1/namespaces/${pod.namespace}/configmaps`, {resource: 'configmaps', namespace: pod.namespace, apiVersion: 'v1'}, at, '&fieldSelector=metadata.name%3Dkube-root-ca.crt'),
    () => watch(ctx, pod.node.kubelet, `/api/v1/services`, {resource: 'services', apiVersion: 'v1'}, at),
    () => watch(ctx, ctx.cluster.controllers.kubeProxy, `/apis/discovery.k8s.io/v1/endpointslices`, {resource: 'endpointslices', apiGroup: 'discovery.k8s.io', apiVersion: 'v1'}, at, '&labelSelector=%21service.kubernetes.io%2Fheadless%2C%21service.kubernetes.io%2Fservice-proxy-name'),
    () => watch(ctx, ctx.cluster.controllers.coredns, `/api/v1/namespaces`, {resource: 'namespaces', apiVersion: 'v1'}, at),
  ])()]
}

const CALICO_WATCHED = ['globalnetworkpolicies', 'networkpolicies', 'tiers', 'globalnetworksets', 'networksets', 'hostendpoints', 'stagednetworkpolicies', 'stagedglobalnetworkpolicies', 'stagedkubernetesnetworkpolicies'] as const

/** Typha and kube-controllers watch every policy resource: lines that name them but change nothing. */
const calicoPolicyWatch: NoiseBuilder = (ctx, at) => {
  if (ctx.rng.chance(0.2)) {
    return [watch(ctx, ctx.cluster.controllers.calicoKubeControllers, '/apis/networking.k8s.io/v1/networkpolicies', {resource: 'networkpolicies', apiGroup: 'networking.k8s.io', apiVersion: 'v1'}, at)]
  }
  const resource = ctx.rng.pick(CALICO_WATCHED)
  return [watch(ctx, ctx.cluster.controllers.calicoTypha, `/apis/crd.projectcalico.org/v1/${resource}`, {resource, apiGroup: 'crd.projectcalico.org', apiVersion: 'v1'}, at, '&resourceVersionMatch=NotOlderThan')]
}

const calicoPolicyList: NoiseBuilder = (ctx, at) => {
  const resource = ctx.rng.pick(CALICO_WATCHED)
  return [request(ctx, ctx.cluster.controllers.calicoKubeControllers, 'list', `/apis/crd.projectcalico.org/v1/${resource}?limit=500`, {resource, apiGroup: 'crd.projectcalico.org', apiVersion: 'v1'}, at)]
}

/** calico-ipam assigning pod addresses: writes to crd.projectcalico.org, none of them policy. */
const calicoIpam: NoiseBuilder = (ctx, at) => {
  const node = ctx.rng.pick(ctx.cluster.nodes)
  const cni = ctx.cluster.controllers.calicoCni
  const blockPath = `/apis/crd.projectcalico.org/v1/ipamblocks/${node.ipamBlock}`
  const block = {resource: 'ipamblocks', name: node.ipamBlock, apiGroup: 'crd.projectcalico.org', apiVersion: 'v1'}
  const handle = `k8s-pod-network.${ctx.rng.hex(64)}`
  return [
    request(ctx, cni, 'create', '/apis/crd.projectcalico.org/v1/ipamhandles', {resource: 'ipamhandles', name: handle, apiGroup: 'crd.projectcalico.org', apiVersion: 'v1'}, at, 201),
    request(ctx, cni, 'get', blockPath, block, at + 6_000),
    request(ctx, cni, 'update', blockPath, {...block, uid: ctx.cluster.uid(), resourceVersion: ctx.nextRevision()}, at + 11_000),
  ]
}

const eventCreate: NoiseBuilder = (ctx, at) => {
  const pod = ctx.rng.pick(ctx.pods)
  const name = `${pod.name}.${ctx.rng.hex(16)}`
  return [request(ctx, pod.node.kubelet, 'create', `/api/v1/namespaces/${pod.namespace}/events`, {resource: 'events', namespace: pod.namespace, name, apiVersion: 'v1'}, at, 201)]
}

const podChurn: NoiseBuilder = (ctx, at) => {
  const pod = ctx.rng.pick(ctx.pods)
  const fresh = `${pod.name.slice(0, -5)}${ctx.rng.hex(5)}`
  return [
    request(ctx, ctx.cluster.controllers.replicaSetController, 'create', `/api/v1/namespaces/${pod.namespace}/pods`, {resource: 'pods', namespace: pod.namespace, name: fresh, apiVersion: 'v1'}, at, 201),
    request(ctx, ctx.cluster.controllers.kubeScheduler, 'create', `/api/v1/namespaces/${pod.namespace}/pods/${fresh}/binding`,
      {resource: 'pods', namespace: pod.namespace, name: fresh, apiVersion: 'v1', subresource: 'binding'}, at + 21_000, 201),
  ]
}

const endpointSliceUpdate: NoiseBuilder = (ctx, at) => {
  const pod = ctx.rng.pick(ctx.pods)
  const name = `${pod.name.split('-')[0]}-${ctx.rng.hex(5)}`
  return [request(ctx, ctx.cluster.controllers.endpointSliceController, 'update', `/apis/discovery.k8s.io/v1/namespaces/${pod.namespace}/endpointslices/${name}`,
    {resource: 'endpointslices', namespace: pod.namespace, name, uid: ctx.cluster.uid(), apiGroup: 'discovery.k8s.io', apiVersion: 'v1', resourceVersion: ctx.nextRevision()}, at)]
}

/** People looking at policies: reads of watched resources, through both APIs. */
const policyReads: NoiseBuilder = (ctx, at) => {
  const {alice, carol, bob} = ctx.cluster.people
  const namespace = ctx.rng.pick(['shop', 'payments', 'monitoring'])
  if (ctx.rng.chance(0.5)) {
    return [request(ctx, ctx.rng.pick([bob, carol]), 'list', `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies?limit=500`,
      {resource: 'networkpolicies', namespace, apiGroup: 'networking.k8s.io', apiVersion: 'v1'}, at)]
  }
  const apiserver = ctx.cluster.controllers.calicoApiserver
  return [
    request(ctx, ctx.rng.pick([alice, carol]), 'list', '/apis/projectcalico.org/v3/globalnetworkpolicies?limit=500', {resource: 'globalnetworkpolicies', apiGroup: 'projectcalico.org', apiVersion: 'v3'}, at),
    request(ctx, apiserver, 'create', '/apis/authorization.k8s.io/v1/subjectaccessreviews?timeout=10s', {resource: 'subjectaccessreviews', apiGroup: 'authorization.k8s.io', apiVersion: 'v1'}, at + 2_000, 201),
    request(ctx, apiserver, 'list', '/apis/crd.projectcalico.org/v1/globalnetworkpolicies', {resource: 'globalnetworkpolicies', apiGroup: 'crd.projectcalico.org', apiVersion: 'v1'}, at + 5_000),
  ]
}

/** The operator reconciling a ClusterRole: a write whose body names policy resources and write verbs. */
const rbacReconcile: NoiseBuilder = (ctx, at) => {
  const name = 'calico-kube-controllers'
  const role = {
    kind: 'ClusterRole',
    apiVersion: 'rbac.authorization.k8s.io/v1',
    metadata: {name, uid: ctx.cluster.uid(), resourceVersion: ctx.nextRevision()},
    rules: [
      {verbs: ['watch', 'list', 'get'], apiGroups: ['networking.k8s.io'], resources: ['networkpolicies']},
      {verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'], apiGroups: ['crd.projectcalico.org'], resources: ['globalnetworkpolicies', 'networkpolicies', 'tiers', 'hostendpoints', 'ipamblocks']},
    ],
  }
  return [{
    ...request(ctx, ctx.cluster.controllers.tigeraOperator, 'update', `/apis/rbac.authorization.k8s.io/v1/clusterroles/${name}`,
      {resource: 'clusterroles', name, uid: role.metadata.uid, apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1', resourceVersion: role.metadata.resourceVersion}, at),
    level: 'RequestResponse',
    requestObject: role,
    responseObject: role,
  }]
}

const NOISE: readonly (readonly [NoiseBuilder, number])[] = [
  [kubeletLease, 40],
  [leaderElection, 6],
  [nodeStatus, 4],
  [podGet, 10],
  [podStatus, 4],
  [configMapGet, 4],
  [secretGet, 1],
  [list, 6],
  [coreWatch, 6],
  [calicoPolicyWatch, 3],
  [calicoPolicyList, 1],
  [calicoIpam, 2],
  [eventCreate, 8],
  [podChurn, 2],
  [endpointSliceUpdate, 2],
  [policyReads, 1],
  [rbacReconcile, 0.05],
]

/** One burst of background traffic starting at `at` (microseconds). */
export function noiseRequests(ctx: GenerationContext, at: number): ApiRequest[] {
  return ctx.rng.weighted(NOISE)(ctx, at)
}
