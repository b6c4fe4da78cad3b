// Runs every check on the facts and assembles the DoctorReport (the JSON contract).
import {computeCoverage, type CoverageRow} from '../audit/policy/coverage.js'
import {formatKubernetesVersion} from '../audit/policy/kubernetes-version.js'
import {isRejected} from '../audit/policy/load.js'
import type {ApiserverInstance, MappedPath} from '../cluster/apiservers.js'
import type {Check, CheckResult} from './check.js'
import {calicoApiMode, calicoApiserverPolicy} from './checks/calico.js'
import {controlPlaneVisible} from './checks/control-plane.js'
import {aksAuditLogging, aksAuditPolicy} from './checks/aks.js'
import {eksAuditLogging, eksAuditPolicy, eksLogRetention} from './checks/eks.js'
import {auditBackend, auditLogFormat, auditLogRetention, auditPolicyFile} from './checks/flags.js'
import {GKE_CHECKS} from './checks/gke.js'
import {auditLogFresh} from './checks/log-fresh.js'
import {auditLogMount, auditPolicyMount} from './checks/mounts.js'
import {
  policyApiVersion,
  policyCoverage,
  policyPitfalls,
  policyReadable,
  policyRequestReceived,
  policySensitive,
  policyValid,
} from './checks/policy.js'
import {auditProbe, auditProbePolicy} from './checks/probe.js'
import type {DoctorFacts} from './facts.js'
import {probeReport, type ProbeReport} from './probe-report.js'

/** Every check, in report order. */
export const CHECKS: readonly Check[] = [
  controlPlaneVisible,
  auditPolicyFile,
  auditBackend,
  auditLogFormat,
  auditLogRetention,
  auditLogMount,
  auditLogFresh,
  auditPolicyMount,
  policyReadable,
  policyApiVersion,
  policyValid,
  policyCoverage,
  policySensitive,
  policyRequestReceived,
  policyPitfalls,
  calicoApiMode,
  calicoApiserverPolicy,
]

/**
 * A managed provider's own checks, only on its clusters: elsewhere each would be one more row
 * saying "not an EKS cluster".
 */
const PROVIDER_CHECKS: ReadonlyArray<{
  readonly applies: (facts: DoctorFacts) => boolean
  readonly checks: readonly Check[]
}> = [
  {applies: (facts) => facts.eks !== undefined, checks: [eksAuditLogging, eksLogRetention, eksAuditPolicy]},
  {applies: (facts) => facts.managedProvider?.id === 'gke', checks: GKE_CHECKS},
  {applies: (facts) => facts.aks !== undefined, checks: [aksAuditLogging, aksAuditPolicy]},
]

/** What --probe proved, after the rest: only when it ran. */
export const PROBE_CHECKS: readonly Check[] = [auditProbe, auditProbePolicy]

export interface ApiserverSummary {
  readonly name: string
  readonly node: string | null
  readonly source: 'pod' | 'node-args' | 'manifest'
  readonly distribution: string
  /** The audit-* flags only. */
  readonly auditFlags: Readonly<Record<string, string>>
  readonly flagProblems: readonly string[]
  readonly policyFile: {readonly path: string; readonly hostPath: string | null} | null
  readonly auditLog: {readonly path: string; readonly hostPath: string | null} | null
}

export interface DoctorReport {
  readonly apiVersion: 'kubectl-audit/v1'
  readonly kind: 'DoctorReport'
  readonly target: {
    readonly mode: 'cluster' | 'offline'
    readonly kubernetesVersion: string | null
    readonly apiservers: readonly ApiserverSummary[]
    /** Where the policy was read from; null when it was not. */
    readonly policy: string | null
    /** The identity coverage is evaluated for. */
    readonly identity: {readonly user: string; readonly groups: readonly string[]}
  }
  readonly checks: readonly CheckResult[]
  readonly coverage: readonly CoverageRow[]
  /** What --probe sent and found; null without --probe. */
  readonly probe: ProbeReport | null
}

export function buildReport(facts: DoctorFacts): DoctorReport {
  // The probe's checks, only with --probe, after the rest.
  const all = [
    ...CHECKS,
    ...PROVIDER_CHECKS.filter((provider) => provider.applies(facts)).flatMap((provider) => provider.checks),
    ...(facts.probe ? PROBE_CHECKS : []),
  ]
  const checks = all.map((check): CheckResult => {
    const verdict = check.run(facts)
    return {
      id: check.id,
      status: verdict.status,
      title: check.title,
      detail: verdict.detail,
      remedy: verdict.remedy ?? null,
    }
  })
  // A policy kube-apiserver refuses records nothing: no matrix that would say otherwise.
  const policy =
    facts.policy.state === 'loaded' && !isRejected(facts.policy.loaded) ? facts.policy.loaded.policy : undefined
  return {
    apiVersion: 'kubectl-audit/v1',
    kind: 'DoctorReport',
    target: {
      mode: facts.mode,
      kubernetesVersion: facts.kubernetesVersion ? formatKubernetesVersion(facts.kubernetesVersion) : null,
      apiservers: facts.apiservers.map(summarize),
      policy: facts.policy.state === 'loaded' ? facts.policy.location : null,
      identity: {user: facts.coverage.user.name, groups: facts.coverage.user.groups},
    },
    checks,
    coverage: policy ? computeCoverage(policy, facts.coverage) : [],
    probe: facts.probe ? probeReport(facts.probe) : null,
  }
}

/** 1 when a check failed, else 0 (2 is for "could not run", raised as a UserError). */
export function exitCodeOf(report: DoctorReport): 0 | 1 {
  return report.checks.some((c) => c.status === 'fail') ? 1 : 0
}

function summarize(apiserver: ApiserverInstance): ApiserverSummary {
  const path = (mapped: MappedPath | null) => (mapped ? {path: mapped.path, hostPath: mapped.hostPath} : null)
  return {
    name: apiserver.name,
    node: apiserver.nodeName,
    source: apiserver.source,
    distribution: apiserver.distribution,
    auditFlags: Object.fromEntries(Object.entries(apiserver.flags).filter(([name]) => name.startsWith('audit-'))),
    flagProblems: apiserver.flagProblems,
    policyFile: path(apiserver.policyFile),
    auditLog: path(apiserver.auditLog),
  }
}
