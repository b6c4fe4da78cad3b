// What --watch prints: each change as one line when it lands (with what it did under it, for
// --diff and --opens), and at the end the summary of what was seen. A table's columns are fitted
// once, before the first row (rows to come are not known): on a terminal, to its width, free text
// cut in the middle where a value is wider than its column; on a pipe, every value whole. JSON is
// one change per line, YAML one document per change; the summary comes last, as a document of its
// own. `policies -w` shows the columns of its change list, `history -w` those of a history.
import type {ChalkInstance} from 'chalk'

import type {PolicyChange} from '../audit/changes.js'
import type {SummaryRow} from '../audit/summary.js'
import {fitTables, GAP, MIN_SHORTENED, NARROW_GAP} from './fit.js'
import {changeResult, displayKind, summaryMatrix} from './policies.js'
import {escapeUnsafeInDocument, sanitize} from './sanitize.js'
import {shortenMiddle} from './shorten.js'
import {renderTable} from './table.js'
import {textWidth} from './text-width.js'

export type WatchFormat = 'table' | 'wide' | 'json' | 'yaml'

export interface WatchView {
  format: WatchFormat
  chalk: ChalkInstance
  /** The terminal's columns; undefined on a pipe (and for wide), where values are shown whole. */
  width?: number
}

interface StreamColumn {
  header: string
  /** Text that may be cut in the middle on a narrow terminal: free text first, then the kind. */
  shortens?: 'first' | 'last'
  /** May go, last to first, when the screen is too narrow for the rest. */
  droppable?: boolean
  /** A width wide enough for most values, so rows to come line up. */
  usual: number
}

const COLUMNS: readonly StreamColumn[] = [
  {header: 'TIME', usual: 20},
  {header: 'USER', shortens: 'first', usual: 16},
  {header: 'VERB', usual: 6},
  {header: 'KIND', shortens: 'last', usual: 19},
  {header: 'NAMESPACE', shortens: 'first', droppable: true, usual: 9},
  {header: 'NAME', shortens: 'first', usual: 20},
  {header: 'TIER', shortens: 'first', droppable: true, usual: 8},
  {header: 'RESULT', usual: 13},
]
const WIDE_COLUMNS: readonly StreamColumn[] = [
  {header: 'CODE', usual: 4},
  {header: 'AUDIT-ID', usual: 36},
  {header: 'SOURCE-IP', usual: 9},
  {header: 'USER-AGENT', usual: 10},
  {header: 'SOURCE', usual: 6},
]
/** A history's columns: one object, so no namespace, name or tier; where each change was read. */
const HISTORY_COLUMNS: readonly StreamColumn[] = [
  {header: 'TIME', usual: 20},
  {header: 'USER', shortens: 'first', usual: 16},
  {header: 'VERB', usual: 6},
  {header: 'KIND', shortens: 'last', droppable: true, usual: 19},
  {header: 'RESULT', usual: 13},
  {header: 'SOURCE', shortens: 'first', droppable: true, usual: 12},
]
/** A kind cut shorter than this (`NetworkPol…`) hardly says which. */
const MIN_KIND = 13

/** Which rows: the change list of `policies`, or the history of one object. */
export type ChangeRows = 'changes' | 'history'

interface RowLayout {
  columns(wide: boolean): readonly StreamColumn[]
  cells(change: PolicyChange, wide: boolean): string[]
  /** The column coloured by the change's outcome. */
  result: number
}

const ROW_LAYOUTS: Record<ChangeRows, RowLayout> = {
  changes: {
    columns: (wide) => (wide ? [...COLUMNS, ...WIDE_COLUMNS] : COLUMNS),
    cells: changeCells,
    result: 7,
  },
  history: {
    columns: () => HISTORY_COLUMNS,
    cells: historyCells,
    result: 4,
  },
}

/** The cells of a change's row, as the change list of `policies` shows them. */
export function changeCells(c: PolicyChange, wide: boolean): string[] {
  const cells = [
    c.time.replace(/\.\d+Z$/, 'Z'),
    c.impersonatedUser ? `${c.user} as ${c.impersonatedUser}` : c.user || '(unauthenticated)',
    c.dryRun ? `${c.verb} (dry run)` : c.verb,
    displayKind(c),
    c.namespace ?? '',
    c.name ?? '',
    c.tier ?? '',
    changeResult(c),
  ]
  if (wide)
    cells.push(c.code === null ? '' : String(c.code), c.auditID, c.sourceIPs.at(-1) ?? '', c.userAgent ?? '', c.source)
  return cells.map((cell) => sanitize(cell))
}

/** The cells of a change's row in the history of its object, as `history` shows them. */
export function historyCells(c: PolicyChange): string[] {
  const [time, user, verb, kind, , , , result] = changeCells(c, false)
  return [time!, user!, verb!, kind!, result!, sanitize(c.source)]
}

/** Lines for changes as they land, in one format. */
export class ChangeLines {
  private readonly layout: RowLayout
  private readonly columns: readonly StreamColumn[]
  /** Shown columns (indexes into `columns`) and their widths, for tables. */
  private readonly shown: number[] = []
  private readonly widths: number[] = []
  private gap = GAP

  /**
   * `first`: changes already known (the log read before following), so columns fit them too;
   * `yaml`: the YAML renderer (render/document.ts yamlRenderer), for -o yaml; `rows`: which columns.
   */
  constructor(
    private readonly view: WatchView,
    first: readonly PolicyChange[],
    private readonly yaml?: (document: unknown) => string,
    rows: ChangeRows = 'changes',
  ) {
    const wide = view.format === 'wide'
    this.layout = ROW_LAYOUTS[rows]
    this.columns = this.layout.columns(wide)
    if (view.format === 'table' || wide)
      this.fit(
        first.map((c) => this.layout.cells(c, wide)),
        wide ? undefined : view.width,
      )
  }

  /** What comes before the first change: the header of a table's columns. */
  header(): string {
    if (!this.isTable) return ''
    return (
      this.joinCells(
        this.shown.map((c) => this.columns[c]!.header),
        () => undefined,
      ) + '\n'
    )
  }

  /**
   * One change: a row, a JSON line, or a YAML document (which show every field the change has:
   * what --diff adds too). `below`: the lines a table shows under the row (render/what-changed.ts),
   * styled and fitted; a blank line closes them, so the next row stands out.
   */
  line(change: PolicyChange, below: readonly string[] = []): string {
    if (this.view.format === 'json') return escapeUnsafeInDocument(JSON.stringify(change), 'json') + '\n'
    if (this.yaml) return `---\n${this.yaml(change)}`
    const cells = this.layout.cells(change, this.view.format === 'wide')
    const {chalk} = this.view
    const row = this.joinCells(
      this.shown.map((c) => cells[c] ?? ''),
      (c, text) => {
        if (c !== this.layout.result) return undefined
        return change.outcome === 'failed'
          ? chalk.red(text)
          : change.outcome === 'unknown'
            ? chalk.yellow(text)
            : undefined
      },
    )
    return below.length === 0 ? `${row}\n` : `${row}\n${below.join('\n')}\n\n`
  }

  private get isTable(): boolean {
    return this.view.format === 'table' || this.view.format === 'wide'
  }

  /** Cells padded to their columns (cut to them on a terminal); `style` colours one after it is fitted. */
  private joinCells(cells: readonly string[], style: (column: number, text: string) => string | undefined): string {
    const fitted = this.view.width !== undefined
    const parts = cells.map((cell, i) => {
      const width = this.widths[i]!
      const text = fitted ? shortenMiddle(cell, width) : cell
      const styled = style(this.shown[i]!, text) ?? text
      return i === cells.length - 1 ? styled : styled + ' '.repeat(Math.max(0, width - textWidth(text)) + this.gap)
    })
    return parts.join('').trimEnd()
  }

  /**
   * Widths wide enough for the usual values and for the changes known; on a terminal narrower than
   * that, the gaps narrow, free text gives way (widest first, not below MIN_SHORTENED), the
   * optional columns go (the tier, then the namespace), and last the kind gives way too.
   */
  private fit(rows: ReadonlyArray<readonly string[]>, width: number | undefined): void {
    const natural = this.columns.map((column, c) =>
      rows.reduce(
        (max, row) => Math.max(max, textWidth(row[c] ?? '')),
        Math.max(textWidth(column.header), column.usual),
      ),
    )
    const all = this.columns.map((_, c) => c)
    let widths = [...natural]
    const total = (shown: readonly number[]) =>
      shown.reduce((sum, c) => sum + widths[c]!, 0) + this.gap * (shown.length - 1)
    const floor = (c: number) =>
      Math.max(
        textWidth(this.columns[c]!.header),
        Math.min(natural[c]!, this.columns[c]!.shortens === 'last' ? MIN_KIND : MIN_SHORTENED),
      )
    /** Narrows the widest of the columns that may give way, a column at a time; true once the row fits. */
    const fits = (shown: readonly number[], giving: ReadonlySet<StreamColumn['shortens']>): boolean => {
      widths = [...natural]
      for (let excess = total(shown) - width!; excess > 0; excess--) {
        let widest = -1
        for (const c of shown)
          if (
            giving.has(this.columns[c]!.shortens) &&
            widths[c]! > floor(c) &&
            (widest < 0 || widths[c]! > widths[widest]!)
          )
            widest = c
        if (widest < 0) return false
        widths[widest]!--
      }
      return true
    }
    let shown = all
    if (width !== undefined && total(all) > width) {
      this.gap = NARROW_GAP
      const droppable = all.filter((c) => this.columns[c]!.droppable).reverse()
      const candidates = droppable.map((_, i) => all.filter((c) => !droppable.slice(0, i + 1).includes(c)))
      shown = [all, ...candidates].find((cols) => fits(cols, new Set(['first']))) ?? candidates.at(-1) ?? all
      if (total(shown) > width) fits(shown, new Set(['first', 'last']))
    }
    this.shown.push(...shown)
    this.widths.push(...shown.map((c) => widths[c]!))
    // The last column reaches to the edge of the screen.
    if (width !== undefined && shown.length > 0)
      this.widths[this.widths.length - 1] = Math.max(this.widths.at(-1)!, width - total(shown) + this.widths.at(-1)!)
  }
}

/** What --watch prints last: the summary of what was seen, as `policies` prints its summary. */
export interface WatchSummary {
  window: {since: string | null; until: string | null}
  sources: ReadonlyArray<{events: number}>
  summary: readonly SummaryRow[]
}

export function* renderWatchSummary(seen: WatchSummary, view: WatchView): Generator<string> {
  const {chalk} = view
  const events = seen.sources.reduce((n, s) => n + s.events, 0)
  const changes = seen.summary.reduce((n, r) => n + r.succeeded + r.failed + r.unknown, 0)
  const heading = `Policy changes ${seen.window.since === null ? 'in the whole log' : `since ${seconds(seen.window.since)}`}, until the watch ended`
  const read = `${plural(seen.sources.length, 'source')}, ${plural(events, 'event')} read, ${plural(changes, 'change')}`
  yield `\n${chalk.bold(heading)}${chalk.dim(`  ·  ${read}`)}\n`
  if (changes === 0) {
    yield 'No network policy or tier changes.\n'
    return
  }
  const matrix = summaryMatrix({summary: [...seen.summary]}, chalk)
  const fitted = view.width === undefined ? undefined : fitTables([matrix.spec], view.width)
  yield '\n'
  yield* renderTable(matrix.spec, {layout: fitted?.layouts[0], shortenings: fitted?.shortenings, style: matrix.style})
}

/** An RFC3339 time to the second, as the rows show theirs. */
function seconds(time: string | null): string | null {
  return time === null ? null : time.replace(/\.\d+Z$/, 'Z')
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`
}
