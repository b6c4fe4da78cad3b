// What the reader pod's flags share between commands: its defaults, and how its help says what
// the image must hold (the commands the pod runs, which differ by what each command reads).

/** Small, multi-arch, and has every command the pod runs. Fully qualified for CRI-O. */
export const DEFAULT_READER_IMAGE = 'docker.io/library/busybox:1.37'
export const DEFAULT_POD_NAMESPACE = 'kube-system'

export const POD_NAMESPACE_SUMMARY = `Namespace of the reader pod; its Pod Security level must allow hostPath volumes. [default: ${DEFAULT_POD_NAMESPACE}]`

/** `commands`: what the pod runs (its own `sleep`, and the reads through exec). */
export function imageSummary(commands: readonly string[]): string {
  return `Image of the reader pod; it runs ${commands.join(', ')}. [default: ${DEFAULT_READER_IMAGE}]`
}
