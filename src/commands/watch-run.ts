// A command's --watch once its sources are open (policies -w, history -w): the logs are read as
// the command reads them (the ones to follow up to their last whole line, reading/follow-plan.ts),
// then followed (reading/follow.ts); what the command prints for each change, for the changes read
// before and at the end is its printer's. Until Ctrl-C or SIGTERM, or until every followed stream
// has ended; reader pods are deleted however it ends.
import {
  ChangeCollector,
  type ChangeFilter,
  type ChangeWrite,
  compareEncodedRecords,
  encodedRecordStore,
} from '../audit/changes.js'
import type {TimeWindow} from '../audit/window.js'
import {type BodyKeeping, bodiesFor} from '../audit/write-bodies.js'
import {UserError} from '../errors.js'
import type {WatchOptions} from '../flags/watch.js'
import {followChanges} from '../reading/follow.js'
import {paceOf, storeInterval} from '../reading/follow-store.js'
import {planFollowing} from '../reading/follow-plan.js'
import {readSources} from '../reading/read.js'
import {isComplete, type SourceStats} from '../reading/stats.js'
import {makeProgress} from '../render/progress.js'
import {sanitize} from '../render/sanitize.js'
import {holdsNoEvents, KLOG_HINT, noEventsMessage, sourceWarnings} from '../render/source-warnings.js'
import type {RunContext} from '../run-context.js'
import type {OpenedSources} from '../sources/open.js'
import {isQuerySource, type LogSource, type QueryFilter} from '../sources/source.js'
import {ExternalSort} from '../spill/external-sort.js'
import type {Interrupt, InterruptSignal} from './interrupt.js'
import {BODY_RECORDS_IN_MEMORY} from './read-changes.js'

export interface WatchReading {
  readonly window: TimeWindow
  readonly filter: ChangeFilter
  readonly query: QueryFilter
  /** Which writes keep their bodies (what changes did is shown); none when absent. */
  readonly bodies?: BodyKeeping
  readonly watch: WatchOptions
  /** A progress line on stderr while the log is first read (a table). */
  readonly progress: boolean
}

/** What a command prints while it follows: text for stdout, in the order it is asked for. */
export interface WatchPrinter<Result> {
  /**
   * The changes as they settle, in report order, each with the write that tells what it did;
   * `following`: false for those read before following.
   */
  changes(writes: readonly ChangeWrite[], following: boolean): string | Promise<string>
  /**
   * What was read before is all handed on: what comes now is new. `read`: what was read of each
   * source before following. May throw a UserError (the read says the question is ambiguous): the
   * watch ends with it.
   */
  following(read: readonly SourceStats[]): string | Promise<string>
  /** What ends the watch (the summary of what was seen), from every source's stats, and the document it is. */
  end(sources: SourceStats[], untilMs: number): {text: string; result: Result}
}

const SIGNAL_EXIT: Record<InterruptSignal, number> = {SIGINT: 0, SIGTERM: 143}
const INCOMPLETE_EXIT = 3

export async function runWatch<Result>(
  reading: WatchReading,
  opened: OpenedSources,
  run: RunContext,
  interrupt: Interrupt,
  printer: WatchPrinter<Result>,
): Promise<Result> {
  try {
    return await watch(reading, opened, run, interrupt, printer)
  } finally {
    await opened.close()
  }
}

async function watch<Result>(
  reading: WatchReading,
  opened: OpenedSources,
  run: RunContext,
  interrupt: Interrupt,
  printer: WatchPrinter<Result>,
): Promise<Result> {
  const stderr = process.stderr
  const say = (line: string) => stderr.write(`${sanitize(line)}\n`)
  const stores = opened.sources.filter(isQuerySource)
  const logs = opened.sources.filter((source): source is LogSource => !isQuerySource(source))
  const {readFirst, followed} = await planFollowing(logs, run.signal, say)
  run.signal.throwIfAborted()
  for (const store of stores) {
    const pace = paceOf(store)
    say(
      `${store.name}: a log store is asked, not followed: every ${storeInterval(store, reading.watch.intervalMs) / 1000} s, for the last ${pace.lateMs / 60_000} min (records reach it late)`,
    )
  }

  // What is there: read as the command reads it, the records kept sorted for the settling.
  // Records with bodies are larger: fewer wait in memory before a run goes to disk.
  const records = new ExternalSort<string>(
    {encode: (line) => line, decode: (line) => line, compare: compareEncodedRecords},
    reading.bodies ? {bufferItems: BODY_RECORDS_IN_MEMORY} : {},
  )
  const recordStore = encodedRecordStore(records)
  const collector = new ChangeCollector(reading.filter, recordStore, bodiesFor(reading.bodies))
  const progress = makeProgress(stderr, reading.progress)
  const stats = await readSources(readFirst, {
    window: reading.window,
    query: reading.query,
    sink: collector,
    bodies: reading.bodies,
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
  const write = (text: string) => {
    if (text === '') return
    if (held === undefined) stdout.write(text)
    else held += text
  }
  /** What the printer makes is written in the order asked for, though making it may wait (a diff loads its libraries). */
  let printing: Promise<void> = Promise.resolve()
  /** What the printer threw: it ends the following, and the run with it. */
  let failure: unknown
  const stop = new AbortController()
  const print = (make: () => string | Promise<string>) => {
    printing = printing.then(async () => {
      if (failure !== undefined) return
      try {
        write(await make())
      } catch (error) {
        failure = error
        stop.abort(error)
      }
    })
  }
  /** A line on stderr, after what is to be printed before it. */
  const sayInTurn = (line: string) => {
    printing = printing.then(() => {
      if (failure === undefined) say(line)
    })
  }
  let stoppedBy: InterruptSignal | undefined

  // From here a signal ends the watch, not the process: what was seen is summed up.
  interrupt.finishOnSignal((signal) => {
    stoppedBy = signal
    held ??= ''
  })
  const followStats = await followChanges({
    logs: followed,
    before: recordStore.sorted(),
    filter: reading.filter,
    bodies: reading.bodies,
    intervalMs: reading.watch.intervalMs,
    stores: stores.map((source) => ({source, query: reading.query})),
    signal: AbortSignal.any([run.signal, stop.signal]),
    onChanges: (writes, following) => print(() => printer.changes(writes, following)),
    onFollowing(storesRead) {
      print(() => printer.following([...stats, ...storesRead]))
      const names = [...followed.map((log) => log.source.name), ...stores.map((store) => store.name)]
      sayInTurn(
        names.length === 0
          ? 'nothing to follow: every log given was read whole'
          : `following ${names.length === 1 ? names[0] : `${names.length} logs`} for new changes; Ctrl-C to stop`,
      )
    },
    onNotice: sayInTurn,
  })
  await printing
  if (failure !== undefined) throw failure

  if (held !== undefined) await opened.close()
  const all = mergeStats(stats, followStats)
  for (const warning of sourceWarnings(followStats)) run.warn(warning)
  const end = printer.end(all, Date.now())
  write(end.text)
  if (held !== undefined) stdout.write(held)
  const incomplete = stats.some((s) => !s.skipped && !isComplete(s))
  process.exitCode = incomplete ? INCOMPLETE_EXIT : stoppedBy ? SIGNAL_EXIT[stoppedBy] : 0
  return end.result
}

/** As a run without --watch refuses what is no audit log: a file that holds lines, none of them an audit event. */
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
