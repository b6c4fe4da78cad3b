// The parts of the current kubeconfig context that tell a managed cluster's provider, name and
// location (and how kubectl gets its credentials): read once from the KubeConfig, as plain data,
// for the pure inference of each provider (eks-context.ts, …).
import type {KubeConfig} from '@kubernetes/client-node'

import {loadedUserOf} from './kubeconfig.js'

/** The credential plugin kubectl runs for the context's user (`users[].user.exec`). */
export interface ExecPlugin {
  readonly command: string
  readonly args: readonly string[]
  /** The environment the plugin is given on top of kubectl's (`AWS_PROFILE`, …). */
  readonly env: Readonly<Record<string, string>>
}

export interface KubeContextView {
  readonly contextName: string
  /** The name of the kubeconfig's cluster entry (for EKS, often the cluster ARN). */
  readonly clusterName: string
  readonly server: string
  /** The name of the kubeconfig's user entry (AKS names it clusterUser_RESOURCEGROUP_CLUSTER). */
  readonly userName?: string
  readonly exec?: ExecPlugin
}

/** The current context of `kc` as plain data; undefined when it has none. */
export function contextView(kc: KubeConfig): KubeContextView | undefined {
  const context = kc.getContextObject(kc.currentContext)
  if (!context) return undefined
  const cluster = kc.getCluster(context.cluster)
  // The user as written: loadKubeConfig hides its exec plugin from client-node, to run it bounded.
  const exec = loadedUserOf(kc)?.exec as {command?: unknown; args?: unknown; env?: unknown} | undefined
  return {
    contextName: context.name,
    clusterName: context.cluster,
    server: cluster?.server ?? '',
    userName: context.user,
    ...(exec && typeof exec.command === 'string' ? {exec: execPlugin(exec.command, exec.args, exec.env)} : {}),
  }
}

function execPlugin(command: string, args: unknown, env: unknown): ExecPlugin {
  const pairs = Array.isArray(env)
    ? env.filter((e): e is {name: string; value: string} => typeof e?.name === 'string' && typeof e?.value === 'string')
    : []
  return {
    command,
    args: Array.isArray(args) ? args.filter((a): a is string => typeof a === 'string') : [],
    env: Object.fromEntries(pairs.map((e) => [e.name, e.value])),
  }
}
