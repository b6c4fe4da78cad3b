// kubectl-style tables drawn with cli-table3: no borders, left-aligned columns, upper-case headers,
// sanitized cells. Widths are measured once over all rows, then the rows are drawn in blocks of
// fixed-width columns, so a table of any length costs time in proportion to its rows (cli-table3's
// own layout of one big table grows with the square of them) and is written as it is drawn.
import Table from 'cli-table3'

import {type Column, type Layout, type Shortenings, type TableSpec, naturalLayout, shownText} from './fit.js'
import {sanitize} from './sanitize.js'
import {wrapText} from './wrap.js'

export type {Column, TableSpec} from './fit.js'

/** Colours a cell after it is sanitized and fitted (colour codes do not count for width). */
export type CellStyle = (row: number, col: number, text: string) => string

export interface TableOptions {
  /** From fitTables; the natural layout (every column, every value whole) when absent. */
  layout?: Layout
  shortenings?: Shortenings
  style?: CellStyle
  /** Lines printed under a row (a change's diff), already styled; each ends without a newline. */
  below?: (row: number) => readonly string[]
}

/** Rows drawn per cli-table3 table: enough to keep chunks large, few enough to stay linear. */
const ROWS_PER_DRAW = 100

const NO_BORDERS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
}

/** Raw values to a table: every cell sanitized here, so callers pass what they read. */
export function tableSpec(columns: readonly Column[], rows: ReadonlyArray<ReadonlyArray<string | number>>): TableSpec {
  return {columns, rows: rows.map((row) => row.map((cell) => sanitize(String(cell))))}
}

/** The table as chunks of whole lines, each ending in a newline. */
export function* renderTable(spec: TableSpec, options: TableOptions = {}): Generator<string> {
  const layout = options.layout ?? naturalLayout(spec)
  if (layout.kind === 'blocks') {
    yield* renderBlocks(spec, layout.keyWidth, layout.width, options)
    return
  }
  const {columns, widths, gap} = layout
  const cell = (r: number, c: number, width: number): string => {
    const column = spec.columns[c]!
    const text = shownText(column, spec.rows[r]![c] ?? '', options.shortenings)
    const fitted = column.wrap ? wrapText(text, width).join('\n') : text
    return options.style ? options.style(r, c, fitted) : fitted
  }
  // Rows with lines under them are drawn one at a time, in the widths measured over all rows.
  const perDraw = options.below ? 1 : ROWS_PER_DRAW
  for (let start = 0; start === 0 || start < spec.rows.length; start += perDraw) {
    const table = new Table({
      head: start === 0 ? columns.map((c) => spec.columns[c]!.header) : [],
      colWidths: widths,
      colAligns: columns.map((c) => spec.columns[c]!.align ?? 'left'),
      chars: {...NO_BORDERS, middle: ' '.repeat(gap)},
      style: {head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true},
      wordWrap: false,
    })
    const end = Math.min(start + perDraw, spec.rows.length)
    for (let r = start; r < end; r++) table.push(columns.map((c, i) => cell(r, c, widths[i]!)))
    const drawn = table.toString()
    if (drawn !== '')
      yield (
        drawn
          .split('\n')
          .map((line) => line.trimEnd())
          .join('\n') + '\n'
      )
    const below = start < spec.rows.length ? (options.below?.(start) ?? []) : []
    // A blank line closes a row's lines, so the next row stands out (blocks are apart already).
    if (below.length > 0) yield below.join('\n') + '\n\n'
  }
}

/**
 * One row per block of `key: value` lines, for a screen too narrow for the columns; empty values
 * left out. A row with nothing in its first column (doctor's remedy under its check) continues
 * the block above.
 */
function* renderBlocks(spec: TableSpec, keyWidth: number, width: number, options: TableOptions): Generator<string> {
  const valueWidth = Math.max(1, width - keyWidth)
  for (let r = 0; r < spec.rows.length; r++) {
    const continues = r > 0 && spec.rows[r]![0] === ''
    const lines: string[] = []
    spec.columns.forEach((column, c) => {
      const raw = spec.rows[r]![c] ?? ''
      if (raw === '' || (column.droppable && raw === '0')) return
      const text = shownText(column, raw, options.shortenings)
      wrapText(text, valueWidth).forEach((piece, i) => {
        const key = i === 0 ? `${column.header.toLowerCase()}:` : ''
        lines.push(key.padEnd(keyWidth) + (options.style ? options.style(r, c, piece) : piece))
      })
    })
    const below = options.below?.(r) ?? []
    yield `${r > 0 && !continues ? '\n' : ''}${[...lines, ...below].join('\n')}\n`
  }
}

/** The whole table as one string, for the short tables of a report. */
export function tableText(spec: TableSpec, options: TableOptions = {}): string {
  let text = ''
  for (const chunk of renderTable(spec, options)) text += chunk
  return text
}
