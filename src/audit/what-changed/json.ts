// Helpers over the parsed JSON bodies of audit events. Every body is untrusted: nothing here
// recurses deeper than MAX_DEPTH, and versions deeper than that are never built (versions.ts).

export type JsonObject = Record<string, unknown>

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Deeper than any policy object the apiserver stores; deeper bodies are not shown or compared. */
export const MAX_DEPTH = 64

/** True when `value` nests objects or arrays more than `max` levels deep (iterative: no stack risk). */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!
    if (typeof v !== 'object' || v === null) continue
    if (depth >= max) return true
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1])
  }
  return false
}

/** JSON with object keys sorted: equal for values that differ only in key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (!isObject(v)) return v
    const sorted: JsonObject = {}
    for (const k of Object.keys(v).sort()) sorted[k] = v[k]
    return sorted
  })
}

export const stringField = (o: unknown, key: string): string | undefined => {
  const v = isObject(o) ? o[key] : undefined
  return typeof v === 'string' ? v : undefined
}

export const objectField = (o: unknown, key: string): JsonObject | undefined => {
  const v = isObject(o) ? o[key] : undefined
  return isObject(v) ? v : undefined
}

export const arrayField = (o: unknown, key: string): unknown[] | undefined => {
  const v = isObject(o) ? o[key] : undefined
  return Array.isArray(v) ? v : undefined
}
