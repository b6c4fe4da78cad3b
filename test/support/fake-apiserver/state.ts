// What the parts of the fake apiserver share: the nodes it plays, and what route handlers get.
import type {NodeLogSettings} from './node-logs.js'
import type {PodLifecycle} from './pods.js'
import type {ObjectStore} from './store.js'

export interface FakeNode {
  name: string
  /** Folder that plays the node's filesystem root: `/var/log/x` is `<root>/var/log/x`. */
  root: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  providerID?: string
  ready?: boolean
}

/** What route handlers get: the store, the nodes, and the counters they update. */
export interface ServerState {
  store: ObjectStore
  nodes: Map<string, FakeNode>
  lifecycle: PodLifecycle
  logs: NodeLogSettings
  podLogs: Record<string, string>
  countBytes(n: number): void
}
