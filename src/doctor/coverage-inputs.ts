// Which rows the coverage matrix has, for whom, and which of them matter in this cluster.
import {WATCHED_RESOURCES} from '../audit/catalog.js'
import type {CoverageTarget} from '../audit/policy/coverage.js'
import {isAtLeast, type KubernetesVersion} from '../audit/policy/kubernetes-version.js'
import type {DoctorOptions} from '../flags/doctor.js'
import type {CoverageInputs} from './facts.js'

/** networking.k8s.io is built in; extensions stopped serving network policies in 1.16. */
function servedWithoutDiscovery(group: string, version: KubernetesVersion | undefined): boolean {
  return group !== 'extensions' || !isAtLeast(version, 1, 16)
}

/**
 * @param servedGroups the API groups the cluster serves (from its APIServices); undefined when
 * unknown (offline, or not allowed to list them).
 */
export function coverageInputs(options: DoctorOptions, version: KubernetesVersion | undefined, servedGroups?: ReadonlySet<string>): CoverageInputs {
  const watched: CoverageTarget[] = WATCHED_RESOURCES.map(({apiGroup, resource, namespaced}) => ({apiGroup, resource, namespaced}))
  const relevant = new Set<string>()
  for (const {apiGroup} of watched) {
    const served = servedGroups ? servedGroups.has(apiGroup) || apiGroup === 'networking.k8s.io' : servedWithoutDiscovery(apiGroup, version)
    if (served) relevant.add(apiGroup)
  }
  for (const target of options.extraTargets) relevant.add(target.apiGroup)
  return {user: options.identity, verbs: options.verbs, targets: [...watched, ...options.extraTargets], relevantGroups: relevant}
}
