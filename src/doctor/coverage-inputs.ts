// Which rows the coverage matrix has, for whom, and which of them matter in this cluster.
import {CALICO_GROUP, WATCHED_RESOURCES} from '../audit/catalog.js'
import {type CoverageTarget, sameTarget} from '../audit/policy/coverage.js'
import {isAtLeast, type KubernetesVersion} from '../audit/policy/kubernetes-version.js'
import type {DoctorOptions} from './options.js'
import type {Level} from '../audit/policy/types.js'
import type {CalicoFacts, CoverageInputs} from './facts.js'

/** networking.k8s.io is built in; extensions stopped serving network policies in 1.16. */
function servedWithoutDiscovery(group: string, version: KubernetesVersion | undefined): boolean {
  return group !== 'extensions' || !isAtLeast(version, 1, 16)
}

/**
 * @param servedGroups the API groups the cluster serves (from its APIServices); undefined when
 * unknown (offline, or not allowed to list them).
 * @param calico how Calico is served, when known: an aggregated projectcalico.org is recorded
 * at Metadata at most (facts §6.1).
 */
export function coverageInputs(
  options: DoctorOptions,
  version: KubernetesVersion | undefined,
  servedGroups?: ReadonlySet<string>,
  calico?: CalicoFacts,
): CoverageInputs {
  const watched: CoverageTarget[] = WATCHED_RESOURCES.map(({apiGroup, resource, namespaced}) => ({
    apiGroup,
    resource,
    namespaced,
  }))
  const relevant = new Set<string>()
  for (const {apiGroup} of watched) {
    const served = servedGroups
      ? servedGroups.has(apiGroup) || apiGroup === 'networking.k8s.io'
      : servedWithoutDiscovery(apiGroup, version)
    if (served) relevant.add(apiGroup)
  }
  const extra = options.extraTargets.filter((target) => !watched.some((w) => sameTarget(w, target)))
  for (const target of extra) relevant.add(target.apiGroup)
  const levelCaps = new Map<string, Level>(
    calico?.apiService.state === 'aggregated' ? [[CALICO_GROUP, 'Metadata']] : [],
  )
  return {
    user: options.identity,
    verbs: options.verbs,
    targets: [...watched, ...extra],
    relevantGroups: relevant,
    levelCaps,
  }
}
