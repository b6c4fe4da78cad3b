// --es-clusters: the clusters whose audit logs a store of Calico Enterprise's indices holds, as a
// table or as a versioned document (-o json|yaml).
import {sanitize} from './sanitize.js'

export interface StoredClusterRow {
  readonly name: string
  readonly layout: 'multi-index' | 'single-index'
  /** Documents of the kube-apiserver's log and of the Calico API server's. */
  readonly kube: number
  readonly ee: number
}

export interface StoredClusterList {
  apiVersion: 'kubectl-audit/v1'
  kind: 'StoredClusterList'
  store: string
  clusters: Array<{name: string; layout: string; kubeApiserverEvents: number; calicoApiserverEvents: number}>
}

export function storedClusterList(store: string, clusters: readonly StoredClusterRow[]): StoredClusterList {
  return {
    apiVersion: 'kubectl-audit/v1',
    kind: 'StoredClusterList',
    store,
    clusters: clusters.map((c) => ({
      name: c.name,
      layout: c.layout,
      kubeApiserverEvents: c.kube,
      calicoApiserverEvents: c.ee,
    })),
  }
}

/** Aligned columns, like `kubectl get`; names made safe for the terminal. */
export function renderStoredClusters(list: StoredClusterList): string {
  if (list.clusters.length === 0) return `${sanitize(list.store)} holds no Calico Enterprise audit index\n`
  const rows = [
    ['CLUSTER', 'LAYOUT', 'KUBE-APISERVER EVENTS', 'CALICO-APISERVER EVENTS'],
    ...list.clusters.map((c) => [
      sanitize(c.name),
      c.layout,
      c.kubeApiserverEvents.toLocaleString('en-US'),
      c.calicoApiserverEvents.toLocaleString('en-US'),
    ]),
  ]
  const widths = rows[0]!.map((_, k) => Math.max(...rows.map((r) => r[k]!.length)))
  return (
    rows.map((r) => r.map((cell, k) => (k === r.length - 1 ? cell : cell.padEnd(widths[k]!))).join('   ')).join('\n') +
    '\n'
  )
}
