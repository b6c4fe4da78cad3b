// Audit logs read where they are, on the control-plane nodes, through the Kubernetes API: each
// log and its rotated siblings become LogSources named `node/NAME:PATH`, read through the kubelet
// /logs/ proxy or, when that is refused or cannot reach the path, through a reader pod. An
// apiserver that writes its events to stdout is read through its pod's log (`pod/NS/NAME`).
import {posix} from 'node:path'

import {rotationTime} from '../audit/rotation.js'
import {ApiHttp} from '../cluster/api-http.js'
import {type AuditLogTarget, findAuditLogTargets, type StdoutAuditLog} from '../cluster/audit-log-targets.js'
import {ControlPlane} from '../cluster/control-plane.js'
import {type KubeConnectionOptions, loadKubeConfig, NoKubeconfigError} from '../cluster/kubeconfig.js'
import {UserError} from '../errors.js'
import type {RunContext} from '../run-context.js'
import {orderLogFiles} from './file.js'
import {FollowingPod} from './follow-pod.js'
import {KubeletLogSource, listKubeletDirectory} from './kubelet.js'
import {kubeletIsAsked, kubeletOrReaderPod, type NodeReadVia} from './kubelet-or-pod.js'
import {PodLogSource} from './pod-log.js'
import {listReaderPodDirectory, ReaderPodFileSource} from './reader-pod-files.js'
import {NoSuchHostDirectory, type ReaderPod, ReaderPods} from './reader-pods.js'
import type {LogSource} from './source.js'

/** What the cluster-read flags compile to (src/flags/cluster-read.ts). */
export interface ClusterReadOptions extends KubeConnectionOptions {
  nodes: string[]
  logPath?: string
  via: NodeReadVia
  image: string
  podNamespace: string
  podTimeoutSeconds: number
  /** Start of the time window (epoch ms): a log that cannot seek (pods/log) is asked only from there. */
  sinceMs?: number | null
}

export interface ClusterSources {
  sources: LogSource[]
  warnings: string[]
  /** Deletes the reader pods; idempotent. */
  close(): Promise<void>
}

/** Nodes prepared at once: each costs a listing, maybe a reader pod start. */
const NODE_CONCURRENCY = 8

/**
 * Finds the audit logs of the cluster and opens each as a LogSource. Reader pods are the run's:
 * deleted by close(), or by the run's cleanup if it is interrupted.
 */
export async function openClusterSources(opts: ClusterReadOptions, run: RunContext): Promise<ClusterSources> {
  const kc = await loadKubeConfig(opts, process.env, process.stderr, run.signal).catch((error: unknown) => {
    if (!(error instanceof NoKubeconfigError)) throw error
    throw new UserError(
      'no audit log to read: no -f was given and no kubeconfig was found to read it from the cluster',
      {
        hint: 'give one with -f FILE (a file, a directory, a glob, or - for stdin), or point at the cluster with --kubeconfig or KUBECONFIG',
      },
    )
  })
  const found = await findAuditLogTargets(
    new ControlPlane(kc, run.signal),
    {nodes: opts.nodes, logPath: opts.logPath},
    run.signal,
  )
  const warnings = [...found.warnings]
  const readers = new ReaderPods(
    kc,
    {
      image: opts.image,
      namespace: opts.podNamespace,
      timeoutSeconds: opts.podTimeoutSeconds,
    },
    run,
  )
  const http = new ApiHttp(kc, run.signal)
  const reader = new NodeReader(http, readers, opts.via, warnings)

  const byNode = new Map<string, AuditLogTarget[]>()
  for (const target of found.targets) byNode.set(target.node, [...(byNode.get(target.node) ?? []), target])
  const jobs: Array<{node: string; open: () => Promise<LogSource[]>}> = [
    ...[...byNode].map(([node, targets]) => ({node, open: () => reader.sourcesOn(node, targets)})),
    ...found.stdoutLogs.map((log) => ({node: log.node, open: () => openStdoutLog(http, log, opts.sinceMs ?? null)})),
  ]
  const perJob: LogSource[][] = []
  const hints = new Set<string>()
  // One node failing does not lose the others: it becomes a warning.
  await forEachLimited(jobs, NODE_CONCURRENCY, async ({node, open}, i) => {
    try {
      perJob[i] = await open()
    } catch (error) {
      perJob[i] = []
      warnings.push(`node ${node}: ${(error as Error).message}`)
      if (error instanceof UserError && error.hint) hints.add(error.hint)
    }
  })
  const sources = perJob.flat()
  if (sources.length === 0) {
    await readers.close()
    // When every node failed the same way, its remedy is the one to give.
    throw new UserError(
      `no audit log could be read from the cluster${warnings.length > 0 ? `: ${warnings.join('; ')}` : ''}`,
      {
        hint:
          hints.size === 1
            ? [...hints][0]
            : 'point at the log with --node NAME --log-path PATH, or read a copy with -f',
      },
    )
  }
  return {sources, warnings, close: () => readers.close()}
}

/** The stdout of an apiserver pod, once one small read has shown it can be read. */
async function openStdoutLog(http: ApiHttp, log: StdoutAuditLog, sinceMs: number | null): Promise<LogSource[]> {
  const source = new PodLogSource(http, log, sinceMs)
  await source.probe()
  return [source]
}

/** Finds a node's log files (the active one and its rotated siblings) and how to read them. */
class NodeReader {
  constructor(
    private readonly http: ApiHttp,
    private readonly readers: ReaderPods,
    private readonly via: ClusterReadOptions['via'],
    private readonly warnings: string[],
  ) {}

  async sourcesOn(node: string, targets: AuditLogTarget[]): Promise<LogSource[]> {
    const sources: LogSource[] = []
    const throughPod: AuditLogTarget[] = []
    let kubeletRefusal: string | undefined
    for (const target of targets) {
      if (target.optional) {
        // A guessed location is only looked at where the kubelet shows it (never a reader pod
        // for a guess), and one the kubelet does not show, for whatever reason, is simply absent.
        if (kubeletIsAsked(this.via, target.path))
          for (const source of await this.throughKubelet(node, target).catch(() => [])) sources.push(source)
        continue
      }
      // One at a time, here and below: a directory of 130,000 rotated files spread into push() overflows the call stack.
      const found = await kubeletOrReaderPod(this.via, target.path, {
        kubelet: () => this.throughKubelet(node, target),
        // The files a reader pod reads on this node are all read through one pod, opened below.
        readerPod: async (refusal) => {
          kubeletRefusal ??= refusal?.message
          throughPod.push(target)
          return []
        },
      })
      for (const source of found) sources.push(source)
    }
    if (throughPod.length > 0)
      for (const source of await this.readThroughPod(node, throughPod, kubeletRefusal)) sources.push(source)
    return sources
  }

  private async throughKubelet(node: string, target: AuditLogTarget): Promise<LogSource[]> {
    const names = await listKubeletDirectory(this.http, node, posix.dirname(target.path))
    return this.pick(node, target, names, (path) => new KubeletLogSource(this.http, node, path))
  }

  /** The targets' files through one reader pod; a directory the node does not have is a warning, not a failure. */
  private async readThroughPod(
    node: string,
    targets: AuditLogTarget[],
    kubeletRefusal: string | undefined,
  ): Promise<LogSource[]> {
    let pod: ReaderPod
    try {
      pod = await this.readers.open(
        node,
        targets.map((t) => posix.dirname(t.path)),
      )
    } catch (error) {
      if (error instanceof NoSuchHostDirectory) {
        this.warnings.push(error.message)
        return []
      }
      // Both ways failed: say why for each, the kubelet's first.
      if (kubeletRefusal && error instanceof UserError) {
        throw new UserError(`through the kubelet: ${kubeletRefusal}; through a reader pod: ${error.message}`, {
          hint: error.hint,
          cause: error,
        })
      }
      throw error
    }
    if (pod.missingDirs.length > 0) this.warnings.push(new NoSuchHostDirectory(node, pod.missingDirs).message)
    const sources: LogSource[] = []
    // Followed (--watch) through this pod while it lasts, then through a new one.
    const following = new FollowingPod(pod, this.readers, pod.dirs)
    for (const target of targets) {
      if (pod.missingDirs.includes(posix.normalize(posix.dirname(target.path)))) continue
      const names = await listReaderPodDirectory(pod, posix.dirname(target.path))
      for (const source of this.pick(node, target, names, (path) => new ReaderPodFileSource(pod, path, following)))
        sources.push(source)
    }
    return sources
  }

  /** The active log and its rotated siblings among a directory's names, oldest first. */
  private pick(node: string, target: AuditLogTarget, names: string[], open: (path: string) => LogSource): LogSource[] {
    const dir = posix.dirname(target.path)
    const base = posix.basename(target.path)
    const files = names.filter((name) => name === base || isRotatedSibling(name, base))
    if (!files.includes(base) && !target.optional) {
      this.warnings.push(
        `node ${node}: ${target.path} does not exist${files.length > 0 ? ' (reading its rotated files)' : ''}`,
      )
    }
    return orderLogFiles(files.map((name) => posix.join(dir, name))).map(open)
  }
}

/** lumberjack's rotated names for `audit.log`: `audit-2006-01-02T15-04-05.000.log`, maybe `.gz`. */
export function isRotatedSibling(name: string, activeName: string): boolean {
  const ext = posix.extname(activeName)
  const stem = activeName.slice(0, activeName.length - ext.length)
  if (!name.startsWith(`${stem}-`) || rotationTime(name) === null) return false
  const suffix = name.slice(stem.length + 1 + '2006-01-02T15-04-05.000'.length)
  return suffix === ext || suffix === `${ext}.gz`
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  run: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      await run(items[i]!, i)
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
}
