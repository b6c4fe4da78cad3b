// The audit Policy as the apiserver holds it after decoding (audit.k8s.io, internal version).

export const LEVELS = ['None', 'Metadata', 'Request', 'RequestResponse'] as const
export type Level = (typeof LEVELS)[number]

export const STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const
export type Stage = (typeof STAGES)[number]

export interface GroupResources {
  /** "" (or omitted) is the core group only; "*" (1.36+) is every group. */
  readonly group: string
  readonly resources: readonly string[]
  readonly resourceNames: readonly string[]
}

export interface PolicyRule {
  /** Validation rejects anything but the four levels; kept as a string so invalid input survives. */
  readonly level: string
  readonly users: readonly string[]
  readonly userGroups: readonly string[]
  readonly verbs: readonly string[]
  readonly resources: readonly GroupResources[]
  readonly namespaces: readonly string[]
  readonly nonResourceURLs: readonly string[]
  readonly omitStages: readonly string[]
  /** A nullable override: undefined means "use the policy's value". */
  readonly omitManagedFields?: boolean
}

export interface Policy {
  readonly apiVersion: string
  readonly kind: string
  readonly rules: readonly PolicyRule[]
  readonly omitStages: readonly string[]
  readonly omitManagedFields: boolean
}

/** How much of a request the log carries, lowest first. */
export function levelRank(level: Level): number {
  return LEVELS.indexOf(level)
}

export function isLevel(value: string): value is Level {
  return (LEVELS as readonly string[]).includes(value)
}

export function isStage(value: string): value is Stage {
  return (STAGES as readonly string[]).includes(value)
}
