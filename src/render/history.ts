// The history of one object as a table: a heading that says what was read and where the history
// in the log starts, then every change in time order (when, who, verb, through which API, result,
// source), each with what it did under it.
import type {ChalkInstance} from 'chalk'

import type {PolicyChange} from '../audit/changes.js'
import type {ChangeVersions} from '../audit/what-changed/change-versions.js'
import {fitTables} from './fit.js'
import {changeResult, displayKind} from './policies.js'
import {type Column, renderTable, tableSpec} from './table.js'
import {textWidth} from './text-width.js'
import {wrapText} from './wrap.js'

/** What `history -o json|yaml` prints: the object, what was read, and its changes with what each did. */
export interface ObjectHistoryReport {
  apiVersion: 'kubectl-audit/v1'
  kind: 'ObjectHistory'
  object: {kind: string; name: string; namespace: string | null; resources: string[]}
  window: {since: string | null; until: string | null}
  sources: Array<{
    name: string
    bytesRead: number
    events: number
    malformed: number
    complete: boolean
    reason?: string
  }>
  /** The first change of the object in the log is not a create: earlier versions are not in it. */
  startsMidway: boolean
  /** Changes of the object in the log, before --user, --verb and --outcome chose what is shown. */
  total: number
  changes: Array<PolicyChange & ChangeVersions>
}

export interface HistoryView {
  chalk: ChalkInstance
  /** The terminal's columns; undefined prints every value whole. */
  width?: number
  /** The object as given (`gnp/security.allow-dns`), and in which namespace when it was found in one. */
  asked: string
  /** Lines under each change, styled and fitted (render/what-changed.ts). */
  below: ReadonlyArray<readonly string[]>
  /** The verb of the first change of the object in the log. */
  firstVerb?: string
  /** The flags that chose what is shown, for the message when nothing is. */
  selectionFlags: readonly string[]
}

export function* renderHistoryTable(report: ObjectHistoryReport, view: HistoryView): Generator<string> {
  const {chalk, width} = view
  const prose = (text: string, style: (s: string) => string = (s) => s) => proseLines(text, width, style)
  const title = historyTitle(report, view)
  if (report.total === 0) {
    const hint = report.window.since === null ? '' : ` Try ${chalk.bold('--since all')} to look at everything.`
    yield [...title, '', ...prose(`No change to ${view.asked} in this window.${hint}`)].join('\n') + '\n'
    return
  }
  if (report.changes.length === 0) {
    yield (
      [
        ...title,
        '',
        ...prose(`None of its ${plural(report.total, 'change')} match ${view.selectionFlags.join(' ')}.`),
      ].join('\n') + '\n'
    )
    return
  }
  const shownNote =
    report.changes.length < report.total
      ? [
          ...prose(
            `${report.changes.length} of them match ${view.selectionFlags.join(' ')}; every change still counts for the diffs.`,
            chalk.dim,
          ),
        ]
      : []

  const columns: Column[] = [
    {header: 'TIME'},
    {header: 'USER', shorten: 'user'},
    {header: 'VERB'},
    {header: 'KIND', droppable: true},
    {header: 'RESULT'},
    {header: 'SOURCE', shorten: 'source', droppable: true},
  ]
  const rows = report.changes.map((c) => [
    c.time.replace(/\.\d+Z$/, 'Z'),
    c.impersonatedUser ? `${c.user} as ${c.impersonatedUser}` : c.user || '(unauthenticated)',
    c.dryRun ? `${c.verb} (dry run)` : c.verb,
    displayKind(c),
    changeResult(c),
    c.source,
  ])
  const spec = tableSpec(columns, rows)
  const fitted = width === undefined ? undefined : fitTables([spec], width)
  yield `${[...title, ...shownNote].join('\n')}\n\n`
  yield* renderTable(spec, {
    layout: fitted?.layouts[0],
    shortenings: fitted?.shortenings,
    style: (r, c, text) =>
      c === 4 && report.changes[r]!.outcome !== 'succeeded'
        ? report.changes[r]!.outcome === 'failed'
          ? chalk.red(text)
          : chalk.yellow(text)
        : text,
    below: (r) => view.below[r]!,
  })
}

/** The lines above a history: the object, how many changes in what was read, and where it starts in the log. */
export function historyTitle(
  report: Pick<ObjectHistoryReport, 'object' | 'sources' | 'total' | 'window' | 'startsMidway'>,
  view: Pick<HistoryView, 'chalk' | 'width' | 'firstVerb'>,
): string[] {
  const {chalk, width} = view
  const prose = (text: string, style: (s: string) => string = (s) => s) => proseLines(text, width, style)
  const {object} = report
  const where = object.namespace === null ? '' : ` in namespace ${object.namespace}`
  const heading = `History of ${object.kind} ${object.name}${where}`
  const events = report.sources.reduce((n, s) => n + s.events, 0)
  const read = `${plural(report.total, 'change')} ${describeWindow(report.window)}  ·  ${plural(report.sources.length, 'source')}, ${plural(events, 'event')} read`
  const title =
    width === undefined || textWidth(`${heading}  ·  ${read}`) <= width
      ? [chalk.bold(heading) + chalk.dim(`  ·  ${read}`)]
      : [...prose(heading, chalk.bold), ...prose(read, chalk.dim)]
  const incomplete = report.sources.filter((s) => !s.complete).length
  if (incomplete > 0)
    title.push(
      ...prose(
        `Incomplete: ${incomplete} of ${plural(report.sources.length, 'source')} could not be read to the end (see the warnings): changes may be missing.`,
        chalk.yellow,
      ),
    )
  if (report.total > 0 && report.startsMidway) {
    const first = view.firstVerb === undefined ? 'not a create' : `a ${view.firstVerb}, not a create`
    title.push(
      ...prose(
        `The history starts mid-way: its first change in the log is ${first}; the versions before it are not in the log.`,
        chalk.yellow,
      ),
    )
  }
  return title
}

/** Text wrapped to the width (whole without one), each line styled. */
export function proseLines(text: string, width: number | undefined, style: (s: string) => string = (s) => s): string[] {
  return (width === undefined ? [text] : wrapText(text, width)).map((line) => style(line))
}

function describeWindow(window: ObjectHistoryReport['window']): string {
  if (window.since === null && window.until === null) return 'in the whole input'
  return `from ${window.since ?? 'the start'} to ${window.until ?? 'now'}`
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`
}
