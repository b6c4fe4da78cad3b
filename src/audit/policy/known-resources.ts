// Built-in Kubernetes resources and where they live: to tell a rule that names a resource in the
// wrong group, to resolve `--resource deployments`, and to know which resources are namespaced.
import {WATCHED_RESOURCES} from '../catalog.js'

export interface KnownResource {
  readonly apiGroup: string
  readonly resource: string
  readonly namespaced: boolean
}

/** Every resource of the core group ("" / v1). This list has been stable for years. */
const CORE_NAMESPACED = [
  'bindings',
  'configmaps',
  'endpoints',
  'events',
  'limitranges',
  'persistentvolumeclaims',
  'pods',
  'podtemplates',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'serviceaccounts',
  'services',
]
const CORE_CLUSTER = ['componentstatuses', 'namespaces', 'nodes', 'persistentvolumes']

const NAMED_GROUPS: Record<string, {namespaced: string[]; cluster: string[]}> = {
  apps: {namespaced: ['controllerrevisions', 'daemonsets', 'deployments', 'replicasets', 'statefulsets'], cluster: []},
  batch: {namespaced: ['cronjobs', 'jobs'], cluster: []},
  autoscaling: {namespaced: ['horizontalpodautoscalers'], cluster: []},
  policy: {namespaced: ['poddisruptionbudgets'], cluster: []},
  'networking.k8s.io': {namespaced: ['ingresses'], cluster: ['ingressclasses', 'ipaddresses', 'servicecidrs']},
  'rbac.authorization.k8s.io': {
    namespaced: ['rolebindings', 'roles'],
    cluster: ['clusterrolebindings', 'clusterroles'],
  },
  'authentication.k8s.io': {namespaced: [], cluster: ['selfsubjectreviews', 'tokenreviews']},
  'authorization.k8s.io': {
    namespaced: ['localsubjectaccessreviews'],
    cluster: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'subjectaccessreviews'],
  },
  'coordination.k8s.io': {namespaced: ['leases'], cluster: []},
  'discovery.k8s.io': {namespaced: ['endpointslices'], cluster: []},
  'events.k8s.io': {namespaced: ['events'], cluster: []},
  'storage.k8s.io': {
    namespaced: ['csistoragecapacities'],
    cluster: ['csidrivers', 'csinodes', 'storageclasses', 'volumeattachments'],
  },
  'apiextensions.k8s.io': {namespaced: [], cluster: ['customresourcedefinitions']},
  'apiregistration.k8s.io': {namespaced: [], cluster: ['apiservices']},
  'admissionregistration.k8s.io': {
    namespaced: [],
    cluster: [
      'mutatingwebhookconfigurations',
      'validatingadmissionpolicies',
      'validatingadmissionpolicybindings',
      'validatingwebhookconfigurations',
    ],
  },
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

/**
 * Kubernetes' own short names, as its API registries declare them; kubectl learns them through
 * discovery, and so does `kubectl auth can-i`. Offline, this table stands in for discovery.
 */
const SHORT_NAMES: Readonly<Record<string, {apiGroup: string; resource: string}>> = {
  cm: {apiGroup: '', resource: 'configmaps'},
  cs: {apiGroup: '', resource: 'componentstatuses'},
  ep: {apiGroup: '', resource: 'endpoints'},
  ev: {apiGroup: '', resource: 'events'},
  limits: {apiGroup: '', resource: 'limitranges'},
  no: {apiGroup: '', resource: 'nodes'},
  ns: {apiGroup: '', resource: 'namespaces'},
  po: {apiGroup: '', resource: 'pods'},
  pv: {apiGroup: '', resource: 'persistentvolumes'},
  pvc: {apiGroup: '', resource: 'persistentvolumeclaims'},
  quota: {apiGroup: '', resource: 'resourcequotas'},
  rc: {apiGroup: '', resource: 'replicationcontrollers'},
  sa: {apiGroup: '', resource: 'serviceaccounts'},
  svc: {apiGroup: '', resource: 'services'},
  deploy: {apiGroup: 'apps', resource: 'deployments'},
  ds: {apiGroup: 'apps', resource: 'daemonsets'},
  rs: {apiGroup: 'apps', resource: 'replicasets'},
  sts: {apiGroup: 'apps', resource: 'statefulsets'},
  cj: {apiGroup: 'batch', resource: 'cronjobs'},
  hpa: {apiGroup: 'autoscaling', resource: 'horizontalpodautoscalers'},
  pdb: {apiGroup: 'policy', resource: 'poddisruptionbudgets'},
  ing: {apiGroup: 'networking.k8s.io', resource: 'ingresses'},
  netpol: {apiGroup: 'networking.k8s.io', resource: 'networkpolicies'},
  sc: {apiGroup: 'storage.k8s.io', resource: 'storageclasses'},
  csr: {apiGroup: 'certificates.k8s.io', resource: 'certificatesigningrequests'},
  pc: {apiGroup: 'scheduling.k8s.io', resource: 'priorityclasses'},
  crd: {apiGroup: 'apiextensions.k8s.io', resource: 'customresourcedefinitions'},
  crds: {apiGroup: 'apiextensions.k8s.io', resource: 'customresourcedefinitions'},
  anp: {apiGroup: 'policy.networking.k8s.io', resource: 'adminnetworkpolicies'},
  banp: {apiGroup: 'policy.networking.k8s.io', resource: 'baselineadminnetworkpolicies'},
}

/** The resource a Kubernetes short name stands for (`po`, `netpol`), if it is one. */
export function expandShortName(name: string): {apiGroup: string; resource: string} | undefined {
  return Object.hasOwn(SHORT_NAMES, name) ? SHORT_NAMES[name] : undefined
}

/** `networkpolicy` → `networkpolicies`: the plural a singular name stands for, when this table knows one. */
export function pluralOf(name: string): string {
  if (KNOWN_RESOURCES.some((r) => r.resource === name)) return name
  return KNOWN_RESOURCES.find((r) => singularOf(r.resource) === name)?.resource ?? name
}

function singularOf(plural: string): string {
  if (plural.endsWith('ies')) return `${plural.slice(0, -3)}y`
  if (/(ss|x|ch|sh)es$/.test(plural)) return plural.slice(0, -2)
  return plural.endsWith('s') ? plural.slice(0, -1) : plural
}

/** The groups that serve a resource of this plural name, as far as this table knows. */
export function groupsServing(resource: string): string[] {
  return [...new Set(KNOWN_RESOURCES.filter((r) => r.resource === resource).map((r) => r.apiGroup))]
}

export function findKnownResource(apiGroup: string, resource: string): KnownResource | undefined {
  return KNOWN_RESOURCES.find((r) => r.apiGroup === apiGroup && r.resource === resource)
}
