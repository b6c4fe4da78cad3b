// "Are we recording it?" on AKS, answered from Azure's own configuration: which diagnostic
// setting sends kube-audit or kube-audit-admin, and where; and what AKS's fixed audit policy
// records of network policy writes (Calico's are custom and aggregated groups: Metadata only).
import {CALICO_CRD_GROUP, CALICO_GROUP, WATCHED_RESOURCES} from '../../audit/catalog.js'
import {diagnosticSettingCommand} from '../../cluster/aks-context.js'
import type {DiagnosticSetting} from '../../sources/aks-arm.js'
import {AKS_AUDIT_POLICY} from '../aks-audit-policy.js'
import {type Check, fail, pass, skip, warn} from '../check.js'
import {listSome, resourceKey} from '../describe.js'
import {writesByRecording} from '../recording.js'

const NOT_AKS = 'not an AKS cluster (the kubeconfig context names none, and no node says AKS)'

/** The last part of a resource ID: a workspace's or a storage account's name. */
const lastPart = (id: string) => id.split('/').filter(Boolean).at(-1) ?? id

function destinations(setting: DiagnosticSetting): string[] {
  return [
    ...(setting.workspace ? [`Log Analytics workspace ${lastPart(setting.workspace)} (${setting.destinationType === 'Dedicated' ? `tables ${setting.auditCategories.map((c) => (c === 'kube-audit' ? 'AKSAudit' : 'AKSAuditAdmin')).join(', ')}` : 'table AzureDiagnostics'})`] : []),
    ...(setting.storageAccount ? [`storage account ${lastPart(setting.storageAccount)} (PT1H.json blobs: read them with -f)`] : []),
    ...(setting.eventHub ? [`event hub ${setting.eventHub}`] : []),
    ...(setting.partnerSolution ? [`partner solution ${lastPart(setting.partnerSolution)}`] : []),
  ]
}

export const aksAuditLogging: Check = {
  id: 'aks-audit-logging',
  title: 'AKS audit log sent by a diagnostic setting',
  run({aks}) {
    if (!aks) return skip(NOT_AKS)
    const {settings, clusterName, clusterId} = aks
    if (settings.state === 'unavailable') return skip(`cannot tell (Microsoft.Insights/diagnosticSettings/read): ${settings.reason}`, settings.remedy)
    const sending = settings.settings.filter((s) => s.auditCategories.length > 0 && destinations(s).length > 0)
    if (sending.length === 0) {
      const others = settings.settings.map((s) => s.name)
      return fail(
        `no diagnostic setting of cluster ${clusterName} sends kube-audit or kube-audit-admin${others.length > 0 ? ` (settings: ${others.join(', ')})` : ''}: AKS keeps no record of who changed a network policy`,
        `send kube-audit-admin (every write, no get or list) to a workspace: ${diagnosticSettingCommand(clusterId)}`,
      )
    }
    const said = sending.map((s) => `${s.name} sends ${s.auditCategories.join(' and ')} to ${destinations(s).join(', ')}`).join('; ')
    const categories = new Set(sending.flatMap((s) => s.auditCategories))
    if (!sending.some((s) => s.workspace !== null)) {
      return warn(`${said}: kubectl audit policies cannot query those where they are (only Log Analytics); read the exported files with -f`, `to query it where it is, send it to a workspace too: ${diagnosticSettingCommand(clusterId)}`)
    }
    if (categories.has('kube-audit') && categories.has('kube-audit-admin')) {
      return warn(`${said}: both categories are sent, so every write is stored twice (kube-audit already holds kube-audit-admin's)`, 'keep kube-audit-admin, unless reads (get, list) must be audited too')
    }
    return pass(`${said}; kubectl audit policies reads it from Log Analytics (needs Log Analytics Reader on the workspace)`)
  },
}

export const aksAuditPolicy: Check = {
  id: 'aks-audit-policy',
  title: 'AKS audit policy',
  run(facts) {
    if (!facts.aks) return skip(NOT_AKS)
    const watchedGroups = new Set(WATCHED_RESOURCES.map((r) => r.apiGroup).filter((g) => facts.coverage.relevantGroups.has(g)))
    const {rows, partial, none} = writesByRecording(AKS_AUDIT_POLICY, facts.coverage, watchedGroups)
    const full = rows.filter((r) => !partial.includes(r) && !none.includes(r))
    const keys = (subset: typeof rows) => listSome([...new Set(subset.map(resourceKey))], 5)
    const groups = (subset: typeof rows) => listSome([...new Set(subset.map((r) => r.apiGroup))], 5)
    const parts = [
      ...(full.length > 0 ? [`${keys(full)} writes with their bodies (who, and what changed)`] : []),
      ...(partial.length > 0 ? [`${groups(partial)} writes at Metadata (who, verb and when; no bodies)`] : []),
      ...(none.length > 0 ? [`${keys(none)} writes not at all`] : []),
    ]
    const detail = `AKS's audit policy is fixed (managed by AKS, not read from the cluster: Azure/AKS#1873): it records ${parts.join('; ')}`
    const calico = facts.calico
    const calicoInstalled = calico !== undefined && (calico.apiService.state !== 'absent' || calico.backingCrds)
    if (!calicoInstalled || !partial.some((r) => r.apiGroup === CALICO_GROUP || r.apiGroup === CALICO_CRD_GROUP)) return pass(detail)
    return warn(
      `${detail}. For Calico: who changed it, yes; what changed, no`,
      "nothing on AKS records Calico's bodies: kubectl audit policies still shows who changed which Calico policy and when; keep the policies in Git to see what changed (Calico Enterprise also keeps its own API server's audit log)",
    )
  },
}
