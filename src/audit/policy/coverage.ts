// Coverage: what the policy records for each resource × verb, for one identity. A namespaced
// resource is probed in `default` and in every namespace a rule names; a named write is probed
// with a neutral name and with every name a rule lists. The row reports the lowest level found
// and lists the probes that differ from it.
import {evaluatePolicy, type PolicyDecision, type RequestUser} from './evaluate.js'
import {type Level, LEVELS, levelRank, type Policy} from './types.js'

export interface CoverageTarget {
  readonly apiGroup: string
  readonly resource: string
  readonly subresource?: string
  /** Undefined when unknown: probed both cluster-wide ("") and in namespaces. */
  readonly namespaced?: boolean
}

/** Whether two targets name the same resource (and subresource) of the same group. */
export function sameTarget(a: CoverageTarget, b: CoverageTarget): boolean {
  return a.apiGroup === b.apiGroup && a.resource === b.resource && (a.subresource ?? '') === (b.subresource ?? '')
}

export interface CoverageProbe {
  readonly namespace: string | null
  readonly name: string | null
  /** What is recorded: the policy's level, capped for the group (see CoverageOptions.levelCaps). */
  readonly level: Level
  /** What the matching rule asks for. */
  readonly policyLevel: Level
  readonly omitStages: readonly string[]
  readonly rule: number | null
}

export interface CoverageRow {
  readonly apiGroup: string
  /** `pods/log` for a subresource. */
  readonly resource: string
  readonly verb: string
  /** The level the write is recorded at. */
  readonly level: Level
  /** The level the matching rule asks for; above `level` when the group's level is capped. */
  readonly policyLevel: Level
  readonly omitStages: readonly string[]
  readonly rule: number | null
  /**
   * The probe the reported verdict comes from: its namespace (null cluster-wide) and object name
   * (null for any name). It matters when `differences` is not empty.
   */
  readonly where: {readonly namespace: string | null; readonly name: string | null}
  /** Probes (namespace, name) whose verdict differs from the one reported. */
  readonly differences: readonly CoverageProbe[]
}

export interface CoverageOptions {
  readonly user: RequestUser
  readonly verbs: readonly string[]
  readonly targets: readonly CoverageTarget[]
  /**
   * The highest level the apiserver can record for an API group, whatever its policy says: an
   * aggregated API (projectcalico.org served by the Calico API server) is recorded at Metadata
   * at most, as kube-apiserver only proxies it (facts §6.1).
   */
  readonly levelCaps?: ReadonlyMap<string, Level>
}

/** A name no policy is expected to list, standing for "any object". */
const NEUTRAL_NAME = 'kubectl-audit-probe'

/** Verbs whose requests carry no object name, so resourceNames never match them. */
const UNNAMED_VERBS = new Set(['create', 'list', 'watch', 'deletecollection'])

export function computeCoverage(policy: Policy, options: CoverageOptions): CoverageRow[] {
  const namedNamespaces = [...new Set(policy.rules.flatMap((r) => r.namespaces).filter((ns) => ns !== ''))]
  const rows: CoverageRow[] = []
  for (const target of options.targets) {
    const namespaces = probeNamespaces(target, namedNamespaces)
    const names = probeNames(policy, target)
    for (const verb of options.verbs) {
      const probes: CoverageProbe[] = []
      for (const namespace of namespaces) {
        for (const name of UNNAMED_VERBS.has(verb) ? [''] : names) {
          const decision = evaluatePolicy(policy, {
            user: options.user,
            verb,
            resourceRequest: true,
            namespace,
            apiGroup: target.apiGroup,
            resource: target.resource,
            subresource: target.subresource ?? '',
            name,
          })
          probes.push(toProbe(decision, namespace, name))
        }
      }
      rows.push(toRow(target, verb, probes, options.levelCaps?.get(target.apiGroup)))
    }
  }
  return rows
}

function probeNamespaces(target: CoverageTarget, namedNamespaces: readonly string[]): string[] {
  if (target.namespaced === false) return ['']
  const namespaced = ['default', ...namedNamespaces.filter((ns) => ns !== 'default')]
  return target.namespaced ? namespaced : ['', ...namespaced]
}

function probeNames(policy: Policy, target: CoverageTarget): string[] {
  const listed = policy.rules.flatMap((rule) =>
    rule.resources.filter((gr) => gr.group === target.apiGroup || gr.group === '*').flatMap((gr) => gr.resourceNames),
  )
  return [NEUTRAL_NAME, ...new Set(listed.filter((n) => n !== NEUTRAL_NAME))]
}

function toProbe(decision: PolicyDecision, namespace: string, name: string): CoverageProbe {
  return {
    namespace: namespace === '' ? null : namespace,
    name: name === '' || name === NEUTRAL_NAME ? null : name,
    level: decision.level,
    policyLevel: decision.level,
    omitStages: decision.omitStages,
    rule: decision.ruleIndex,
  }
}

function toRow(target: CoverageTarget, verb: string, uncapped: CoverageProbe[], cap: Level | undefined): CoverageRow {
  const probes =
    cap === undefined ? uncapped : uncapped.map((p) => (levelRank(p.level) > levelRank(cap) ? {...p, level: cap} : p))
  // The lowest recorded level wins, then the lowest policy level; among equals, the first probe
  // (default namespace, neutral name).
  const rank = (p: CoverageProbe) => levelRank(p.level) * LEVELS.length + levelRank(p.policyLevel)
  const reported = probes.reduce((low, p) => (rank(p) < rank(low) ? p : low))
  const same = (p: CoverageProbe) =>
    p.policyLevel === reported.policyLevel &&
    p.rule === reported.rule &&
    p.omitStages.join() === reported.omitStages.join()
  return {
    apiGroup: target.apiGroup,
    resource: target.subresource ? `${target.resource}/${target.subresource}` : target.resource,
    verb,
    level: reported.level,
    policyLevel: reported.policyLevel,
    omitStages: reported.omitStages,
    rule: reported.rule,
    where: {namespace: reported.namespace, name: reported.name},
    differences: probes.filter((p) => !same(p)),
  }
}
