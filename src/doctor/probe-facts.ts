// What the probe found: for each dry-run create, what the API server answered and every audit
// event of it found in the log, where, and how long after the write. The probe checks
// (checks/probe.ts) are pure functions of this.
import type {DryRunAnswer} from '../cluster/dry-run-create.js'
import type {Identity} from '../cluster/self-subject.js'
import {CALICO_EE_PREFIX} from '../sources/elasticsearch-indices.js'

/** One dry-run create to send. */
export interface ProbeTarget {
  readonly apiGroup: string
  readonly version: string
  readonly resource: string
  readonly kind: string
  readonly namespaced: boolean
  /**
   * `kind`: the write asked about. `backing-crd`: a Calico kind's crd.projectcalico.org twin, sent
   * straight to the CRD. Through the aggregated API the Calico API server makes the backing write
   * whose audit event carries the body, but not for a dry run (it stores nothing), so the probe
   * makes that write itself to find out how it is recorded.
   */
  readonly purpose: 'kind' | 'backing-crd'
}

export interface ProbeFacts {
  /** Where the namespaced probes were written. */
  readonly namespace: string
  readonly timeoutMs: number
  /** Who the API server says sent them; undefined when it could not say (or --as hides it). */
  readonly sender?: Identity
  /** Where they were looked for: the sources `policies` reads without -f. */
  readonly sources: readonly string[]
  /** Some source is a log service or store (CloudWatch Logs, Cloud Logging, ...): events reach it later. */
  readonly queried: boolean
  /** Those of the sources that take minutes to show an event (CloudWatch Logs, Cloud Logging, Log Analytics). */
  readonly slowServices: readonly string[]
  /** The log could not be opened: nothing was sent. */
  readonly unreadable?: {readonly reason: string; readonly hint?: string}
  /** Sources whose last read failed, with why. */
  readonly sourceErrors: readonly string[]
  readonly results: readonly ProbeResult[]
  /** What was not probed, and why. */
  readonly notes: readonly string[]
}

export interface ProbeResult {
  readonly target: ProbeTarget
  readonly name: string
  readonly namespace: string | null
  /** The Audit-ID header sent. */
  readonly auditID: string
  readonly answer: DryRunAnswer
  /** When it was sent (this machine's clock). */
  readonly sentAtMs: number
  /** Every audit event of it found, by source and recorder. */
  readonly records: readonly ProbeRecord[]
}

/** Which server wrote a log: kube-apiserver, or the Calico API server (Calico Enterprise). */
export type Recorder = 'kube-apiserver' | 'calico-apiserver'

/**
 * Which server wrote a source, from its name: Calico Enterprise's API server writes a log of its
 * own (on its node under /var/log/calico/audit/, where its operator puts it; in its Elasticsearch,
 * the tigera_secure_ee_audit_ee indices); everything else `policies` reads is kube-apiserver's.
 */
export function recorderOf(source: string): Recorder {
  // Not just `ee_audit`: the kube-apiserver's indices are tigera_secure_ee_audit_kube.*.
  return source.includes('/calico/audit/') || source.includes(`${CALICO_EE_PREFIX}.`)
    ? 'calico-apiserver'
    : 'kube-apiserver'
}

/** The events of one probe in one source. */
export interface ProbeRecord {
  /** As `policies` names sources: `node/cp-1:/var/log/kubernetes/audit/audit.log`, a log group, an index. */
  readonly source: string
  readonly recorder: Recorder
  /** The probe's Audit-ID (the one sent, or the one the server answered with). */
  readonly auditID: string
  /**
   * `audit-id`: the event carries the probe's Audit-ID. `object`: it does not (a store that keeps
   * another ID, as GKE's entries may), and it was matched by what it wrote: a create of the probe's
   * kind, namespace and name, whose random suffix no other write has.
   */
  readonly matchedBy: 'audit-id' | 'object'
  /** null: the store does not keep it (GKE's entries carry no level). */
  readonly level: string | null
  /** The stages found, in pipeline order; null: the store does not keep them (GKE writes finished requests only). */
  readonly stages: readonly string[] | null
  /** The user the event names (the authenticated one, whom the policy is evaluated for). */
  readonly user: Identity
  readonly requestBody: boolean
  readonly responseBody: boolean
  /** From the write to the end of the read that first found it: an upper bound on the delay. */
  readonly foundAfterMs: number
}
