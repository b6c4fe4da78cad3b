// Pod lifecycle as the kubelet would drive it: Pending, then Running (or an image pull that
// fails, or never starting), and Failed/DeadlineExceeded once activeDeadlineSeconds runs out.
import type {KubeObject, ObjectStore} from './store.js'

export interface PodSettings {
  /** What happens to a new pod after startDelayMs. Changeable while the server runs. */
  startup: 'running' | 'pending' | 'image-pull-error'
  startDelayMs: number
  /** How long the answer to a create waits after the pod is stored: a create that lands but answers late. */
  createAnswerDelayMs: number
}

interface PodStatus {
  phase: string
  [key: string]: unknown
}

export class PodLifecycle {
  private readonly timers = new Set<NodeJS.Timeout>()

  constructor(private readonly store: ObjectStore, readonly settings: PodSettings) {}

  /** Called with the stored pod right after a create. */
  started(pod: KubeObject): void {
    const now = new Date().toISOString()
    pod.status = {phase: 'Pending', conditions: [{type: 'PodScheduled', status: 'True', lastTransitionTime: now}]} satisfies PodStatus
    const uid = pod.metadata.uid
    const {startup, startDelayMs} = this.settings
    if (startup !== 'pending') this.later(startDelayMs, uid, (p) => this.progress(p, startup))
    const deadline = (pod.spec as {activeDeadlineSeconds?: number} | undefined)?.activeDeadlineSeconds
    if (deadline) {
      this.later(deadline * 1000, uid, (p) => {
        p.status = {phase: 'Failed', reason: 'DeadlineExceeded', message: `Pod was active on the node longer than the specified deadline`}
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
    if (startup === 'running') {
      pod.status = {
        phase: 'Running',
        startTime: startedAt,
        conditions: [{type: 'Ready', status: 'True'}],
        containerStatuses: containers.map((c) => ({name: c.name, image: c.image, ready: true, restartCount: 0, started: true, state: {running: {startedAt}}})),
      } satisfies PodStatus
    } else {
      pod.status = {
        phase: 'Pending',
        containerStatuses: containers.map((c) => ({
          name: c.name, image: c.image, ready: false, restartCount: 0,
          state: {waiting: {reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}": ErrImagePull: failed to pull and unpack image "${c.image}": not found`}},
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
