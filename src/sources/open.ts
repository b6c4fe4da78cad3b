// Where a run's audit events come from, opened as sources: the files -f names or, without -f, the
// cluster's own log where it is (its control-plane nodes; a managed provider's log service or a
// log store are sources beside them). Each origin's code loads only when it is used.

import type {RunContext} from '../run-context.js'
import type {ClusterReadOptions} from './cluster.js'
import type {Source} from './source.js'

/** Where the cluster's log is read without -f: `auto` decides from the cluster (today: its nodes). */
export const LOG_LOCATIONS = ['auto', 'nodes'] as const
export type LogLocation = (typeof LOG_LOCATIONS)[number]

export type LogInput =
  | {readonly from: 'files'; readonly files: readonly string[]}
  | {readonly from: 'cluster'; readonly location: LogLocation; readonly cluster: ClusterReadOptions}

export interface OpenedSources {
  readonly sources: Source[]
  /** Lines for the user about what was chosen or left out (whoever prints them makes them safe). */
  readonly notices: readonly string[]
  /** Sources read at once: network sources gain from more. */
  readonly concurrency: number
  /** Ends what opening started (reader pods): call it however reading ends; idempotent. */
  close(): Promise<void>
}

export async function openSources(input: LogInput, run: RunContext, stdin: NodeJS.ReadableStream = process.stdin): Promise<OpenedSources> {
  if (input.from === 'files') {
    const {fileSources} = await import('./file.js')
    const files = await fileSources(input.files, stdin)
    return {sources: files.sources, notices: files.notices, concurrency: 2, close: async () => {}}
  }
  const {openClusterSources} = await import('./cluster.js')
  const cluster = await openClusterSources(input.cluster, run)
  return {sources: cluster.sources, notices: cluster.warnings, concurrency: 8, close: () => cluster.close()}
}
