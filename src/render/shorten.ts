// Free text (users, names) shortened in the middle with `…`, so both ends stay readable
// (`system:serviceaccount:argocd:…-controller`), and a set of values shortened so that none can
// be read as another: the cut moves until what is left tells it apart.
import {measuredCharacters, textWidth} from './text-width.js'

export const ELLIPSIS = '…'

/** Characters after which (or before which) a cut reads as a cut between words. */
const SEPARATORS = new Set([':', '/', '.', '-', '_', '@', ' ', ','])

/** One value, ready to be cut at any head width. */
class Cuttable {
  readonly width: number
  private readonly chars: string[]
  /** prefix[i]: columns taken by the first i characters. */
  private readonly prefix: number[]

  constructor(readonly text: string) {
    const {chars, widths} = measuredCharacters(text)
    this.chars = chars
    this.prefix = [0]
    for (const w of widths) this.prefix.push(this.prefix[this.prefix.length - 1]! + w)
    this.width = this.prefix[this.prefix.length - 1]!
  }

  /** The text in `width` columns: `headWidth` columns of its start, `…`, the rest from its end. */
  cut(width: number, headWidth: number): string {
    const [head, tail] = this.ends(width, headWidth)
    return `${head}${ELLIPSIS}${tail}`
  }

  /** What is kept of the start and of the end. */
  ends(width: number, headWidth: number): [string, string] {
    const [head, tail] = this.bounds(width, headWidth)
    return [this.chars.slice(0, head).join(''), this.chars.slice(tail).join('')]
  }

  /** Whether a cut there falls between words at the head end, the tail end, or both (0-2). */
  clean(width: number, headWidth: number): number {
    const [head, tail] = this.bounds(width, headWidth)
    const at = (i: number) => SEPARATORS.has(this.chars[i] ?? '')
    return (at(head - 1) || at(head) ? 1 : 0) + (at(tail) || at(tail - 1) ? 1 : 0)
  }

  /** Characters kept at the start ([0, head)) and from the end ([tail, n)). */
  private bounds(width: number, headWidth: number): [number, number] {
    const tailWidth = width - 1 - headWidth
    let head = 0
    while (head < this.chars.length && this.prefix[head + 1]! <= headWidth) head++
    let tail = this.chars.length
    while (tail > head && this.width - this.prefix[tail - 1]! <= tailWidth) tail--
    return [head, tail]
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
  const value = new Cuttable(text)
  if (width < 3) return width <= 0 ? '' : ELLIPSIS
  return value.cut(width, headWidths(value, width)[0]!)
}

/**
 * One shortening for every value of a set (the users of one output): each value to at most `width`
 * columns, the same value always the same way, and never a text that could be read as another
 * value of the set: no other value starts with what is kept of the start and ends with what is
 * kept of the end. Undefined when `width` is too narrow to keep them apart.
 */
export function shortenDistinct(values: Iterable<string>, width: number): Map<string, string> | undefined {
  const all = [...new Set(values)]
  const result = new Map<string, string>()
  const index = new AffixIndex(all)
  for (const text of all) {
    if (textWidth(text) <= width) continue
    if (width < 3) return undefined
    const value = new Cuttable(text)
    let short: string | undefined
    for (const h of headWidths(value, width).slice(0, CUTS_TRIED)) {
      const [head, tail] = value.ends(width, h)
      if (index.count(head, tail) === 1) {
        short = `${head}${ELLIPSIS}${tail}`
        break
      }
    }
    if (short === undefined) return undefined
    result.set(text, short)
  }
  return result
}

/** Cuts tried per value before a width counts as too narrow: keeps hostile sets from costing more. */
const CUTS_TRIED = 24
/** Values sharing a start (or an end) looked through before a cut counts as ambiguous. */
const NEIGHBOURS_CHECKED = 32

/** Which values start with a text and end with another, from the values sorted and sorted reversed. */
class AffixIndex {
  private readonly forward: string[]
  private readonly backward: string[]

  constructor(values: readonly string[]) {
    this.forward = [...values].sort()
    this.backward = values.map(reverse).sort()
  }

  /**
   * How many values start with `head`, end with `tail` and are longer than both together (`…`
   * stands for at least one character): 1 means only the value cut. 2 stands for "more than one",
   * and for "too many alike to look through".
   */
  count(head: string, tail: string): number {
    const long = (v: string) => v.length > head.length + tail.length
    const starting = neighbours(this.forward, head)
    if (starting) return Math.min(2, starting.filter((v) => v.endsWith(tail) && long(v)).length)
    const reversedHead = reverse(head)
    const ending = neighbours(this.backward, reverse(tail))
    if (ending) return Math.min(2, ending.filter((r) => r.endsWith(reversedHead) && long(r)).length)
    return 2
  }
}

/** The sorted values that start with `prefix`, or undefined when there are more than NEIGHBOURS_CHECKED. */
function neighbours(sorted: readonly string[], prefix: string): string[] | undefined {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const mid = (low + high) >> 1
    if (sorted[mid]! < prefix) low = mid + 1
    else high = mid
  }
  const found: string[] = []
  for (let i = low; i < sorted.length && sorted[i]!.startsWith(prefix); i++) {
    if (found.length === NEIGHBOURS_CHECKED) return undefined
    found.push(sorted[i]!)
  }
  return found
}

function reverse(text: string): string {
  return Array.from(text).reverse().join('')
}

/**
 * The narrowest width, not below `floor`, at which the values can be shortened apart (their
 * widest when nothing narrower can). Binary search: telling values apart gets easier with room.
 */
export function narrowestDistinctWidth(values: readonly string[], floor: number): number {
  const widest = values.reduce((max, v) => Math.max(max, textWidth(v)), 0)
  if (widest <= floor) return widest
  let low = floor
  let high = widest
  while (low < high) {
    const mid = Math.floor((low + high) / 2)
    if (shortenDistinct(values, mid)) high = mid
    else low = mid + 1
  }
  return low
}
