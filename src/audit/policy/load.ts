// Loads a policy file's text as kube-apiserver would: decode, check the apiVersion, validate.
import {decodePolicy} from './decode.js'
import type {KubernetesVersion} from './kubernetes-version.js'
import type {PolicyProblem} from './problems.js'
import type {Policy} from './types.js'
import {checkPolicyApiVersion, validatePolicy} from './validate.js'

export interface LoadedPolicy {
  /** Undefined when the text does not decode; otherwise present even if invalid, for evaluation. */
  readonly policy?: Policy
  /** The verdict on apiVersion alone (undefined: audit.k8s.io/v1, or nothing decoded). */
  readonly apiVersionProblem?: PolicyProblem
  /** Decoding and validation problems, apiVersion excluded. */
  readonly problems: readonly PolicyProblem[]
}

export function loadPolicy(text: string, version: KubernetesVersion | undefined): LoadedPolicy {
  const decoded = decodePolicy(text)
  if (!decoded.policy) return {problems: decoded.problems}
  return {
    policy: decoded.policy,
    apiVersionProblem: checkPolicyApiVersion(decoded.policy.apiVersion, version),
    problems: [...decoded.problems, ...validatePolicy(decoded.policy, version)],
  }
}

/** True when the apiserver would refuse to start with this policy. */
export function isRejected(loaded: LoadedPolicy): boolean {
  return (
    !loaded.policy ||
    loaded.apiVersionProblem?.severity === 'error' ||
    loaded.problems.some((p) => p.severity === 'error')
  )
}
