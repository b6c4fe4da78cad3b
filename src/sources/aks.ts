// Where an AKS cluster's audit log is: the kubeconfig context says the cluster (aks-context.ts),
// --workspace or the cluster's diagnostic settings (read through Azure Resource Manager) say the
// Log Analytics workspace, and a first count says which audit table holds its rows. Opened as
// Log Analytics query sources. `auto` reads it only when the context (or an AKS flag) says AKS;
// `log-analytics` insists, and says what is missing.
import {aksContext, aksResourceId, diagnosticSettingCommand} from '../cluster/aks-context.js'
import {type KubeConnectionOptions, loadKubeConfig, NoKubeconfigError} from '../cluster/kubeconfig.js'
import {contextView} from '../cluster/managed-context.js'
import {UserError} from '../errors.js'
import type {RunContext} from '../run-context.js'
import type {AuditTable, ClusterScope} from './log-analytics-kql.js'
import type {AzureCredential, AzureHttpClient, TableRows} from './log-analytics.js'
import type {QueryFilter} from './source.js'

/** What the AKS flags (src/flags/aks.ts) compile to. */
export interface AksLogOptions {
  readonly workspace?: string
  readonly subscription?: string
  readonly resourceGroup?: string
  readonly clusterName?: string
}

export interface AksLog {
  readonly sources: import('./log-analytics.js').LogAnalyticsSource[]
  /** The one line that says what is read. */
  readonly announcement: string
  readonly notices: readonly string[]
}

/** What the opening may be handed instead of the real thing (tests). */
export interface AzureAccess {
  readonly credential?: AzureCredential
  readonly httpClient?: AzureHttpClient
  readonly env?: NodeJS.ProcessEnv
  readonly now?: () => number
}

/** Where the cluster's audit rows are: the workspace, the cluster's ARM ID when known, and how each was found. */
export interface AksLogLocation {
  readonly workspaceId: string
  readonly scope: ClusterScope
  readonly clusterName: string | null
  readonly region: string | null
  /** The cluster's resource ID as far as it is known, for commands in hints. */
  readonly clusterId: string
  readonly evidence: readonly string[]
}

/** The AKS flags given (AKS's own; --cluster-name is shared with the other providers). */
export function aksFlagged(given: AksLogOptions): boolean {
  return given.workspace !== undefined || given.subscription !== undefined || given.resourceGroup !== undefined
}

/**
 * The AKS audit log of the context (or of the flags), opened: the tables are counted, so missing
 * credentials, permission, table or rows are a UserError here. undefined when `auto` finds no AKS.
 */
export async function openAksLog(
  location: 'auto' | 'log-analytics',
  connection: KubeConnectionOptions,
  given: AksLogOptions,
  filter: QueryFilter,
  run: RunContext,
  access: AzureAccess = {},
  {windowAhead = false}: {windowAhead?: boolean} = {},
): Promise<AksLog | undefined> {
  const kc = await loadKubeConfig({...connection, verbose: false}).catch((error: unknown) => {
    if (error instanceof NoKubeconfigError) return undefined
    throw error
  })
  const view = kc && contextView(kc)
  const inferred = view && aksContext(view)
  if (location === 'auto' && !inferred && !aksFlagged(given)) return undefined
  const env = access.env ?? process.env
  const credential = access.credential ?? (await defaultCredential())
  const where = await locateAksLog(inferred ?? undefined, given, credential, access, run.signal)
  const {auditTables, connectLogs, LogAnalyticsSource, logAnalyticsUrl, queryRange} = await import('./log-analytics.js')
  const logs = await connectLogs(credential, logAnalyticsUrl(env), access.httpClient)
  const now = access.now ?? Date.now
  // A window still ahead holds nothing yet (doctor --probe opens the log before it writes): which
  // table holds the cluster's rows is told by the days before it.
  const range = windowAhead ? recentRange(now()) : queryRange(filter, now())
  const counted = await auditTables(logs.client, where.workspaceId, where.scope, range, run.signal)
  const {read, notices} = tablesToRead(counted, where, range)
  const sources = read.map(
    (table) => new LogAnalyticsSource({workspaceId: where.workspaceId, table, scope: where.scope}, logs, {now}),
  )
  const cluster = where.clusterName
    ? `cluster ${where.clusterName}${where.region ? ` (${where.region})` : ''}`
    : 'every AKS cluster the workspace holds'
  const announcement = `reading AKS audit logs of ${cluster} from Log Analytics workspace ${where.workspaceId}, table ${read.join(' and ')} (${where.evidence.join('; ')})`
  return {sources, announcement, notices}
}

/** How far back a window still ahead looks for the cluster's rows. */
const RECENT_MS = 7 * 24 * 3600_000

function recentRange(nowMs: number): {startMs: number; endMs: number} {
  return {startMs: nowMs - RECENT_MS, endMs: nowMs + 60_000}
}

/** Which tables to read: AKSAuditAdmin or else AKSAudit (either holds every write), and AzureDiagnostics when it has rows too. */
export function tablesToRead(
  counted: readonly TableRows[],
  where: AksLogLocation,
  range: {startMs: number; endMs: number},
): {read: AuditTable[]; notices: string[]} {
  const rows = (table: AuditTable) => counted.find((c) => c.table === table)?.rows ?? 0
  if (counted.length === 0) {
    throw new UserError(
      `Log Analytics workspace ${where.workspaceId} has none of the tables AKS writes its audit log to (AKSAuditAdmin, AKSAudit, AzureDiagnostics)`,
      {
        hint: `send it there with a diagnostic setting: ${diagnosticSettingCommand(where.clusterId)}`,
      },
    )
  }
  const dedicated = (['AKSAuditAdmin', 'AKSAudit'] as const).find((t) => rows(t) > 0)
  const read: AuditTable[] = [
    ...(dedicated ? [dedicated] : []),
    ...(rows('AzureDiagnostics') > 0 ? ['AzureDiagnostics' as const] : []),
  ]
  if (read.length === 0) {
    const span = `${new Date(range.startMs).toISOString()} to ${new Date(range.endMs).toISOString()}`
    const whose = where.clusterName ? ` of cluster ${where.clusterName}` : ''
    throw new UserError(
      `Log Analytics workspace ${where.workspaceId} holds no AKS audit records${whose} from ${span} (${counted.map((c) => c.table).join(', ')}: none)`,
      {
        hint: `widen the window (--since), or check that a diagnostic setting sends kube-audit-admin there: az monitor diagnostic-settings list --resource ${where.clusterId}`,
      },
    )
  }
  const notices =
    dedicated === 'AKSAuditAdmin' && rows('AKSAudit') > 0
      ? [
          'AKSAudit holds rows in the window too: AKSAuditAdmin is read, which has the same writes (both kube-audit and kube-audit-admin are sent: one is enough)',
        ]
      : []
  return {read, notices}
}

/**
 * The workspace and the cluster's rows in it: --workspace as given, or the cluster's diagnostic
 * setting that sends kube-audit(-admin) to a workspace, read from Azure Resource Manager.
 */
export async function locateAksLog(
  inferred: ReturnType<typeof aksContext>,
  given: AksLogOptions,
  credential: AzureCredential,
  access: AzureAccess,
  signal?: AbortSignal,
): Promise<AksLogLocation> {
  const name = given.clusterName ?? inferred?.name ?? null
  const evidence = [...(inferred?.evidence ?? []), ...(given.clusterName ? ['--cluster-name'] : [])]
  const group = given.resourceGroup ?? inferred?.resourceGroup ?? null
  const {defaultSubscription} = await import('./aks-arm.js')
  const subscription = given.subscription
    ? {id: given.subscription, from: '--subscription'}
    : await defaultSubscription(access.env ?? process.env)
  const clusterId = subscription && group && name ? aksResourceId(subscription.id, group, name) : 'CLUSTER_RESOURCE_ID'
  if (given.workspace) {
    return {
      workspaceId: given.workspace,
      scope: name ? {clusterName: name} : {},
      clusterName: name,
      region: inferred?.region ?? null,
      clusterId,
      evidence: [...evidence, '--workspace'],
    }
  }
  if (!subscription || !group || !name) {
    const missing = [
      ...(name ? [] : ['--cluster-name NAME']),
      ...(group ? [] : ['--resource-group GROUP']),
      ...(subscription ? [] : ['--subscription ID']),
    ]
    throw new UserError(
      `cannot tell which Log Analytics workspace holds the audit log of ${name ? `AKS cluster ${name}` : 'the AKS cluster'}: the kubeconfig does not say it, and the cluster's diagnostic settings cannot be looked up without ${missing.join(', ')}`,
      {
        hint: `give --workspace WORKSPACE_ID (a GUID), or ${missing.join(' ')} to read it from the cluster's diagnostic settings`,
      },
    )
  }
  const {armUrl, connectArm, diagnosticSettings, managedCluster, workspaceId} = await import('./aks-arm.js')
  const arm = await connectArm(credential, armUrl(access.env ?? process.env), access.httpClient)
  const cluster = await managedCluster(arm, clusterId, signal)
  if (inferred && cluster.hosts.length > 0 && !cluster.hosts.includes(inferred.host)) {
    throw new UserError(
      `AKS cluster ${cluster.id} is not the kubeconfig context's (its API server is ${cluster.hosts.join(', ')}, the context's ${inferred.host})`,
      {
        hint: 'give the right --subscription and --resource-group, or --workspace',
      },
    )
  }
  const settings = await diagnosticSettings(arm, cluster.id, signal)
  const sending = settings.filter((s) => s.workspace !== null && s.auditCategories.length > 0)
  if (sending.length === 0) {
    const elsewhere = settings
      .filter((s) => s.auditCategories.length > 0)
      .map(
        (s) =>
          `${s.name} sends ${s.auditCategories.join(', ')} to ${s.storageAccount ?? s.eventHub ?? s.partnerSolution}`,
      )
    throw new UserError(
      `AKS cluster ${cluster.name} sends its audit log to no Log Analytics workspace${elsewhere.length > 0 ? ` (${elsewhere.join('; ')}: read those exports with -f)` : ''}`,
      {
        hint: `send it to a workspace: ${diagnosticSettingCommand(cluster.id)}`,
      },
    )
  }
  // The one with kube-audit-admin, in its own tables, first: the smallest that holds every write.
  const best = [...sending].sort((a, b) => rank(a) - rank(b))[0]!
  const id = await workspaceId(arm, best.workspace!, signal)
  return {
    workspaceId: id,
    scope: {resourceId: cluster.id},
    clusterName: cluster.name,
    region: cluster.location || inferred?.region || null,
    clusterId: cluster.id,
    evidence: [...evidence, subscription.from, `diagnostic setting ${best.name}`],
  }
}

function rank(setting: {auditCategories: readonly string[]; destinationType: string}): number {
  return (
    (setting.auditCategories.includes('kube-audit-admin') ? 0 : 2) + (setting.destinationType === 'Dedicated' ? 0 : 1)
  )
}

async function defaultCredential(): Promise<AzureCredential> {
  const {DefaultAzureCredential} = await import('@azure/identity')
  return new DefaultAzureCredential()
}
