// kubectl-style tables: no borders, left-aligned columns, upper-case headers, sanitized cells.
import Table from 'cli-table3'

import {sanitize} from './sanitize.js'

export interface Column {
  header: string
  align?: 'left' | 'right'
}

/**
 * Renders rows as aligned text. Cells are sanitized here, so callers pass raw values;
 * `styles` optionally colours a cell after it is sanitized (colour codes do not count for width).
 */
export function renderTable(columns: readonly Column[], rows: ReadonlyArray<ReadonlyArray<string | number>>, style?: (row: number, col: number, text: string) => string): string {
  const table = new Table({
    head: columns.map((c) => c.header),
    chars: {top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '   '},
    style: {head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true},
    colAligns: columns.map((c) => c.align ?? 'left'),
    wordWrap: false,
  })
  rows.forEach((row, r) => {
    table.push(row.map((cell, c) => {
      const text = sanitize(String(cell))
      return style ? style(r, c, text) : text
    }))
  })
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
}
