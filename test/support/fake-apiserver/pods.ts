// Pod lifecycle as the kubelet would drive it: Pending, then Running (or an image pull that
// fails, or never starting), and Failed/DeadlineExceeded once activeDeadlineSeconds runs out.
// hostPath volumes are checked against the node's folder as the kubelet checks their type: a pod
// with one it cannot mount stays in ContainerCreating, with a FailedMount event per volume.
import {randomBytes} from 'node:crypto'
import {mkdirSync, statSync} from 'node:fs'
import {join} from 'node:path'

import type {KubeObject, ObjectStore} from './store.js'

export interface PodSettings {
  /** What happens to a new pod after startDelayMs. Changeable while the server runs. */
  startup: 'running' | 'pending' | 'image-pull-error'
  startDelayMs: number
  /** How long the answer to a create waits after the pod is stored: a create that lands but answers late, or never. */
  createAnswerDelayMs: number | 'never'
}

interface PodStatus {
  phase: string
  [key: string]: unknown
}

export class PodLifecycle {
  private readonly timers = new Set<NodeJS.Timeout>()

  /** `nodeRoot`: the folder that plays a node's filesystem, undefined for an unknown node. */
  /** `ended`: told when a pod's container stops (its deadline), so what runs in it stops too. */
  constructor(
    private readonly store: ObjectStore,
    readonly settings: PodSettings,
    private readonly nodeRoot: (node: string) => string | undefined,
    private readonly ended: (pod: KubeObject) => void = () => {},
  ) {}

  /** Called with the stored pod right after a create. */
  started(pod: KubeObject): void {
    const now = new Date().toISOString()
    pod.status = {
      phase: 'Pending',
      conditions: [{type: 'PodScheduled', status: 'True', lastTransitionTime: now}],
    } satisfies PodStatus
    const uid = pod.metadata.uid
    const {startup, startDelayMs} = this.settings
    if (startup !== 'pending') this.later(startDelayMs, uid, (p) => this.progress(p, startup))
    const deadline = (pod.spec as {activeDeadlineSeconds?: number} | undefined)?.activeDeadlineSeconds
    if (deadline) {
      this.later(deadline * 1000, uid, (p) => {
        p.status = {
          phase: 'Failed',
          reason: 'DeadlineExceeded',
          message: `Pod was active on the node longer than the specified deadline`,
        }
        this.ended(p)
      })
    }
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
  }

  private progress(pod: KubeObject, startup: PodSettings['startup']): void {
    const containers = (pod.spec as {containers?: Array<{name: string; image: string}>} | undefined)?.containers ?? []
    const startedAt = new Date().toISOString()
    const root = this.nodeRoot((pod.spec as {nodeName?: string} | undefined)?.nodeName ?? '')
    const unmounted = root === undefined ? [] : hostPathFailures(pod, root)
    if (unmounted.length > 0) {
      pod.status = {
        phase: 'Pending',
        containerStatuses: containers.map((c) => ({
          name: c.name,
          image: c.image,
          ready: false,
          restartCount: 0,
          started: false,
          state: {waiting: {reason: 'ContainerCreating'}},
        })),
      } satisfies PodStatus
      for (const {volume, message} of unmounted) this.store.add(mountFailedEvent(pod, volume, message))
    } else if (startup === 'running') {
      pod.status = {
        phase: 'Running',
        startTime: startedAt,
        conditions: [{type: 'Ready', status: 'True'}],
        containerStatuses: containers.map((c) => ({
          name: c.name,
          image: c.image,
          ready: true,
          restartCount: 0,
          started: true,
          state: {running: {startedAt}},
        })),
      } satisfies PodStatus
    } else {
      pod.status = {
        phase: 'Pending',
        containerStatuses: containers.map((c) => ({
          name: c.name,
          image: c.image,
          ready: false,
          restartCount: 0,
          state: {
            waiting: {
              reason: 'ImagePullBackOff',
              message: `Back-off pulling image "${c.image}": ErrImagePull: failed to pull and unpack image "${c.image}": not found`,
            },
          },
        })),
      } satisfies PodStatus
    }
  }

  /** Runs `update` on the pod later, if that same pod (same uid) still exists. */
  private later(ms: number, uid: unknown, update: (pod: KubeObject) => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      const pod = this.store.all().find((o) => o.kind === 'Pod' && o.metadata.uid === uid)
      if (pod) update(pod)
    }, ms)
    timer.unref()
    this.timers.add(timer)
  }
}

/**
 * The kubelet's hostPath type check (pkg/volume/hostpath, checkType) for each volume of the pod,
 * on the node folder `root`: the volumes it cannot mount, with its message. DirectoryOrCreate
 * makes the directory, as the kubelet does.
 */
function hostPathFailures(pod: KubeObject, root: string): Array<{volume: string; message: string}> {
  const volumes =
    (pod.spec as {volumes?: Array<{name: string; hostPath?: {path: string; type?: string}}>} | undefined)?.volumes ?? []
  const failures: Array<{volume: string; message: string}> = []
  for (const {name, hostPath} of volumes) {
    if (!hostPath) continue
    const onNode = join(root, hostPath.path)
    const info = statSync(onNode, {throwIfNoEntry: false})
    const type = hostPath.type ?? ''
    if (type === 'DirectoryOrCreate' && !info) mkdirSync(onNode, {recursive: true})
    else if ((type === 'Directory' || type === 'DirectoryOrCreate') && !info?.isDirectory()) {
      failures.push({volume: name, message: `hostPath type check failed: ${hostPath.path} is not a directory`})
    } else if (type === 'File' && !info?.isFile()) {
      failures.push({volume: name, message: `hostPath type check failed: ${hostPath.path} is not a file`})
    }
  }
  return failures
}

/** The Warning event the kubelet records on the pod for a volume it could not mount. */
function mountFailedEvent(pod: KubeObject, volume: string, message: string): object {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  const {name, namespace, uid} = pod.metadata
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {name: `${name}.${randomBytes(8).toString('hex')}`, namespace},
    involvedObject: {kind: 'Pod', apiVersion: 'v1', name, namespace, uid},
    reason: 'FailedMount',
    message: `MountVolume.SetUp failed for volume "${volume}" : ${message}`,
    type: 'Warning',
    source: {component: 'kubelet', host: (pod.spec as {nodeName?: string} | undefined)?.nodeName},
    count: 1,
    firstTimestamp: now,
    lastTimestamp: now,
  }
}
