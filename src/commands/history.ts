import {reportHead} from '../audit/report.js'
import {changeMatcher} from '../audit/select.js'
import {objectHistory} from '../audit/what-changed/object-history.js'
import {UserError} from '../errors.js'
import {clusterReadFlags} from '../flags/cluster-read.js'
import {historyArgs, historyFlags, historyOptions, nonGreedy} from '../flags/history.js'
import {outputFlags} from '../flags/output.js'
import {writeDocument} from '../render/document.js'
import type {ObjectHistoryReport} from '../render/history.js'
import {BaseCommand} from './base.js'
import {INCOMPLETE_EXIT} from './policies.js'
import type {ObjectHistorySummary} from './history-watch.js'
import {openLogs, readChanges} from './read-changes.js'

export type {ObjectHistoryReport} from '../render/history.js'
export type {ObjectHistorySummary} from './history-watch.js'

export default class History extends BaseCommand {
  static override summary = 'Every change to one policy or tier, in time order, with a diff of what each did.'
  static override description = `Reads the audit logs as policies does (the same -f inputs, the cluster's nodes, managed sources and log stores) and lists every write to one object: when, who (and as whom), the verb, the result and the source, and under each a unified diff against the version before it in the log, the rule summary and what it opened.

Versions come from the bodies the log holds: the object after a successful write at RequestResponse; for Calico's aggregated API (the user's request is logged at Metadata), the crd.projectcalico.org object the Calico API server wrote, mapped back to projectcalico.org/v3. Where only the patch is in the log (Request level), the patch is shown. Where the version before a change is not in the log, the change's object is shown whole, and said so.

The window is the whole log unless --since, --since-time or --until-time say otherwise. --user, --verb and --outcome choose the changes shown; every change of the object still counts for the diffs.

With --watch (-w), after the history in the log, the logs are followed as policies --watch follows them, and each new change of the object is printed as it lands, diffed against the version before it (read before or while following), until Ctrl-C (exit 0) or SIGTERM (exit 143).

Exit codes: 0 ran (with --watch, also when ended by Ctrl-C); 2 could not run; 3 ran, but a source could not be read to its end; 143 a watch ended by SIGTERM.`

  static override examples = [
    {
      description: 'A Calico global network policy (through either API group)',
      command: '<%= config.bin %> <%= command.id %> gnp/security.allow-dns -f audit.log',
    },
    {
      description: 'A Kubernetes network policy, as JSON',
      command: '<%= config.bin %> <%= command.id %> knp/allow-web -n shop -f audit.log -o json',
    },
    {
      description: 'Follow the log, and print each new change of the object with its diff as it lands, until Ctrl-C',
      command: '<%= config.bin %> <%= command.id %> gnp/security.allow-dns -f /var/log/kubernetes/audit/ --watch',
    },
    {
      description: "Only alice's changes to a tier, from the cluster's logs",
      command: '<%= config.bin %> <%= command.id %> tier/security --user alice',
    },
  ]

  static override usage =
    '<%= command.id %> KIND/NAME [-n NAMESPACE] [-f FILE...] [--since <value>] [--user <value>...] [--verb <value>...] [--outcome succeeded|failed|all] [-o table|wide|json|yaml] [-w] [FLAGS]'
  static override args = historyArgs
  static override flags = {...historyFlags, ...nonGreedy(clusterReadFlags), ...outputFlags}

  async run(): Promise<ObjectHistoryReport | ObjectHistorySummary> {
    const {args, flags} = await this.parse(History)
    const options = historyOptions(args.object, flags, Date.now())
    const {object} = options
    const table = options.output === 'table' || options.output === 'wide'
    const run = this.runContext()
    // --watch: the history in the log, then each new change of the object as it lands.
    if (options.watch) {
      const opened = await openLogs(options, run)
      const {watchHistory} = await import('./history-watch.js')
      return watchHistory(options, opened, run, this.interrupt)
    }
    const read = await readChanges({...options, progress: table}, run)

    const history = objectHistory(
      read.collector.changeWrites(),
      object,
      changeMatcher(options.selection),
      options.showAllFields,
    )
    if (object.namespaced && object.namespace === null && history.namespaces.length > 1) {
      throw new UserError(`${object.text} is in more than one namespace: ${history.namespaces.join(', ')}`, {
        hint: `say which with -n, e.g. kubectl audit history ${object.text} -n ${history.namespaces[0]}`,
      })
    }
    const namespace = object.namespace ?? (object.namespaced ? (history.namespaces[0] ?? null) : null)
    const report: ObjectHistoryReport = {
      ...reportHead(options.window, read.stats),
      kind: 'ObjectHistory',
      object: {
        kind: object.kind,
        name: object.name,
        namespace,
        resources: object.resources.map((r) => `${r.resource}.${r.apiGroup}`),
      },
      startsMidway: history.startsMidway,
      total: history.total,
      changes: history.entries.map((entry) => ({...entry.change, ...entry.versions})),
    }
    const out = process.stdout
    if (!(await writeDocument(out, options.output, report))) {
      const [{renderHistoryTable}, {changeDetailLines}, {makeChalk}, {terminalWidth, writeChunks}] = await Promise.all([
        import('../render/history.js'),
        import('../render/what-changed.js'),
        import('../render/color.js'),
        import('../render/output.js'),
      ])
      const chalk = makeChalk(options.color, out)
      const width = options.output === 'wide' ? undefined : terminalWidth(out, process.env)
      const view = {chalk, width, diff: true, showAllFields: options.showAllFields}
      const below: string[][] = []
      for (const entry of history.entries) {
        const lines = await changeDetailLines(entry.whatChanged, entry.versions, view)
        below.push(entry.mayHaveDeleted ? [`    ${chalk.yellow('# may have deleted this object')}`, ...lines] : lines)
      }
      await writeChunks(
        out,
        renderHistoryTable(report, {
          chalk,
          width,
          asked: object.text,
          below,
          firstVerb: history.first?.verb,
          selectionFlags: options.selectionFlags,
        }),
      )
    }
    if (read.incomplete) process.exitCode = INCOMPLETE_EXIT
    return report
  }
}
