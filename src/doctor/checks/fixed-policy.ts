// What a managed provider's fixed audit policy (EKS, AKS) records of the watched writes: the same
// verdict for each, with the provider's name and why the policy is not read from the cluster.
import {CALICO_CRD_GROUP, CALICO_GROUP, WATCHED_RESOURCES} from '../../audit/catalog.js'
import type {Policy} from '../../audit/policy/types.js'
import {pass, type Verdict, warn} from '../check.js'
import {listSome, resourceKey} from '../describe.js'
import type {DoctorFacts} from '../facts.js'
import {writesByRecording} from '../recording.js'

export function fixedPolicyVerdict(policy: Policy, facts: DoctorFacts, provider: string, why: string): Verdict {
  const watchedGroups = new Set(
    WATCHED_RESOURCES.map((r) => r.apiGroup).filter((g) => facts.coverage.relevantGroups.has(g)),
  )
  const {rows, partial, none} = writesByRecording(policy, facts.coverage, watchedGroups)
  const full = rows.filter((r) => !partial.includes(r) && !none.includes(r))
  const keys = (subset: typeof rows) => listSome([...new Set(subset.map(resourceKey))], 5)
  const groups = (subset: typeof rows) => listSome([...new Set(subset.map((r) => r.apiGroup))], 5)
  const parts = [
    ...(full.length > 0 ? [`${keys(full)} writes with their bodies (who, and what changed)`] : []),
    ...(partial.length > 0 ? [`${groups(partial)} writes at Metadata (who, verb and when; no bodies)`] : []),
    ...(none.length > 0 ? [`${keys(none)} writes not at all`] : []),
  ]
  const detail = `${provider}'s audit policy is fixed (${why}): it records ${parts.join('; ')}`
  const calico = facts.calico
  const calicoInstalled = calico !== undefined && (calico.apiService.state !== 'absent' || calico.backingCrds)
  if (!calicoInstalled || !partial.some((r) => r.apiGroup === CALICO_GROUP || r.apiGroup === CALICO_CRD_GROUP))
    return pass(detail)
  return warn(
    `${detail}. For Calico: who changed it, yes; what changed, no`,
    `nothing on ${provider} records Calico's bodies: kubectl audit policies still shows who changed which Calico policy and when; keep the policies in Git to see what changed (Calico Enterprise also keeps its own API server's audit log)`,
  )
}
