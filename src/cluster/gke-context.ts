// Which GKE cluster a kubeconfig context points at, from the kubeconfig alone: `gcloud container
// clusters get-credentials` names the context, cluster and user `gke_PROJECT_LOCATION_CLUSTER`,
// and the user runs gke-gcloud-auth-plugin (or, before it, the gcp auth provider).
import type {KubeConfig} from '@kubernetes/client-node'

import {loadedUserOf} from './kubeconfig.js'

/** What the current context says, as plain data (the field names of the other providers' views). */
export interface KubeContextView {
  readonly contextName: string
  /** The name of the kubeconfig's cluster entry. */
  readonly clusterName: string
  /** The name of the kubeconfig's user entry. */
  readonly userName: string
  /** The user's exec credential plugin (`gke-gcloud-auth-plugin`, a path to it, `aws`, …). */
  readonly exec?: {readonly command: string}
  /** The user's legacy auth-provider name (`gcp`). */
  readonly authProvider?: string
}

/** What the kubeconfig tells of a GKE cluster: each part it names, and what gave it away. */
export interface GkeClusterGuess {
  readonly project?: string
  readonly location?: string
  readonly cluster?: string
  readonly evidence: string
}

/** Project IDs, locations and cluster names hold no underscore: the name splits unambiguously. */
const GKE_NAME = /^gke_([^_]+)_([^_]+)_([^_]+)$/

/** The current context of a loaded kubeconfig (its overrides, --context included, applied). */
export function contextView(kc: KubeConfig): KubeContextView | undefined {
  const context = kc.getContextObject(kc.getCurrentContext())
  if (!context) return undefined
  const user = loadedUserOf(kc)
  return {
    contextName: context.name,
    clusterName: context.cluster,
    userName: context.user,
    ...(typeof user?.exec?.command === 'string' ? {exec: {command: user.exec.command}} : {}),
    ...(typeof user?.authProvider?.name === 'string' ? {authProvider: user.authProvider.name} : {}),
  }
}

/** The GKE cluster of a context, or undefined when nothing in it says GKE. */
export function inferGkeCluster(view: KubeContextView): GkeClusterGuess | undefined {
  // A renamed context (kubectx prod=gke_…) keeps the cluster and user entries' names.
  for (const [what, name] of [
    ['context', view.contextName],
    ['cluster entry', view.clusterName],
    ['user entry', view.userName],
  ] as const) {
    const m = GKE_NAME.exec(name)
    if (m) return {project: m[1], location: m[2], cluster: m[3], evidence: `kubeconfig ${what} ${name}`}
  }
  const command = view.exec?.command
    .split(/[\\/]/)
    .pop()
    ?.replace(/\.exe$/i, '')
  if (command === 'gke-gcloud-auth-plugin')
    return {evidence: `the kubeconfig user ${view.userName} runs gke-gcloud-auth-plugin`}
  if (view.authProvider === 'gcp') return {evidence: `the kubeconfig user ${view.userName} uses the gcp auth provider`}
  return undefined
}
