// Durations as kubectl writes them (`kubectl logs --since`), for every flag that takes one.

const UNIT_MS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}

/** `30s`, `5m`, `1h`, `2d`, `1h30m`, `500ms`, or `0`, in milliseconds; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim()
  if (trimmed === '0') return 0
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy
  let total = 0
  let matched = 0
  let m: RegExpExecArray | null
  while ((m = re.exec(trimmed)) !== null) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!
    matched = re.lastIndex
  }
  return matched === 0 || matched !== trimmed.length ? undefined : Math.round(total)
}

/** What every duration error says about the form. */
export const DURATION_FORM = 'a number with a unit: 30s, 5m, 1h, 2d (or 1h30m)'
