// A GKE cluster's audit log as the run's source: which cluster (the kubeconfig context, or the
// flags for what it does not say), the line that says so, and the credentials, checked before
// any reading starts.
import {contextView, type GkeClusterGuess, inferGkeCluster, type KubeContextView} from '../cluster/gke-context.js'
import {type KubeConnectionOptions, loadKubeConfig, NoKubeconfigError} from '../cluster/kubeconfig.js'
import {UserError} from '../errors.js'
import {CloudLoggingSource, cloudLoggingUrl, googleCredentials} from './cloud-logging.js'
import type {GkeCluster} from './cloud-logging-filter.js'

/** What --project, --location and --cluster-name say (each only when given). */
export interface GkeClusterFlags {
  readonly project?: string
  readonly location?: string
  readonly cluster?: string
}

const FLAG_OF: Record<keyof GkeCluster, string> = {
  project: '--project',
  location: '--location',
  cluster: '--cluster-name',
}

/**
 * The Cloud Logging source of the GKE cluster the run is about, and the line that says which; with
 * `auto`, undefined when neither the context nor the flags say GKE (the nodes are read, as before).
 */
export async function openGkeSource(
  location: 'auto' | 'cloud-logging',
  connection: KubeConnectionOptions,
  flags: GkeClusterFlags,
  env: NodeJS.ProcessEnv = process.env,
  {windowAhead = false}: {windowAhead?: boolean} = {},
): Promise<{source: CloudLoggingSource; said: string} | undefined> {
  const given = Object.values(flags).some((value) => value !== undefined)
  // Under auto, --cluster-name alone does not say GKE: EKS reads it too.
  const claimed = flags.project !== undefined || flags.location !== undefined
  let view: KubeContextView | undefined
  let kubeconfigProblem: string | undefined
  try {
    view = contextView(await loadKubeConfig(connection))
  } catch (error) {
    // Under auto the nodes' path says what is wrong with the kubeconfig; here it only means no guess.
    if (!(error instanceof UserError)) throw error
    kubeconfigProblem = error instanceof NoKubeconfigError ? 'no kubeconfig was found' : error.message
  }
  const guess = view && inferGkeCluster(view)
  if (location === 'auto' && guess === undefined && !claimed) return undefined
  const target = {
    project: flags.project ?? guess?.project,
    location: flags.location ?? guess?.location,
    cluster: flags.cluster ?? guess?.cluster,
  }
  const missing = (Object.keys(FLAG_OF) as Array<keyof GkeCluster>).filter((part) => target[part] === undefined)
  if (missing.length > 0) {
    throw new UserError(
      `cannot tell the GKE cluster's ${missing.map((part) => (part === 'cluster' ? 'name' : part)).join(', ')}: ${whyUnknown(guess, view, kubeconfigProblem)}`,
      {
        hint: `give ${missing.map((part) => `${FLAG_OF[part]} ${part.toUpperCase()}`).join(' ')} (gcloud container clusters list shows them)`,
      },
    )
  }
  const cluster = target as GkeCluster
  const headers = await googleCredentials()
  const source = new CloudLoggingSource({
    target: cluster,
    baseUrl: cloudLoggingUrl(env),
    headers,
    requestTimeoutMs: connection.requestTimeoutMs,
    windowAhead,
  })
  if (windowAhead) await source.checkHasEntries(Date.now())
  const from = given
    ? Object.entries(flags)
        .filter(([, value]) => value !== undefined)
        .map(([part]) => FLAG_OF[part as keyof GkeCluster])
    : []
  const evidence = [...(guess ? [guess.evidence] : []), ...(from.length > 0 ? [from.join(', ')] : [])].join('; ')
  return {
    source,
    said: `reading GKE audit logs of cluster ${cluster.cluster} (${cluster.location}, project ${cluster.project}) from Cloud Logging (${evidence})`,
  }
}

function whyUnknown(
  guess: GkeClusterGuess | undefined,
  view: KubeContextView | undefined,
  kubeconfigProblem: string | undefined,
): string {
  if (guess) return `${guess.evidence}, which does not name it`
  if (view) return `the kubeconfig context ${view.contextName} is not named gke_PROJECT_LOCATION_CLUSTER`
  return kubeconfigProblem ?? 'the kubeconfig has no current context'
}
