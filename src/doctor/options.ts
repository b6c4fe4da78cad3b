// What a doctor run checks, and how it reaches the cluster and its nodes: compiled from the
// command line by src/flags/doctor.ts, before any work.
import type {CoverageTarget} from '../audit/policy/coverage.js'
import type {RequestUser} from '../audit/policy/evaluate.js'
import type {KubernetesVersion} from '../audit/policy/kubernetes-version.js'
import type {KubeConnectionOptions} from '../cluster/kubeconfig.js'
import type {AksLogOptions} from '../sources/aks.js'
import type {EksLogOptions} from '../sources/eks.js'
import type {LogInput} from '../sources/open.js'
import type {ProbeKind} from './probe-plan.js'

export interface DoctorOptions {
  readonly offline: boolean
  readonly manifest?: string
  readonly policyFile?: string
  readonly kubernetesVersion?: KubernetesVersion
  readonly nodeAccess: boolean
  /** How the policy file is read from the node. */
  readonly nodeRead: {readonly via: 'auto' | 'kubelet' | 'pod'; readonly image: string; readonly namespace: string}
  readonly connection: KubeConnectionOptions
  readonly identity: RequestUser
  readonly verbs: readonly string[]
  /** Rows added with --resource. */
  readonly extraTargets: readonly CoverageTarget[]
  /** Where an EKS cluster's audit log is, when the kubeconfig context does not say. */
  readonly eks: EksLogOptions
  /** Where an AKS cluster's diagnostic settings are, when the kubeconfig context does not say. */
  readonly aks?: AksLogOptions
  /** --probe: dry-run creates, looked for in the log; absent without it (then no policy write is sent). */
  readonly probe?: ProbeOptions
}

export interface ProbeOptions {
  /** --probe-kind; null: a Kubernetes NetworkPolicy, and Calico's two policy kinds where served. */
  readonly kinds: readonly ProbeKind[] | null
  /** --probe-namespace; undefined: the context's namespace. */
  readonly namespace?: string
  readonly timeoutMs: number
  /**
   * Where the log is read: what `policies` opens without -f (its window is set when the probe
   * starts), or the store --es or --loki names.
   */
  readonly input: Exclude<LogInput, {from: 'files'}>
  /** false (--no-node-access): the log is looked for only where no node is touched (a managed provider's log service, a store). */
  readonly nodeAccess: boolean
}
