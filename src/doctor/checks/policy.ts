// The audit policy itself: readable, loadable, and what it records for policy writes.
import {CALICO_CRD_GROUP, CALICO_GROUP} from '../../audit/catalog.js'
import {computeCoverage, type CoverageProbe, type CoverageRow} from '../../audit/policy/coverage.js'
import {findPitfalls} from '../../audit/policy/pitfalls.js'
import {formatProblem} from '../../audit/policy/problems.js'
import {levelRank, type Policy} from '../../audit/policy/types.js'
import {isRejected, type LoadedPolicy} from '../../audit/policy/load.js'
import {type Check, fail, pass, skip, type Verdict, warn} from '../check.js'
import {listSome, resourceKey, ruleText, summarizeWrites} from '../describe.js'
import type {DoctorFacts} from '../facts.js'
import {recordingOf, writesByRecording} from '../recording.js'

const PRINT_POLICY = 'kubectl audit doctor --print-policy'

/** The loaded policy, or the skip verdict that says why there is none. */
function withPolicy(facts: DoctorFacts, verdictOf: (loaded: LoadedPolicy) => Verdict): Verdict {
  const {policy} = facts
  if (policy.state === 'not-configured') return skip('no audit policy to check')
  if (policy.state === 'unavailable') return skip('the policy file was not read (see policy-readable)')
  return verdictOf(policy.loaded)
}

/** The decoded rules (even when invalid: they show what the rest would do), or why there are none. */
function withDecoded(facts: DoctorFacts, verdictOf: (policy: Policy, loaded: LoadedPolicy) => Verdict): Verdict {
  return withPolicy(facts, (loaded) =>
    loaded.policy ? verdictOf(loaded.policy, loaded) : skip('the policy does not decode (see policy-valid)'),
  )
}

export const policyReadable: Check = {
  id: 'policy-readable',
  title: 'Policy file read',
  run(facts) {
    const {policy} = facts
    if (policy.state === 'loaded') return pass(`read from ${policy.location}`)
    if (policy.state === 'unavailable') return skip(policy.reason, policy.command)
    return skip(
      'no --audit-policy-file and no --policy-file: there is no policy to read',
      'check a policy file with --policy-file FILE',
    )
  },
}

export const policyApiVersion: Check = {
  id: 'policy-api-version',
  title: 'Policy apiVersion',
  run: (facts) =>
    withDecoded(facts, (policy, loaded) => {
      const problem = loaded.apiVersionProblem
      if (!problem) return pass(policy.apiVersion)
      const remedy = 'set apiVersion: audit.k8s.io/v1 (nothing else changes)'
      return problem.severity === 'error' ? fail(problem.message, remedy) : warn(problem.message, remedy)
    }),
}

export const policyValid: Check = {
  id: 'policy-valid',
  title: 'Policy loads',
  run: (facts) =>
    withPolicy(facts, (loaded) => {
      const errors = loaded.problems.filter((p) => p.severity === 'error')
      const warnings = loaded.problems.filter((p) => p.severity === 'warning')
      if (errors.length > 0) {
        return fail(
          `kube-apiserver refuses it: ${errors.map(formatProblem).join('; ')}${warnings.length > 0 ? `; also ${warnings.map(formatProblem).join('; ')}` : ''}`,
          'fix these fields: kube-apiserver does not start with an invalid policy',
        )
      }
      if (warnings.length > 0)
        return warn(
          `loads with warnings: ${warnings.map(formatProblem).join('; ')}`,
          'fix or remove these fields: kube-apiserver ignores them',
        )
      const count = loaded.policy?.rules.length ?? 0
      return pass(`${count} ${count === 1 ? 'rule' : 'rules'}, valid`)
    }),
}

export const policyCoverage: Check = {
  id: 'policy-coverage',
  title: 'Policy writes recorded',
  run: (facts) =>
    withDecoded(facts, (policy, loaded) => {
      const verdict = coverageVerdict(policy, facts)
      if (!isRejected(loaded)) return verdict
      // Nothing is recorded while kube-apiserver refuses to start; what the rules would do once
      // the policy loads is still worth knowing.
      const refusedBy = loaded.apiVersionProblem?.severity === 'error' ? 'policy-api-version' : 'policy-valid'
      return skip(
        `kube-apiserver would not start with this policy (see ${refusedBy}), so nothing is recorded; once it loads: ${verdict.detail}`,
        verdict.remedy ?? null,
      )
    }),
}

/** What the policy records of writes to the watched resources, as if it loads. */
function coverageVerdict(policy: Policy, facts: DoctorFacts): Verdict {
  const {rows, none, partial} = writesByRecording(policy, facts.coverage, facts.coverage.relevantGroups)
  if (rows.length === 0) return skip('no watched resource is served here')
  // Writes already at the most their group can be recorded at: no rule helps them.
  const atCap = (r: CoverageRow) => {
    const cap = facts.coverage.levelCaps.get(r.apiGroup)
    return cap !== undefined && levelRank(r.level) >= levelRank(cap)
  }
  const remedy = [
    [...none, ...partial].some((r) => !atCap(r))
      ? `put a RequestResponse rule for these writes before the others (see ${PRINT_POLICY})`
      : '',
    partial.some(atCap) ? aggregatedRemedy(rows) : '',
  ]
    .filter(Boolean)
    .join('; ')
  if (none.length > 0)
    return fail(`${none.length} of ${rows.length} writes not recorded: ${summarizeWrites(none, rows)}`, remedy)
  if (partial.length > 0)
    return warn(
      `${partial.length} of ${rows.length} writes recorded without bodies, so without diffs: ${summarizeWrites(partial, rows)}`,
      remedy,
    )
  return pass(`all ${rows.length} writes recorded at RequestResponse`)
}

/**
 * No rule raises an aggregated projectcalico.org above Metadata; its bodies are in the Calico API
 * server's own writes to crd.projectcalico.org, which the policy can record in full.
 */
function aggregatedRemedy(rows: readonly CoverageRow[]): string {
  const backing = rows.filter((r) => r.apiGroup === CALICO_CRD_GROUP)
  if (backing.length > 0 && backing.every((r) => recordingOf(r) === 'full')) {
    return `no rule raises ${CALICO_GROUP} above Metadata: its bodies are in the ${CALICO_CRD_GROUP} writes, recorded in full here, which kubectl audit policies joins to the user's request; or serve ${CALICO_GROUP} as CRDs (Calico 3.32+)`
  }
  return `for ${CALICO_GROUP}, record ${CALICO_CRD_GROUP} writes at RequestResponse: the Calico API server's writes there carry the bodies, and kubectl audit policies joins them to the user's request`
}

const SENSITIVE_TARGETS = [
  {apiGroup: '', resource: 'secrets', namespaced: true},
  {apiGroup: '', resource: 'configmaps', namespaced: true},
  {apiGroup: 'authentication.k8s.io', resource: 'tokenreviews', namespaced: false},
]
const SENSITIVE_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']

export const policySensitive: Check = {
  id: 'policy-sensitive',
  title: 'Sensitive bodies kept out',
  run: (facts) =>
    withDecoded(facts, (policy) => {
      const rows = computeCoverage(policy, {
        user: facts.coverage.user,
        verbs: SENSITIVE_VERBS,
        targets: SENSITIVE_TARGETS,
      })
      // Report the highest level any probe found: one namespace at Request is enough to leak.
      const exposed = new Map<string, string[]>()
      for (const row of rows) {
        const probes: CoverageProbe[] = [
          {...row.where, level: row.level, policyLevel: row.policyLevel, omitStages: row.omitStages, rule: row.rule},
          ...row.differences,
        ]
        const highest = probes.reduce((hi, p) => (levelRank(p.level) > levelRank(hi.level) ? p : hi))
        if (levelRank(highest.level) <= levelRank('Metadata')) continue
        // The namespace matters only when the probes disagree.
        const where = highest.namespace && row.differences.length > 0 ? ` in ${highest.namespace}` : ''
        const what = `${resourceKey(row)}${where} at ${highest.level} (${ruleText(highest.rule)})`
        exposed.set(what, [...(exposed.get(what) ?? []), row.verb])
      }
      if (exposed.size === 0) return pass('secrets, configmaps and tokenreviews at Metadata or below')
      const phrases = [...exposed].map(
        ([what, verbs]) => `${what} for ${verbs.length === SENSITIVE_VERBS.length ? 'every verb' : verbs.join(', ')}`,
      )
      return warn(
        `bodies of sensitive resources are logged: ${listSome(phrases, 3)}`,
        'log secrets, configmaps and tokenreviews at Metadata, in a rule before the broader ones (CIS 3.2.2)',
      )
    }),
}

export const policyRequestReceived: Check = {
  id: 'policy-request-received',
  title: 'RequestReceived omitted',
  run: (facts) =>
    withDecoded(facts, (policy) => {
      const emitting = policy.rules
        .map((rule, i) => ({rule, i}))
        .filter(
          ({rule}) =>
            rule.level !== 'None' &&
            !policy.omitStages.includes('RequestReceived') &&
            !rule.omitStages.includes('RequestReceived'),
        )
        .map(({i}) => i)
      if (emitting.length === 0) return pass('no rule records the RequestReceived stage')
      return warn(
        `${emitting.length === 1 ? 'rule' : 'rules'} ${listSome(emitting.map(String), 6)} also ${emitting.length === 1 ? 'records' : 'record'} every request at RequestReceived: twice the volume, nothing the ResponseComplete event lacks`,
        'add omitStages: [RequestReceived] at the top level of the policy',
      )
    }),
}

export const policyPitfalls: Check = {
  id: 'policy-pitfalls',
  title: 'Rules match what they name',
  run: (facts) =>
    withDecoded(facts, (policy) => {
      const pitfalls = findPitfalls(policy)
      if (pitfalls.length === 0) return pass('no rule names something it cannot match')
      return warn(
        `${pitfalls.length === 1 ? '1 entry cannot match what it names' : `${pitfalls.length} entries cannot match what they name`}: ${pitfalls.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
        'fix the group or resource names, or remove the entries',
      )
    }),
}
