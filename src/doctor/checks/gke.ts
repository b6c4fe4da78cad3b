// doctor on GKE: the control plane is Google's, so "are we recording it?" is answered from what
// GKE fixes for every cluster (gke-facts.ts): Admin Activity is always on, and the fixed policy
// records some watched groups with their bodies and the rest at Metadata only.
import {CALICO_CRD_GROUP, CALICO_GROUP, WATCHED_RESOURCES} from '../../audit/catalog.js'
import {type Check, pass, skip, warn} from '../check.js'
import type {DoctorFacts} from '../facts.js'
import {GKE_ADMIN_ACTIVITY, gkeWriteLevel} from './gke-facts.js'

const isGke = (facts: DoctorFacts) => facts.managedProvider?.id === 'gke'
const CALICO_GROUPS: ReadonlySet<string> = new Set([CALICO_GROUP, CALICO_CRD_GROUP])

export const gkeAdminActivity: Check = {
  id: 'gke-admin-activity',
  title: 'GKE audit logging',
  run(facts) {
    if (!isGke(facts)) return skip('not a GKE cluster')
    const {log, retentionDays, readRole} = GKE_ADMIN_ACTIVITY
    return pass(
      `Admin Activity audit logs are always on in GKE and cannot be turned off: every write to the watched resources is in the project's ${log} log, kept ${retentionDays} days; kubectl audit policies reads it from Cloud Logging (needs ${readRole})`,
    )
  },
}

export const gkePolicyWrites: Check = {
  id: 'gke-policy-writes',
  title: 'GKE records policy writes',
  run(facts) {
    if (!isGke(facts)) return skip('not a GKE cluster')
    const groups = [...new Set(WATCHED_RESOURCES.map((r) => r.apiGroup))].filter((group) =>
      facts.coverage.relevantGroups.has(group),
    )
    const full = groups.filter((group) => gkeWriteLevel(group) === 'RequestResponse')
    const metadata = groups.filter((group) => gkeWriteLevel(group) === 'Metadata')
    const withBodies = full.length > 0 ? `${full.join(', ')} writes with their bodies (who, and what changed)` : ''
    if (metadata.length === 0) return pass(`GKE's fixed audit policy records ${withBodies}`)
    const calico = metadata.filter((group) => CALICO_GROUPS.has(group))
    const others = metadata.filter((group) => !calico.includes(group))
    const parts = [
      ...(calico.length > 0 ? [`Calico (${calico.join(', ')}): who changed it, yes; what changed, no`] : []),
      ...(others.length > 0 ? [`${others.join(', ')}: who changed which object, not what changed`] : []),
    ]
    return warn(
      `GKE's fixed audit policy records ${withBodies ? `${withBodies}, but ` : ''}custom and aggregated groups at Metadata, without bodies: ${parts.join('; ')} (no diff, the tier only from a policy's name)`,
      "GKE does not let the audit policy change: keep Calico policies in version control to see what changed, or read Calico Enterprise's own audit log",
    )
  },
}

/** The checks only a GKE cluster gets. */
export const GKE_CHECKS: readonly Check[] = [gkeAdminActivity, gkePolicyWrites]
