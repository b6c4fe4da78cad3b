// Where an EKS cluster's audit log is: decided from the kubeconfig context (eks-context.ts) and
// the EKS flags, and opened as a CloudWatch Logs query source. `auto` reads it only when the
// context (or a flag) says EKS; `cloudwatch` insists, and says what is missing.
import {clusterOfLogGroup, type EksContext, eksContext, eksLogGroup} from '../cluster/eks-context.js'
import {type KubeConnectionOptions, loadKubeConfig, NoKubeconfigError} from '../cluster/kubeconfig.js'
import {contextView} from '../cluster/managed-context.js'
import {UserError} from '../errors.js'
import type {RunContext} from '../run-context.js'
import {CloudWatchSource} from './cloudwatch.js'
import type {QueryFilter} from './source.js'

/** What the EKS flags (src/flags/eks.ts) compile to. */
export interface EksLogOptions {
  readonly region?: string
  readonly clusterName?: string
  readonly logGroup?: string
}

export interface EksLog {
  readonly source: CloudWatchSource
  /** The one line that says what is read (`reading EKS audit logs of cluster prod-eu (eu-west-1) from CloudWatch Logs`). */
  readonly announcement: string
}

/**
 * The EKS audit log of the context (or of the flags), opened: its first answer is in, so a missing
 * permission, log group or credentials is a UserError here. undefined when `auto` finds no EKS.
 */
export async function openEksLog(
  location: 'auto' | 'cloudwatch',
  connection: KubeConnectionOptions,
  given: EksLogOptions,
  filter: QueryFilter,
  run: RunContext,
  {windowAhead = false}: {windowAhead?: boolean} = {},
): Promise<EksLog | undefined> {
  const flagged = given.logGroup !== undefined || given.clusterName !== undefined
  // The nodes' reader logs the requests of -v; this is only a look at the kubeconfig.
  const kc = await loadKubeConfig({...connection, verbose: false}).catch((error: unknown) => {
    // Without a kubeconfig, the flags may say enough (under auto, reading the nodes says what is missing).
    if (error instanceof NoKubeconfigError) return undefined
    throw error
  })
  const view = kc && contextView(kc)
  const inferred = view && eksContext(view)
  if (location === 'auto' && !inferred && !flagged) return undefined
  const cluster = given.clusterName ?? inferred?.name ?? (given.logGroup ? clusterOfLogGroup(given.logGroup) : null)
  const logGroup = given.logGroup ?? (cluster ? eksLogGroup(cluster) : undefined)
  if (logGroup === undefined) throw unknownCluster(view?.contextName, inferred)
  const source = new CloudWatchSource({
    logGroup,
    region: given.region ?? inferred?.region ?? null,
    profile: inferred?.profile ?? null,
    roleArn: inferred?.roleArn ?? null,
  })
  await source.start(filter, run.signal, {windowAhead})
  const region = await source.region()
  const what = cluster ? `cluster ${cluster}` : `log group ${logGroup}`
  return {source, announcement: `reading EKS audit logs of ${what} (${region}) from CloudWatch Logs`}
}

function unknownCluster(context: string | undefined, inferred: EksContext | undefined): UserError {
  const why = inferred
    ? `the kubeconfig context ${context} is an EKS cluster (${inferred.evidence.join(', ')}), but does not name it`
    : context
      ? `the kubeconfig context ${context} names no EKS cluster`
      : 'there is no kubeconfig'
  return new UserError(`cannot tell which EKS cluster's audit log to read: ${why}`, {
    hint: 'name it: --cluster-name NAME --region REGION (or --log-group GROUP)',
  })
}
