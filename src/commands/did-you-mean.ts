// "Did you mean …?" for a mistyped command or flag: the nearest known name, when it is near enough
// to be the likely intent (a slip of one or two keys, or the start of the name).

/** The candidate closest to `word`, or undefined when none is plausibly what was meant. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const typed = word.toLowerCase()
  let best: {name: string; distance: number} | undefined
  for (const name of candidates) {
    // `pol` for policies, and `policy` for policies: all but the last letter typed is the same.
    const shared = commonPrefix(typed, name.toLowerCase())
    const prefix = typed.length >= 3 && (shared === typed.length || shared >= Math.max(4, typed.length - 1))
    // More than two letters apart is never near enough; skip the work.
    if (!prefix && Math.abs(typed.length - name.length) > 2) continue
    const distance = prefix ? 0 : editDistance(typed, name.toLowerCase())
    if (best === undefined || distance < best.distance) best = {name, distance}
  }
  if (best === undefined) return undefined
  // Two edits in a long word, one in a short one: beyond that, a suggestion is a guess.
  return best.distance <= Math.min(2, Math.floor(best.name.length / 3)) ? best.name : undefined
}

function commonPrefix(a: string, b: string): number {
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  return i
}

/** Levenshtein distance, with a swap of two neighbouring letters counted as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({length: a.length + 1}, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1)
      rows[i]![j] = d
    }
  }
  return rows[a.length]![b.length]!
}
