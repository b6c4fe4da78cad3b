// The history command's argument and flags, compiled into one options object before any work.
// Where the log is read and the window are the policies command's own flags, checked by its own
// compilation, so every input works the same for both; the window defaults to the whole log.
import {Args, Flags} from '@oclif/core'

import {KIND_SHORT_NAMES, resolveKind, type WatchedResource, WRITE_VERBS} from '../audit/catalog.js'
import type {ChangeFilter} from '../audit/changes.js'
import type {ChangeSelection} from '../audit/select.js'
import {objectKey} from '../audit/what-changed/history.js'
import type {TimeWindow} from '../audit/window.js'
import {ANY_NAMESPACE, type BodyKeeping} from '../audit/write-bodies.js'
import {UserError} from '../errors.js'
import type {ColorMode} from '../render/color.js'
import type {LogInput} from '../sources/open.js'
import type {QueryFilter} from '../sources/source.js'
import {aksFlags} from './aks.js'
import {eksFlags} from './eks.js'
import {elasticsearchFlags} from './elasticsearch.js'
import {gkeFlags} from './gke.js'
import {lokiFlags} from './loki.js'
import type {OutputFormat} from './output.js'
import {type PoliciesFlagValues, policiesFlags, policiesOptions} from './policies.js'
import {watchFlags, type WatchOptions} from './watch.js'
import {whatChangedFlags} from './what-changed.js'
import {windowFlags} from './window.js'

export const historyArgs = {
  object: Args.string({
    description:
      'The object, as KIND/NAME: gnp/security.allow-dns, knp/allow-web (with -n), tier/security. Kinds as --kind of policies takes them.',
  }),
}

const {file, source, user, verb, outcome} = policiesFlags

const historyOwnFlags = {
  file,
  source,
  ...gkeFlags,
  since: Flags.string({
    summary: 'Only changes newer than this: 30s, 5m, 1h, 2d, or all. [default: all, the whole log]',
    helpGroup: 'WINDOW',
  }),
  'since-time': windowFlags['since-time'],
  'until-time': windowFlags['until-time'],
  namespace: Flags.string({
    char: 'n',
    summary: "The object's namespace, for a namespaced kind. [default: the one namespace the name is found in]",
    helpGroup: 'OBJECT',
  }),
  user,
  verb,
  outcome,
  'show-all-fields': whatChangedFlags['show-all-fields'],
  ...watchFlags,
  ...eksFlags,
  ...aksFlags,
  ...elasticsearchFlags,
  ...lokiFlags,
}

/**
 * A flag given many times takes one value each time (`-f a.log gnp/foo`: the object is not a
 * second file), where a greedy one would take every word up to the next flag.
 */
export function nonGreedy<T extends Record<string, object>>(flags: T): T {
  return Object.fromEntries(
    Object.entries(flags).map(([name, flag]) => [
      name,
      'multiple' in flag && flag.multiple ? {...flag, multipleNonGreedy: true} : flag,
    ]),
  ) as T
}

export const historyFlags = nonGreedy(historyOwnFlags)

export type HistoryFlagValues = Omit<PoliciesFlagValues, 'namespace' | 'kind' | 'tier' | 'limit'> & {
  namespace?: string
  'show-all-fields'?: boolean
}

/** The object whose history is asked for. */
export interface HistoryObject {
  /** As given: `gnp/security.allow-dns`. */
  readonly text: string
  /** The kind as given: `gnp`. */
  readonly kindText: string
  /** The resources the kind names (a Calico kind in both of its API groups). */
  readonly resources: readonly WatchedResource[]
  readonly kind: string
  readonly name: string
  /** Null for a cluster-scoped kind, and for a namespaced one when -n was not given. */
  readonly namespace: string | null
  readonly namespaced: boolean
}

export interface HistoryOptions {
  object: HistoryObject
  input: LogInput
  window: TimeWindow
  filter: ChangeFilter
  query: QueryFilter
  /** Which writes keep their bodies: the object's only. */
  bodies: BodyKeeping
  /** What is shown; every change of the object feeds its history whatever this says. */
  selection: ChangeSelection
  selectionFlags: string[]
  output: OutputFormat
  color: ColorMode
  showAllFields: boolean
  /** --watch: follow the logs after reading them, printing each new change of the object; null without it. */
  watch: WatchOptions | null
}

/** Validates and compiles the argument and flags; throws UserError (exit 2) on anything inconsistent. Does no I/O. */
export function historyOptions(text: string | undefined, flags: HistoryFlagValues, now: number): HistoryOptions {
  if (text === undefined || text.trim() === '')
    throw new UserError('history needs the object, as KIND/NAME', {
      hint: 'e.g. kubectl audit history gnp/security.allow-dns -f audit.log, or knp/allow-web -n shop',
    })
  const object = historyObject(text, flags.namespace)
  // The whole log unless a window is asked for: a version before --since is not in what is read.
  const since =
    flags.since ?? (flags['since-time'] === undefined && flags['until-time'] === undefined ? 'all' : undefined)
  const compiled = policiesOptions(
    {
      ...flags,
      since,
      kind: [object.kindText],
      namespace: object.namespace === null ? undefined : [object.namespace],
      limit: 0,
    },
    now,
  )
  return {
    object,
    input: compiled.input,
    window: compiled.window,
    filter: compiled.filter,
    // A store is asked for every change of the kind: --user, --verb and --outcome only choose what is shown.
    query: {...compiled.query, verbs: [...WRITE_VERBS], users: []},
    // One key for the object whichever group writes it (objectKey puts a Calico CRD and its v3 twin together).
    bodies: {
      objects: [
        ...new Set(
          object.resources.map((r) =>
            objectKey({
              apiGroup: r.apiGroup,
              resource: r.resource,
              namespace: object.namespaced ? (object.namespace ?? ANY_NAMESPACE) : null,
              name: object.name,
            })!,
          ),
        ),
      ],
    },
    selection: {...compiled.selection, resources: null, namespaces: [], tiers: []},
    selectionFlags: compiled.selectionFlags.filter((flag) => !flag.startsWith('--kind ') && !flag.startsWith('-n ')),
    output: compiled.output,
    color: compiled.color,
    showAllFields: flags['show-all-fields'] ?? false,
    watch: compiled.watch,
  }
}

function historyObject(text: string, namespace: string | undefined): HistoryObject {
  const slash = text.indexOf('/')
  const example = 'e.g. gnp/security.allow-dns, or knp/allow-web -n shop'
  if (slash <= 0 || slash === text.length - 1)
    throw new UserError(`"${text}" is not KIND/NAME`, {hint: `name the object as KIND/NAME, ${example}`})
  const kind = text.slice(0, slash)
  const name = text.slice(slash + 1)
  if (name.includes('/'))
    throw new UserError(`"${text}" is not KIND/NAME`, {hint: `give the namespace with -n, ${example}`})
  const resources = resolveKind(kind)
  if (!resources)
    throw new UserError(`${kind} is not a watched kind`, {hint: `use one of: ${KIND_SHORT_NAMES.join(', ')}`})
  const namespaced = resources[0]!.namespaced
  if (namespace !== undefined && namespace.trim() === '')
    throw new UserError('-n is empty', {hint: 'give it a value, or leave -n out'})
  if (namespace !== undefined && !namespaced)
    throw new UserError(`-n ${namespace}: ${resources[0]!.kind} is not namespaced`, {
      hint: `drop -n: kubectl audit history ${text}`,
    })
  return {
    text,
    kindText: kind,
    resources,
    kind: resources[0]!.kind,
    name,
    namespace: namespaced ? (namespace ?? null) : null,
    namespaced,
  }
}
