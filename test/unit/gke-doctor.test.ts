// doctor on GKE: the checks only a GKE cluster gets, from what GKE fixes for every cluster.
import assert from 'node:assert/strict'

import type {CheckResult} from '../../src/doctor/check.js'
import {gkeWriteLevel} from '../../src/doctor/checks/gke-facts.js'
import {coverageInputs} from '../../src/doctor/coverage-inputs.js'
import type {DoctorFacts} from '../../src/doctor/facts.js'
import {buildReport} from '../../src/doctor/report.js'
import {doctorOptions} from '../../src/flags/doctor.js'

const OPTIONS = doctorOptions({
  'request-timeout': '0',
  offline: false,
  'node-access': true,
  via: 'auto',
  image: 'busybox',
  'pod-namespace': 'kube-system',
  'print-policy': false,
  output: 'json',
  color: 'never',
})

function gkeFacts(servedGroups: string[] | undefined, provider: 'gke' | 'eks' = 'gke'): DoctorFacts {
  return {
    mode: 'cluster',
    apiserverSource: 'the cluster at https://192.0.2.10',
    apiservers: [],
    discoveryFailures: [],
    managedProvider: {
      id: provider,
      name: provider === 'gke' ? 'Google GKE' : 'Amazon EKS',
      evidence: 'server version v1.31.2-gke.1000',
    },
    policy: {
      state: 'unavailable',
      reason: 'Google GKE sets the audit policy of its control plane; it cannot be read',
      command: null,
    },
    coverage: coverageInputs(OPTIONS, undefined, servedGroups === undefined ? undefined : new Set(servedGroups)),
    logTails: new Map(),
  }
}

const check = (facts: DoctorFacts, id: string): CheckResult | undefined =>
  buildReport(facts).checks.find((c) => c.id === id)

describe('doctor on GKE', () => {
  it('GKE writes its known APIs with bodies, custom and aggregated groups at Metadata', () => {
    assert.deepEqual(
      ['networking.k8s.io', 'extensions', 'projectcalico.org', 'crd.projectcalico.org', 'policy.networking.k8s.io'].map(
        gkeWriteLevel,
      ),
      ['RequestResponse', 'RequestResponse', 'Metadata', 'Metadata', 'Metadata'],
    )
  })

  it('Admin Activity is always on', () => {
    const result = check(gkeFacts(['networking.k8s.io']), 'gke-admin-activity')
    assert.equal(result?.status, 'pass')
    assert.match(
      result!.detail,
      /^Admin Activity audit logs are always on in GKE and cannot be turned off: .* kept 400 days; kubectl audit policies reads it from Cloud Logging \(needs roles\/logging\.viewer\)$/,
    )
  })

  it('with Calico served: who changed it, yes; what changed, no', () => {
    const result = check(
      gkeFacts(['', 'networking.k8s.io', 'projectcalico.org', 'crd.projectcalico.org']),
      'gke-policy-writes',
    )
    assert.equal(result?.status, 'warn')
    assert.equal(
      result?.detail,
      "GKE's fixed audit policy records networking.k8s.io writes with their bodies (who, and what changed), but custom and aggregated groups at Metadata, without bodies: Calico (projectcalico.org, crd.projectcalico.org): who changed it, yes; what changed, no (no diff, the tier only from a policy's name)",
    )
    assert.match(result!.remedy!, /^GKE does not let the audit policy change/)
  })

  it('without Calico or admin network policies: every watched write with its bodies', () => {
    const result = check(gkeFacts(['', 'networking.k8s.io', 'apps']), 'gke-policy-writes')
    assert.equal(result?.status, 'pass')
    assert.equal(
      result?.detail,
      "GKE's fixed audit policy records networking.k8s.io writes with their bodies (who, and what changed)",
    )
  })

  it('other clusters do not get the GKE checks', () => {
    assert.equal(check(gkeFacts(['networking.k8s.io'], 'eks'), 'gke-admin-activity'), undefined)
    assert.ok(buildReport(gkeFacts(undefined)).checks.some((c) => c.id === 'gke-policy-writes'))
  })

  it('a GKE cluster does not get the EKS or AKS checks, each of which would only say "not an EKS cluster"', () => {
    const ids = buildReport(gkeFacts(['networking.k8s.io'])).checks.map((c) => c.id)
    assert.deepEqual(
      ids.filter((id) => /^(eks|aks)-/.test(id)),
      [],
    )
    assert.deepEqual(
      ids.filter((id) => id.startsWith('gke-')),
      ['gke-admin-activity', 'gke-policy-writes'],
    )
  })
})
