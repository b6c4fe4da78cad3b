// What doctor knows about the target, gathered once (from the cluster or from files) before any
// check runs. Checks are pure functions of these facts.
import type {CoverageTarget} from '../audit/policy/coverage.js'
import type {RequestUser} from '../audit/policy/evaluate.js'
import type {KubernetesVersion} from '../audit/policy/kubernetes-version.js'
import type {LoadedPolicy} from '../audit/policy/load.js'
import type {Level} from '../audit/policy/types.js'
import type {ApiserverInstance} from '../cluster/apiservers.js'
import type {DiscoveryFailure} from '../cluster/control-plane.js'
import type {ManagedProvider} from '../cluster/managed-provider.js'
import type {AksFacts} from './aks-facts.js'
import type {EksFacts} from './eks-facts.js'
import type {ProbeFacts} from './probe-facts.js'

export interface DoctorFacts {
  readonly mode: 'cluster' | 'offline'
  readonly kubernetesVersion?: KubernetesVersion
  /** Where the version came from: `--kubernetes-version`, `/version (v1.31.2)`, an image tag. */
  readonly versionSource?: string
  /** Where the apiserver flags came from: a manifest file, or the cluster. */
  readonly apiserverSource: string
  readonly apiservers: readonly ApiserverInstance[]
  readonly discoveryFailures: readonly DiscoveryFailure[]
  /** Set in cluster mode when no apiserver is visible and the nodes or version give a provider away. */
  readonly managedProvider?: ManagedProvider
  readonly policy: PolicyFacts
  /** Undefined offline: Calico is only seen through the API. */
  readonly calico?: CalicoFacts
  readonly coverage: CoverageInputs
  /** The end of each apiserver's audit log, by apiserver name; absent when there is no log to read. */
  readonly logTails: ReadonlyMap<string, AuditLogTail>
  /** What --probe found; absent without it. */
  readonly probe?: ProbeFacts
  /** An EKS cluster's audit log setup, read from AWS; absent when the cluster is not EKS (and offline). */
  readonly eks?: EksFacts
  /** An AKS cluster's diagnostic settings, read from Azure; absent when the cluster is not AKS (and offline). */
  readonly aks?: AksFacts
}

/** What the end of one apiserver's audit log says; keyed by apiserver name in the facts. */
export type AuditLogTail =
  /** `bytes` kept from the end (from a pod log: its audit lines only); `newestMs` null when none is an event. */
  | {
      readonly state: 'read'
      readonly location: string
      readonly stdout: boolean
      readonly bytes: number
      readonly newestMs: number | null
      readonly readAtMs: number
    }
  /** The log file is not there, though kube-apiserver creates it when it starts. */
  | {readonly state: 'missing'; readonly location: string}
  /** Not read: why, and the exact command that would check it. */
  | {readonly state: 'unavailable'; readonly reason: string; readonly command: string | null}

export type PolicyFacts =
  | {readonly state: 'loaded'; readonly location: string; readonly loaded: LoadedPolicy}
  /** Not read: why, and the exact command that would get it. */
  | {readonly state: 'unavailable'; readonly reason: string; readonly command: string | null}
  | {readonly state: 'not-configured'}

export interface CoverageInputs {
  readonly user: RequestUser
  readonly verbs: readonly string[]
  readonly targets: readonly CoverageTarget[]
  /** API groups whose coverage matters here (served by this cluster, or all when unknown). */
  readonly relevantGroups: ReadonlySet<string>
  /** The most kube-apiserver can record per API group (projectcalico.org when aggregated: Metadata). */
  readonly levelCaps: ReadonlyMap<string, Level>
}

export interface CalicoFacts {
  /**
   * The v3.projectcalico.org APIService: backed by a Service (the Calico API server, aggregated) or
   * local (kube-apiserver registers one for every CRD group: Calico 3.32+ native v3 CRDs).
   */
  readonly apiService:
    {readonly state: 'aggregated'; readonly service: string} | {readonly state: 'local'} | {readonly state: 'absent'}
  /** crd.projectcalico.org is served (Calico's CRD storage, written by calicoctl and the Calico API server). */
  readonly backingCrds: boolean
  /** Calico Enterprise's own API server audit policy (ConfigMap), when found. */
  readonly enterprisePolicy?: {readonly location: string; readonly loaded: LoadedPolicy}
  /** True when a Tigera Calico Enterprise install is visible (tigera-system namespace). */
  readonly enterprise: boolean
  /** Lookups that failed, e.g. 403 on APIServices. */
  readonly failures: readonly DiscoveryFailure[]
}
