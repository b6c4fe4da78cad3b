// Reading the audit log into a collector of changes, as a command does it: the sources opened
// where the input says, read with progress on stderr, and what could not be read said once, as
// warnings or as the one-line error of a run that got no answer.
import {ChangeCollector, compareEncodedRecords, encodedRecordStore, type ChangeFilter} from '../audit/changes.js'
import type {TimeWindow} from '../audit/window.js'
import {type BodyKeeping, bodiesFor} from '../audit/write-bodies.js'
import {UserError} from '../errors.js'
import {readSources} from '../reading/read.js'
import {isComplete, type SourceStats} from '../reading/stats.js'
import {makeProgress} from '../render/progress.js'
import {sanitize} from '../render/sanitize.js'
import {holdsNoEvents, KLOG_HINT, noEventsMessage, sourceWarnings} from '../render/source-warnings.js'
import type {RunContext} from '../run-context.js'
import {type LogInput, type OpenedSources, openSources} from '../sources/open.js'
import type {QueryFilter} from '../sources/source.js'
import {ExternalSort} from '../spill/external-sort.js'

const AUDIT_LOG_HINT = "give kube-apiserver's audit log: JSON lines, written to the file named by its --audit-log-path"

/** Records (with bodies) held before the sort writes a run to disk. */
export const BODY_RECORDS_IN_MEMORY = 1024

export interface ChangeReading {
  input: LogInput
  window: TimeWindow
  filter: ChangeFilter
  query: QueryFilter
  /** Which writes keep their bodies; none when absent. */
  bodies?: BodyKeeping
  /** Progress on stderr (a table run at a terminal). */
  progress: boolean
}

export interface ReadChanges {
  collector: ChangeCollector
  stats: SourceStats[]
  /** Some source could not be read to its end: the answer may miss changes (exit 3). */
  incomplete: boolean
}

/** Opens the sources the input names, saying on stderr what the opening found. */
export async function openLogs(
  reading: Pick<ChangeReading, 'input' | 'query'>,
  run: RunContext,
): Promise<OpenedSources> {
  const {input} = reading
  if (input.from === 'files') announceTerminalStdin(input.files, process.stdin, process.stderr)
  // Without -f, the log is read where it is; each origin's code loads only then.
  const opened = await openSources(input, run, {query: reading.query})
  for (const line of opened.announcements) process.stderr.write(`${sanitize(line)}\n`)
  for (const notice of opened.notices) process.stderr.write(`warning: ${sanitize(notice)}\n`)
  return opened
}

export async function readChanges(reading: ChangeReading, run: RunContext): Promise<ReadChanges> {
  const opened = await openLogs(reading, run)

  // Records of changes wait for the end of reading in memory, and past a bound on disk, sorted.
  const records = new ExternalSort<string>(
    {encode: (line) => line, decode: (line) => line, compare: compareEncodedRecords},
    reading.bodies ? {bufferItems: BODY_RECORDS_IN_MEMORY} : {},
  )
  const collector = new ChangeCollector(reading.filter, encodedRecordStore(records), bodiesFor(reading.bodies))
  const progress = makeProgress(process.stderr, reading.progress)
  const options = {
    window: reading.window,
    query: reading.query,
    sink: collector,
    bodies: reading.bodies,
    concurrency: opened.concurrency,
    signal: run.signal,
    onProgress: progress.update,
  }
  // Reader pods are deleted however reading ends.
  const stats = await readSources(opened.sources, options).finally(() => opened.close())
  // An interrupted read is not an answer: no report, the exit is the signal's.
  run.signal.throwIfAborted()
  progress.done()

  const read = stats.filter((s) => !s.skipped)
  const incomplete = read.filter((s) => !isComplete(s))
  // Nothing came of any source: that is bad input (exit 2), not an incomplete answer (exit 3).
  if (read.length === 1 && incomplete.length === 1 && read[0]!.events === 0)
    throw new UserError(`${read[0]!.name}: ${read[0]!.error}`)
  // Lines, but not one audit event anywhere (README.md, the apiserver's own log): not an answer.
  const eventless = read.filter(holdsNoEvents)
  const noEvents = eventless.length > 0 && read.every((s) => s.events === 0)
  if (noEvents && eventless.length === 1 && incomplete.length === 0) {
    throw new UserError(noEventsMessage(eventless[0]!), {hint: eventless[0]!.klog ? KLOG_HINT : AUDIT_LOG_HINT})
  }
  for (const warning of sourceWarnings(stats)) process.stderr.write(`warning: ${sanitize(warning)}\n`)
  if (noEvents) throw new UserError('no source holds an audit event', {hint: 'see the warnings above'})
  if (read.length > 0 && incomplete.length === read.length && read.every((s) => s.events === 0)) {
    throw new UserError('no source could be read', {hint: 'see the warnings above'})
  }
  return {collector, stats, incomplete: incomplete.length > 0}
}

/**
 * `-f -` with nobody typing into a pipe waits for input: at a terminal, that looks like a hang, so
 * say once what it waits for and how to end it.
 */
function announceTerminalStdin(
  files: readonly string[],
  stdin: {isTTY?: boolean},
  stderr: NodeJS.WritableStream,
): void {
  if (!files.includes('-') || !stdin.isTTY) return
  const end = process.platform === 'win32' ? 'Ctrl-Z then Enter' : 'Ctrl-D'
  stderr.write(
    `reading audit events from standard input (the terminal); end with ${end}, or pass a file with -f FILE\n`,
  )
}
