// The resources whose writes count as policy changes, and how users name them on the command line.

export interface WatchedResource {
  /** API group, "" never appears: every watched resource lives in a named group. */
  readonly apiGroup: string
  /** Plural resource name as it appears in objectRef.resource. */
  readonly resource: string
  /** Kind as printed in reports. */
  readonly kind: string
  /** Short names accepted by --kind (besides the kind and the plural). */
  readonly shortNames: readonly string[]
  readonly namespaced: boolean
  /** How the tier of a change is derived (see ARCHITECTURE.md, "What counts as a policy change"). */
  readonly tiering: 'tiered' | 'default' | 'self' | 'none' | 'fixed'
  /** For tiering "fixed": the tier the kind always belongs to. */
  readonly fixedTier?: string
}

export const CALICO_GROUP = 'projectcalico.org'
export const CALICO_CRD_GROUP = 'crd.projectcalico.org'

export const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'] as const
export type WriteVerb = (typeof WRITE_VERBS)[number]

type CalicoEntry = Omit<WatchedResource, 'apiGroup'>

const calicoResources: CalicoEntry[] = [
  {
    resource: 'globalnetworkpolicies',
    kind: 'GlobalNetworkPolicy',
    shortNames: ['gnp'],
    namespaced: false,
    tiering: 'tiered',
  },
  {
    resource: 'networkpolicies',
    kind: 'NetworkPolicy',
    shortNames: ['np', 'cnetpol'],
    namespaced: true,
    tiering: 'tiered',
  },
  {
    resource: 'stagedglobalnetworkpolicies',
    kind: 'StagedGlobalNetworkPolicy',
    shortNames: ['sgnp'],
    namespaced: false,
    tiering: 'tiered',
  },
  {
    resource: 'stagednetworkpolicies',
    kind: 'StagedNetworkPolicy',
    shortNames: ['snp'],
    namespaced: true,
    tiering: 'tiered',
  },
  {
    resource: 'stagedkubernetesnetworkpolicies',
    kind: 'StagedKubernetesNetworkPolicy',
    shortNames: ['sknp'],
    namespaced: true,
    tiering: 'default',
  },
  {resource: 'tiers', kind: 'Tier', shortNames: ['tier'], namespaced: false, tiering: 'self'},
  {resource: 'globalnetworksets', kind: 'GlobalNetworkSet', shortNames: ['gns'], namespaced: false, tiering: 'none'},
  {resource: 'networksets', kind: 'NetworkSet', shortNames: ['netset', 'netsets'], namespaced: true, tiering: 'none'},
  {resource: 'hostendpoints', kind: 'HostEndpoint', shortNames: ['hep'], namespaced: false, tiering: 'none'},
]

export const WATCHED_RESOURCES: readonly WatchedResource[] = [
  ...calicoResources.map((r) => ({...r, apiGroup: CALICO_GROUP})),
  ...calicoResources.map((r) => ({...r, apiGroup: CALICO_CRD_GROUP})),
  {
    apiGroup: 'networking.k8s.io',
    resource: 'networkpolicies',
    kind: 'NetworkPolicy',
    shortNames: ['knp', 'netpol'],
    namespaced: true,
    tiering: 'default',
  },
  {
    apiGroup: 'extensions',
    resource: 'networkpolicies',
    kind: 'NetworkPolicy',
    shortNames: ['knp', 'netpol'],
    namespaced: true,
    tiering: 'default',
  },
  // Calico places admin and baseline admin network policies in tiers of their own.
  {
    apiGroup: 'policy.networking.k8s.io',
    resource: 'adminnetworkpolicies',
    kind: 'AdminNetworkPolicy',
    shortNames: ['anp'],
    namespaced: false,
    tiering: 'fixed',
    fixedTier: 'adminnetworkpolicy',
  },
  {
    apiGroup: 'policy.networking.k8s.io',
    resource: 'baselineadminnetworkpolicies',
    kind: 'BaselineAdminNetworkPolicy',
    shortNames: ['banp'],
    namespaced: false,
    tiering: 'fixed',
    fixedTier: 'baselineadminnetworkpolicy',
  },
  // ClusterNetworkPolicy carries spec.tier (Admin or Baseline) in its body.
  {
    apiGroup: 'policy.networking.k8s.io',
    resource: 'clusternetworkpolicies',
    kind: 'ClusterNetworkPolicy',
    shortNames: ['cnp'],
    namespaced: false,
    tiering: 'default',
  },
]

/** Every resource name we watch, in any group: the byte-level prefilter searches for these. */
export const WATCHED_RESOURCE_NAMES: readonly string[] = [...new Set(WATCHED_RESOURCES.map((r) => r.resource))]

const byKey = new Map(WATCHED_RESOURCES.map((r) => [`${r.resource}.${r.apiGroup}`, r]))

export function findWatchedResource(apiGroup: string, resource: string): WatchedResource | undefined {
  return byKey.get(`${resource}.${apiGroup}`)
}

export function isWriteVerb(verb: string): verb is WriteVerb {
  return (WRITE_VERBS as readonly string[]).includes(verb)
}

/**
 * Resolves one --kind value to the watched resources it names. Accepts a short name, the kind
 * (case-insensitive), the plural, or `plural.group` to pin one API group.
 * "np" and "networkpolicy" mean Calico's NetworkPolicy; Kubernetes' is "knp" or
 * "networkpolicies.networking.k8s.io". Returns undefined when nothing matches.
 */
export function resolveKind(name: string): WatchedResource[] | undefined {
  const wanted = name.trim().toLowerCase()
  if (wanted === '') return undefined
  const pinned = WATCHED_RESOURCES.filter((r) => `${r.resource}.${r.apiGroup}` === wanted)
  if (pinned.length > 0) return pinned
  const matches = WATCHED_RESOURCES.filter((r) => {
    const calico = r.apiGroup === CALICO_GROUP || r.apiGroup === CALICO_CRD_GROUP
    if (r.shortNames.includes(wanted)) return true
    // Bare "networkpolicy"/"networkpolicies" is ambiguous: it means Calico's, as calicoctl does.
    if (r.kind.toLowerCase() === wanted || r.resource === wanted) return calico || r.resource !== 'networkpolicies'
    return false
  })
  return matches.length > 0 ? matches : undefined
}

/** All names --kind accepts, for help and error messages. */
export const KIND_SHORT_NAMES: readonly string[] = [
  ...new Set(WATCHED_RESOURCES.flatMap((r) => r.shortNames.slice(0, 1))),
]
