// `history KIND/NAME --watch`, once the sources are open: the history in the log as `history`
// reads it, then the logs followed (commands/watch-run.ts), each new change of the object printed
// when it lands with its diff against the version before it (read before or while following:
// one history of the object, its last version kept); then a line on what was seen.
import type {ChalkInstance} from 'chalk'

import type {ChangeWrite, PolicyChange} from '../audit/changes.js'
import {reportHead, type SourceSummary} from '../audit/report.js'
import {changeMatcher} from '../audit/select.js'
import {type HistoryEntry, ObjectChanges} from '../audit/what-changed/object-history.js'
import {UserError} from '../errors.js'
import type {HistoryObject, HistoryOptions} from '../flags/history.js'
import type {SourceStats} from '../reading/stats.js'
import {makeChalk} from '../render/color.js'
import {yamlRenderer} from '../render/document.js'
import type {ObjectHistoryReport} from '../render/history.js'
import {terminalWidth} from '../render/output.js'
import {escapeUnsafeInDocument} from '../render/sanitize.js'
import {ChangeLines, type WatchView} from '../render/watch.js'
import type {ChangeDetailView} from '../render/what-changed.js'
import type {RunContext} from '../run-context.js'
import type {OpenedSources} from '../sources/open.js'
import type {Interrupt} from './interrupt.js'
import {runWatch, type WatchPrinter} from './watch-run.js'

/** What `history --watch -o json` prints last (one line), after the object's changes (one line each). */
export interface ObjectHistorySummary {
  apiVersion: 'kubectl-audit/v1'
  kind: 'ObjectHistorySummary'
  object: ObjectHistoryReport['object']
  /** From the window's start to when the watch ended. */
  window: {since: string | null; until: string | null}
  sources: SourceSummary[]
  startsMidway: boolean
  /** Changes of the object seen, read before following and while following, before --user, --verb and --outcome chose what is shown. */
  total: number
}

export async function watchHistory(
  options: HistoryOptions,
  opened: OpenedSources,
  run: RunContext,
  interrupt: Interrupt,
): Promise<ObjectHistorySummary> {
  const table = options.output === 'table' || options.output === 'wide'
  const stdout = process.stdout
  const chalk = makeChalk(options.color, stdout)
  const view: WatchView = {
    format: options.output,
    chalk,
    width: options.output === 'table' ? terminalWidth(stdout, process.env) : undefined,
  }
  const details: ChangeDetailView = {
    chalk,
    width: options.output === 'wide' ? undefined : terminalWidth(stdout, process.env),
    diff: true,
    showAllFields: options.showAllFields,
  }
  const yaml = options.output === 'yaml' ? await yamlRenderer() : undefined
  return runWatch(
    {
      window: options.window,
      filter: options.filter,
      query: options.query,
      bodies: options.bodies,
      watch: options.watch!,
      progress: table,
    },
    opened,
    run,
    interrupt,
    new HistoryWatchPrinter(options, view, details, yaml),
  )
}

class HistoryWatchPrinter implements WatchPrinter<ObjectHistorySummary> {
  private readonly object: HistoryObject
  private readonly objectChanges: ObjectChanges
  private readonly isShown: (change: PolicyChange) => boolean
  /** The namespace of a namespaced object asked for without -n: the one it is found in. */
  private namespace: string | null
  /** The history read before following, printed once it is all known (which namespace, where it starts). */
  private before: HistoryEntry[] = []
  private lines: ChangeLines | undefined
  private total = 0
  private first: PolicyChange | undefined
  private firstStored: PolicyChange | undefined
  private followingNow = false
  /** The last text printed ended in a blank line. */
  private closed = false

  constructor(
    private readonly options: HistoryOptions,
    private readonly view: WatchView,
    private readonly details: ChangeDetailView,
    private readonly yaml: ((document: unknown) => string) | undefined,
  ) {
    this.object = options.object
    this.namespace = options.object.namespace
    this.objectChanges = new ObjectChanges(
      {resources: options.object.resources, name: options.object.name, namespace: options.object.namespace},
      options.showAllFields,
    )
    this.isShown = changeMatcher(options.selection)
  }

  async changes(writes: readonly ChangeWrite[], following: boolean): Promise<string> {
    let text = ''
    for (const write of writes) {
      const entry = this.objectChanges.add(write)
      if (!entry || !this.objectChanges.counts(entry)) continue
      const {namespace} = entry.change
      if (!entry.mayHaveDeleted && namespace !== null) {
        // Once the history is read, the object is the one in the namespace it was found in.
        if (this.followingNow && this.object.namespaced && this.namespace === null) this.namespace = namespace
        if (this.followingNow && this.namespace !== null && namespace !== this.namespace) continue
      }
      this.total++
      if (!entry.mayHaveDeleted) {
        this.first ??= entry.change
        if (entry.change.outcome !== 'failed') this.firstStored ??= entry.change
      }
      if (!this.isShown(entry.change)) continue
      if (!following) this.before.push(entry)
      else text += await this.line(entry)
    }
    return this.printed(text)
  }

  async following(read: readonly SourceStats[]): Promise<string> {
    this.followingNow = true
    const namespaces = this.objectChanges.namespaces()
    if (this.object.namespaced && this.namespace === null) {
      if (namespaces.length > 1)
        throw new UserError(`${this.object.text} is in more than one namespace: ${namespaces.join(', ')}`, {
          hint: `say which with -n, e.g. kubectl audit history ${this.object.text} -n ${namespaces[0]} --watch`,
        })
      this.namespace = namespaces[0] ?? null
    }
    const before = this.before
    this.before = []
    this.lines = new ChangeLines(
      this.view,
      before.map((e) => e.change),
      this.yaml,
      'history',
    )
    if (!this.isTable) {
      let text = ''
      for (const entry of before) text += await this.line(entry)
      return text
    }
    const {chalk, width} = this.view
    const {historyTitle, proseLines} = await import('../render/history.js')
    const head = {
      ...reportHead(this.options.window, read),
      object: this.reportObject(),
      total: this.total,
      startsMidway: this.startsMidway,
    }
    const title = historyTitle(head, {chalk, width, firstVerb: this.first?.verb})
    const selection = this.options.selectionFlags.join(' ')
    const note =
      this.total === 0
        ? `No change to ${this.object.text} yet; new ones are listed as they land.`
        : before.length === this.total
          ? 'New changes are listed as they land.'
          : `${before.length} of them match ${selection}; every change still counts for the diffs. New ones are listed as they land.`
    let text = [...title, ...proseLines(note, width, chalk.dim)].join('\n') + '\n\n' + this.lines.header()
    for (const entry of before) text += await this.line(entry)
    return this.printed(text)
  }

  end(sources: SourceStats[], untilMs: number): {text: string; result: ObjectHistorySummary} {
    const summary: ObjectHistorySummary = {
      ...reportHead({sinceMs: this.options.window.sinceMs, untilMs}, sources),
      kind: 'ObjectHistorySummary',
      object: this.reportObject(),
      startsMidway: this.startsMidway,
      total: this.total,
    }
    if (this.view.format === 'json')
      return {text: escapeUnsafeInDocument(JSON.stringify(summary), 'json') + '\n', result: summary}
    if (this.yaml) return {text: `---\n${this.yaml(summary)}`, result: summary}
    // A blank line apart from the last row, which a change's lines close with one already.
    return {text: (this.closed ? '' : '\n') + endLine(summary, this.view.chalk), result: summary}
  }

  private printed(text: string): string {
    if (text !== '') this.closed = text.endsWith('\n\n')
    return text
  }

  private get isTable(): boolean {
    return this.view.format === 'table' || this.view.format === 'wide'
  }

  private get startsMidway(): boolean {
    return this.firstStored !== undefined && this.firstStored.verb !== 'create'
  }

  private reportObject(): ObjectHistoryReport['object'] {
    const {object} = this
    return {
      kind: object.kind,
      name: object.name,
      namespace: this.namespace,
      resources: object.resources.map((r) => `${r.resource}.${r.apiGroup}`),
    }
  }

  private async line(entry: HistoryEntry): Promise<string> {
    if (!this.isTable) return this.lines!.line({...entry.change, ...entry.versions})
    const {changeDetailLines} = await import('../render/what-changed.js')
    const lines = await changeDetailLines(entry.whatChanged, entry.versions, this.details)
    const below = entry.mayHaveDeleted
      ? [`    ${this.view.chalk.yellow('# may have deleted this object')}`, ...lines]
      : lines
    return this.lines!.line(entry.change, below)
  }
}

/** The line that ends a watched history: what was read in all, and how many changes of the object. */
function endLine(summary: ObjectHistorySummary, chalk: ChalkInstance): string {
  const {object} = summary
  const where = object.namespace === null ? '' : ` in namespace ${object.namespace}`
  const events = summary.sources.reduce((n, s) => n + s.events, 0)
  const read = `${plural(summary.sources.length, 'source')}, ${plural(events, 'event')} read, ${plural(summary.total, 'change')}`
  return `${chalk.bold(`History of ${object.kind} ${object.name}${where}, until the watch ended`)}${chalk.dim(`  ·  ${read}`)}\n`
}

function plural(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`
}
