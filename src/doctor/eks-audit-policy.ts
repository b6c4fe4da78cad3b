// The audit policy EKS runs its API servers with, which users cannot change (aws/containers-roadmap
// #566): the GCE policy of kubernetes/kubernetes cluster/gce/gci/configure-helper.sh. Kept here
// are the rules that can decide a write to a watched resource; those before them leave out or
// lower reads and writes of system components (kube-proxy, the kubelet, events, secrets and
// configmaps, endpoints, namespaces), which are no network policy resources.
import type {Policy, PolicyRule} from '../audit/policy/types.js'
import {GCE_KNOWN_API_GROUPS} from './gce-known-apis.js'

const rule = (over: Partial<PolicyRule> & Pick<PolicyRule, 'level'>): PolicyRule => ({
  users: [],
  userGroups: [],
  verbs: [],
  resources: [],
  namespaces: [],
  nonResourceURLs: [],
  omitStages: ['RequestReceived'],
  ...over,
})
const known = GCE_KNOWN_API_GROUPS.map((group) => ({group, resources: [], resourceNames: []}))

export const EKS_AUDIT_POLICY: Policy = {
  apiVersion: 'audit.k8s.io/v1',
  kind: 'Policy',
  omitStages: [],
  omitManagedFields: false,
  rules: [
    rule({
      level: 'Request',
      users: ['system:serviceaccount:kube-system:namespace-controller'],
      verbs: ['deletecollection'],
    }),
    // Default level for known APIs: reads at Request, everything else with its bodies.
    rule({level: 'Request', verbs: ['get', 'list', 'watch'], resources: known}),
    rule({level: 'RequestResponse', resources: known}),
    // Default level for all other requests: custom resources and aggregated APIs, Calico's included.
    rule({level: 'Metadata'}),
  ],
}
