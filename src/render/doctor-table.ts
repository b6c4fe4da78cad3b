// Doctor's table output: the target, each check with its mark, detail and remedy, then the
// coverage matrix (resources × verbs). Every string from a manifest, a policy or the API goes
// through tableSpec/sanitize before it reaches the terminal. On a terminal, -o table is fitted to
// its width: details wrap inside their column, resource names are cut in the middle (fit.ts).
import type {ChalkInstance} from 'chalk'

import type {CoverageRow} from '../audit/policy/coverage.js'
import type {Level} from '../audit/policy/types.js'
import type {CheckStatus} from '../doctor/check.js'
import {probeWhere, resourceKey} from '../doctor/describe.js'
import {recordingOf} from '../doctor/recording.js'
import type {DoctorReport} from '../doctor/report.js'
import {probeSection} from './doctor-probe.js'
import {fitTables, type Layout, type Shortenings} from './fit.js'
import {sanitize} from './sanitize.js'
import {type CellStyle, tableSpec, tableText, type TableSpec} from './table.js'
import {wrapText} from './wrap.js'

export interface DoctorTableOptions {
  readonly chalk: ChalkInstance
  /** -o wide: omitStages and the probes that differ, under the matrix. */
  readonly wide: boolean
  /** Groups whose rows matter here; the others are dimmed. */
  readonly relevantGroups: ReadonlySet<string>
  /** Extra header lines (version source, where the flags came from). */
  readonly context: readonly string[]
  /** The terminal's columns, to fit -o table to; undefined (a pipe, a file) prints every value whole. */
  readonly width?: number
}

const MARKS: Record<CheckStatus, string> = {pass: '✓ pass', warn: '! warn', fail: '✗ fail', skip: '- skip'}
const SHORT_LEVEL: Record<Level, string> = {None: 'None', Metadata: 'Meta', Request: 'Req', RequestResponse: 'RR'}

interface StyledTable {
  spec: TableSpec
  style: CellStyle
}

export function renderDoctorTable(report: DoctorReport, options: DoctorTableOptions): string {
  const {chalk} = options
  const width = options.wide ? undefined : options.width
  const prose = (text: string, style: (s: string) => string = (s) => s) =>
    (width === undefined ? [text] : wrapText(text, width)).map((line) => style(line))
  const out: string[] = []

  const version = report.target.kubernetesVersion
    ? `Kubernetes ${report.target.kubernetesVersion}`
    : 'Kubernetes version unknown'
  out.push(...prose(`Target: ${report.target.mode}, ${version}`, chalk.bold))
  for (const line of options.context) out.push(...prose(sanitize(line)))
  const {identity} = report.target
  out.push(...prose(sanitize(`Coverage evaluated for user ${identity.user} in groups ${identity.groups.join(', ')}`)))
  out.push('')

  const checks = checkTable(report, chalk)
  const probe = report.probe ? probeSection(report.probe, chalk) : undefined
  const coverage = report.coverage.length > 0 ? coverageSection(report.coverage, options) : undefined
  const tables = [checks, ...(probe?.table ? [probe.table] : []), ...(coverage ? [coverage.table] : [])]
  const fitted =
    width === undefined
      ? undefined
      : fitTables(
          tables.map((t) => t.spec),
          width,
        )
  const layoutOf = (table: StyledTable) => fitted?.layouts[tables.indexOf(table)]
  const draw = (table: StyledTable, layout: Layout | undefined, shortenings: Shortenings | undefined) =>
    tableText(table.spec, {layout, shortenings, style: table.style}).replace(/\n$/, '')

  out.push(draw(checks, layoutOf(checks), fitted?.shortenings))
  const counts = (['pass', 'warn', 'fail', 'skip'] as const).map(
    (s) => `${report.checks.filter((c) => c.status === s).length} ${s}`,
  )
  out.push('', `${report.checks.length} checks: ${counts.join(', ')}`)

  if (probe) {
    out.push('', ...prose(sanitize(probe.heading), chalk.bold))
    if (probe.table) out.push(draw(probe.table, layoutOf(probe.table), fitted?.shortenings))
    for (const line of probe.legend) out.push(...prose(line, chalk.dim))
  }

  if (coverage) {
    out.push('', ...prose('Coverage: the level each write is recorded at, and the first matching rule', chalk.bold))
    out.push(draw(coverage.table, layoutOf(coverage.table), fitted?.shortenings))
    out.push(...prose(coverage.legend, chalk.dim))
    if (options.wide) out.push('', tableText(differencesTable(coverage.rows)).replace(/\n$/, ''))
  }
  return out.join('\n') + '\n'
}

function checkTable(report: DoctorReport, chalk: ChalkInstance): StyledTable {
  const statusColour: Record<CheckStatus, (s: string) => string> = {
    pass: chalk.green,
    warn: chalk.yellow,
    fail: chalk.red,
    skip: chalk.dim,
  }
  const rows: string[][] = []
  const rowStatus: Array<CheckStatus | 'remedy'> = []
  for (const check of report.checks) {
    rows.push([check.id, MARKS[check.status], check.detail])
    rowStatus.push(check.status)
    if (check.remedy && check.status !== 'pass') {
      rows.push(['', '', `→ ${check.remedy}`])
      rowStatus.push('remedy')
    }
  }
  return {
    spec: tableSpec([{header: 'CHECK'}, {header: 'STATUS'}, {header: 'DETAIL', wrap: true}], rows),
    style: (row, col, text) => {
      const status = rowStatus[row]!
      if (status === 'remedy') return chalk.cyan(text)
      return col === 1 ? statusColour[status](text) : text
    },
  }
}

function coverageSection(
  all: readonly CoverageRow[],
  options: DoctorTableOptions,
): {table: StyledTable; legend: string; rows: readonly CoverageRow[]} {
  const {chalk} = options
  // Rows of groups this cluster does not serve only matter in -o wide (and JSON).
  const coverage = options.wide ? all : all.filter((r) => options.relevantGroups.has(r.apiGroup))
  const shownKeys = new Set(coverage.map(resourceKey))
  const hidden = new Set(all.map(resourceKey).filter((key) => !shownKeys.has(key))).size
  const verbs = [...new Set(coverage.map((r) => r.verb))]
  const keys = [...shownKeys]
  const byKey = new Map(coverage.map((r) => [`${resourceKey(r)} ${r.verb}`, r]))
  const cells: Array<Array<CoverageRow | undefined>> = keys.map((key) =>
    verbs.map((verb) => byKey.get(`${key} ${verb}`)),
  )
  const served = (i: number) => cells[i]!.some((row) => row && options.relevantGroups.has(row.apiGroup))
  const rows = keys.map((key, i) => [
    served(i) ? key : `${key} (not served)`,
    ...cells[i]!.map((row) => (row ? cellText(row) : '')),
  ])
  const colour = (row: CoverageRow, text: string): string => {
    if (!options.relevantGroups.has(row.apiGroup)) return chalk.dim(text)
    const recording = recordingOf(row)
    return recording === 'full' ? chalk.green(text) : recording === 'partial' ? chalk.yellow(text) : chalk.red(text)
  }
  const legend = `RR RequestResponse, Req Request, Meta Metadata; #N rule index (from 0); -RC ResponseComplete omitted; * differs by namespace or name (see -o wide)${
    coverage.some((r) => r.level !== r.policyLevel)
      ? '; Meta<RR the rule asks for RR, but an aggregated API is recorded at Meta at most'
      : ''
  }${hidden === 1 ? '; 1 resource of a group not served here is left out (see -o wide)' : hidden > 1 ? `; ${hidden} resources of groups not served here are left out (see -o wide)` : ''}`
  return {
    table: {
      spec: tableSpec(
        [{header: 'RESOURCE', shorten: 'resource'}, ...verbs.map((v) => ({header: v.toUpperCase()}))],
        rows,
      ),
      style: (r, c, text) => {
        const row = c === 0 ? cells[r]!.find(Boolean) : cells[r]![c - 1]
        if (!row) return text
        return c === 0 && options.relevantGroups.has(row.apiGroup) ? text : colour(row, text)
      },
    },
    legend,
    rows: coverage,
  }
}

function cellText(row: CoverageRow): string {
  const rule = row.rule === null ? '' : ` #${row.rule}`
  const omitted = row.omitStages.includes('ResponseComplete') ? ' -RC' : ''
  const capped = row.policyLevel === row.level ? '' : `<${SHORT_LEVEL[row.policyLevel]}`
  return `${SHORT_LEVEL[row.level]}${capped}${rule}${omitted}${row.differences.length > 0 ? '*' : ''}`
}

function differencesTable(coverage: readonly CoverageRow[]): TableSpec {
  const rows: string[][] = []
  for (const row of coverage) {
    const base = [resourceKey(row), row.verb]
    const reported = row.differences.length > 0 ? `${probeWhere(row.where)} (reported)` : '(reported)'
    rows.push([
      ...base,
      reported,
      levelText(row),
      row.rule === null ? '-' : String(row.rule),
      row.omitStages.join(',') || '-',
    ])
    for (const probe of row.differences) {
      rows.push([
        '',
        '',
        probeWhere(probe),
        levelText(probe),
        probe.rule === null ? '-' : String(probe.rule),
        probe.omitStages.join(',') || '-',
      ])
    }
  }
  return tableSpec(
    [
      {header: 'RESOURCE'},
      {header: 'VERB'},
      {header: 'WHERE'},
      {header: 'LEVEL'},
      {header: 'RULE'},
      {header: 'OMITSTAGES'},
    ],
    rows,
  )
}

function levelText(probe: Pick<CoverageRow, 'level' | 'policyLevel'>): string {
  return probe.policyLevel === probe.level ? probe.level : `${probe.level} (rule: ${probe.policyLevel})`
}
