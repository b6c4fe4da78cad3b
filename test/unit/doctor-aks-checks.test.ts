// doctor's AKS checks, row by row, on AKS facts as Azure Resource Manager answers them (the
// cluster's diagnostic settings) or as they are missing (no permission, unknown subscription),
// and the fixed AKS audit policy: custom and aggregated groups (Calico) at Metadata, who but not what.
import assert from 'node:assert/strict'

import {parseKubernetesVersion} from '../../src/audit/policy/kubernetes-version.js'
import type {AksFacts} from '../../src/doctor/aks-facts.js'
import type {CheckResult} from '../../src/doctor/check.js'
import {coverageInputs} from '../../src/doctor/coverage-inputs.js'
import type {CalicoFacts, DoctorFacts} from '../../src/doctor/facts.js'
import {buildReport, exitCodeOf} from '../../src/doctor/report.js'
import {doctorOptions, type DoctorFlagValues} from '../../src/flags/doctor.js'
import type {DiagnosticSetting} from '../../src/sources/aks-arm.js'

const FLAGS: DoctorFlagValues = {
  'request-timeout': '0',
  offline: false,
  'node-access': true,
  via: 'auto',
  image: 'busybox',
  'pod-namespace': 'kube-system',
  'print-policy': false,
  output: 'json',
  color: 'never',
}
const VERSION = parseKubernetesVersion('1.31')
const AGGREGATED: CalicoFacts = {
  apiService: {state: 'aggregated', service: 'calico-apiserver/calico-api'},
  backingCrds: true,
  enterprise: false,
  failures: [],
}
const CLUSTER_ID =
  '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/shop-rg/providers/Microsoft.ContainerService/managedClusters/shop-prod'
const WORKSPACE =
  '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/monitoring/providers/Microsoft.OperationalInsights/workspaces/shop-logs'
const STORAGE =
  '/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/monitoring/providers/Microsoft.Storage/storageAccounts/auditarchive'

const setting = (over: Partial<DiagnosticSetting> = {}): DiagnosticSetting => ({
  name: 'kube-audit',
  auditCategories: ['kube-audit-admin'],
  workspace: WORKSPACE,
  destinationType: 'Dedicated',
  storageAccount: null,
  eventHub: null,
  partnerSolution: null,
  ...over,
})
const aks = (settings: AksFacts['settings']): AksFacts => ({clusterName: 'shop-prod', clusterId: CLUSTER_ID, settings})
const read = (...settings: DiagnosticSetting[]): AksFacts['settings'] => ({state: 'read', settings})

function facts(aksFacts: AksFacts | undefined, calico?: CalicoFacts): DoctorFacts {
  const options = doctorOptions(FLAGS)
  const served = new Set(['', 'networking.k8s.io', 'extensions', 'projectcalico.org', 'crd.projectcalico.org'])
  return {
    mode: 'cluster',
    kubernetesVersion: VERSION,
    apiserverSource: 'the cluster at https://shop-prod-dns-4f2a9c1e.hcp.westeurope.azmk8s.io:443',
    apiservers: [],
    discoveryFailures: [],
    policy: {
      state: 'unavailable',
      reason: 'Azure AKS sets the audit policy of its control plane; it cannot be read',
      command: null,
    },
    ...(calico ? {calico} : {}),
    coverage: coverageInputs(options, VERSION, served, calico),
    logTails: new Map(),
    ...(aksFacts ? {aks: aksFacts} : {}),
  }
}

function check(f: DoctorFacts, id: string): CheckResult {
  const found = buildReport(f).checks.find((c) => c.id === id)
  assert.ok(found, id)
  return found
}

// [case, facts, check, status, detail, remedy]
const rows: Array<[string, DoctorFacts, string, string, RegExp, RegExp | null]> = [
  [
    'kube-audit-admin to a workspace, its own tables',
    facts(aks(read(setting()))),
    'aks-audit-logging',
    'pass',
    /^kube-audit sends kube-audit-admin to Log Analytics workspace shop-logs \(tables AKSAuditAdmin\); kubectl audit policies reads it from Log Analytics \(needs Log Analytics Reader on the workspace\)$/,
    null,
  ],
  [
    'the audit category group, legacy table, and a storage account too',
    facts(
      aks(
        read(
          setting({
            name: 'all',
            auditCategories: ['kube-audit', 'kube-audit-admin'],
            destinationType: 'AzureDiagnostics',
            storageAccount: STORAGE,
          }),
        ),
      ),
    ),
    'aks-audit-logging',
    'warn',
    /^all sends kube-audit and kube-audit-admin to Log Analytics workspace shop-logs \(table AzureDiagnostics\), storage account auditarchive \(PT1H\.json blobs: read them with -f\): both categories are sent, so every write is stored twice/,
    /^keep kube-audit-admin/,
  ],
  [
    'only to a storage account: not queryable where it is',
    facts(aks(read(setting({workspace: null, storageAccount: STORAGE})))),
    'aks-audit-logging',
    'warn',
    /^kube-audit sends kube-audit-admin to storage account auditarchive .*: kubectl audit policies cannot query those where they are/,
    /az monitor diagnostic-settings create --name kube-audit --resource \/subscriptions\/.*\/managedClusters\/shop-prod --workspace WORKSPACE_RESOURCE_ID/,
  ],
  [
    'settings, none with an audit category',
    facts(aks(read(setting({name: 'metrics-only', auditCategories: []})))),
    'aks-audit-logging',
    'fail',
    /^no diagnostic setting of cluster shop-prod sends kube-audit or kube-audit-admin \(settings: metrics-only\): AKS keeps no record of who changed a network policy$/,
    /^send kube-audit-admin \(every write, no get or list\) to a workspace: az monitor diagnostic-settings create .*--logs '\[\{"category":"kube-audit-admin","enabled":true\}\]'$/,
  ],
  [
    'no settings at all',
    facts(aks(read())),
    'aks-audit-logging',
    'fail',
    /^no diagnostic setting of cluster shop-prod sends kube-audit or kube-audit-admin: AKS keeps no record/,
    /az monitor diagnostic-settings create/,
  ],
  [
    'the settings could not be read: the permission is named',
    facts(
      aks({
        state: 'unavailable',
        reason: 'not allowed to read …',
        remedy:
          'allow Microsoft.Insights/diagnosticSettings/read (read-only; the Reader or Monitoring Reader role has it), or check by hand: az monitor diagnostic-settings list --resource X',
      }),
    ),
    'aks-audit-logging',
    'skip',
    /^cannot tell \(Microsoft\.Insights\/diagnosticSettings\/read\): not allowed/,
    /^allow Microsoft\.Insights\/diagnosticSettings\/read \(read-only/,
  ],
  [
    'the fixed policy with Calico aggregated: who, not what',
    facts(aks(read(setting())), AGGREGATED),
    'aks-audit-policy',
    'warn',
    /^AKS's audit policy is fixed \(managed by AKS, not read from the cluster: Azure\/AKS#1873\): it records networkpolicies\.networking\.k8s\.io, networkpolicies\.extensions writes with their bodies \(who, and what changed\); projectcalico\.org, crd\.projectcalico\.org writes at Metadata \(who, verb and when; no bodies\)\. For Calico: who changed it, yes; what changed, no$/,
    /keep the policies in Git/,
  ],
  [
    'the fixed policy without Calico',
    facts(aks(read(setting()))),
    'aks-audit-policy',
    'pass',
    /networkpolicies\.networking\.k8s\.io, networkpolicies\.extensions writes with their bodies/,
    null,
  ],
]

describe('doctor on AKS', () => {
  it('not AKS: the report has no AKS check, each of which would only say "not an AKS cluster"', () => {
    assert.deepEqual(
      buildReport(facts(undefined)).checks.filter((c) => c.id.startsWith('aks-')),
      [],
    )
  })

  for (const [name, f, id, status, detail, remedy] of rows) {
    it(`${id}: ${name}`, () => {
      const result = check(f, id)
      assert.equal(result.status, status, result.detail)
      assert.match(result.detail, detail)
      if (remedy) assert.match(result.remedy ?? '', remedy)
      else if (status === 'pass') assert.equal(result.remedy, null)
    })
  }

  it('fails the run when no diagnostic setting sends the audit log', () => {
    assert.equal(exitCodeOf(buildReport(facts(aks(read())))), 1)
    assert.equal(exitCodeOf(buildReport(facts(aks(read(setting())), AGGREGATED))), 0)
  })
})
