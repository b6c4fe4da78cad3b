// A throwaway CA and a certificate for the fake Elasticsearch, made with openssl at test time:
// for 127.0.0.1 and localhost (a store reached directly), and for the names Calico Enterprise's
// Elasticsearch answers to inside a cluster (a store reached through a port-forward).
import {generateCertificates, type TestCertificates} from '../fake-apiserver/tls.js'

export type StoreCertificates = TestCertificates

/** The names in the certificate besides 127.0.0.1 and localhost. */
export const CALICO_ES_NAMES = [
  'tigera-secure-es-http',
  'tigera-secure-es-http.tigera-elasticsearch',
  'tigera-secure-es-http.tigera-elasticsearch.svc',
  'tigera-secure-es-http.tigera-elasticsearch.svc.cluster.local',
]

let cached: StoreCertificates | undefined

/** One CA per test process, and one made apart from it: a CA the store's certificate does not chain to. */
export function storeCertificates(): StoreCertificates {
  cached ??= generate('fake-elasticsearch')
  return cached
}

let other: string | undefined

export function unrelatedCaPem(): string {
  other ??= generate('some-other-ca').caPem
  return other
}

function generate(name: string): StoreCertificates {
  return generateCertificates(name, CALICO_ES_NAMES)
}
