// Reader pods: short-lived pods pinned to a node, mounting only the needed host directories
// read-only, that files on the node are read through (pod-exec.ts carries the bytes). Pods are
// deleted on every exit path (normal end, error, Ctrl-C, SIGTERM), and activeDeadlineSeconds ends
// them if we are killed. A create still unanswered when the run ends is aborted, and the pod it may
// have made is found by this run's label. Deleting is bounded as every request is (the kubeconfig's
// limits abort a DELETE that gets no answer), and the pod is then left to its deadline with a warning.
import {randomBytes} from 'node:crypto'
import {posix} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type {CoreV1Api, CoreV1EventList, KubeConfig, V1Pod} from '@kubernetes/client-node'

import {apiErrorToUserError, statusCodeOf} from '../cluster/api-errors.js'
import {abortable, abortingOn} from '../cluster/api-http.js'
import {serverOf} from '../cluster/kubeconfig.js'
import {UserError} from '../errors.js'
import type {RunContext} from '../run-context.js'
import {type ExecOptions, execStdout} from './pod-exec.js'

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by'
export const MANAGED_BY = 'kubectl-audit'
/** Set to one random id per run, so a run finds its own pods even when it never learnt their names. */
export const RUN_LABEL = 'kubectl-audit.io/run'
/** Host directories appear under this prefix in the pod, as with `kubectl debug node`. */
const HOST_ROOT = '/host'
const CONTAINER = 'reader'
const POLL_MS = 250
const IMAGE_PULL_FAILURES = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull'])
const CONTAINER_FAILURES = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError'])
/**
 * The kubelet's FailedMount event for a hostPath volume: `MountVolume.SetUp failed for volume
 * "host-0" : hostPath type check failed: /var/log/x is not a directory` (pkg/volume/hostpath).
 */
const MOUNT_FAILURE =
  /^MountVolume\.SetUp failed for volume "([^"]+)" : (?:hostPath type check failed: .* is not a directory$|(.*))/s

export interface ReaderPodSettings {
  image: string
  namespace: string
  /** activeDeadlineSeconds: the pod's hard end even if nobody deletes it. */
  timeoutSeconds: number
  /** How long to wait for the pod to run (default: the smaller of 2 minutes and the timeout). */
  startTimeoutMs?: number
}

/**
 * Creates reader pods and guarantees their deletion; one per run, shared by all nodes. Deleting
 * them is registered with the run as a cleanup, so an interrupted run deletes them before it exits.
 */
export class ReaderPods {
  /** Every pod this run created, deleted or not. */
  private readonly pods = new Set<ReaderPod>()
  /** Each pod's deletion, once started (by close, or by open when the pod fails to start). */
  private readonly deletions = new Map<ReaderPod, Promise<void>>()
  private readonly creating = new Set<Promise<unknown>>()
  private readonly runId = randomBytes(6).toString('hex')
  private createSent = false
  /** A create failed without an answer (timeout, broken connection): a pod may exist all the same. */
  private createUnanswered = false
  private unseenDeleted?: Promise<void>
  /** Aborts the creates still in flight when the run closes (or is interrupted). */
  private readonly stopCreates = new AbortController()
  private closed = false
  private core?: Promise<CoreV1Api>
  private leftoversChecked?: Promise<void>
  readonly server: string

  constructor(
    private readonly kc: KubeConfig,
    readonly settings: ReaderPodSettings,
    private readonly run: RunContext,
  ) {
    this.server = serverOf(kc)
    run.onCleanup(() => this.close())
  }

  /**
   * Starts a pod on `node` that can read the given host directories, and waits until it runs. A
   * directory the node does not have cannot be mounted: the pod is started again without it, and
   * it is listed in the pod's `missingDirs`; when none of them exists, NoSuchHostDirectory.
   */
  async open(node: string, hostDirs: string[]): Promise<ReaderPod> {
    let dirs = [...new Set(hostDirs.map((d) => posix.normalize(d).replace(/(.)\/$/, '$1')))]
    const missing: string[] = []
    for (;;) {
      try {
        const pod = await this.start(node, dirs)
        pod.missingDirs = missing
        return pod
      } catch (error) {
        if (!(error instanceof NoSuchHostDirectory)) throw error
        missing.push(...error.dirs)
        dirs = dirs.filter((d) => !error.dirs.includes(d))
        if (dirs.length === 0) throw new NoSuchHostDirectory(node, missing)
      }
    }
  }

  private get cancelled(): boolean {
    return this.closed || this.run.signal.aborted
  }

  private async start(node: string, dirs: string[]): Promise<ReaderPod> {
    if (this.cancelled) throw new UserError('reading was cancelled')
    this.leftoversChecked ??= this.warnAboutLeftovers()
    await this.leftoversChecked
    const core = await this.coreApi()
    const aborting = await abortingOn(AbortSignal.any([this.run.signal, this.stopCreates.signal]))
    // A Ctrl-C during the awaits above: the run's cleanup (close()) may have run already.
    if (this.cancelled) throw new UserError('reading was cancelled')
    const {namespace} = this.settings
    const creation = core.createNamespacedPod({namespace, body: this.podSpec(node, dirs)}, aborting)
    this.createSent = true
    this.creating.add(creation)
    let created: V1Pod
    try {
      created = await creation
    } catch (error) {
      if (statusCodeOf(error) === undefined) this.createUnanswered = true
      if (this.cancelled) throw new UserError('reading was cancelled', {cause: error})
      throw apiErrorToUserError(error, {
        verb: 'create',
        resource: 'pods',
        namespace,
        purpose: `start a reader pod on node ${node}`,
        server: this.server,
      })
    } finally {
      this.creating.delete(creation)
    }
    const pod = this.reader(core, created.metadata!.name!, node, dirs)
    this.pods.add(pod)
    // A Ctrl-C while the create was in flight: close() may already have run.
    if (this.cancelled) {
      await this.close()
      throw new UserError('reading was cancelled')
    }
    const startTimeoutMs = this.settings.startTimeoutMs ?? Math.min(120_000, this.settings.timeoutSeconds * 1000)
    try {
      await pod.waitUntilRunning(startTimeoutMs, this.settings.image)
    } catch (error) {
      await this.release(pod)
      throw error
    }
    return pod
  }

  /** Warns about pods an earlier, killed run left behind (they end at their deadline anyway). */
  async warnAboutLeftovers(): Promise<void> {
    const {namespace} = this.settings
    try {
      const core = await this.coreApi()
      const list = await core.listNamespacedPod(
        {namespace, labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}`},
        await abortingOn(this.run.signal),
      )
      const leftovers = list.items
        .filter((p) => p.metadata?.labels?.[RUN_LABEL] !== this.runId)
        .map((p) => p.metadata?.name ?? '')
        .filter(Boolean)
      if (leftovers.length > 0) {
        this.run.warn(
          `${leftovers.length} reader pod(s) from an earlier run are still in namespace ${namespace} (${leftovers.join(', ')}); ` +
            `remove them with: kubectl delete pod -n ${namespace} -l ${MANAGED_BY_LABEL}=${MANAGED_BY}`,
        )
      }
    } catch {
      // Listing pods is a courtesy; lacking that permission must not stop the read.
    }
  }

  /**
   * Deletes every pod this run created, and returns once they are gone: an interrupted run exits
   * right after. Idempotent.
   */
  async close(): Promise<void> {
    this.closed = true
    // A create with no answer yet is given up: the pod it may have made is found by label below.
    this.stopCreates.abort(new UserError('reading was cancelled'))
    await Promise.allSettled([...this.creating])
    await Promise.all([...this.pods].map((pod) => this.release(pod)))
    if (this.createSent) {
      this.unseenDeleted ??= this.deleteUnseenPods()
      await this.unseenDeleted
    }
  }

  /**
   * Deletes this run's pods whose names it never learnt: a create that timed out (or lost its
   * answer) may have made one all the same. They carry this run's label.
   */
  private async deleteUnseenPods(): Promise<void> {
    const {namespace, timeoutSeconds} = this.settings
    const selector = `${MANAGED_BY_LABEL}=${MANAGED_BY},${RUN_LABEL}=${this.runId}`
    let found: V1Pod[]
    try {
      const core = await this.coreApi()
      found = (await core.listNamespacedPod({namespace, labelSelector: selector})).items
    } catch (error) {
      // Without `list pods` the check is skipped; it only matters when a create went unanswered.
      if (this.createUnanswered) {
        const why = apiErrorToUserError(error, {
          verb: 'list',
          resource: 'pods',
          namespace,
          purpose: 'look for a reader pod whose create went unanswered',
          server: this.server,
        })
        this.run.warn(
          `${why.message}; if there is one, it ends by itself within ${timeoutSeconds}s, or remove it with: kubectl delete pod -n ${namespace} -l ${RUN_LABEL}=${this.runId}`,
        )
      }
      return
    }
    const known = new Set([...this.pods].map((pod) => pod.name))
    const core = await this.coreApi()
    const unseen = found
      .filter((p) => p.metadata?.name && !known.has(p.metadata.name))
      .map((p) => this.reader(core, p.metadata!.name!, p.spec?.nodeName ?? 'unknown', []))
    for (const pod of unseen) this.pods.add(pod)
    await Promise.all(unseen.map((pod) => this.release(pod)))
  }

  /** Deletes one pod of this run (idempotent); close() deletes them all. */
  release(pod: ReaderPod): Promise<void> {
    let deletion = this.deletions.get(pod)
    if (!deletion) {
      deletion = pod.delete().catch((error: unknown) => {
        const why = apiErrorToUserError(error, {
          verb: 'delete',
          resource: 'pods',
          namespace: pod.namespace,
          purpose: `delete reader pod ${pod.name}`,
          server: this.server,
        })
        this.run.warn(
          `could not delete reader pod ${pod.namespace}/${pod.name} (${firstLine(why)}); it ends by itself within ${this.settings.timeoutSeconds}s`,
        )
      })
      this.deletions.set(pod, deletion)
    }
    return deletion
  }

  private coreApi(): Promise<CoreV1Api> {
    this.core ??= import('@kubernetes/client-node').then((k8s) => this.kc.makeApiClient(k8s.CoreV1Api))
    return this.core
  }

  private reader(core: CoreV1Api, name: string, node: string, dirs: readonly string[]): ReaderPod {
    return new ReaderPod(
      this.kc,
      core,
      {name, namespace: this.settings.namespace, node, server: this.server, signal: this.run.signal},
      dirs,
    )
  }

  /** Volume `host-N` mounts dirs[N]: a mount failure names the volume. */
  private podSpec(node: string, dirs: string[]): V1Pod {
    const {image, namespace, timeoutSeconds} = this.settings
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: 'kubectl-audit-reader-',
        namespace,
        labels: {
          [MANAGED_BY_LABEL]: MANAGED_BY,
          [RUN_LABEL]: this.runId,
          'app.kubernetes.io/name': 'kubectl-audit-reader',
        },
      },
      spec: {
        nodeName: node,
        restartPolicy: 'Never',
        activeDeadlineSeconds: timeoutSeconds,
        terminationGracePeriodSeconds: 0,
        tolerations: [{operator: 'Exists'}],
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        // Audit logs are root's, mode 0600.
        securityContext: {runAsUser: 0, runAsGroup: 0, runAsNonRoot: false},
        containers: [
          {
            name: CONTAINER,
            image,
            imagePullPolicy: 'IfNotPresent',
            command: ['sleep', String(timeoutSeconds)],
            securityContext: {
              privileged: false,
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: {drop: ['ALL'], add: ['DAC_READ_SEARCH']},
            },
            resources: {requests: {cpu: '10m', memory: '16Mi'}, limits: {memory: '128Mi'}},
            volumeMounts: dirs.map((dir, i) => ({name: volumeName(i), mountPath: containerPath(dir), readOnly: true})),
          },
        ],
        volumes: dirs.map((dir, i) => ({name: volumeName(i), hostPath: {path: dir, type: 'Directory'}})),
      },
    }
  }
}

function volumeName(index: number): string {
  return `host-${index}`
}

/** What a read command reads: its last argument, as the node sees it. */
function subjectOf(command: readonly string[]): string {
  const last = command.at(-1) ?? ''
  return last.startsWith(`${HOST_ROOT}/`) ? last.slice(HOST_ROOT.length) : (command[0] ?? 'the command')
}

/** Where a host path is seen inside the reader pod. */
export function containerPath(hostPath: string): string {
  return posix.join(HOST_ROOT, posix.normalize(hostPath))
}

/** Where a reader pod is and what it answers to; `signal` is the run's. */
interface ReaderPodPlace {
  readonly name: string
  readonly namespace: string
  readonly node: string
  readonly server: string
  readonly signal: AbortSignal
}

export class ReaderPod {
  /** Host directories asked for that the node does not have (not mounted). */
  missingDirs: readonly string[] = []
  readonly name: string
  readonly namespace: string
  readonly node: string
  private deleted?: Promise<void>
  /** False once listing events was refused: mount failures are then seen only as a pod that does not start. */
  private eventsReadable = true

  /** `dirs`: the host directories mounted, volume `host-N` holding dirs[N]. */
  constructor(
    private readonly kc: KubeConfig,
    private readonly core: CoreV1Api,
    private readonly place: ReaderPodPlace,
    readonly dirs: readonly string[],
  ) {
    ;({name: this.name, namespace: this.namespace, node: this.node} = place)
  }

  async waitUntilRunning(timeoutMs: number, image: string): Promise<void> {
    const deadline = Date.now() + timeoutMs
    const where = `reader pod ${this.namespace}/${this.name} on node ${this.node}`
    for (;;) {
      let pod: V1Pod
      try {
        pod = await abortable(
          this.core.readNamespacedPod({name: this.name, namespace: this.namespace}),
          this.place.signal,
        )
      } catch (error) {
        this.place.signal.throwIfAborted()
        throw apiErrorToUserError(error, {
          verb: 'get',
          resource: 'pods',
          namespace: this.namespace,
          purpose: `watch the ${where} start`,
          server: this.place.server,
        })
      }
      const phase = pod.status?.phase
      if (phase === 'Running') return
      const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting
      if (waiting?.reason && IMAGE_PULL_FAILURES.has(waiting.reason)) {
        throw new UserError(`node ${this.node} cannot pull the reader image "${image}" (${waiting.reason})`, {
          hint: 'pass an image the node can pull with --image (any image with sh, cat, tail, head and ls, e.g. from your registry mirror)',
        })
      }
      if (waiting?.reason && CONTAINER_FAILURES.has(waiting.reason)) {
        throw new UserError(`the ${where} cannot start: ${waiting.reason}: ${waiting.message ?? ''}`.trim())
      }
      if (phase === 'Failed' || phase === 'Succeeded') {
        throw new UserError(
          `the ${where} ended before reading (${pod.status?.reason ?? phase}: ${pod.status?.message ?? 'no message'})`,
        )
      }
      // The kubelet says why a volume cannot be mounted only in events; the container waits in ContainerCreating.
      if (phase === 'Pending' && pod.spec?.nodeName) await this.checkMounts(where)
      if (Date.now() >= deadline) {
        throw new UserError(
          `the ${where} did not start within ${Math.round(timeoutMs / 1000)}s (phase ${phase ?? 'unknown'})`,
          {
            hint: `see why with: kubectl describe pod -n ${this.namespace} ${this.name}`,
          },
        )
      }
      await sleep(POLL_MS, undefined, {signal: this.place.signal})
    }
  }

  /**
   * Throws when the kubelet could not mount a volume: NoSuchHostDirectory for directories the node
   * does not have (hostPath type Directory), a UserError with the kubelet's words otherwise.
   */
  private async checkMounts(where: string): Promise<void> {
    if (!this.eventsReadable) return
    let events: CoreV1EventList
    try {
      events = await abortable(
        this.core.listNamespacedEvent({
          namespace: this.namespace,
          fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${this.name},reason=FailedMount`,
        }),
        this.place.signal,
      )
    } catch {
      this.place.signal.throwIfAborted()
      // Events are a help, not a need (`list events` may be refused): the pod is then just waited for.
      this.eventsReadable = false
      return
    }
    const missing = new Set<string>()
    for (const event of events.items) {
      const failure = MOUNT_FAILURE.exec(event.message ?? '')
      const dir = failure ? this.dirs[this.dirs.findIndex((_, i) => volumeName(i) === failure[1])] : undefined
      if (dir === undefined) continue
      if (failure![2] === undefined) missing.add(dir)
      else throw new UserError(`the ${where} cannot mount ${dir}: ${firstLine(failure![2])}`)
    }
    if (missing.size > 0)
      throw new NoSuchHostDirectory(
        this.node,
        this.dirs.filter((d) => missing.has(d)),
      )
  }

  /**
   * The command's stdout, streamed; a non-zero exit rejects with its stderr. `signal`: the
   * reader's, besides the run's; `stream`: for a command that follows a file (ExecOptions).
   */
  exec(
    command: string[],
    signal?: AbortSignal,
    stream: Pick<ExecOptions, 'quietIdle' | 'onStderr'> = {},
  ): AsyncIterable<Buffer> {
    const target = {
      namespace: this.namespace,
      pod: this.name,
      container: CONTAINER,
      node: this.node,
      description: `the reader pod on node ${this.node}`,
      server: this.place.server,
    }
    const either = signal ? AbortSignal.any([this.place.signal, signal]) : this.place.signal
    return execStdout(this.kc, target, command, {subject: subjectOf(command), signal: either, ...stream})
  }

  /** The whole stdout of a short command. */
  async run(command: string[], signal?: AbortSignal): Promise<Buffer> {
    const chunks: Buffer[] = []
    for await (const chunk of this.exec(command, signal)) chunks.push(chunk)
    return Buffer.concat(chunks)
  }

  /** Deletes the pod; a DELETE with no answer within the kubeconfig's limits is aborted (and rejects). */
  delete(): Promise<void> {
    this.deleted ??= (async () => {
      try {
        // Not on the run's signal: deleting is what an interrupted run still has to do.
        await this.core.deleteNamespacedPod({name: this.name, namespace: this.namespace, gracePeriodSeconds: 0})
      } catch (error) {
        if (statusCodeOf(error) !== 404) throw error
      }
    })()
    return this.deleted
  }
}

/** Host directories that do not exist on the node (a reader pod could not mount them). */
export class NoSuchHostDirectory extends UserError {
  constructor(
    readonly node: string,
    readonly dirs: readonly string[],
  ) {
    super(`no such directory on node ${node}: ${dirs.join(', ')}`)
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!
}
