// Tables that fit the terminal they print to. When a table is wider than the screen, this decides
// what gives way, in order: columns with nothing in them (verb counts that are zero in every row);
// the gaps between columns, from three spaces to two; the widest free text (users, names), cut in
// the middle; prose (doctor's details), wrapped inside its column; and last, one row per block of
// `key: value` lines. Pure: the caller says how wide the screen is.
import {DistinctValues, shortenMiddle} from './shorten.js'
import {textWidth} from './text-width.js'

export interface Column {
  header: string
  align?: 'left' | 'right'
  /** A count or an optional field: the column may go when no row has anything in it ('' or '0'). */
  droppable?: boolean
  /** Free text that may be cut in the middle; values of one kind (`user`) are cut one way in a whole output. */
  shorten?: string
  /** How much more than other free text it keeps when cut (users: who did it is what is asked); 1 unless said. */
  keeps?: number
  /** Prose that may wrap inside its column. */
  wrap?: boolean
}

export interface TableSpec {
  readonly columns: readonly Column[]
  /** Cells as they are shown, sanitized, one line each. */
  readonly rows: ReadonlyArray<readonly string[]>
}

/** The columns shown (indexes into the spec's), their widths, and the spaces between them. */
export interface TableLayout {
  kind: 'table'
  columns: number[]
  widths: number[]
  gap: number
}

/** One row per block: `key: value` lines, values from `keyWidth` to `width`. */
export interface BlockLayout {
  kind: 'blocks'
  keyWidth: number
  width: number
}

export type Layout = TableLayout | BlockLayout

/** For each kind of free text, what each value is shown as. */
export type Shortenings = ReadonlyMap<string, ReadonlyMap<string, string>>

export const GAP = 3
export const NARROW_GAP = 2
/** Cut shorter than this, free text is hardly recognisable. */
export const MIN_SHORTENED = 12
/** Prose narrower than this reads a word or two per line. */
export const MIN_WRAPPED = 20

/** The widest cell (or header) of each column. */
export function columnWidths(spec: TableSpec): number[] {
  const widths = spec.columns.map((c) => textWidth(c.header))
  for (const row of spec.rows) {
    for (let c = 0; c < widths.length; c++) widths[c] = Math.max(widths[c]!, textWidth(row[c] ?? ''))
  }
  return widths
}

/** Every column, as wide as its widest cell: pipes, files and -o wide. */
export function naturalLayout(spec: TableSpec): TableLayout {
  return {kind: 'table', columns: spec.columns.map((_, i) => i), widths: columnWidths(spec), gap: GAP}
}

/**
 * Layouts for the tables of one output, to fit `width` columns, and the one shortening of each
 * kind of free text they share (a user reads the same in the summary and in the change list).
 */
export function fitTables(specs: readonly TableSpec[], width: number): {layouts: Layout[]; shortenings: Shortenings} {
  const values = valuesByDomain(specs)
  // Worked out only for the kinds of text that must be cut: a long list that fits costs nothing more.
  const distinct = new Map<string, DistinctValues>()
  const distinctOf = (domain: string) =>
    distinct.get(domain) ?? distinct.set(domain, new DistinctValues(values.get(domain)!)).get(domain)!
  const floors = new Map<string, number>()
  const floorOf = (domain: string) =>
    floors.get(domain) ?? floors.set(domain, distinctOf(domain).narrowest(MIN_SHORTENED)).get(domain)!
  const layouts = specs.map((spec) => fitOne(spec, columnWidths(spec), width, floorOf))
  const shortenings = new Map<string, ReadonlyMap<string, string>>()
  for (const [domain, texts] of values) {
    const room = layouts.reduce(
      (min, layout, i) => Math.min(min, roomFor(domain, specs[i]!, layout)),
      Number.POSITIVE_INFINITY,
    )
    let fits = true
    for (const text of texts) fits &&= textWidth(text) <= room
    if (!fits) shortenings.set(domain, shortenWithin(distinctOf(domain), room, floorOf(domain)))
  }
  return {
    layouts: layouts.map((layout, i) => (layout.kind === 'table' ? tighten(layout, specs[i]!, shortenings) : layout)),
    shortenings,
  }
}

/** What a cell shows once its kind of free text is shortened. */
export function shownText(column: Column, text: string, shortenings: Shortenings | undefined): string {
  return (column.shorten !== undefined && shortenings?.get(column.shorten)?.get(text)) || text
}

function fitOne(
  spec: TableSpec,
  natural: readonly number[],
  width: number,
  floorOf: (domain: string) => number,
): Layout {
  const widths = [...natural]
  let columns = spec.columns.map((_, i) => i)
  let gap = GAP
  const total = () => columns.reduce((sum, c) => sum + widths[c]!, 0) + gap * (columns.length - 1)
  const table = (): TableLayout => ({kind: 'table', columns, widths: columns.map((c) => widths[c]!), gap})
  const header = (c: number) => textWidth(spec.columns[c]!.header)
  // Narrows the widest of `candidates` (for its weight) a column at a time, none below its floor, until the table fits.
  const weighed = (c: number) => widths[c]! / (spec.columns[c]!.keeps ?? 1)
  const giveWay = (candidates: number[], floor: (c: number) => number) => {
    for (let excess = total() - width; excess > 0; excess--) {
      let widest = -1
      for (const c of candidates) if (widths[c]! > floor(c) && (widest < 0 || weighed(c) > weighed(widest))) widest = c
      if (widest < 0) return
      widths[widest]!--
    }
  }

  if (total() <= width) return table()
  columns = columns.filter(
    (c) => !(spec.columns[c]!.droppable && spec.rows.every((row) => row[c] === '' || row[c] === '0')),
  )
  if (total() <= width) return table()
  gap = NARROW_GAP
  if (total() <= width) return table()
  const shortened = columns.filter((c) => spec.columns[c]!.shorten !== undefined)
  giveWay(shortened, (c) => Math.max(header(c), Math.min(natural[c]!, floorOf(spec.columns[c]!.shorten!))))
  if (total() <= width) return table()
  const wrapped = columns.filter((c) => spec.columns[c]!.wrap)
  giveWay(wrapped, (c) => Math.max(header(c), Math.min(natural[c]!, MIN_WRAPPED)))
  if (total() <= width) return table()
  return {kind: 'blocks', keyWidth: blockKeyWidth(spec), width}
}

/** `namespace: ` — the widest key, its colon and a space. */
export function blockKeyWidth(spec: TableSpec): number {
  return spec.columns.reduce((max, c) => Math.max(max, textWidth(c.header) + 2), 0)
}

function valuesByDomain(specs: readonly TableSpec[]): Map<string, Set<string>> {
  const sets = new Map<string, Set<string>>()
  for (const spec of specs) {
    spec.columns.forEach((column, c) => {
      if (column.shorten === undefined) return
      const values = sets.get(column.shorten) ?? new Set<string>()
      for (const row of spec.rows) if (row[c]) values.add(row[c]!)
      sets.set(column.shorten, values)
    })
  }
  return sets
}

/** The columns a layout leaves for one kind of free text. */
function roomFor(domain: string, spec: TableSpec, layout: Layout): number {
  let room = Number.POSITIVE_INFINITY
  spec.columns.forEach((column, c) => {
    if (column.shorten !== domain) return
    if (layout.kind === 'blocks') room = Math.min(room, layout.width - layout.keyWidth)
    else if (layout.columns.includes(c)) room = Math.min(room, layout.widths[layout.columns.indexOf(c)]!)
  })
  return room
}

/**
 * Values to at most `room` columns, told apart. At or above the floor that is always possible (a
 * cut that works at one width works at any wider one); below it (a screen too narrow even for
 * blocks), values are cut without that guarantee.
 */
function shortenWithin(values: DistinctValues, room: number, floor: number): Map<string, string> {
  return (
    (room >= floor ? values.shorten(room) : undefined) ?? new Map(values.values.map((v) => [v, shortenMiddle(v, room)]))
  )
}

/** Columns of free text as wide as their shortened values (a shared shortening may leave room). */
function tighten(layout: TableLayout, spec: TableSpec, shortenings: Shortenings): TableLayout {
  const widths = layout.columns.map((c, i) => {
    const column = spec.columns[c]!
    if (column.shorten === undefined) return layout.widths[i]!
    return spec.rows.reduce(
      (max, row) => Math.max(max, textWidth(shownText(column, row[c] ?? '', shortenings))),
      textWidth(column.header),
    )
  })
  return {...layout, widths}
}
