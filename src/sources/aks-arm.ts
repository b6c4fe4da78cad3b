// What Azure Resource Manager says about an AKS cluster's audit log, read-only: the cluster (found
// by subscription, resource group and name, and checked against the kubeconfig's server), its
// diagnostic settings (which send kube-audit or kube-audit-admin, and where), and a workspace's ID
// (the GUID the query API takes). Plain GETs through the Azure SDK's HTTP pipeline (bearer token,
// retries), loaded only when used.
import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import {join} from 'node:path'

import {AKS_AUDIT_CATEGORIES} from '../audit/records/aks.js'
import {UserError} from '../errors.js'
import {type AzureCredential, type AzureHttpClient, credentialProblem} from './log-analytics.js'

/** Azure Resource Manager's public address; KUBECTL_AUDIT_ARM_URL replaces it (sovereign clouds, tests). */
export const ARM_URL = 'https://management.azure.com'

export function armUrl(env: NodeJS.ProcessEnv = process.env): string {
  return (env.KUBECTL_AUDIT_ARM_URL || ARM_URL).replace(/\/+$/, '')
}

/** The read permissions each lookup needs (the built-in Reader role has all three). */
export const ARM_PERMISSIONS = {
  cluster: 'Microsoft.ContainerService/managedClusters/read',
  settings: 'Microsoft.Insights/diagnosticSettings/read',
  workspace: 'Microsoft.OperationalInsights/workspaces/read',
} as const

const API_VERSIONS = {cluster: '2024-02-01', settings: '2021-05-01-preview', workspace: '2022-10-01'} as const
const ANSWER_TIMEOUT_MS = 60_000

export interface ArmConnection {
  get(path: string, apiVersion: string, permission: string, signal?: AbortSignal): Promise<Record<string, unknown>>
}

export async function connectArm(
  credential: AzureCredential,
  baseUrl: string,
  httpClient?: AzureHttpClient,
): Promise<ArmConnection> {
  const {bearerTokenAuthenticationPolicy, createDefaultHttpClient, createPipelineFromOptions, createPipelineRequest} =
    await import('@azure/core-rest-pipeline')
  const pipeline = createPipelineFromOptions({retryOptions: {maxRetries: 3}})
  pipeline.addPolicy(bearerTokenAuthenticationPolicy({credential, scopes: `${new URL(baseUrl).origin}/.default`}))
  const client = httpClient ?? createDefaultHttpClient()
  return {
    async get(path, apiVersion, permission, signal) {
      const url = `${baseUrl}${path}?api-version=${apiVersion}`
      let response
      try {
        response = await pipeline.sendRequest(
          client,
          createPipelineRequest({
            url,
            method: 'GET',
            timeout: ANSWER_TIMEOUT_MS,
            ...(signal ? {abortSignal: signal} : {}),
          }),
        )
      } catch (error) {
        throw armError(error, path, permission)
      }
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(response.bodyAsText ?? '{}') as Record<string, unknown>
      } catch {
        // An answer that is no JSON is said by its status below, or is an empty object.
      }
      if (response.status >= 200 && response.status < 300) return body
      throw armError({statusCode: response.status, message: armMessage(body)}, path, permission)
    },
  }
}

function armMessage(body: Record<string, unknown>): string {
  const error = body.error as {code?: string; message?: string} | undefined
  return [error?.code, error?.message].filter(Boolean).join(': ') || 'no message'
}

function armError(error: unknown, path: string, permission: string): Error {
  const e = error as {name?: string; message?: string; statusCode?: number}
  if (e?.name === 'AbortError') return error as Error
  const said = (e?.message ?? '').split('\n')[0]
  const credentials = credentialProblem(error)
  if (credentials !== undefined) {
    return new UserError(`no Azure credentials to read Azure Resource Manager: ${credentials}`, {
      hint: 'az login (or a service principal in AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET, a workload or managed identity)',
    })
  }
  if (e?.statusCode === 401)
    return new UserError(`Azure Resource Manager refused the credentials: ${said}`, {hint: 'az login'})
  if (e?.statusCode === 403)
    return new UserError(`not allowed to read ${path}: ${said}`, {
      hint: `ask for ${permission} (the Reader role has it), or give --workspace`,
    })
  if (e?.statusCode === 404) return new NotFoundInArm(`${path} was not found: ${said}`)
  return new Error(`Azure Resource Manager: ${said}${e?.statusCode ? ` (HTTP ${e.statusCode})` : ''}`)
}

/** A resource Azure Resource Manager does not know (a wrong subscription, group or name). */
export class NotFoundInArm extends UserError {}

export interface ManagedCluster {
  readonly id: string
  readonly name: string
  readonly location: string
  /** The API server's host names (public, private). */
  readonly hosts: readonly string[]
}

export async function managedCluster(arm: ArmConnection, id: string, signal?: AbortSignal): Promise<ManagedCluster> {
  const body = await arm.get(id, API_VERSIONS.cluster, ARM_PERMISSIONS.cluster, signal)
  const properties = (body.properties ?? {}) as Record<string, unknown>
  const hosts = [properties.fqdn, properties.privateFQDN, properties.azurePortalFQDN]
    .filter((h): h is string => typeof h === 'string' && h !== '')
    .map((h) => h.toLowerCase())
  return {
    id: typeof body.id === 'string' ? body.id : id,
    name: String(body.name ?? ''),
    location: String(body.location ?? ''),
    hosts,
  }
}

/** One diagnostic setting of a cluster, as far as the audit log goes. */
export interface DiagnosticSetting {
  readonly name: string
  /** The audit categories it sends (kube-audit, kube-audit-admin), directly or through a category group. */
  readonly auditCategories: readonly string[]
  readonly workspace: string | null
  /** Dedicated: the AKSAudit/AKSAuditAdmin tables; AzureDiagnostics: the legacy table. */
  readonly destinationType: 'Dedicated' | 'AzureDiagnostics'
  readonly storageAccount: string | null
  readonly eventHub: string | null
  readonly partnerSolution: string | null
}

/** Category groups that hold the audit categories (AKS's `audit` and `allLogs`). */
const AUDIT_GROUPS = ['audit', 'allLogs']

export async function diagnosticSettings(
  arm: ArmConnection,
  clusterId: string,
  signal?: AbortSignal,
): Promise<DiagnosticSetting[]> {
  const body = await arm.get(
    `${clusterId}/providers/Microsoft.Insights/diagnosticSettings`,
    API_VERSIONS.settings,
    ARM_PERMISSIONS.settings,
    signal,
  )
  const values = Array.isArray(body.value) ? (body.value as Array<Record<string, unknown>>) : []
  return values.map((value) => {
    const p = (value.properties ?? {}) as Record<string, unknown>
    const logs = Array.isArray(p.logs) ? (p.logs as Array<Record<string, unknown>>) : []
    const enabled = logs.filter((log) => log.enabled === true)
    const categories = new Set<string>()
    for (const log of enabled) {
      if (typeof log.category === 'string' && (AKS_AUDIT_CATEGORIES as readonly string[]).includes(log.category))
        categories.add(log.category)
      if (typeof log.categoryGroup === 'string' && AUDIT_GROUPS.includes(log.categoryGroup))
        for (const c of AKS_AUDIT_CATEGORIES) categories.add(c)
    }
    const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null)
    return {
      name: String(value.name ?? ''),
      auditCategories: [...categories].sort(),
      workspace: text(p.workspaceId),
      destinationType: p.logAnalyticsDestinationType === 'Dedicated' ? 'Dedicated' : 'AzureDiagnostics',
      storageAccount: text(p.storageAccountId),
      eventHub:
        text(p.eventHubAuthorizationRuleId) === null
          ? null
          : `${text(p.eventHubName) ?? '(a hub per category)'} (${text(p.eventHubAuthorizationRuleId)})`,
      partnerSolution: text(p.marketplacePartnerId),
    }
  })
}

/** A workspace's ID (its customerId: the GUID the query API takes) from its resource ID. */
export async function workspaceId(
  arm: ArmConnection,
  workspaceResourceId: string,
  signal?: AbortSignal,
): Promise<string> {
  const body = await arm.get(workspaceResourceId, API_VERSIONS.workspace, ARM_PERMISSIONS.workspace, signal)
  const id = ((body.properties ?? {}) as Record<string, unknown>).customerId
  if (typeof id !== 'string' || id === '')
    throw new Error(`Azure Resource Manager gave no customerId for ${workspaceResourceId}`)
  return id
}

/** The subscription to look in: AZURE_SUBSCRIPTION_ID, else the Azure CLI's default (az account show). */
export async function defaultSubscription(
  env: NodeJS.ProcessEnv = process.env,
): Promise<{id: string; from: string} | undefined> {
  if (env.AZURE_SUBSCRIPTION_ID) return {id: env.AZURE_SUBSCRIPTION_ID, from: 'AZURE_SUBSCRIPTION_ID'}
  const file = join(env.AZURE_CONFIG_DIR || join(homedir(), '.azure'), 'azureProfile.json')
  try {
    // The Azure CLI writes it with a byte-order mark.
    const profile = JSON.parse((await readFile(file, 'utf8')).replace(/^\uFEFF/, '')) as {
      subscriptions?: Array<{id?: string; isDefault?: boolean}>
    }
    const chosen = profile.subscriptions?.find((s) => s.isDefault === true && typeof s.id === 'string')
    return chosen?.id ? {id: chosen.id, from: "the Azure CLI's default subscription"} : undefined
  } catch {
    return undefined
  }
}
