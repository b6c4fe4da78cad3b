import {ChangeCollector, compareEncodedRecords, encodedRecordStore, type PolicyChange} from '../audit/changes.js'
import {type PolicyChangeReport, reportHead, reportWithChanges, tallyChanges} from '../audit/report.js'
import {changeMatcher} from '../audit/select.js'
import {type ChangeVersions, VersionedChanges} from '../audit/what-changed/change-versions.js'
import {bodiesFor} from '../audit/write-bodies.js'
import {UserError} from '../errors.js'
import {clusterReadFlags} from '../flags/cluster-read.js'
import {outputFlags} from '../flags/output.js'
import {policiesFlags, policiesOptions} from '../flags/policies.js'
import {whatChangedFlags, whatChangedOptions} from '../flags/what-changed.js'
import {readSources} from '../reading/read.js'
import {isComplete} from '../reading/stats.js'
import {makeProgress} from '../render/progress.js'
import {sanitize} from '../render/sanitize.js'
import {holdsNoEvents, inputSpan, KLOG_HINT, noEventsMessage, sourceWarnings} from '../render/source-warnings.js'
import type {StoredClusterList} from '../render/store-clusters.js'
import type {RunContext} from '../run-context.js'
import {type LogInput, openSources} from '../sources/open.js'
import {writeDocument, writeStreamedDocument} from '../render/document.js'
import {ExternalSort} from '../spill/external-sort.js'
import type {ChangeDetailView} from '../render/what-changed.js'
import {BODY_RECORDS_IN_MEMORY} from './read-changes.js'
import {BaseCommand} from './base.js'
import {type PolicyChangeSummary, watchPolicies} from './policies-watch.js'

export type {PolicyChangeReport} from '../audit/report.js'
export type {StoredClusterList} from '../render/store-clusters.js'
export type {PolicyChangeSummary} from './policies-watch.js'

const AUDIT_LOG_HINT = "give kube-apiserver's audit log: JSON lines, written to the file named by its --audit-log-path"

/** Ran and printed results, but at least one source could not be read to its end. */
export const INCOMPLETE_EXIT = 3

export default class Policies extends BaseCommand {
  static override summary = 'Who changed network policies and tiers: a summary by user and verb, from audit logs.'
  static override description = `Reads kube-apiserver audit logs (and Calico Enterprise's API server audit log) and lists every write to Calico and Kubernetes network policies, tiers, network sets and host endpoints: who, which verb, which object, and whether it was allowed.

Failed attempts (403 denied, 409 conflict, 422 invalid) are kept: a denied policy write is security-relevant. Dry runs and subresource writes are left out unless asked for. A Calico change made through the aggregated API is counted once, with the tier taken from the Calico API server's write.

Exit codes: 0 ran; 2 could not run (bad flag, unreadable input, cluster unreachable); 3 ran and printed results, but at least one source could not be read to its end (a damaged .gz, a node that went away, a file truncated while read, data that is not an audit log): the answer may miss changes, and the warnings (and sources[].complete in JSON) say which.`

  static override examples = [
    {
      description: 'Changes in the last hour, from a copy of the log',
      command: '<%= config.bin %> <%= command.id %> -f audit.log --since 1h',
    },
    {
      description: 'A directory of rotated logs, everything in it',
      command: '<%= config.bin %> <%= command.id %> -f /var/log/kubernetes/audit/ --since all',
    },
    {
      description: 'Denied attempts on global network policies, as JSON',
      command: '<%= config.bin %> <%= command.id %> -f audit.log --kind gnp --outcome failed -o json',
    },
    {
      description: 'What each change did: a diff of the object and its rules',
      command: '<%= config.bin %> <%= command.id %> -f audit.log --since 1h --diff',
    },
    {
      description: 'Only the changes that opened something',
      command: '<%= config.bin %> <%= command.id %> -f audit.log --since 7d --opens',
    },
    {description: 'From stdin', command: 'zcat audit-*.log.gz | <%= config.bin %> <%= command.id %> -f - --since 2d'},
    {
      description:
        "Follow the control-plane nodes' logs and print each change as it lands, until Ctrl-C (then the summary)",
      command: '<%= config.bin %> <%= command.id %> --watch',
    },
    {
      description: 'Follow a log and print each change that opens something as it lands, with what it opened',
      command: '<%= config.bin %> <%= command.id %> -f /var/log/kubernetes/audit/ --watch --opens',
    },
  ]

  static override flags = {...policiesFlags, ...whatChangedFlags, ...clusterReadFlags, ...outputFlags}

  async run(): Promise<PolicyChangeReport | StoredClusterList | PolicyChangeSummary> {
    const {flags} = await this.parse(Policies)
    const options = policiesOptions(flags, Date.now())
    // What changes did needs the bodies of their writes: kept only when asked for.
    const shows = whatChangedOptions(flags)
    const bodies = shows ? {objects: null} : undefined
    const {input} = options
    const run = this.runContext()
    if ((input.from === 'cluster' || input.from === 'elasticsearch') && input.elasticsearch.listClusters)
      return listStoredClusters(input, options.output, run)
    if (input.from === 'files') announceTerminalStdin(input.files, process.stdin, process.stderr)
    // Without -f, the log is read where it is; each origin's code loads only then, so file-only
    // runs stay fast to start (as do yaml and the table renderer).
    const opened = await openSources(input, run, {query: options.query})
    for (const line of opened.announcements) process.stderr.write(`${sanitize(line)}\n`)
    for (const notice of opened.notices) process.stderr.write(`warning: ${sanitize(notice)}\n`)
    // --watch: read, then follow; reader pods stay until it ends.
    if (options.watch) return watchPolicies(options, shows, opened, run, this.interrupt)

    // Records of changes wait for the end of reading in memory, and past a bound on disk, sorted.
    // Records with bodies are larger: fewer wait in memory before a run goes to disk.
    const records = new ExternalSort<string>(
      {encode: (line) => line, decode: (line) => line, compare: compareEncodedRecords},
      shows ? {bufferItems: BODY_RECORDS_IN_MEMORY} : {},
    )
    const collector = new ChangeCollector(options.filter, encodedRecordStore(records), bodiesFor(bodies))
    const progress = makeProgress(process.stderr, options.output === 'table' || options.output === 'wide')
    const reading = {
      window: options.window,
      query: options.query,
      sink: collector,
      bodies,
      concurrency: opened.concurrency,
      signal: run.signal,
      onProgress: progress.update,
    }
    // Reader pods are deleted however reading ends.
    const stats = await readSources(opened.sources, reading).finally(() => opened.close())
    // An interrupted read is not an answer: no report, the exit is the signal's.
    run.signal.throwIfAborted()
    progress.done()

    const read = stats.filter((s) => !s.skipped)
    const incomplete = read.filter((s) => !isComplete(s))
    // Nothing came of any source: that is bad input (exit 2), not an incomplete answer (exit 3).
    if (read.length === 1 && incomplete.length === 1 && read[0].events === 0)
      throw new UserError(`${read[0].name}: ${read[0].error}`)
    // Lines, but not one audit event anywhere (README.md, the apiserver's own log): not an answer.
    const eventless = read.filter(holdsNoEvents)
    const noEvents = eventless.length > 0 && read.every((s) => s.events === 0)
    if (noEvents && eventless.length === 1 && incomplete.length === 0) {
      throw new UserError(noEventsMessage(eventless[0]), {hint: eventless[0].klog ? KLOG_HINT : AUDIT_LOG_HINT})
    }
    for (const warning of sourceWarnings(stats)) process.stderr.write(`warning: ${sanitize(warning)}\n`)
    if (noEvents) throw new UserError('no source holds an audit event', {hint: 'see the warnings above'})
    if (read.length > 0 && incomplete.length === read.length && read.every((s) => s.events === 0)) {
      throw new UserError('no source could be read', {hint: 'see the warnings above'})
    }

    // The changes are walked as a stream: once for the summary (and the newest, which a table
    // lists), and once more for -o json|yaml, whose summary comes before its changes.
    // With --diff or --opens each walk also records what every change did, in order.
    const table = options.output === 'table' || options.output === 'wide'
    const versioned = shows
      ? new VersionedChanges(() => collector.changeWrites(), {showAllFields: shows.showAllFields, remember: table})
      : undefined
    const changes = () => versioned?.changes() ?? collector.changes()
    const matches = changeMatcher(options.selection)
    const isSelected = shows?.opens
      ? (change: PolicyChange) => matches(change) && versioned!.versions(change).opens.length > 0
      : matches
    const selected = function* (): Generator<PolicyChange> {
      for (const change of changes()) {
        if (!isSelected(change)) continue
        if (!shows) yield change
        else if (shows.diff) yield {...change, ...versioned!.versions(change)}
        else {
          const withOpens: PolicyChange & Pick<ChangeVersions, 'opens'> = {
            ...change,
            opens: versioned!.versions(change).opens,
          }
          yield withOpens
        }
      }
    }
    // The summary needs what changes did only to select them (--opens), or to list them (a table).
    const tallied = shows && (shows.opens || table) ? changes() : collector.changes()
    const tally = tallyChanges(
      tallied,
      isSelected,
      !table ? 0 : options.limit === 0 ? Number.POSITIVE_INFINITY : options.limit,
    )
    const summarized = {...reportHead(options.window, stats), summary: tally.summary}
    const out = process.stdout
    if (!(await writeStreamedDocument(out, options.output, summarized, 'changes', selected()))) {
      const [{renderPoliciesTable}, {makeChalk}, {terminalWidth, writeChunks}] = await Promise.all([
        import('../render/policies.js'),
        import('../render/color.js'),
        import('../render/output.js'),
      ])
      const chalk = makeChalk(options.color, out)
      const width = options.output === 'wide' ? undefined : terminalWidth(out, process.env)
      const below = shows ? await detailsOf(tally.newest, versioned!, {...shows, chalk, width}) : undefined
      await writeChunks(
        out,
        renderPoliciesTable(
          {...summarized, recent: tally.newest, total: tally.selected},
          {
            wide: options.output === 'wide',
            limit: options.limit,
            inputSpan: inputSpan(stats),
            unselected: {
              count: tally.inWindow - tally.selected,
              flags: [...options.selectionFlags, ...(shows?.opens ? ['--opens'] : [])],
            },
            chalk,
            width: terminalWidth(out, process.env),
            below,
          },
        ),
      )
    }
    // The report is out, but it may miss changes: a script must be able to tell.
    if (incomplete.length > 0) process.exitCode = INCOMPLETE_EXIT
    // What -o json prints; its changes are read again only if asked for (the records stay until the process exits).
    return reportWithChanges(summarized, selected)
  }
}

/** The lines under each change a table lists: its diff and rules (--diff), what it opens. */
async function detailsOf(
  changes: readonly PolicyChange[],
  versioned: VersionedChanges,
  view: ChangeDetailView,
): Promise<Map<PolicyChange, string[]>> {
  const {changeDetailLines} = await import('../render/what-changed.js')
  const lines = new Map<PolicyChange, string[]>()
  for (const change of changes)
    lines.set(change, await changeDetailLines(versioned.whatChanged(change), versioned.versions(change), view))
  return lines
}

/** --es-clusters: what the store holds, instead of reading it. */
async function listStoredClusters(
  input: Extract<LogInput, {from: 'cluster' | 'elasticsearch'}>,
  output: string,
  run: RunContext,
): Promise<StoredClusterList> {
  const [{listStoreClusters}, {storedClusterList, renderStoredClusters}] = await Promise.all([
    import('../sources/elasticsearch-open.js'),
    import('../render/store-clusters.js'),
  ])
  const found = await listStoreClusters(input.elasticsearch, input.from === 'cluster' ? input.cluster : undefined, run)
  for (const warning of found.warnings) process.stderr.write(`warning: ${sanitize(warning)}\n`)
  const list = storedClusterList(found.store, found.clusters)
  if (!(await writeDocument(process.stdout, output, list))) process.stdout.write(renderStoredClusters(list))
  return list
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
