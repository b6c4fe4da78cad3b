// The commands doctor prints when it could not read a file on a node itself: what a user with
// more access runs to get the same answer.

/** `kubectl debug node/NODE … -- COMMAND`, with the node's filesystem at /host. */
export function debugNodeCommand(node: string | null, command: string): string {
  return `kubectl debug node/${node ?? 'NODE'} -i -q --profile=sysadmin --image=busybox -- ${command}`
}
