// Validates a decoded policy with kube-apiserver's rules (policy/reader.go and
// apis/audit/validation/validation.go). Errors are what stop the apiserver from starting.
import {isAtLeast, type KubernetesVersion} from './kubernetes-version.js'
import {type PolicyProblem, policyError, policyWarning} from './problems.js'
import {isLevel, isStage, LEVELS, type Policy, type PolicyRule, STAGES} from './types.js'

const POLICY_API_VERSION = 'audit.k8s.io/v1'
const RETIRED_API_VERSIONS = ['audit.k8s.io/v1beta1', 'audit.k8s.io/v1alpha1']

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** The apiVersion verdict on its own: `policy-api-version` reports it apart from the rest. */
export function checkPolicyApiVersion(
  apiVersion: string,
  version: KubernetesVersion | undefined,
): PolicyProblem | undefined {
  if (apiVersion === POLICY_API_VERSION) return undefined
  if (apiVersion === '')
    return policyError(
      'apiVersion',
      `missing: the apiserver fails with "Object 'apiVersion' is missing"; set apiVersion: ${POLICY_API_VERSION}`,
    )
  if (RETIRED_API_VERSIONS.includes(apiVersion)) {
    if (isAtLeast(version, 1, 24)) {
      return policyError(
        'apiVersion',
        `${apiVersion} was removed in Kubernetes 1.24: the apiserver fails with "no kind \\"Policy\\" is registered for version \\"${apiVersion}\\""; change it to ${POLICY_API_VERSION} (the fields are the same)`,
      )
    }
    return policyWarning(
      'apiVersion',
      `${apiVersion} is deprecated and removed in Kubernetes 1.24; change it to ${POLICY_API_VERSION} (the fields are the same)`,
    )
  }
  return policyError(
    'apiVersion',
    `unknown group version "${apiVersion}": the apiserver only reads ${POLICY_API_VERSION}`,
  )
}

/** Everything but the apiVersion: kind, rules, levels, stages, groups, URLs. */
export function validatePolicy(policy: Policy, version: KubernetesVersion | undefined): PolicyProblem[] {
  const problems: PolicyProblem[] = []
  if (policy.kind === '')
    problems.push(
      policyError('kind', 'missing: the apiserver fails with "Object \'Kind\' is missing"; set kind: Policy'),
    )
  else if (policy.kind !== 'Policy')
    problems.push(policyError('kind', `no kind "${policy.kind}" is registered: set kind: Policy`))
  policy.rules.forEach((rule, i) => {
    for (const problem of validateRule(rule, `rules[${i}]`, version)) problems.push(problem)
  })
  policy.omitStages.forEach((stage, i) => {
    // The loader does not validate the policy-wide list: an unknown stage is merged into every rule
    // and never matches anything.
    if (!isStage(stage))
      problems.push(
        policyWarning(
          `omitStages[${i}]`,
          `"${stage}" is not a stage, so it has no effect (stages are ${STAGES.join(', ')})`,
        ),
      )
  })
  if (policy.rules.length === 0)
    problems.push(
      policyError('rules', 'loaded illegal policy with 0 rules: the apiserver refuses a policy without rules'),
    )
  return problems
}

function validateRule(rule: PolicyRule, path: string, version: KubernetesVersion | undefined): PolicyProblem[] {
  const problems: PolicyProblem[] = []
  if (rule.level === '') problems.push(policyError(`${path}.level`, 'Required value'))
  else if (!isLevel(rule.level))
    problems.push(
      policyError(`${path}.level`, `Unsupported value: "${rule.level}": supported values: ${LEVELS.join(', ')}`),
    )

  rule.nonResourceURLs.forEach((url, i) => {
    if (url === '*') return
    const at = `${path}.nonResourceURLs[${i}]`
    if (!url.startsWith('/'))
      problems.push(policyError(at, `Invalid value: "${url}": non-resource URL rules must begin with a '/' character`))
    if (url !== '' && url.slice(0, -1).includes('*')) {
      problems.push(
        policyError(
          at,
          `Invalid value: "${url}": non-resource URL wildcards '*' must be the final character of the rule`,
        ),
      )
    }
  })

  rule.resources.forEach((gr, i) => {
    const at = `${path}.resources[${i}]`
    if (gr.group === '*') {
      if (!isAtLeast(version, 1, 36))
        problems.push(
          policyError(`${at}.group`, 'Invalid value: "*": the wildcard group is accepted from Kubernetes 1.36 only'),
        )
    } else if (gr.group !== '' && (gr.group.length > 253 || !DNS_SUBDOMAIN.test(gr.group))) {
      const hint = gr.group.includes('/') ? ' (name the group without its version)' : ''
      problems.push(
        policyError(`${at}.group`, `Invalid value: "${gr.group}": a lowercase RFC 1123 subdomain is required${hint}`),
      )
    }
    if (gr.resourceNames.length > 0 && gr.resources.length === 0) {
      problems.push(policyError(`${at}.resourceNames`, 'using resourceNames requires at least one resource'))
    }
  })

  rule.omitStages.forEach((stage, i) => {
    if (!isStage(stage))
      problems.push(
        policyError(`${path}.omitStages[${i}]`, `Invalid value: "${stage}": allowed stages are ${STAGES.join(',')}`),
      )
  })

  if (rule.nonResourceURLs.length > 0 && (rule.resources.length > 0 || rule.namespaces.length > 0)) {
    problems.push(
      policyError(`${path}.nonResourceURLs`, 'rules cannot apply to both regular resources and non-resource URLs'),
    )
  }
  return problems
}
