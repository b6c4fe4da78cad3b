// Built-in Kubernetes resources and where they live: to tell a rule that names a resource in the
// wrong group, to resolve `--resource deployments`, and to know which resources are namespaced.
import {WATCHED_RESOURCES} from '../catalog.js'

export interface KnownResource {
  readonly apiGroup: string
  readonly resource: string
  readonly namespaced: boolean
}

/** Every resource of the core group ("" / v1). This list has been stable for years. */
const CORE_NAMESPACED = ['bindings', 'configmaps', 'endpoints', 'events', 'limitranges', 'persistentvolumeclaims', 'pods', 'podtemplates', 'replicationcontrollers', 'resourcequotas', 'secrets', 'serviceaccounts', 'services']
const CORE_CLUSTER = ['componentstatuses', 'namespaces', 'nodes', 'persistentvolumes']

const NAMED_GROUPS: Record<string, {namespaced: string[]; cluster: string[]}> = {
  apps: {namespaced: ['controllerrevisions', 'daemonsets', 'deployments', 'replicasets', 'statefulsets'], cluster: []},
  batch: {namespaced: ['cronjobs', 'jobs'], cluster: []},
  autoscaling: {namespaced: ['horizontalpodautoscalers'], cluster: []},
  policy: {namespaced: ['poddisruptionbudgets'], cluster: []},
  'networking.k8s.io': {namespaced: ['ingresses'], cluster: ['ingressclasses', 'ipaddresses', 'servicecidrs']},
  'rbac.authorization.k8s.io': {namespaced: ['rolebindings', 'roles'], cluster: ['clusterrolebindings', 'clusterroles']},
  'authentication.k8s.io': {namespaced: [], cluster: ['selfsubjectreviews', 'tokenreviews']},
  'authorization.k8s.io': {namespaced: ['localsubjectaccessreviews'], cluster: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'subjectaccessreviews']},
  'coordination.k8s.io': {namespaced: ['leases'], cluster: []},
  'discovery.k8s.io': {namespaced: ['endpointslices'], cluster: []},
  'events.k8s.io': {namespaced: ['events'], cluster: []},
  'storage.k8s.io': {namespaced: ['csistoragecapacities'], cluster: ['csidrivers', 'csinodes', 'storageclasses', 'volumeattachments']},
  'apiextensions.k8s.io': {namespaced: [], cluster: ['customresourcedefinitions']},
  'apiregistration.k8s.io': {namespaced: [], cluster: ['apiservices']},
  'admissionregistration.k8s.io': {namespaced: [], cluster: ['mutatingwebhookconfigurations', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'validatingwebhookconfigurations']},
  'certificates.k8s.io': {namespaced: [], cluster: ['certificatesigningrequests']},
  'scheduling.k8s.io': {namespaced: [], cluster: ['priorityclasses']},
  'node.k8s.io': {namespaced: [], cluster: ['runtimeclasses']},
  'flowcontrol.apiserver.k8s.io': {namespaced: [], cluster: ['flowschemas', 'prioritylevelconfigurations']},
}

export const CORE_RESOURCES: readonly string[] = [...CORE_NAMESPACED, ...CORE_CLUSTER]

export const KNOWN_RESOURCES: readonly KnownResource[] = [
  ...CORE_NAMESPACED.map((resource) => ({apiGroup: '', resource, namespaced: true})),
  ...CORE_CLUSTER.map((resource) => ({apiGroup: '', resource, namespaced: false})),
  ...Object.entries(NAMED_GROUPS).flatMap(([apiGroup, {namespaced, cluster}]) => [
    ...namespaced.map((resource) => ({apiGroup, resource, namespaced: true})),
    ...cluster.map((resource) => ({apiGroup, resource, namespaced: false})),
  ]),
  ...WATCHED_RESOURCES.map(({apiGroup, resource, namespaced}) => ({apiGroup, resource, namespaced})),
]

/** The groups that serve a resource of this plural name, as far as this table knows. */
export function groupsServing(resource: string): string[] {
  return [...new Set(KNOWN_RESOURCES.filter((r) => r.resource === resource).map((r) => r.apiGroup))]
}

export function findKnownResource(apiGroup: string, resource: string): KnownResource | undefined {
  return KNOWN_RESOURCES.find((r) => r.apiGroup === apiGroup && r.resource === resource)
}
