// Kubernetes minor versions: several audit rules changed at a given release (v1beta1 removal in
// 1.24, group "*" and new retention defaults in 1.36).

export interface KubernetesVersion {
  readonly major: number
  readonly minor: number
}

/**
 * Parses `1.29`, `v1.29.3`, `v1.29.3-eks-1234`, `v1.32.11+rke2r1`: only major.minor matter.
 * Returns undefined for anything else.
 */
export function parseKubernetesVersion(text: string): KubernetesVersion | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(text.trim())
  if (!match) return undefined
  return {major: Number(match[1]), minor: Number(match[2])}
}

export function formatKubernetesVersion(version: KubernetesVersion): string {
  return `${version.major}.${version.minor}`
}

/**
 * True when `version` is at least `major.minor`. An unknown version counts as the newest
 * release: the rules that apply today are the ones to check against.
 */
export function isAtLeast(version: KubernetesVersion | undefined, major: number, minor: number): boolean {
  if (!version) return true
  return version.major > major || (version.major === major && version.minor >= minor)
}
