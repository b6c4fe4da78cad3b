// Evaluates a policy for one request exactly as kube-apiserver's policy checker does
// (apiserver pkg/audit/policy/checker.go): first matching rule wins, no wildcards except the
// ones listed below, omitStages merged with the policy's.
import {isLevel, type Level, type Policy, type PolicyRule, STAGES} from './types.js'

export interface RequestUser {
  readonly name: string
  readonly groups: readonly string[]
}

/** The authorizer attributes the checker sees for one request. */
export interface RequestAttributes {
  /** Undefined for a request without a user (failed authentication). */
  readonly user?: RequestUser
  readonly verb: string
  /** Resource requests carry the fields below; non-resource requests carry `path`. */
  readonly resourceRequest: boolean
  /** "" for cluster-scoped resources and for all-namespace list/watch. */
  readonly namespace?: string
  /** "" is the core group. */
  readonly apiGroup?: string
  readonly resource?: string
  readonly subresource?: string
  /** "" for create, list, watch and deletecollection. */
  readonly name?: string
  readonly path?: string
}

export interface PolicyDecision {
  readonly level: Level
  readonly omitStages: readonly string[]
  readonly omitManagedFields: boolean
  /** Index of the first matching rule; null when none matched (level None). */
  readonly ruleIndex: number | null
}

export function evaluatePolicy(policy: Policy, request: RequestAttributes): PolicyDecision {
  const ruleIndex = policy.rules.findIndex((rule) => ruleMatches(rule, request))
  if (ruleIndex === -1) {
    return {
      level: 'None',
      omitStages: orderStages(policy.omitStages),
      omitManagedFields: policy.omitManagedFields,
      ruleIndex: null,
    }
  }
  const rule = policy.rules[ruleIndex]
  return {
    // An invalid level stops the apiserver; evaluating anyway shows what the rest would do.
    level: isLevel(rule.level) ? rule.level : 'None',
    omitStages: orderStages([...policy.omitStages, ...rule.omitStages]),
    omitManagedFields: rule.omitManagedFields ?? policy.omitManagedFields,
    ruleIndex,
  }
}

/** The union of stages, deduplicated, in pipeline order (the checker keeps no order). */
function orderStages(stages: readonly string[]): string[] {
  const unique = [...new Set(stages)]
  const known = STAGES.filter((s) => unique.includes(s))
  return [...known, ...unique.filter((s) => !(STAGES as readonly string[]).includes(s))]
}

function ruleMatches(rule: PolicyRule, request: RequestAttributes): boolean {
  const {user} = request
  if (rule.users.length > 0 && (!user || !rule.users.includes(user.name))) return false
  if (rule.userGroups.length > 0 && (!user || !user.groups.some((g) => rule.userGroups.includes(g)))) return false
  if (rule.verbs.length > 0 && !rule.verbs.includes(request.verb)) return false
  // namespaces or resources make it a resource rule: nonResourceURLs are then never consulted.
  if (rule.namespaces.length > 0 || rule.resources.length > 0) return ruleMatchesResource(rule, request)
  if (rule.nonResourceURLs.length > 0) return ruleMatchesNonResource(rule, request)
  return true
}

function ruleMatchesNonResource(rule: PolicyRule, request: RequestAttributes): boolean {
  if (request.resourceRequest) return false
  const path = request.path ?? ''
  return rule.nonResourceURLs.some((spec) => pathMatches(path, spec))
}

function pathMatches(path: string, spec: string): boolean {
  if (spec === '*' || spec === path) return true
  // Go's TrimRight removes every trailing "*".
  return spec.endsWith('*') && path.startsWith(spec.replace(/\*+$/, ''))
}

function ruleMatchesResource(rule: PolicyRule, request: RequestAttributes): boolean {
  if (!request.resourceRequest) return false
  if (rule.namespaces.length > 0 && !rule.namespaces.includes(request.namespace ?? '')) return false
  if (rule.resources.length === 0) return true

  const apiGroup = request.apiGroup ?? ''
  const resource = request.resource ?? ''
  const subresource = request.subresource ?? ''
  const combined = subresource === '' ? resource : `${resource}/${subresource}`
  const name = request.name ?? ''

  for (const gr of rule.resources) {
    // "*" as a group is 1.36+; earlier releases reject it at validation, so it never gets here.
    if (gr.group !== apiGroup && gr.group !== '*') continue
    if (gr.resources.length === 0) return true
    // resourceNames compare against the request's name, which is "" for creates and lists.
    if (gr.resourceNames.length > 0 && !gr.resourceNames.includes(name)) continue
    for (const res of gr.resources) {
      if (res === combined || res === '*') return true
      if (subresource !== '' && res.startsWith('*/') && res.slice(2) === subresource) return true
      // As in checker.go, "pods/*" also matches "pods" itself, not only its subresources.
      if (res.endsWith('/*') && res.slice(0, -2) === resource) return true
    }
  }
  return false
}
