// The human views of a PolicyChangeReport: table (summary matrix + recent changes) and wide; on a
// terminal, -o table is fitted to its width (see fit.ts for what gives way).
import type {ChalkInstance} from 'chalk'

import {findWatchedResource, WRITE_VERBS} from '../audit/catalog.js'
import type {PolicyChange} from '../audit/changes.js'
import type {PolicyChangeReport} from '../audit/report.js'
import {fitTables} from './fit.js'
import {type CellStyle, type Column, renderTable, tableSpec, type TableSpec} from './table.js'
import {textWidth} from './text-width.js'
import {wrapText} from './wrap.js'

/** What the table shows: the report but for its list of changes, of which it gets only those it lists. */
export interface PoliciesTable extends Omit<PolicyChangeReport, 'changes'> {
  /** The newest changes, oldest first: at least --limit of them (all with --limit 0) when there are as many. */
  recent: readonly PolicyChange[]
  /** How many changes the report has in all. */
  total: number
}

export interface PoliciesView {
  wide: boolean
  /** How many of the most recent changes to list; 0 = all. */
  limit: number
  /** Times of the first and last events the input holds, and rotated files not opened, for the empty-window message. */
  inputSpan: {firstMs: number | null; lastMs: number | null; skipped: number}
  /** Changes in the window that --user, --verb, --kind, -n, --tier or --outcome left out. */
  unselected: {count: number; flags: readonly string[]}
  chalk: ChalkInstance
  /** The terminal's columns, to fit -o table to; undefined (a pipe, a file) prints every value whole. */
  width?: number
  /** Lines under the changes listed (--diff, --opens), styled and fitted. */
  below?: ReadonlyMap<PolicyChange, readonly string[]>
}

/** The report as chunks of lines, written as they are drawn (a --limit 0 list can be long). */
export function* renderPoliciesTable(report: PoliciesTable, view: PoliciesView): Generator<string> {
  const {chalk} = view
  const width = view.wide ? undefined : view.width
  const prose = (text: string, style: (s: string) => string = (s) => s) =>
    (width === undefined ? [text] : wrapText(text, width)).map((line) => style(line))
  const events = report.sources.reduce((n, s) => n + s.events, 0)
  const heading = `Policy changes ${describeWindow(report.window)}`
  const read = `${plural(report.sources.length, 'source')}, ${plural(events, 'event')} read`
  const title =
    width === undefined || textWidth(`${heading}  ·  ${read}`) <= width
      ? [chalk.bold(heading) + chalk.dim(`  ·  ${read}`)]
      : [...prose(heading, chalk.bold), ...prose(read, chalk.dim)]
  const incomplete = report.sources.filter((s) => !s.complete).length
  if (incomplete > 0)
    title.push(
      ...prose(
        `Incomplete: ${incomplete === 1 && report.sources.length === 1 ? 'the source' : `${incomplete} of ${plural(report.sources.length, 'source')}`} could not be read to the end (see the warnings): changes may be missing.`,
        chalk.yellow,
      ),
    )
  if (report.total === 0) {
    yield [...title, '', ...emptyWindow(report, view).flatMap((line) => prose(line))].join('\n') + '\n'
    return
  }
  const summary = summaryMatrix(report, chalk)
  const shown = view.limit === 0 ? report.recent : report.recent.slice(-view.limit)
  let list = changeList(shown, view)
  let fitted = width === undefined ? undefined : fitTables([summary.spec, list.spec], width)
  // Before one change per block: the list in short forms (compactChangeList), if that fits as a table.
  if (width !== undefined && fitted?.layouts[1]?.kind === 'blocks') {
    const compact = compactChangeList(shown, view)
    const tried = fitTables([summary.spec, compact.spec], width)
    if (tried.layouts[1]?.kind === 'table') [list, fitted] = [compact, tried]
  }
  yield `${title.join('\n')}\n\n`
  yield* renderTable(summary.spec, {layout: fitted?.layouts[0], shortenings: fitted?.shortenings, style: summary.style})
  const listTitle =
    (shown.length === report.total
      ? `Changes (${thousands(report.total)})`
      : `Most recent ${thousands(shown.length)} of ${thousands(report.total)} changes (--limit 0 shows all)`) +
    (list.day === undefined ? '' : `, on ${list.day} (UTC)`)
  yield `\n${prose(listTitle, chalk.bold).join('\n')}\n`
  const below = view.below
  yield* renderTable(list.spec, {
    layout: fitted?.layouts[1],
    shortenings: fitted?.shortenings,
    style: list.style,
    below: below && ((r) => below.get(shown[r]!) ?? []),
  })
  if (list.kinds !== undefined) yield prose(list.kinds, chalk.dim).join('\n') + '\n'
}

export interface StyledTable {
  spec: TableSpec
  style: CellStyle
}

/** The list of changes; in short forms, the day its times are on and what its kinds stand for. */
interface ChangeListTable extends StyledTable {
  day?: string
  kinds?: string
}

function emptyWindow(report: PoliciesTable, view: PoliciesView): string[] {
  const {chalk, unselected} = view
  if (unselected.count > 0) {
    return [
      'No network policy or tier changes in this window match the filters.',
      `${plural(unselected.count, 'change')} in this window did not match ${unselected.flags.join(' ')}.`,
    ]
  }
  const out = ['No network policy or tier changes in this window.']
  const {firstMs, lastMs, skipped} = view.inputSpan
  if (firstMs !== null && lastMs !== null) out.push(`The input covers ${shortTime(firstMs)} to ${shortTime(lastMs)}.`)
  else if (lastMs !== null)
    out.push(`The input ends at about ${shortTime(lastMs)} (the time in the newest rotated file's name).`)
  if (skipped > 0)
    out.push(
      `${plural(skipped, 'rotated file')} that end${skipped === 1 ? 's' : ''} before the window ${skipped === 1 ? 'was' : 'were'} not read.`,
    )
  if (report.window.since !== null) out.push(`Try ${chalk.bold('--since all')} to look at everything.`)
  return out
}

export function summaryMatrix(report: Pick<PoliciesTable, 'summary'>, chalk: ChalkInstance): StyledTable {
  const verbs = WRITE_VERBS.filter((v) => report.summary.some((r) => r.verb === v))
  const extraVerbs = [...new Set(report.summary.map((r) => r.verb))].filter(
    (v) => !(WRITE_VERBS as readonly string[]).includes(v),
  )
  const allVerbs = [...verbs, ...extraVerbs]
  const users = new Map<string, Map<string, number>>()
  const failed = new Map<string, number>()
  const unknown = new Map<string, number>()
  for (const row of report.summary) {
    const cells = users.get(row.user) ?? new Map<string, number>()
    cells.set(row.verb, (cells.get(row.verb) ?? 0) + row.succeeded + row.failed + row.unknown)
    users.set(row.user, cells)
    failed.set(row.user, (failed.get(row.user) ?? 0) + row.failed)
    unknown.set(row.user, (unknown.get(row.user) ?? 0) + row.unknown)
  }
  const showUnknown = [...unknown.values()].some((n) => n > 0)
  // On a narrow screen a verb nobody used gives way first; users are cut the same way as in the list.
  const columns: Column[] = [
    {header: 'USER', shorten: 'user'},
    ...allVerbs.map((v) => ({header: v.toUpperCase(), align: 'right' as const, droppable: true})),
    {header: 'FAILED', align: 'right'},
  ]
  if (showUnknown) columns.push({header: 'UNKNOWN', align: 'right'})
  columns.push({header: 'TOTAL', align: 'right'})
  const totals = [...users.entries()].map(([user, cells]) => ({
    user,
    cells,
    total: [...cells.values()].reduce((a, b) => a + b, 0),
  }))
  // As the summary is ordered: by count, then by user.
  totals.sort((a, b) => b.total - a.total || (a.user < b.user ? -1 : a.user > b.user ? 1 : 0))
  const rows = totals.map(({user, cells, total}) => {
    const counts = [...allVerbs.map((v) => cells.get(v) ?? 0), failed.get(user) ?? 0]
    if (showUnknown) counts.push(unknown.get(user) ?? 0)
    counts.push(total)
    return [user || '(unauthenticated)', ...counts.map(thousands)]
  })
  const failedCol = allVerbs.length + 1
  return {
    spec: tableSpec(columns, rows),
    style: (_r, c, text) => {
      if (c >= 1 && text === '0') return chalk.dim(text)
      if (c === failedCol) return chalk.red(text)
      return text
    },
  }
}

/**
 * The change list in short forms, for a terminal too narrow for the whole one: times without their
 * day when all are on one (the title says which), kinds by their short names as --kind takes them
 * (a line under the list says what each stands for), and a failure's result as its code alone.
 */
function compactChangeList(changes: readonly PolicyChange[], view: PoliciesView): ChangeListTable {
  const days = new Set(changes.map((c) => c.time.slice(0, 10)))
  const day = days.size === 1 ? [...days][0] : undefined
  const kinds = new Map<string, string>()
  const list = changeList(changes, view, (c) => {
    const kind = shortKind(c)
    // `gnp (crd)` says itself once `gnp` is said.
    kinds.set(kind.replace(/ \(crd\)$/, ''), displayKind({kind: c.kind, apiGroup: c.apiGroup.replace(/^crd\./, '')}))
    return {
      time:
        day === undefined
          ? undefined
          : c.time
              .slice(11)
              .replace(/\.\d+Z$/, '')
              .replace(/Z$/, ''),
      kind,
      result: c.code !== null && c.code >= 400 ? String(c.code) : undefined,
    }
  })
  // Each `short = Long Name` kept on one line (no-break spaces) when the legend wraps.
  const legend = [...kinds]
    .filter(([short, long]) => short !== long.toLowerCase())
    .map(([short, long]) => `${short} = ${long}`.replaceAll(' ', '\u00a0'))
  return {...list, ...(day === undefined ? {} : {day}), ...(legend.length > 0 ? {kinds: legend.join('  ')} : {})}
}

/** A kind by its first short name (what --kind takes), the CRD group's marked as such. */
function shortKind(c: Pick<PolicyChange, 'kind' | 'apiGroup' | 'resource'>): string {
  const short = findWatchedResource(c.apiGroup, c.resource)?.shortNames[0] ?? c.kind
  return c.apiGroup === 'crd.projectcalico.org' ? `${short} (crd)` : short
}

/** What a row shows in place of the whole time, kind or result (compactChangeList). */
interface ShortCells {
  time?: string | undefined
  kind?: string | undefined
  result?: string | undefined
}

function changeList(
  changes: readonly PolicyChange[],
  view: PoliciesView,
  short: (c: PolicyChange) => ShortCells = () => ({}),
): ChangeListTable {
  const {chalk, wide} = view
  const columns: Column[] = [
    {header: 'TIME'},
    {header: 'USER', shorten: 'user', keeps: 2},
    {header: 'VERB'},
    {header: 'KIND'},
    {header: 'NAMESPACE', shorten: 'namespace', droppable: true},
    {header: 'NAME', shorten: 'name', droppable: true},
    {header: 'TIER', shorten: 'tier', droppable: true},
    {header: 'RESULT'},
  ]
  if (wide)
    columns.push(
      {header: 'CODE', align: 'right'},
      {header: 'AUDIT-ID'},
      {header: 'SOURCE-IP'},
      {header: 'USER-AGENT'},
      {header: 'SOURCE'},
    )
  const rows = changes.map((c) => {
    const cells = short(c)
    const row = [
      cells.time ?? c.time.replace(/\.\d+Z$/, 'Z'),
      c.impersonatedUser ? `${c.user} as ${c.impersonatedUser}` : c.user || '(unauthenticated)',
      c.dryRun ? `${c.verb} (dry run)` : c.verb,
      cells.kind ?? displayKind(c),
      c.namespace ?? '',
      c.name ?? '',
      c.tier ?? '',
      cells.result ?? changeResult(c),
    ]
    if (wide)
      row.push(c.code === null ? '' : String(c.code), c.auditID, c.sourceIPs.at(-1) ?? '', c.userAgent ?? '', c.source)
    return row
  })
  return {
    spec: tableSpec(columns, rows),
    style: (r, col, text) => {
      if (col !== 7) return text
      const outcome = changes[r]!.outcome
      return outcome === 'failed' ? chalk.red(text) : outcome === 'unknown' ? chalk.yellow(text) : text
    },
  }
}

/** Kinds that exist in more than one group get the group's short name. */
export function displayKind(c: Pick<PolicyChange, 'kind' | 'apiGroup'>): string {
  if (c.apiGroup === 'crd.projectcalico.org') return `${c.kind} (crd)`
  if (c.kind === 'NetworkPolicy')
    return c.apiGroup === 'projectcalico.org' ? 'NetworkPolicy (calico)' : 'NetworkPolicy (k8s)'
  return c.kind
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
}

/** What came of a change, as the RESULT column says it: ok, or the code and its reason. */
export function changeResult(c: PolicyChange): string {
  if (c.code === null) return c.outcome === 'succeeded' ? 'ok' : c.outcome
  if (c.code < 400) return c.code === 200 || c.code === 201 ? 'ok' : `ok (${c.code})`
  return `${c.code} ${REASONS[c.code] ?? 'Failed'}`
}

function describeWindow(window: PolicyChangeReport['window']): string {
  if (window.since === null && window.until === null) return 'in the whole input'
  const since = window.since === null ? 'the start' : window.since
  return `from ${since} to ${window.until ?? 'now'}`
}

function shortTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z')
}

function plural(n: number, word: string): string {
  return `${thousands(n)} ${word}${n === 1 ? '' : 's'}`
}

/** A count as en-US writes it (12,345), without Intl: its first use costs ~12 ms of a short run. */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+$)/g, ',')
}
