// "Are we recording it?" on AKS, answered from Azure's own configuration: which diagnostic
// setting sends kube-audit or kube-audit-admin, and where; and what AKS's fixed audit policy
// records of network policy writes (Calico's are custom and aggregated groups: Metadata only).
import {diagnosticSettingCommand} from '../../cluster/aks-context.js'
import type {DiagnosticSetting} from '../../sources/aks-arm.js'
import {AKS_AUDIT_POLICY} from '../aks-audit-policy.js'
import {type Check, fail, pass, skip, warn} from '../check.js'
import {fixedPolicyVerdict} from './fixed-policy.js'

const NOT_AKS = 'not an AKS cluster (the kubeconfig context names none, and no node says AKS)'

/** The last part of a resource ID: a workspace's or a storage account's name. */
const lastPart = (id: string) => id.split('/').filter(Boolean).at(-1) ?? id

function destinations(setting: DiagnosticSetting): string[] {
  return [
    ...(setting.workspace
      ? [
          `Log Analytics workspace ${lastPart(setting.workspace)} (${setting.destinationType === 'Dedicated' ? `tables ${setting.auditCategories.map((c) => (c === 'kube-audit' ? 'AKSAudit' : 'AKSAuditAdmin')).join(', ')}` : 'table AzureDiagnostics'})`,
        ]
      : []),
    ...(setting.storageAccount
      ? [`storage account ${lastPart(setting.storageAccount)} (PT1H.json blobs: read them with -f)`]
      : []),
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
    if (settings.state === 'unavailable')
      return skip(`cannot tell (Microsoft.Insights/diagnosticSettings/read): ${settings.reason}`, settings.remedy)
    const sending = settings.settings.filter((s) => s.auditCategories.length > 0 && destinations(s).length > 0)
    if (sending.length === 0) {
      const others = settings.settings.map((s) => s.name)
      return fail(
        `no diagnostic setting of cluster ${clusterName} sends kube-audit or kube-audit-admin${others.length > 0 ? ` (settings: ${others.join(', ')})` : ''}: AKS keeps no record of who changed a network policy`,
        `send kube-audit-admin (every write, no get or list) to a workspace: ${diagnosticSettingCommand(clusterId)}`,
      )
    }
    const said = sending
      .map((s) => `${s.name} sends ${s.auditCategories.join(' and ')} to ${destinations(s).join(', ')}`)
      .join('; ')
    const categories = new Set(sending.flatMap((s) => s.auditCategories))
    if (!sending.some((s) => s.workspace !== null)) {
      return warn(
        `${said}: kubectl audit policies cannot query those where they are (only Log Analytics); read the exported files with -f`,
        `to query it where it is, send it to a workspace too: ${diagnosticSettingCommand(clusterId)}`,
      )
    }
    if (categories.has('kube-audit') && categories.has('kube-audit-admin')) {
      return warn(
        `${said}: both categories are sent, so every write is stored twice (kube-audit already holds kube-audit-admin's)`,
        'keep kube-audit-admin, unless reads (get, list) must be audited too',
      )
    }
    return pass(
      `${said}; kubectl audit policies reads it from Log Analytics (needs Log Analytics Reader on the workspace)`,
    )
  },
}

export const aksAuditPolicy: Check = {
  id: 'aks-audit-policy',
  title: 'AKS audit policy',
  run(facts) {
    if (!facts.aks) return skip(NOT_AKS)
    return fixedPolicyVerdict(
      AKS_AUDIT_POLICY,
      facts,
      'AKS',
      'managed by AKS, not read from the cluster: Azure/AKS#1873',
    )
  },
}
