// Shared state of one generation run: the seeded random source, the cluster, and the counters
// that make resource versions grow the way etcd's revision does.

import type {Cluster, Node} from './cluster.js'
import {createCluster} from './cluster.js'
import {SeededRandom} from './random.js'

export interface Pod {
  readonly namespace: string
  readonly name: string
  readonly node: Node
}

export class GenerationContext {
  readonly rng: SeededRandom
  readonly cluster: Cluster
  readonly pods: readonly Pod[]
  private revision = 4_812_000

  constructor(seed: number) {
    this.rng = new SeededRandom(seed)
    this.cluster = createCluster(seed ^ 0x5eed)
    const workloads: [string, string][] = [
      ['shop', 'web'], ['shop', 'cart'], ['shop', 'gateway'], ['payments', 'api'], ['payments', 'ledger'],
      ['monitoring', 'prometheus'], ['monitoring', 'grafana'], ['kube-system', 'coredns'], ['default', 'echo'],
      ['sandbox', 'scratch'], ['calico-system', 'calico-typha'],
    ]
    const pods: Pod[] = []
    for (const [namespace, app] of workloads) {
      const replicaSet = this.rng.hex(10)
      for (let i = 0; i < 3; i++) {
        pods.push({namespace, name: `${app}-${replicaSet}-${this.rng.hex(5)}`, node: this.rng.pick(this.cluster.nodes.slice(1))})
      }
    }
    this.pods = pods
  }

  /** A resource version later than every one handed out before. */
  nextRevision(): string {
    this.revision += this.rng.int(1, 40)
    return String(this.revision)
  }

  auditID(): string {
    return this.rng.uuid()
  }
}
