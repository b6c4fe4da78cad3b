// One check's verdict, and the helpers the checks share.
import type {ApiserverInstance} from '../cluster/apiservers.js'
import type {DoctorFacts} from './facts.js'

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip'

export interface CheckResult {
  /** Stable id, part of the JSON contract (e.g. `audit-log-retention`). */
  readonly id: string
  readonly status: CheckStatus
  readonly title: string
  /** One line: what was found. */
  readonly detail: string
  /** One line: what to change; null when nothing. */
  readonly remedy: string | null
}

/** A check's verdict before its id and title are attached. */
export interface Verdict {
  readonly status: CheckStatus
  readonly detail: string
  readonly remedy?: string | null
}

export interface Check {
  readonly id: string
  readonly title: string
  readonly run: (facts: DoctorFacts) => Verdict
}

export const pass = (detail: string): Verdict => ({status: 'pass', detail})
export const warn = (detail: string, remedy: string): Verdict => ({status: 'warn', detail, remedy})
export const fail = (detail: string, remedy: string): Verdict => ({status: 'fail', detail, remedy})
export const skip = (detail: string, remedy: string | null = null): Verdict => ({status: 'skip', detail, remedy})

const SEVERITY: Record<CheckStatus, number> = {skip: 0, pass: 1, warn: 2, fail: 3}

function worse(a: CheckStatus, b: CheckStatus): CheckStatus {
  return SEVERITY[a] >= SEVERITY[b] ? a : b
}

/**
 * Runs a per-apiserver verdict on every instance. When all agree, one verdict; otherwise the
 * worst status, with each instance's detail prefixed by its name.
 */
export function perApiserver(facts: DoctorFacts, verdictOf: (apiserver: ApiserverInstance) => Verdict): Verdict {
  if (facts.apiservers.length === 0) return skip('no kube-apiserver found, so its flags are unknown')
  const verdicts = facts.apiservers.map((a) => ({apiserver: a, verdict: verdictOf(a)}))
  const [first] = verdicts
  if (verdicts.every((v) => v.verdict.status === first.verdict.status && v.verdict.detail === first.verdict.detail))
    return first.verdict
  const status = verdicts.reduce<CheckStatus>((s, v) => worse(s, v.verdict.status), 'skip')
  const worst = verdicts.find((v) => v.verdict.status === status)!
  return {
    status,
    detail: verdicts.map((v) => `${v.apiserver.nodeName ?? v.apiserver.name}: ${v.verdict.detail}`).join('; '),
    remedy: worst.verdict.remedy ?? null,
  }
}
