// The control plane of a cluster as one run sees it: the server version, the nodes, the
// kube-apiserver instances and, when none is visible, the managed provider that hides them. Each
// is asked of the API at most once per run, whichever command asks and in whatever order.
import type {CoreV1Api, KubeConfig, V1Node, VersionInfo} from '@kubernetes/client-node'

import {refusalCodeOf, serverMessageOf} from './api-errors.js'
import {abortable} from './api-http.js'
import {type ApiserverInstance, apiserverFromNodeArgs, apiserverFromPod, type PodLike} from './apiservers.js'
import {serverOf} from './kubeconfig.js'
import {detectManagedProvider, type ManagedProvider, type NodeLike} from './managed-provider.js'

/** kube-system pods that run kube-apiserver: kubeadm and RKE2 mirror pods, then kops. */
export const APISERVER_LABEL_SELECTORS = ['component=kube-apiserver', 'k8s-app=kube-apiserver']

export interface ApiserverDiscovery {
  readonly instances: readonly ApiserverInstance[]
  /** Lookups that failed, e.g. `list pods -n kube-system: 403 Forbidden`; discovery goes on without them. */
  readonly failures: readonly DiscoveryFailure[]
}

export interface DiscoveryFailure {
  /** What was asked, as an RBAC request: `list pods -n kube-system`. */
  readonly request: string
  /** The HTTP status the API answered with, e.g. 403. */
  readonly status: number
  readonly message: string
}

export interface NodeListing {
  /** Every node by name; undefined when listing them was refused. */
  readonly byName: ReadonlyMap<string, V1Node> | undefined
  readonly failure?: DiscoveryFailure
}

/**
 * Refused lookups (403, 404, ...) are answers: the run goes on without them. Network errors and
 * rejected credentials (401) are thrown as they come, for the caller to turn into a message.
 */
export class ControlPlane {
  /** API server URL, for messages. */
  readonly server: string
  private core?: Promise<CoreV1Api>
  private versionInfo?: Promise<VersionInfo>
  private nodeListing?: Promise<NodeListing>
  private discovery?: Promise<ApiserverDiscovery>
  private provider?: Promise<ManagedProvider | undefined>

  /** `signal`: the run's; an interrupted run stops waiting for answers. */
  constructor(
    readonly kc: KubeConfig,
    private readonly signal?: AbortSignal,
  ) {
    this.server = serverOf(kc)
  }

  /** GET /version. */
  version(): Promise<VersionInfo> {
    this.versionInfo ??= (async () => {
      const {VersionApi} = await import('@kubernetes/client-node')
      return abortable(this.kc.makeApiClient(VersionApi).getCode(), this.signal)
    })()
    return this.versionInfo
  }

  nodes(): Promise<NodeListing> {
    this.nodeListing ??= (async () => {
      const core = await this.coreApi()
      try {
        const list = await abortable(core.listNode(), this.signal)
        return {byName: new Map(list.items.map((n) => [n.metadata?.name ?? '', n]))}
      } catch (error) {
        return {byName: undefined, failure: discoveryFailure('list nodes', error)}
      }
    })()
    return this.nodeListing
  }

  /**
   * The apiserver instances: kube-system pods by label, then the node-args annotation of server
   * nodes that have no such pod.
   */
  apiservers(): Promise<ApiserverDiscovery> {
    this.discovery ??= (async () => {
      const core = await this.coreApi()
      const failures: DiscoveryFailure[] = []
      const instances: ApiserverInstance[] = []
      const seen = new Set<string>()
      for (const labelSelector of APISERVER_LABEL_SELECTORS) {
        try {
          const pods = await abortable(core.listNamespacedPod({namespace: 'kube-system', labelSelector}), this.signal)
          for (const pod of pods.items) {
            const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`
            if (seen.has(key)) continue
            seen.add(key)
            instances.push(apiserverFromPod(pod as PodLike))
          }
        } catch (error) {
          failures.push(discoveryFailure(`list pods -n kube-system -l ${labelSelector}`, error))
          // The same permission answers both selectors: asking again only repeats the failure.
          break
        }
      }
      const nodes = await this.nodes()
      if (nodes.failure) failures.push(nodes.failure)
      const withPod = new Set(instances.map((i) => i.nodeName))
      for (const node of nodes.byName?.values() ?? []) {
        if (withPod.has(node.metadata?.name ?? null)) continue
        const instance = apiserverFromNodeArgs(node as NodeLike)
        if (instance) instances.push(instance)
      }
      return {instances, failures}
    })()
    return this.discovery
  }

  /**
   * EKS, GKE or AKS, from the server version and the nodes, for when no apiserver is visible. A
   * version that cannot be read is no evidence either way.
   */
  managedProvider(): Promise<ManagedProvider | undefined> {
    this.provider ??= (async () => {
      const gitVersion = await this.version().then(
        (v) => v.gitVersion,
        () => undefined,
      )
      const nodes = await this.nodes()
      return detectManagedProvider(gitVersion, [...(nodes.byName?.values() ?? [])] as NodeLike[])
    })()
    return this.provider
  }

  private coreApi(): Promise<CoreV1Api> {
    this.core ??= import('@kubernetes/client-node').then((k8s) => this.kc.makeApiClient(k8s.CoreV1Api))
    return this.core
  }
}

/** An API refusal as a failure record; anything else (no HTTP answer, a 401) is rethrown. */
export function discoveryFailure(request: string, error: unknown): DiscoveryFailure {
  const status = refusalCodeOf(error)
  if (status === undefined) throw error
  return {request, status, message: serverMessageOf(error) ?? `HTTP ${status}`}
}
