// `policies --watch`, once the sources are open: the logs are read as `policies` reads them (the
// ones to follow up to their last whole line), then followed (reading/follow.ts), and each change
// is printed as one line when it lands (render/watch.ts), until Ctrl-C or SIGTERM, or until every
// followed stream has ended; then the summary of what was seen. Reader pods are deleted however
// it ends.
import {ChangeCollector, compareEncodedRecords, encodedRecordStore, type PolicyChange} from '../audit/changes.js'
import {reportHead, type SourceSummary} from '../audit/report.js'
import {changeMatcher} from '../audit/select.js'
import {SummaryCounter, type SummaryRow} from '../audit/summary.js'
import {UserError} from '../errors.js'
import type {PoliciesOptions} from '../flags/policies.js'
import {storeRefusal} from '../flags/watch.js'
import {followChanges, type FollowedInput} from '../reading/follow.js'
import {readSources} from '../reading/read.js'
import {isComplete, type SourceStats} from '../reading/stats.js'
import {makeChalk} from '../render/color.js'
import {yamlRenderer} from '../render/document.js'
import {terminalWidth} from '../render/output.js'
import {makeProgress} from '../render/progress.js'
import {escapeUnsafeInDocument, sanitize} from '../render/sanitize.js'
import {holdsNoEvents, KLOG_HINT, noEventsMessage, sourceWarnings} from '../render/source-warnings.js'
import {ChangeLines, renderWatchSummary, type WatchView} from '../render/watch.js'
import type {RunContext} from '../run-context.js'
import {isFollowable, snapshotToLastLine} from '../sources/follow.js'
import type {OpenedSources} from '../sources/open.js'
import {isQuerySource, type LogSource} from '../sources/source.js'
import {ExternalSort} from '../spill/external-sort.js'
import type {Interrupt, InterruptSignal} from './interrupt.js'

/** What `policies --watch -o json` prints last (one line), after the changes (one line each). */
export interface PolicyChangeSummary {
  apiVersion: 'kubectl-audit/v1'
  kind: 'PolicyChangeSummary'
  /** From the window's start to when the watch ended. */
  window: {since: string | null; until: string | null}
  sources: SourceSummary[]
  summary: SummaryRow[]
}

const SIGNAL_EXIT: Record<InterruptSignal, number> = {SIGINT: 0, SIGTERM: 143}
const INCOMPLETE_EXIT = 3

export async function watchPolicies(
  options: PoliciesOptions,
  opened: OpenedSources,
  run: RunContext,
  interrupt: Interrupt,
): Promise<PolicyChangeSummary> {
  try {
    return await watch(options, opened, run, interrupt)
  } finally {
    await opened.close()
  }
}

async function watch(
  options: PoliciesOptions,
  opened: OpenedSources,
  run: RunContext,
  interrupt: Interrupt,
): Promise<PolicyChangeSummary> {
  const stderr = process.stderr
  const say = (line: string) => stderr.write(`${sanitize(line)}\n`)
  const store = opened.sources.find(isQuerySource)
  if (store) throw storeRefusal(store.name)
  const {readFirst, followed} = await planFollowing(opened.sources as LogSource[], run.signal, say)
  run.signal.throwIfAborted()

  // What is there: read as `policies` reads it, the records kept sorted for the settling.
  const records = new ExternalSort<string>({
    encode: (line) => line,
    decode: (line) => line,
    compare: compareEncodedRecords,
  })
  const recordStore = encodedRecordStore(records)
  const collector = new ChangeCollector(options.filter, recordStore)
  const table = options.output === 'table' || options.output === 'wide'
  const progress = makeProgress(stderr, table)
  const stats = await readSources(readFirst, {
    window: options.window,
    query: options.query,
    sink: collector,
    concurrency: opened.concurrency,
    signal: run.signal,
    onProgress: progress.update,
  })
  run.signal.throwIfAborted()
  progress.done()
  checkRead(stats)

  const stdout = process.stdout
  /**
   * Once a signal came, what is left to print waits until the reader pods are deleted: a reader of
   * the output that got the same Ctrl-C (`| jq`) is gone, and writing to it ends the process.
   */
  let held: string | undefined
  const out = {write: (text: string) => (held === undefined ? stdout.write(text) : (held += text))}
  const view: WatchView = {
    format: options.output,
    chalk: makeChalk(options.color, stdout),
    width: options.output === 'table' ? terminalWidth(stdout, process.env) : undefined,
  }
  const yaml = options.output === 'yaml' ? await yamlRenderer() : undefined
  const isSelected = changeMatcher(options.selection)
  const counter = new SummaryCounter()
  /** The changes read before following that a table lists (the --limit newest), and how many there were. */
  let before: PolicyChange[] = []
  let beforeCount = 0
  let lines: ChangeLines | undefined = table ? undefined : new ChangeLines(view, [], yaml)
  const keep = options.limit === 0 ? Number.POSITIVE_INFINITY : options.limit
  let stoppedBy: InterruptSignal | undefined

  // From here a signal ends the watch, not the process: what was seen is summed up.
  interrupt.finishOnSignal((signal) => {
    stoppedBy = signal
    held = ''
  })
  const followStats = await followChanges({
    logs: followed,
    before: recordStore.sorted(),
    filter: options.filter,
    intervalMs: options.watch!.intervalMs,
    signal: run.signal,
    onChanges(changes, following) {
      let text = ''
      for (const change of changes) {
        if (!isSelected(change)) continue
        counter.add(change)
        if (!following && lines === undefined) {
          beforeCount++
          before.push(change)
          if (before.length >= 2 * keep) before = before.slice(-keep)
          continue
        }
        text += lines!.line(change)
      }
      if (text !== '') out.write(text)
    },
    onFollowing() {
      if (lines === undefined) {
        before = before.slice(-keep)
        lines = new ChangeLines(view, before, yaml)
        out.write(
          beforeTitle(before.length, beforeCount, options.window.sinceMs, view) +
            lines.header() +
            before.map((c) => lines!.line(c)).join(''),
        )
      }
      say(
        followed.length === 0
          ? 'nothing to follow: every log given was read whole'
          : `following ${followed.length === 1 ? followed[0]!.source.name : `${followed.length} logs`} for new changes; Ctrl-C to stop`,
      )
    },
    onNotice: say,
  })

  if (held !== undefined) await opened.close()
  const all = mergeStats(stats, followStats)
  for (const warning of sourceWarnings(followStats)) run.warn(warning)
  const summary: PolicyChangeSummary = {
    ...reportHead({sinceMs: options.window.sinceMs, untilMs: Date.now()}, all),
    kind: 'PolicyChangeSummary',
    summary: counter.summary(),
  }
  if (options.output === 'json') out.write(escapeUnsafeInDocument(JSON.stringify(summary), 'json') + '\n')
  else if (yaml) out.write(`---\n${yaml(summary)}`)
  else for (const chunk of renderWatchSummary(summary, view)) out.write(chunk)
  if (held !== undefined) stdout.write(held)
  const incomplete = stats.some((s) => !s.skipped && !isComplete(s))
  process.exitCode = incomplete ? INCOMPLETE_EXIT : stoppedBy ? SIGNAL_EXIT[stoppedBy] : 0
  return summary
}

/**
 * Which sources are read before following, and which are followed from where: a log being
 * written (not a rotated file) is read up to its last whole line and followed from there; a stream
 * (stdin, a pipe) is only followed, to its end; a rotated file is only read.
 */
async function planFollowing(
  sources: readonly LogSource[],
  signal: AbortSignal,
  say: (line: string) => void,
): Promise<{readFirst: LogSource[]; followed: FollowedInput[]}> {
  const readFirst: LogSource[] = []
  const followed: FollowedInput[] = []
  for (const source of sources) {
    if (!isFollowable(source)) {
      if (source.rotatedAt === null) say(`${source.name}: read once, not followed (an apiserver's stdout log)`)
      readFirst.push(source)
      continue
    }
    if (source.isStream) {
      followed.push({source, from: 0, readUpToMs: null, format: undefined})
      continue
    }
    if (source.rotatedAt !== null || /\.gz$/i.test(source.name)) {
      readFirst.push(source)
      continue
    }
    let snapshot: Awaited<ReturnType<typeof snapshotToLastLine>>
    try {
      snapshot = await snapshotToLastLine(source, signal)
    } catch (error) {
      signal.throwIfAborted()
      say(
        `${source.name}: cannot be read now (${(error as Error).message.split('\n')[0]}); following it from its start once it can be`,
      )
      followed.push({source, from: 0, readUpToMs: null, format: undefined})
      continue
    }
    if (snapshot === null) {
      say(`${source.name}: read once, not followed: its size cannot be told (a proxy on the way drops HTTP Range)`)
      readFirst.push(source)
      continue
    }
    readFirst.push(snapshot.source)
    followed.push({source, from: snapshot.end, readUpToMs: snapshot.atMs, format: undefined})
  }
  return {readFirst, followed}
}

/** As `policies` refuses what is no audit log: a file that holds lines, none of them an audit event. */
function checkRead(stats: readonly SourceStats[]): void {
  const read = stats.filter((s) => !s.skipped)
  const eventless = read.filter(holdsNoEvents)
  if (eventless.length > 0 && read.every((s) => s.events === 0)) {
    if (eventless.length === 1)
      throw new UserError(noEventsMessage(eventless[0]!), {
        hint: eventless[0]!.klog
          ? KLOG_HINT
          : "give kube-apiserver's audit log: JSON lines, written to the file named by its --audit-log-path",
      })
    throw new UserError('no source holds an audit event', {hint: sourceWarnings(stats).join('; ')})
  }
  for (const warning of sourceWarnings(stats)) process.stderr.write(`warning: ${sanitize(warning)}\n`)
}

/** One stats entry per source: what was read before following and while following, added up. */
function mergeStats(before: readonly SourceStats[], following: readonly SourceStats[]): SourceStats[] {
  const merged = before.map((s) => ({...s}))
  for (const s of following) {
    const known = merged.find((m) => m.name === s.name)
    if (!known) merged.push(s)
    else {
      known.bytesRead += s.bytesRead
      known.events += s.events
      known.malformed += s.malformed
      known.error ??= s.error
    }
  }
  return merged
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
