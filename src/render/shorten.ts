// Free text (users, names) shortened in the middle with `…`, so both ends stay readable
// (`system:serviceaccount:argocd:…-controller`), and a set of values shortened so that none can
// be read as another: what is kept of its start, or of its end, belongs to it alone.
import {measuredCharacters, textWidth} from './text-width.js'

export const ELLIPSIS = '…'

/** Characters after which (or before which) a cut reads as a cut between words. */
const SEPARATORS = new Set([':', '/', '.', '-', '_', '@', ' ', ','])

/** One value, ready to be cut at any head width. */
class Cuttable {
  readonly width: number
  private readonly chars: string[]
  /** columns[i], units[i]: columns and UTF-16 units taken by the first i characters. */
  private readonly columns: number[] = [0]
  private readonly units: number[] = [0]

  constructor(readonly text: string) {
    const {chars, widths} = measuredCharacters(text)
    this.chars = chars
    chars.forEach((c, i) => {
      this.columns.push(this.columns[i]! + widths[i]!)
      this.units.push(this.units[i]! + c.length)
    })
    this.width = this.columns[chars.length]!
  }

  /** The text in `width` columns: `headWidth` columns of its start, `…`, the rest from its end. */
  cut(width: number, headWidth: number): string {
    const [head, tail] = this.bounds(width, headWidth)
    return `${this.chars.slice(0, head).join('')}${ELLIPSIS}${this.chars.slice(tail).join('')}`
  }

  /** UTF-16 units kept of the start and of the end by a cut. */
  kept(width: number, headWidth: number): [number, number] {
    const [head, tail] = this.bounds(width, headWidth)
    return [this.units[head]!, this.text.length - this.units[tail]!]
  }

  /** Whether a cut there falls between words at the head end, the tail end, or both (0-2). */
  clean(width: number, headWidth: number): number {
    const [head, tail] = this.bounds(width, headWidth)
    const at = (i: number) => SEPARATORS.has(this.chars[i] ?? '')
    return (at(head - 1) || at(head) ? 1 : 0) + (at(tail) || at(tail - 1) ? 1 : 0)
  }

  /** Characters kept at the start ([0, head)) and from the end ([tail, n)): the most that fit. */
  private bounds(width: number, headWidth: number): [number, number] {
    const head = this.lastAtMost(headWidth)
    const tailWidth = width - 1 - headWidth
    // The first tail start whose columns to the end fit: columns[tail] >= total - tailWidth.
    let low = head
    let high = this.chars.length
    while (low < high) {
      const mid = (low + high) >> 1
      if (this.columns[mid]! >= this.width - tailWidth) high = mid
      else low = mid + 1
    }
    return [head, low]
  }

  /** The most characters from the start that fit in `columns`. */
  private lastAtMost(columns: number): number {
    let low = 0
    let high = this.chars.length
    while (low < high) {
      const mid = (low + high + 1) >> 1
      if (this.columns[mid]! <= columns) low = mid
      else high = mid - 1
    }
    return low
  }
}

/** Head widths to try for a cut to `width`: near the middle first, and between words when that is close. */
function headWidths(value: Cuttable, width: number): number[] {
  const middle = Math.ceil((width - 1) / 2)
  const slack = Math.floor(width / 4)
  const all: number[] = []
  const rank: number[] = []
  for (let h = 1; h <= width - 2; h++) {
    all.push(h)
    rank[h] = Math.abs(h - middle) <= slack ? 2 - value.clean(width, h) : 3
  }
  return all.sort((a, b) => rank[a]! - rank[b]! || Math.abs(a - middle) - Math.abs(b - middle) || b - a)
}

/** Text cut in the middle to at most `width` columns; unchanged when it fits. */
export function shortenMiddle(text: string, width: number): string {
  if (textWidth(text) <= width) return text
  if (width < 3) return width <= 0 ? '' : ELLIPSIS
  const value = new Cuttable(text)
  return value.cut(width, headWidths(value, width)[0]!)
}

/**
 * A set of values to shorten apart (the users of one output). A cut value reads as every value
 * that starts with what is kept of its start and ends with what is kept of its end; it must read
 * as itself only. Two indexes answer that: the values sorted, and sorted by their reversed text.
 * From them, for each value, how much of its start (and of its end), in UTF-16 units, no other
 * value shares: a value's nearest neighbours in each order share the most with it.
 */
export class DistinctValues {
  readonly values: readonly string[]
  private readonly owned = new Map<string, {start: number; end: number}>()
  private readonly forward: string[]
  /** Reversed texts, sorted, and the value each is. */
  private readonly backward: string[]
  private readonly backwardValues: string[]

  constructor(values: Iterable<string>) {
    this.values = [...new Set(values)]
    for (const v of this.values) this.owned.set(v, {start: 0, end: 0})
    this.forward = [...this.values].sort()
    const pairs = this.values
      .map((v) => [reverse(v), v] as const)
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    this.backward = pairs.map(([r]) => r)
    this.backwardValues = pairs.map(([, v]) => v)
    this.distinguish(this.forward, this.forward, 'start')
    this.distinguish(this.backward, this.backwardValues, 'end')
  }

  /**
   * Each value to at most `width` columns, never to a text that reads as another value. Values
   * that fit are left out of the map. Undefined when `width` is too narrow to keep them apart.
   */
  shorten(width: number): Map<string, string> | undefined {
    const result = new Map<string, string>()
    for (const text of this.values) {
      if (textWidth(text) <= width) continue
      if (width < 3) return undefined
      const value = new Cuttable(text)
      const head = headWidths(value, width).find((h) => this.readsAsItselfOnly(text, ...value.kept(width, h)))
      if (head === undefined) return undefined
      result.set(text, value.cut(width, head))
    }
    return result
  }

  /** The narrowest width, not below `floor`, at which every value fits or can be cut apart (its widest when nothing narrower can). */
  narrowest(floor: number): number {
    // Keeping all a value owns of one end always works: an upper bound. Room only helps, so search below it.
    let high = 0
    for (const text of this.values) {
      const {start, end} = this.owned.get(text)!
      const needed = Math.min(textWidth(text.slice(0, start)), textWidth(text.slice(text.length - end))) + 2
      high = Math.max(high, Math.min(textWidth(text), Math.max(floor, needed)))
    }
    let low = Math.min(floor, high)
    while (low < high) {
      const mid = Math.floor((low + high) / 2)
      if (this.shorten(mid)) high = mid
      else low = mid + 1
    }
    return low
  }

  /** Whether `text` cut to its first `start` and last `end` UTF-16 units reads as no other value. */
  private readsAsItselfOnly(text: string, start: number, end: number): boolean {
    const owned = this.owned.get(text)!
    if (start >= owned.start || end >= owned.end) return true
    const head = text.slice(0, start)
    const tail = text.slice(text.length - end)
    const alike = (v: string) => v !== text && v.startsWith(head) && v.endsWith(tail) && v.length > start + end
    const starting = near(this.forward, head)
    if (starting) return !this.forward.slice(starting[0], starting[1]).some(alike)
    const ending = near(this.backward, reverse(tail))
    if (ending) return !this.backwardValues.slice(ending[0], ending[1]).some(alike)
    // Too many values alike to look through: not proven apart.
    return false
  }

  private distinguish(sorted: readonly string[], values: readonly string[], side: 'start' | 'end'): void {
    for (let i = 0; i < sorted.length; i++) {
      const shared = Math.max(
        i > 0 ? commonPrefix(sorted[i]!, sorted[i - 1]!) : 0,
        i + 1 < sorted.length ? commonPrefix(sorted[i]!, sorted[i + 1]!) : 0,
      )
      this.owned.get(values[i]!)![side] = shared + 1
    }
  }
}

/** Values sharing a start (or an end) looked through before a cut counts as not proven apart. */
const ALIKE_CHECKED = 32

/** The range of sorted texts that start with `prefix`, or undefined when it holds more than ALIKE_CHECKED. */
function near(sorted: readonly string[], prefix: string): [number, number] | undefined {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const mid = (low + high) >> 1
    if (sorted[mid]! < prefix) low = mid + 1
    else high = mid
  }
  let end = low
  while (end < sorted.length && sorted[end]!.startsWith(prefix)) {
    if (end - low === ALIKE_CHECKED) return undefined
    end++
  }
  return [low, end]
}

/** By UTF-16 units, so that sorting reversed texts groups values by their endings. */
function reverse(text: string): string {
  return text.split('').reverse().join('')
}

function commonPrefix(a: string, b: string): number {
  let i = 0
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++
  return i
}

/** One shortening for a set of values: see DistinctValues.shorten. */
export function shortenDistinct(values: Iterable<string>, width: number): Map<string, string> | undefined {
  return new DistinctValues(values).shorten(width)
}

/** See DistinctValues.narrowest. */
export function narrowestDistinctWidth(values: Iterable<string>, floor: number): number {
  return new DistinctValues(values).narrowest(floor)
}
