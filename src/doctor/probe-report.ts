// The probe's part of the DoctorReport (`probe`, part of the JSON contract): what was sent, what
// the API server answered, and every audit event of it found, where and how long after.
import type {ProbeFacts, ProbeResult} from './probe-facts.js'

export interface ProbeReport {
  readonly namespace: string
  /** Who the API server says sent the probes; null when it could not say. */
  readonly user: string | null
  readonly timeoutSeconds: number
  /** Where the probes were looked for. */
  readonly sources: readonly string[]
  /** Why nothing was sent (the log cannot be read); null when the probes were sent. */
  readonly unreadable: string | null
  /** Sources whose last read failed, with why. */
  readonly readErrors: readonly string[]
  /** Where events can take minutes to show (CloudWatch Logs, Cloud Logging, Log Analytics). */
  readonly slowServices: readonly string[]
  readonly results: readonly ProbeResultReport[]
  /** What was not probed, and why. */
  readonly notes: readonly string[]
}

export interface ProbeResultReport {
  readonly apiGroup: string
  readonly resource: string
  readonly kind: string
  readonly namespace: string | null
  readonly name: string
  /** `kind`: the write asked about; `backing-crd`: the crd.projectcalico.org write behind an aggregated Calico kind. */
  readonly purpose: 'kind' | 'backing-crd'
  /** The Audit-ID sent, and the one the server answered with (null: none came back). */
  readonly auditID: string
  readonly echoedAuditID: string | null
  /** The HTTP status of the dry-run create. */
  readonly code: number
  readonly accepted: boolean
  /** The server's message when it refused. */
  readonly refusal: string | null
  /** Found in kube-apiserver's log. */
  readonly recorded: boolean
  readonly records: ReadonlyArray<{
    readonly recorder: 'kube-apiserver' | 'calico-apiserver'
    readonly source: string
    /** How the event was told from others: by the probe's Audit-ID, or (a store that keeps another ID) by its object. */
    readonly matchedBy: 'audit-id' | 'object'
    /** null where the store does not keep it (GKE's entries carry neither level nor stage). */
    readonly level: string | null
    readonly stages: readonly string[] | null
    readonly requestBody: boolean
    readonly responseBody: boolean
    /** From the write to the read that found it: at most this long. */
    readonly foundAfterMs: number
  }>
}

export function probeReport(probe: ProbeFacts): ProbeReport {
  return {
    namespace: probe.namespace,
    user: probe.sender?.name ?? null,
    timeoutSeconds: probe.timeoutMs / 1000,
    sources: probe.sources,
    unreadable: probe.unreadable?.reason ?? null,
    readErrors: probe.sourceErrors,
    slowServices: probe.slowServices,
    results: probe.results.map(resultReport),
    notes: probe.notes,
  }
}

function resultReport(result: ProbeResult): ProbeResultReport {
  const {target, answer} = result
  return {
    apiGroup: target.apiGroup,
    resource: target.resource,
    kind: target.kind,
    namespace: result.namespace,
    name: result.name,
    purpose: target.purpose,
    auditID: result.auditID,
    echoedAuditID: answer.echoedAuditID,
    code: answer.code,
    accepted: answer.accepted,
    refusal: answer.accepted ? null : answer.message,
    recorded: result.records.some((r) => r.recorder === 'kube-apiserver'),
    records: result.records.map((r) => ({
      recorder: r.recorder,
      source: r.source,
      matchedBy: r.matchedBy,
      level: r.level,
      stages: r.stages,
      requestBody: r.requestBody,
      responseBody: r.responseBody,
      foundAfterMs: r.foundAfterMs,
    })),
  }
}
