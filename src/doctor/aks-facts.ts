// What Azure says about an AKS cluster's audit log, for doctor's AKS checks: the cluster's
// diagnostic settings (which send kube-audit or kube-audit-admin, and where), read through Azure
// Resource Manager with read-only calls. A lookup that cannot be made is kept with why and the
// command that would check by hand, so the checks still run.
import {type AksContext, aksResourceId} from '../cluster/aks-context.js'
import type {DiagnosticSetting} from '../sources/aks-arm.js'
import type {AksLogOptions, AzureAccess} from '../sources/aks.js'

export type AksLookup<T> =
  ({readonly state: 'read'} & T) | {readonly state: 'unavailable'; readonly reason: string; readonly remedy: string}

export interface AksFacts {
  readonly clusterName: string | null
  /** The cluster's resource ID, or a placeholder where a part is not known (for commands). */
  readonly clusterId: string
  readonly settings: AksLookup<{readonly settings: readonly DiagnosticSetting[]}>
}

export async function gatherAksFacts(
  inferred: AksContext | undefined,
  given: AksLogOptions,
  access: AzureAccess = {},
  signal?: AbortSignal,
): Promise<AksFacts> {
  const {ARM_PERMISSIONS, armUrl, connectArm, defaultSubscription, diagnosticSettings} =
    await import('../sources/aks-arm.js')
  const name = given.clusterName ?? inferred?.name ?? null
  const group = given.resourceGroup ?? inferred?.resourceGroup ?? null
  const subscription = given.subscription ?? (await defaultSubscription(access.env ?? process.env))?.id ?? null
  const clusterId = aksResourceId(subscription ?? 'SUBSCRIPTION', group ?? 'RESOURCE_GROUP', name ?? 'CLUSTER')
  const byHand = `az monitor diagnostic-settings list --resource ${clusterId}`
  if (!name || !group || !subscription) {
    const missing = [
      ...(name ? [] : ['--cluster-name']),
      ...(group ? [] : ['--resource-group']),
      ...(subscription ? [] : ['--subscription']),
    ]
    return {
      clusterName: name,
      clusterId,
      settings: {
        state: 'unavailable',
        reason: `the cluster's ${missing.map((f) => f.slice(2).replace('-', ' ')).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not known`,
        remedy: `give ${missing.join(', ')}, or check by hand: ${byHand}`,
      },
    }
  }
  try {
    const credential = access.credential ?? new (await import('@azure/identity')).DefaultAzureCredential()
    const arm = await connectArm(credential, armUrl(access.env ?? process.env), access.httpClient)
    return {
      clusterName: name,
      clusterId,
      settings: {state: 'read', settings: await diagnosticSettings(arm, clusterId, signal)},
    }
  } catch (error) {
    const e = error as Error & {hint?: string}
    return {
      clusterName: name,
      clusterId,
      settings: {
        state: 'unavailable',
        reason: e.message,
        remedy: `${/not allowed/.test(e.message) ? `allow ${ARM_PERMISSIONS.settings} (read-only; the Reader or Monitoring Reader role has it)` : (e.hint ?? 'check the subscription, resource group and name')}, or check by hand: ${byHand}`,
      },
    }
  }
}
