// The commands doctor prints for what it could not read itself: what a user with more access
// runs by hand to get the same answer.

/** `kubectl debug node/NODE … -- COMMAND`, with the node's filesystem at /host. */
export function debugNodeCommand(node: string | null, command: string): string {
  return `kubectl debug node/${node ?? 'NODE'} -i -q --profile=sysadmin --image=busybox -- ${command}`
}

/** Fetches a policy file from a node, then checks it. */
export function fetchPolicyCommand(node: string | null, hostPath: string): string {
  return `${debugNodeCommand(node, `cat /host${hostPath}`)} > audit-policy.yaml && kubectl audit doctor --policy-file audit-policy.yaml`
}
