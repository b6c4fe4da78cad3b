// `policies --watch`, once the sources are open: read, then followed (commands/watch-run.ts), each
// change printed as one line when it lands (render/watch.ts), with what it did under it for --diff
// and --opens; then the summary of what was seen. Every change, read before following or while
// following, is recorded in the history of its object in order, so a change that lands while
// following is diffed against the version read before (only the last version per object is kept).
import type {ChangeWrite, PolicyChange} from '../audit/changes.js'
import {reportHead, type SourceSummary} from '../audit/report.js'
import {changeMatcher} from '../audit/select.js'
import {SummaryCounter, type SummaryRow} from '../audit/summary.js'
import {ChangeVersionHistory, changeVersions, type ChangeVersions} from '../audit/what-changed/change-versions.js'
import type {WhatChanged} from '../audit/what-changed/versions.js'
import type {PoliciesOptions} from '../flags/policies.js'
import type {WhatChangedOptions} from '../flags/what-changed.js'
import {makeChalk} from '../render/color.js'
import {yamlRenderer} from '../render/document.js'
import {terminalWidth} from '../render/output.js'
import {escapeUnsafeInDocument} from '../render/sanitize.js'
import {ChangeLines, renderWatchSummary, type WatchView} from '../render/watch.js'
import type {ChangeDetailView} from '../render/what-changed.js'
import type {RunContext} from '../run-context.js'
import type {SourceStats} from '../reading/stats.js'
import type {OpenedSources} from '../sources/open.js'
import type {Interrupt} from './interrupt.js'
import {runWatch, type WatchPrinter} from './watch-run.js'

/** What `policies --watch -o json` prints last (one line), after the changes (one line each). */
export interface PolicyChangeSummary {
  apiVersion: 'kubectl-audit/v1'
  kind: 'PolicyChangeSummary'
  /** From the window's start to when the watch ended. */
  window: {since: string | null; until: string | null}
  sources: SourceSummary[]
  summary: SummaryRow[]
}

export async function watchPolicies(
  options: PoliciesOptions,
  shows: WhatChangedOptions | null,
  opened: OpenedSources,
  run: RunContext,
  interrupt: Interrupt,
): Promise<PolicyChangeSummary> {
  const table = options.output === 'table' || options.output === 'wide'
  const stdout = process.stdout
  const view: WatchView = {
    format: options.output,
    chalk: makeChalk(options.color, stdout),
    width: options.output === 'table' ? terminalWidth(stdout, process.env) : undefined,
  }
  const yaml = options.output === 'yaml' ? await yamlRenderer() : undefined
  const details: ChangeDetailView | undefined = shows
    ? {
        chalk: view.chalk,
        width: options.output === 'wide' ? undefined : terminalWidth(stdout, process.env),
        diff: shows.diff,
        showAllFields: shows.showAllFields,
      }
    : undefined
  const printer = new PoliciesWatchPrinter(options, shows, view, yaml, details)
  return runWatch(
    {
      window: options.window,
      filter: options.filter,
      query: options.query,
      // What changes did needs the bodies of their writes: kept only when asked for.
      bodies: shows ? {objects: null} : undefined,
      watch: options.watch!,
      progress: table,
    },
    opened,
    run,
    interrupt,
    printer,
  )
}

/** A change to print, with what it did when that is shown. */
interface Shown {
  change: PolicyChange
  /** What JSON and YAML print: the change, with what --diff or --opens adds. */
  document: PolicyChange
  whatChanged?: WhatChanged
  versions?: ChangeVersions
}

class PoliciesWatchPrinter implements WatchPrinter<PolicyChangeSummary> {
  private readonly isSelected: (change: PolicyChange) => boolean
  private readonly counter = new SummaryCounter()
  /** The last version of every object written, over what was read before and what is followed. */
  private readonly history = new ChangeVersionHistory()
  /** A table lists the --limit newest of the changes read before following: those, and how many there were. */
  private before: Shown[] = []
  private beforeCount = 0
  private readonly keep: number
  private lines: ChangeLines | undefined

  constructor(
    private readonly options: PoliciesOptions,
    private readonly shows: WhatChangedOptions | null,
    private readonly view: WatchView,
    private readonly yaml: ((document: unknown) => string) | undefined,
    private readonly details: ChangeDetailView | undefined,
  ) {
    this.isSelected = changeMatcher(options.selection)
    this.keep = options.limit === 0 ? Number.POSITIVE_INFINITY : options.limit
    const table = view.format === 'table' || view.format === 'wide'
    if (!table) this.lines = new ChangeLines(view, [], yaml)
  }

  /** The last text printed ended in a blank line (a change's lines close with one). */
  private closed = false

  async changes(writes: readonly ChangeWrite[], following: boolean): Promise<string> {
    let text = ''
    for (const write of writes) {
      const shown = this.shown(write)
      if (!shown) continue
      this.counter.add(shown.change)
      if (!following && this.lines === undefined) {
        this.beforeCount++
        this.before.push(shown)
        if (this.before.length >= 2 * this.keep) this.before = this.before.slice(-this.keep)
        continue
      }
      text += await this.line(shown)
    }
    return this.printed(text)
  }

  async following(): Promise<string> {
    if (this.lines !== undefined) return ''
    const before = this.before.slice(-this.keep)
    this.before = []
    this.lines = new ChangeLines(
      this.view,
      before.map((s) => s.change),
      this.yaml,
    )
    let text =
      beforeTitle(before.length, this.beforeCount, this.options.window.sinceMs, this.view) + this.lines.header()
    for (const shown of before) text += await this.line(shown)
    return this.printed(text)
  }

  private printed(text: string): string {
    if (text !== '') this.closed = text.endsWith('\n\n')
    return text
  }

  end(sources: SourceStats[], untilMs: number): {text: string; result: PolicyChangeSummary} {
    const summary: PolicyChangeSummary = {
      ...reportHead({sinceMs: this.options.window.sinceMs, untilMs}, sources),
      kind: 'PolicyChangeSummary',
      summary: this.counter.summary(),
    }
    const text =
      this.view.format === 'json'
        ? escapeUnsafeInDocument(JSON.stringify(summary), 'json') + '\n'
        : this.yaml
          ? `---\n${this.yaml(summary)}`
          : [...renderWatchSummary(summary, this.view)].join('').slice(this.closed ? 1 : 0)
    return {text, result: summary}
  }

  /**
   * Every change is recorded in its object's history, shown or not (a later change diffs against
   * it); the change, if shown, with what it did. Nothing of its bodies stays but the history's
   * last version of the object, and what a table holds to list.
   */
  private shown(write: ChangeWrite): Shown | undefined {
    const {change} = write
    const {shows} = this
    if (!shows) return this.isSelected(change) ? {change, document: change} : undefined
    const whatChanged = this.history.record(write)
    if (!this.isSelected(change)) return undefined
    const versions = changeVersions(whatChanged, shows.showAllFields)
    if (shows.opens && versions.opens.length === 0) return undefined
    const document: PolicyChange & Partial<ChangeVersions> = shows.diff
      ? {...change, ...versions}
      : {...change, opens: versions.opens}
    const table = this.view.format === 'table' || this.view.format === 'wide'
    return table ? {change, document, whatChanged, versions} : {change, document}
  }

  private async line(shown: Shown): Promise<string> {
    if (!this.details || !shown.whatChanged || !shown.versions) return this.lines!.line(shown.document)
    const {changeDetailLines} = await import('../render/what-changed.js')
    return this.lines!.line(shown.change, await changeDetailLines(shown.whatChanged, shown.versions, this.details))
  }
}

/** The line above the changes read before following: how many are listed, of how many, since when. */
function beforeTitle(shown: number, total: number, sinceMs: number | null, view: WatchView): string {
  const since = sinceMs === null ? 'in the log' : `since ${new Date(sinceMs).toISOString().replace(/\.\d+Z$/, 'Z')}`
  const text =
    total === 0
      ? `No changes ${since}; new ones are listed as they land.`
      : shown === total
        ? `${total.toLocaleString('en-US')} ${total === 1 ? 'change' : 'changes'} ${since}, then new ones as they land:`
        : `Most recent ${shown} of ${total.toLocaleString('en-US')} changes ${since} (--limit 0 shows all), then new ones as they land:`
  return `${view.chalk.bold(text)}\n`
}
