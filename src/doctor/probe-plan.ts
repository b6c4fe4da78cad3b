// Which dry-run creates the probe sends, and the object each one carries: the kinds asked for (by
// default a Kubernetes NetworkPolicy and, where Calico's API is served, a GlobalNetworkPolicy and
// a NetworkPolicy), each through the API group that serves it. Pure.
import {CALICO_CRD_GROUP, CALICO_GROUP} from '../audit/catalog.js'
import type {CalicoFacts} from './facts.js'
import type {ProbeTarget} from './probe-facts.js'

export type {ProbeTarget} from './probe-facts.js'

/** A kind the probe is asked to write, as --probe-kind names it. */
export interface ProbeKind {
  readonly kind: string
  /** Plural, as in the URL. */
  readonly resource: string
  readonly namespaced: boolean
  /** The group to write through; null for a Calico kind: whichever of Calico's groups is served. */
  readonly apiGroup: string | null
}

export const KUBERNETES_NETWORK_POLICY: ProbeKind = {
  kind: 'NetworkPolicy',
  resource: 'networkpolicies',
  namespaced: true,
  apiGroup: 'networking.k8s.io',
}
export const DEFAULT_CALICO_KINDS: readonly ProbeKind[] = [
  {kind: 'GlobalNetworkPolicy', resource: 'globalnetworkpolicies', namespaced: false, apiGroup: null},
  {kind: 'NetworkPolicy', resource: 'networkpolicies', namespaced: true, apiGroup: null},
]

/** The version each group is written at. */
const VERSIONS: Readonly<Record<string, string>> = {
  'networking.k8s.io': 'v1',
  [CALICO_GROUP]: 'v3',
  [CALICO_CRD_GROUP]: 'v1',
}

export interface ProbePlan {
  readonly targets: readonly ProbeTarget[]
  /** What was left out, and why. */
  readonly notes: readonly string[]
}

/** `kinds`: those --probe-kind names; null for the default. */
export function planProbes(kinds: readonly ProbeKind[] | null, calico: CalicoFacts | undefined): ProbePlan {
  const notes: string[] = []
  let asked = kinds
  if (asked === null) {
    asked = [KUBERNETES_NETWORK_POLICY]
    const served = calicoServed(calico)
    if (served === 'unknown') {
      notes.push(
        "Calico kinds not probed: whether Calico's API is served is not known (apiservices could not be listed); name them with --probe-kind gnp,np",
      )
    } else if (served) asked = [...asked, ...DEFAULT_CALICO_KINDS]
  }
  const targets: ProbeTarget[] = []
  const add = (kind: ProbeKind, apiGroup: string, purpose: ProbeTarget['purpose']) => {
    if (targets.some((t) => t.apiGroup === apiGroup && t.resource === kind.resource)) return
    targets.push({
      apiGroup,
      version: VERSIONS[apiGroup] ?? 'v1',
      resource: kind.resource,
      kind: kind.kind,
      namespaced: kind.namespaced,
      purpose,
    })
  }
  for (const kind of asked) {
    if (kind.apiGroup !== null) {
      add(kind, kind.apiGroup, 'kind')
      continue
    }
    // Calico's v3 API when it is served (or when nothing says which is: its answer will tell),
    // its CRDs when they alone are (calicoctl writes them directly).
    const api = calico?.apiService.state ?? 'absent'
    const crds = calico?.backingCrds ?? false
    if (api === 'absent' && crds) {
      add(kind, CALICO_CRD_GROUP, 'kind')
      continue
    }
    add(kind, CALICO_GROUP, 'kind')
    if (api === 'aggregated' && crds) add(kind, CALICO_CRD_GROUP, 'backing-crd')
  }
  return {targets, notes}
}

/** True when a Calico group is served; 'unknown' when the APIServices could not be listed. */
function calicoServed(calico: CalicoFacts | undefined): boolean | 'unknown' {
  if (!calico) return false
  if (calico.apiService.state !== 'absent' || calico.backingCrds) return true
  return calico.failures.some((f) => f.request.includes('apiservices')) ? 'unknown' : false
}

/** `kubectl-audit-probe-7f3a`: one name for every probe of a run. */
export function probeName(random: Buffer): string {
  return `kubectl-audit-probe-${random.toString('hex').slice(0, 4)}`
}

/** The label every probe object carries (the objects are never stored, but an admission webhook sees them). */
export const PROBE_LABEL = 'kubectl-audit/probe'

/**
 * The object a probe creates: valid for its kind, selecting nothing (no endpoint carries the
 * probe's label) and allowing nothing, so even a server that ignored dryRun would store a no-op.
 */
export function probeObject(target: ProbeTarget, name: string, namespace: string | null): object {
  const labels = {[PROBE_LABEL]: name}
  const metadata = {name, ...(namespace === null ? {} : {namespace}), labels}
  return {
    apiVersion: `${target.apiGroup}/${target.version}`,
    kind: target.kind,
    metadata,
    spec: probeSpec(target, name),
  }
}

function probeSpec(target: ProbeTarget, name: string): object {
  const podSelector = {matchLabels: {[PROBE_LABEL]: name}}
  // Calico's selector syntax: `key == 'value'`.
  const selector = `${PROBE_LABEL} == '${name}'`
  if (target.apiGroup === 'networking.k8s.io') return {podSelector, policyTypes: ['Ingress']}
  switch (target.resource) {
    case 'globalnetworkpolicies':
    case 'networkpolicies':
      return {selector, types: ['Ingress']}
    case 'stagedglobalnetworkpolicies':
    case 'stagednetworkpolicies':
      return {stagedAction: 'Set', selector, types: ['Ingress']}
    case 'stagedkubernetesnetworkpolicies':
      return {stagedAction: 'Set', podSelector, policyTypes: ['Ingress']}
    case 'tiers':
      return {order: 999_999}
    case 'globalnetworksets':
    case 'networksets':
      // TEST-NET-1 (RFC 5737): no real address.
      return {nets: ['192.0.2.1/32']}
    case 'hostendpoints':
      return {node: name, expectedIPs: ['192.0.2.1']}
    default:
      return {}
  }
}
