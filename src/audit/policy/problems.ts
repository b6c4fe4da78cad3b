// What loading a policy found wrong, in the apiserver's terms.

export interface PolicyProblem {
  /** error: kube-apiserver refuses the policy and does not start. warning: it starts anyway. */
  readonly severity: 'error' | 'warning'
  /** Field path as the apiserver prints it (`rules[2].resources[0].group`); "" for the document. */
  readonly path: string
  readonly message: string
}

export function policyError(path: string, message: string): PolicyProblem {
  return {severity: 'error', path, message}
}

export function policyWarning(path: string, message: string): PolicyProblem {
  return {severity: 'warning', path, message}
}

export function formatProblem(problem: PolicyProblem): string {
  return problem.path === '' ? problem.message : `${problem.path}: ${problem.message}`
}
