// What the probe proved (--probe): each dry-run create recorded or not, at what level, with or
// without its bodies; and where what came differs from what the policy read says should have.
// That difference is the finding the static checks cannot make: the policy file read is not the
// one kube-apiserver runs, or its events are lost on the way to the log.
import {CALICO_CRD_GROUP, CALICO_GROUP} from '../../audit/catalog.js'
import {evaluatePolicy} from '../../audit/policy/evaluate.js'
import {isRejected} from '../../audit/policy/load.js'
import {type Level, levelRank, type Policy} from '../../audit/policy/types.js'
import type {Identity} from '../../cluster/self-subject.js'
import {type Check, type CheckStatus, fail, pass, skip, warn} from '../check.js'
import {listSome, resourceKey, ruleText} from '../describe.js'
import type {DoctorFacts} from '../facts.js'
import {type ProbeFacts, type ProbeRecord, type ProbeResult, type Recorder, recorderOf} from '../probe-facts.js'

const PRINT_POLICY = 'kubectl audit doctor --print-policy'
/** The stages a write (never long-running) can be recorded at. */
const WRITE_STAGES = ['RequestReceived', 'ResponseComplete'] as const

export const auditProbe: Check = {
  id: 'audit-probe',
  title: 'Policy writes recorded (probe)',
  run(facts) {
    const {probe} = facts
    if (!probe) return skip('not asked: --probe sends dry-run creates and finds them in the log')
    if (probe.unreadable)
      return skip(
        `nothing sent: the audit log cannot be read: ${probe.unreadable.reason}`,
        probe.unreadable.hint ?? null,
      )
    if (probe.results.length === 0)
      return skip(`nothing probed${probe.notes.length > 0 ? `: ${probe.notes.join('; ')}` : ''}`)
    const verdicts = probe.results.map((result) => probeVerdict(result, probe))
    const status = worst(verdicts.map((v) => v.status))
    const echo = probe.results.flatMap(echoNote)
    const said =
      status === 'pass'
        ? passed(probe, verdicts)
        : verdicts
            .filter((v) => v.status !== 'pass')
            .map((v) => v.detail)
            .join('; ')
    const detail = `${said}${echo.length > 0 ? `; ${echo.join('; ')}` : ''}`
    const remedies = [
      ...new Set(
        verdicts
          .filter((v) => v.status === status)
          .map((v) => v.remedy)
          .filter((r): r is string => Boolean(r)),
      ),
    ]
    return {status, detail, remedy: remedies.length > 0 ? remedies.join('; ') : null}
  },
}

export const auditProbePolicy: Check = {
  id: 'audit-probe-policy',
  title: 'Probe agrees with the policy',
  run(facts) {
    const {probe} = facts
    if (!probe) return skip('not asked: --probe')
    if (probe.unreadable || probe.results.length === 0) return skip('nothing was probed (see audit-probe)')
    const comparisons = probe.results.flatMap((result) => compare(result, probe, facts))
    const unknown = comparisons.filter((c): c is Unknown => 'unknown' in c)
    const compared = comparisons.filter((c): c is Comparison => !('unknown' in c))
    if (compared.length === 0 && unknown.length === 0)
      return skip('nothing to compare: no probe was accepted (see audit-probe)')
    if (compared.length === 0)
      return skip(`no policy to compare with: ${[...new Set(unknown.map((u) => u.unknown))].join('; ')}`)
    const missing = compared.filter((c) => c.finding === 'missing')
    const differ = compared.filter((c) => c.finding !== 'agrees' && c.finding !== 'missing')
    const identity = compared.some((c) => c.identityGuessed)
      ? ` (evaluated for ${facts.coverage.user.name}, the --policy-user: who sent the probes is not known)`
      : ''
    if (missing.length > 0 || differ.length > 0) {
      const detail = [...missing, ...differ].map((c) => c.text).join('; ') + identity
      const remedy =
        missing.length > 0
          ? `the policy read records ${listSome(missing.map((c) => c.key))}, so the events were lost on the way: see audit-log-fresh and kube-apiserver's own log (audit write errors, a full disk, a dropping batch buffer or webhook); or it is not the policy kube-apiserver runs (it reads --audit-policy-file only when it starts)`
          : `kube-apiserver does not run the policy read: it reads --audit-policy-file only when it starts, so restart it after changing the file, and check that the flag names the file checked here`
      return missing.length > 0 ? fail(detail, remedy) : warn(detail, remedy)
    }
    // Folded by verdict: "a, b at RequestResponse (rule 0); c at Metadata (rule 0, ...)".
    const byVerdict = new Map<string, string[]>()
    for (const c of compared) byVerdict.set(c.verdict, [...(byVerdict.get(c.verdict) ?? []), c.key])
    return pass(
      `every event came as the policy read says: ${[...byVerdict].map(([verdict, keys]) => `${listSome(keys)} ${verdict}`).join('; ')}${identity}`,
    )
  },
}

interface ProbeVerdict {
  readonly status: CheckStatus
  readonly detail: string
  readonly remedy?: string
  /** Recorded at Metadata by kube-apiserver (an aggregated API), the body found elsewhere: where. */
  readonly bodyElsewhere?: string
}

/** Every probe recorded with its body: how many, how long it took, and where the aggregated ones' bodies are. */
function passed(probe: ProbeFacts, verdicts: readonly ProbeVerdict[]): string {
  const slowest = Math.max(
    ...probe.results.flatMap((r) =>
      r.records.filter((rec) => rec.recorder === 'kube-apiserver').map((rec) => rec.foundAfterMs),
    ),
  )
  const count = probe.results.length === 1 ? 'the dry-run create' : `all ${probe.results.length} dry-run creates`
  const elsewhere = [...new Set(verdicts.map((v) => v.bodyElsewhere).filter((b): b is string => b !== undefined))]
  const aggregated =
    elsewhere.length > 0
      ? `; projectcalico.org at Metadata (an aggregated API), the bodies in ${elsewhere.join(' and ')}`
      : ''
  return `${count} recorded with the bodies diffs need, in ${seconds(slowest)} at most${aggregated}`
}

function probeVerdict(result: ProbeResult, probe: ProbeFacts): ProbeVerdict {
  const key = resourceKey(result.target)
  const {answer} = result
  if (!answer.accepted) return refusal(result, key)
  const kube = result.records.find((r) => r.recorder === 'kube-apiserver')
  if (!kube) {
    const later =
      probe.slowServices.length > 0
        ? `${probe.slowServices.join(' and ')} can take minutes to show an event: try a longer --probe-timeout (5m)`
        : probe.queried
          ? 'check that the log shipper runs and sends the audit log to the store'
          : "kube-apiserver's own log says why it cannot write its audit log"
    const failed = probe.sourceErrors.length > 0 ? ` (reading failed: ${probe.sourceErrors.join('; ')})` : ''
    return {
      status: 'fail',
      detail: `${key}: not recorded in ${seconds(probe.timeoutMs)}${failed}`,
      remedy: `see audit-probe-policy and audit-log-fresh; ${later}`,
    }
  }
  const where = `in ${kube.source} after ${seconds(kube.foundAfterMs)}`
  if (kube.responseBody) return {status: 'pass', detail: `${key} ${where}`}
  if (result.target.apiGroup === CALICO_GROUP && kube.level === 'Metadata') {
    // kube-apiserver records an aggregated API at Metadata at most: the body is in the Calico API server's backing write, or in its own log.
    const calico = result.records.find((r) => r.recorder === 'calico-apiserver' && r.responseBody)
    if (calico)
      return {
        status: 'pass',
        detail: `${key} at Metadata ${where}, with its body in ${calico.source}`,
        bodyElsewhere: "the Calico API server's own log",
      }
    const backing = probe.results.find(
      (r) => r.target.purpose === 'backing-crd' && r.target.resource === result.target.resource,
    )
    const backingFull = backing?.records.some((r) => r.recorder === 'kube-apiserver' && r.responseBody)
    if (backingFull)
      return {
        status: 'pass',
        detail: `${key} at Metadata (an aggregated API) ${where}, its body in the ${CALICO_CRD_GROUP} write`,
        bodyElsewhere: `the ${CALICO_CRD_GROUP} writes`,
      }
  }
  const bodies = kube.requestBody ? 'with the request body only' : 'without bodies'
  return {
    status: 'warn',
    detail: `${key}: recorded${kube.level === null ? '' : ` at ${kube.level}`} ${bodies} ${where}: no diffs`,
    remedy: `record writes of ${key} at RequestResponse (see ${PRINT_POLICY})`,
  }
}

function refusal(result: ProbeResult, key: string): ProbeVerdict {
  if (result.answer.accepted) throw new Error('not a refusal')
  const {code, message} = result.answer
  const scope = result.namespace === null ? '' : ` in namespace ${result.namespace}`
  const said = `${key}: refused (${code}${message ? `: ${message}` : ''})`
  switch (code) {
    case 403:
      return {
        status: 'warn',
        detail: `${said}; the probe needs "create ${key}"${scope}`,
        remedy: `the probe needs only create on ${key}${scope}, and only with dry-run (nothing is stored): kubectl auth can-i create ${key}${result.namespace === null ? '' : ` -n ${result.namespace}`}`,
      }
    case 400:
      return {
        status: 'warn',
        detail: `${said}: this server does not take a dry run of it`,
        remedy:
          'a dry run is refused by servers without dry-run support and by admission webhooks whose sideEffects are not None; the probe cannot prove this kind here',
      }
    case 404:
      if (/namespaces? "[^"]*" not found/.test(message))
        return {
          status: 'warn',
          detail: `${said}: no such namespace`,
          remedy: 'name an existing namespace with --probe-namespace',
        }
      return {status: 'warn', detail: `${said}: not served here`, remedy: `drop ${key} from --probe-kind`}
    default:
      return {status: 'warn', detail: said, remedy: "see the server's message; the probe of this kind proved nothing"}
  }
}

/** What the Audit-ID echo says, when it is not our own ID back. */
function echoNote(result: ProbeResult): string[] {
  const echoed = result.answer.echoedAuditID
  const key = resourceKey(result.target)
  // A refusal may come from something that never reached the audit (a proxy, an authorizing front).
  if (!result.answer.accepted) return []
  if (echoed === null)
    return [
      `${key}: no Audit-ID came back with the answer (something between here and kube-apiserver drops it); looked for ours`,
    ]
  if (echoed !== result.auditID)
    return [`${key}: the server answered with Audit-ID ${echoed}, not ours; looked for both`]
  return []
}

type Finding = 'agrees' | 'missing' | 'unexpected' | 'level' | 'stages'

interface Comparison {
  readonly key: string
  readonly finding: Finding
  readonly text: string
  /** What agreed, without the key: `at RequestResponse (rule 0)`. */
  readonly verdict: string
  /** No event and no SelfSubjectReview named the sender: the policy was evaluated for --policy-user. */
  readonly identityGuessed: boolean
}

interface Unknown {
  readonly unknown: string
}

/** What one probe's events say against each policy that applies (kube-apiserver's; Calico Enterprise's own). */
function compare(result: ProbeResult, probe: ProbeFacts, facts: DoctorFacts): Array<Comparison | Unknown> {
  const out: Array<Comparison | Unknown> = []
  const kubePolicy = kubePolicyOf(facts)
  if ('unknown' in kubePolicy) out.push(kubePolicy)
  else
    out.push(
      ...compareOne(
        result,
        probe,
        facts,
        'kube-apiserver',
        kubePolicy,
        facts.coverage.levelCaps.get(result.target.apiGroup),
      ),
    )
  // The Calico API server's own log, where it is read: it records the aggregated requests itself.
  const calicoPolicy = facts.calico?.enterprisePolicy
  const calicoLogRead = probe.sources.some((s) => recorderOf(s) === 'calico-apiserver')
  if (
    result.target.apiGroup === CALICO_GROUP &&
    calicoPolicy?.loaded.policy &&
    !isRejected(calicoPolicy.loaded) &&
    (calicoLogRead || result.records.some((r) => r.recorder === 'calico-apiserver'))
  ) {
    out.push(
      ...compareOne(
        result,
        probe,
        facts,
        'calico-apiserver',
        {policy: calicoPolicy.loaded.policy, location: calicoPolicy.location},
        undefined,
      ),
    )
  }
  return out
}

function kubePolicyOf(facts: DoctorFacts): {policy: Policy; location: string} | Unknown {
  const {policy} = facts
  if (policy.state === 'not-configured') return {unknown: 'kube-apiserver has no audit policy'}
  if (policy.state === 'unavailable') return {unknown: `the policy was not read (${policy.reason})`}
  if (!policy.loaded.policy || isRejected(policy.loaded))
    return {unknown: `${policy.location} does not load (see policy-valid)`}
  return {policy: policy.loaded.policy, location: policy.location}
}

function compareOne(
  result: ProbeResult,
  probe: ProbeFacts,
  facts: DoctorFacts,
  recorder: Recorder,
  against: {policy: Policy; location: string},
  cap: Level | undefined,
): Comparison[] {
  const key = resourceKey(result.target)
  const record: ProbeRecord | undefined = result.records.find((r) => r.recorder === recorder)
  // Not waited for: a refused probe is looked for, but only found when it was there by the end.
  if (!record && !result.answer.accepted) return []
  const user: Identity = record?.user ?? probe.sender ?? facts.coverage.user
  const identityGuessed = !record && !probe.sender
  const decision = evaluatePolicy(against.policy, {
    user,
    verb: 'create',
    resourceRequest: true,
    namespace: result.namespace ?? '',
    apiGroup: result.target.apiGroup,
    resource: result.target.resource,
    name: '',
  })
  const level: Level = cap && levelRank(cap) < levelRank(decision.level) ? cap : decision.level
  const stages = level === 'None' ? [] : WRITE_STAGES.filter((s) => !decision.omitStages.includes(s))
  const wasCapped = level !== decision.level
  const rule = `${ruleText(decision.ruleIndex)}${wasCapped ? ` asks for ${decision.level}; an aggregated API is recorded at ${level} at most` : ''}`
  const says = `${against.location} says ${stages.length === 0 ? 'not recorded' : level} (${rule})`
  const by = recorder === 'calico-apiserver' ? ' by the Calico API server' : ''
  const compared = (finding: Finding, text: string, verdict = ''): Comparison[] => [
    {key, finding, text, verdict, identityGuessed},
  ]
  if (!record) {
    if (stages.length === 0)
      return compared(
        'agrees',
        `${key}${by} not recorded (${ruleText(decision.ruleIndex)})`,
        `${by.trim()} not recorded (${ruleText(decision.ruleIndex)})`.trim(),
      )
    return compared('missing', `${key}: ${says}, but nothing came${by} in ${seconds(probe.timeoutMs)}`)
  }
  const at = record.level === null ? '' : ` at ${record.level}`
  if (stages.length === 0) return compared('unexpected', `${key}: recorded${by}${at}, but ${says}`)
  if (record.level === null || record.stages === null) {
    // The store keeps neither level nor stage (GKE): that it came is all there is to compare.
    const verdict = `${by.trim() ? `${by.trim()} ` : ''}recorded (${rule}; the store keeps no level)`
    return compared('agrees', `${key} ${verdict}`, verdict)
  }
  if (record.level !== level) return compared('level', `${key}: ${says}, but the event came${by} at ${record.level}`)
  const seen = record.stages.filter((s) => (WRITE_STAGES as readonly string[]).includes(s))
  if (seen.join() !== stages.join())
    return compared(
      'stages',
      `${key}: ${says} with stages ${stages.join(', ')}, but ${seen.join(', ') || 'none'} came${by}`,
    )
  const verdict = `${by.trim() ? `${by.trim()} ` : ''}at ${level} (${rule})`
  return compared('agrees', `${key} ${verdict}`, verdict)
}

function worst(statuses: readonly CheckStatus[]): CheckStatus {
  const rank: Record<CheckStatus, number> = {skip: 0, pass: 1, warn: 2, fail: 3}
  return statuses.reduce<CheckStatus>((a, b) => (rank[b] > rank[a] ? b : a), 'skip')
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`
}
