// The policies command's flags, and their validation into one options object before any work:
// every flag is checked, those for reading from the cluster too when -f reads files instead.
import {Flags} from '@oclif/core'

import {
  CALICO_CRD_GROUP,
  CALICO_GROUP,
  KIND_SHORT_NAMES,
  resolveKind,
  WATCHED_RESOURCES,
  WRITE_VERBS,
} from '../audit/catalog.js'
import type {ChangeFilter} from '../audit/changes.js'
import type {ChangeSelection} from '../audit/select.js'
import type {TimeWindow} from '../audit/window.js'
import {UserError} from '../errors.js'
import type {ColorMode} from '../render/color.js'
import {LOG_LOCATIONS, type LogInput} from '../sources/open.js'
import type {QueryFilter} from '../sources/source.js'
import {type ClusterReadFlagValues, clusterReadOptions, givenClusterOnlyFlags} from './cluster-read.js'
import {aksFlags, type AksFlagValues, aksLogOptions, checkAksSource, givenAksFlags} from './aks.js'
import {commaList} from './comma-list.js'
import {eksFlags, type EksFlagValues, eksLogOptions, givenEksFlags} from './eks.js'
import {
  type ElasticsearchFlagValues,
  elasticsearchFlags,
  elasticsearchOptions,
  givenElasticsearchFlags,
  logInputWithoutFiles,
} from './elasticsearch.js'
import {checkGkeSource, gkeClusterFlags, type GkeFlagValues, gkeFlags, givenGkeFlags} from './gke.js'
import {FILE_VALUE} from './help-values.js'
import {givenKubeFlags} from './kube.js'
import {givenLokiFlags, lokiFlags, type LokiFlagValues, lokiInput} from './loki.js'
import type {OutputFlagValues, OutputFormat} from './output.js'
import {type WatchFlagValues, watchFlags, type WatchOptions, watchOptions} from './watch.js'
import {type WindowFlagValues, windowFlags, windowOptions} from './window.js'

export const policiesFlags = {
  file: Flags.string({
    char: 'f',
    multiple: true,
    helpValue: FILE_VALUE,
    summary:
      'Audit log to read: a file (.gz too), a directory of audit logs and their rotated files, a glob, a pipe, or - for stdin. Repeatable. [default: the logs on the control-plane nodes]',
    helpGroup: 'INPUT',
  }),
  source: Flags.option({
    options: LOG_LOCATIONS,
    summary:
      "Where the cluster's audit log is read without -f: auto decides from the kubeconfig context; nodes reads the control-plane nodes' log files; cloudwatch reads an EKS cluster's log in CloudWatch Logs; cloud-logging a GKE cluster's in Cloud Logging; log-analytics an AKS cluster's in Log Analytics; elasticsearch queries Calico Enterprise's Elasticsearch (or --es); loki reads Grafana Loki (--loki URL). [default: auto]",
    helpGroup: 'INPUT',
  })(),
  ...gkeFlags,
  ...windowFlags,
  user: Flags.string({
    multiple: true,
    summary: 'Only changes by this user (exact, or a glob with *). Repeatable. (The kubeconfig user is --kube-user.)',
    helpGroup: 'FILTER',
  }),
  verb: Flags.string({
    multiple: true,
    summary: `Only these verbs (comma list): ${WRITE_VERBS.join(', ')}.`,
    helpGroup: 'FILTER',
  }),
  kind: Flags.string({
    multiple: true,
    summary:
      'Only these kinds (comma list): gnp, np, knp, sgnp, snp, sknp, tier, gns, netset, hep, anp, banp, cnp, or kind names.',
    helpGroup: 'FILTER',
  }),
  namespace: Flags.string({
    char: 'n',
    multiple: true,
    summary: 'Only changes in this namespace. Repeatable.',
    helpGroup: 'FILTER',
  }),
  'all-namespaces': Flags.boolean({
    char: 'A',
    summary: 'Changes in all namespaces (the default).',
    helpGroup: 'FILTER',
    exclusive: ['namespace'],
  }),
  tier: Flags.string({multiple: true, summary: 'Only policies in this tier (comma list).', helpGroup: 'FILTER'}),
  outcome: Flags.option({
    options: ['succeeded', 'failed', 'all'] as const,
    default: 'all',
    summary: 'Only changes that succeeded, or failed (denied, conflict, invalid).',
    helpGroup: 'FILTER',
  })(),
  'include-dry-run': Flags.boolean({summary: 'Count dry-run requests (dryRun=All) as changes.', helpGroup: 'FILTER'}),
  'include-subresources': Flags.boolean({
    summary: 'Count subresource writes (e.g. tiers/status) as changes.',
    helpGroup: 'FILTER',
  }),
  limit: Flags.integer({
    min: 0,
    default: 20,
    summary: 'How many recent changes the table lists (0 = all). JSON and YAML list all.',
  }),
  ...eksFlags,
  ...aksFlags,
  ...elasticsearchFlags,
  ...lokiFlags,
  ...watchFlags,
}

export interface PoliciesFlagValues
  extends
    WindowFlagValues,
    ClusterReadFlagValues,
    OutputFlagValues,
    EksFlagValues,
    GkeFlagValues,
    AksFlagValues,
    ElasticsearchFlagValues,
    LokiFlagValues,
    WatchFlagValues {
  file?: string[]
  source?: (typeof LOG_LOCATIONS)[number]
  user?: string[]
  verb?: string[]
  kind?: string[]
  namespace?: string[]
  tier?: string[]
  outcome: 'succeeded' | 'failed' | 'all'
  'include-dry-run'?: boolean
  'include-subresources'?: boolean
  limit: number
}

export interface PoliciesOptions {
  input: LogInput
  /** The one window of the run; the filter and a cluster read take their bounds from it. */
  window: TimeWindow
  filter: ChangeFilter
  /** What a log store is asked for, when the log is queried where it is. */
  query: QueryFilter
  selection: ChangeSelection
  /** The selection as given on the command line (`--user bob`, `--kind gnp,knp`), for messages. */
  selectionFlags: string[]
  output: OutputFormat
  color: ColorMode
  limit: number
  /** --watch: follow the logs after reading them; null without it. */
  watch: WatchOptions | null
}

/** Validates and compiles the flags; throws UserError (exit 2) on anything inconsistent. Does no I/O. */
export function policiesOptions(flags: PoliciesFlagValues, now: number): PoliciesOptions {
  const window = windowOptions(flags, now)
  for (const [flag, values] of [
    ['--user', flags.user],
    ['-n', flags.namespace],
  ] as const) {
    if (values?.some((value) => value.trim() === ''))
      throw new UserError(`${flag} is empty`, {hint: `give it a value, or leave ${flag} out`})
  }
  const verbs = commaList(flags.verb).map((v) => v.toLowerCase())
  const badVerb = verbs.find((v) => !(WRITE_VERBS as readonly string[]).includes(v))
  if (badVerb)
    throw new UserError(`--verb ${badVerb} is not a write verb`, {hint: `use one of: ${WRITE_VERBS.join(', ')}`})
  const kinds = commaList(flags.kind)
  let resources: Set<string> | null = null
  if (kinds.length > 0) {
    resources = new Set()
    for (const kind of kinds) {
      const matched = resolveKind(kind)
      if (!matched) {
        throw new UserError(`--kind ${kind} is not a watched kind`, {
          hint: `use one of: ${KIND_SHORT_NAMES.join(', ')}`,
        })
      }
      for (const r of matched) resources.add(`${r.resource}.${r.apiGroup}`)
    }
  }
  const tiers = commaList(flags.tier)
  const selectionFlags = [
    ...(flags.user ?? []).map((u) => `--user ${u}`),
    ...(verbs.length > 0 ? [`--verb ${verbs.join(',')}`] : []),
    ...(kinds.length > 0 ? [`--kind ${kinds.join(',')}`] : []),
    ...(flags.namespace ?? []).map((n) => `-n ${n}`),
    ...(tiers.length > 0 ? [`--tier ${tiers.join(',')}`] : []),
    ...(flags.outcome === 'all' ? [] : [`--outcome ${flags.outcome}`]),
  ]
  // Checked with -f too: a bad value is a mistake whichever way the logs are read.
  const cluster = clusterReadOptions(flags)
  const eks = eksLogOptions(flags)
  const gke = gkeClusterFlags(flags)
  const aks = aksLogOptions(flags)
  const elasticsearch = elasticsearchOptions(flags, cluster.requestTimeoutMs)
  const files = flags.file ?? []
  // Loki's flags are checked with where the log is read (flags/loki.ts).
  const loki =
    files.length > 0
      ? undefined
      : lokiInput(flags, cluster.requestTimeoutMs, {
          kube: givenKubeFlags(flags),
          elsewhere: [
            ...givenClusterOnlyFlags(flags),
            ...givenEksFlags(flags),
            ...givenGkeFlags(flags),
            ...givenAksFlags(flags),
            ...givenElasticsearchFlags(flags),
          ],
        })
  // Elasticsearch's flags are checked with where the log is read, below.
  if (!loki && flags.source !== 'elasticsearch' && flags.es === undefined) {
    checkSourceFlags(flags)
    checkGkeSource(flags.source, flags)
    checkAksSource(flags.source, flags, {nodes: givenClusterOnlyFlags(flags), eks: givenEksFlags(flags)})
  }
  if (files.length > 0) {
    const clusterFlags = [
      ...givenKubeFlags(flags),
      ...givenClusterOnlyFlags(flags),
      ...givenEksFlags(flags),
      ...givenGkeFlags(flags),
      ...givenAksFlags(flags),
      ...(flags.source === undefined ? [] : ['--source']),
      ...givenElasticsearchFlags(flags),
      ...givenLokiFlags(flags),
    ]
    if (clusterFlags.length > 0) {
      throw new UserError(
        `${clusterFlags.join(', ')} ${clusterFlags.length === 1 ? 'is' : 'are'} for reading the logs from the cluster, which -f replaces`,
        {
          hint: `drop ${clusterFlags.join(' ')}, or drop -f to read the audit logs on the control-plane nodes`,
        },
      )
    }
  }
  return {
    input:
      files.length > 0
        ? {from: 'files', files}
        : (loki ??
          logInputWithoutFiles(
            flags,
            givenKubeFlags(flags),
            {
              nodes: givenClusterOnlyFlags(flags),
              eks: givenEksFlags(flags),
              gke: givenGkeFlags(flags),
              aks: givenAksFlags(flags),
            },
            {...cluster, sinceMs: window.sinceMs},
            {eks, gke, aks, elasticsearch},
          )),
    window,
    filter: {
      sinceMs: window.sinceMs,
      untilMs: window.untilMs,
      includeDryRun: flags['include-dry-run'] ?? false,
      includeSubresources: flags['include-subresources'] ?? false,
    },
    query: {
      sinceMs: window.sinceMs,
      untilMs: window.untilMs,
      resources: queriedResources(resources),
      verbs: verbs.length > 0 ? verbs : [...WRITE_VERBS],
      users: flags.user ?? [],
      namespaces: flags.namespace ?? [],
    },
    selection: {
      users: flags.user ?? [],
      verbs,
      resources,
      namespaces: flags.namespace ?? [],
      tiers,
      outcome: flags.outcome,
    },
    selectionFlags,
    output: flags.output,
    color: flags.color,
    limit: flags.limit,
    watch: watchOptions(flags),
  }
}

/** The nodes' flags and CloudWatch's exclude each other: each means the other is not read. */
function checkSourceFlags(flags: PoliciesFlagValues): void {
  const eks = givenEksFlags(flags)
  const nodes = givenClusterOnlyFlags(flags)
  const clash = flags.source === 'nodes' ? eks : flags.source === 'cloudwatch' ? nodes : eks.length > 0 ? nodes : []
  if (clash.length === 0) return
  const reading =
    flags.source === 'cloudwatch' || (flags.source !== 'nodes' && eks.length > 0)
      ? 'CloudWatch Logs (EKS)'
      : "the control-plane nodes' files"
  throw new UserError(`${clash.join(', ')} ${clash.length === 1 ? 'does' : 'do'} not apply when reading ${reading}`, {
    hint:
      flags.source === 'nodes'
        ? `drop ${clash.join(' ')}, or use --source cloudwatch`
        : `drop ${clash.join(' ')}, or use --source nodes`,
  })
}

/**
 * The resources a log store is asked for: those --kind names, or all watched ones. A Calico kind
 * asked through the v3 API brings its crd.projectcalico.org twin: the Calico API server's backing
 * write carries the tier and the object of the user's request.
 */
function queriedResources(selected: ReadonlySet<string> | null): QueryFilter['resources'] {
  return WATCHED_RESOURCES.filter((r) => {
    if (selected === null || selected.has(`${r.resource}.${r.apiGroup}`)) return true
    return r.apiGroup === CALICO_CRD_GROUP && selected.has(`${r.resource}.${CALICO_GROUP}`)
  }).map(({apiGroup, resource}) => ({apiGroup, resource}))
}
