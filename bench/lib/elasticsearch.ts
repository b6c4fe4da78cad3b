// The benchmark log in Elasticsearch: the fake store of the tests (test/support/fake-elasticsearch)
// holds it as Calico Enterprise's kube-apiserver index, read in place, so `policies --es` is timed on
// the same events as `-f`, with the store's filter (the push-down) and without it (every event of
// the window travels and is filtered here). The store counts the bytes and documents it sent.
import {
  calicoAuditMapping,
  type FakeElasticsearch,
  startFakeElasticsearch,
} from '../../test/support/fake-elasticsearch/index.js'

export interface BenchStore {
  readonly es: FakeElasticsearch
  /** Events in the store. */
  readonly documents: number
  close(): Promise<void>
}

const KUBE_INDEX = 'tigera_secure_ee_audit_kube.cluster.fluentd-20261123-000001'
const EE_INDEX = 'tigera_secure_ee_audit_ee.cluster.fluentd-20261123-000001'

export async function benchStore(log: string): Promise<BenchStore> {
  const es = await startFakeElasticsearch()
  const documents = await es.loadFile(KUBE_INDEX, log, calicoAuditMapping())
  // The Calico API server's index exists but is empty: the bench log is kube-apiserver's alone.
  es.createIndex(EE_INDEX, calicoAuditMapping())
  // A real store sorts as it indexes; the fake sorts on the first search: done here, not in a timed run.
  const warm = await fetch(`${es.url}/${KUBE_INDEX}/_search`, {
    method: 'POST',
    headers: {'content-type': 'application/json'},
    body: JSON.stringify({
      size: 0,
      track_total_hits: false,
      sort: [{requestReceivedTimestamp: {order: 'asc'}}, {auditID: {order: 'asc'}}],
    }),
  })
  if (!warm.ok) throw new Error(`the fake store did not sort the log: ${warm.status} ${await warm.text()}`)
  es.bytesSent = 0
  es.hitsSent = 0
  return {es, documents, close: () => es.close()}
}

/** The command line of a variant read from the store: the same as `-f`'s but for where from. */
export function storeArgs(store: BenchStore, pushDown: boolean): string[] {
  return ['--es', store.es.url, ...(pushDown ? [] : ['--no-es-push-down'])]
}
