// A throwaway CA and a certificate for the fake Elasticsearch, made with openssl at test time:
// for 127.0.0.1 and localhost (a store reached directly), and for the names Calico Enterprise's
// Elasticsearch answers to inside a cluster (a store reached through a port-forward).
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface StoreCertificates {
  caPem: string
  certPem: string
  keyPem: string
}

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
  const dir = mkdtempSync(join(tmpdir(), 'fake-elasticsearch-tls-'))
  const openssl = (...args: string[]) => execFileSync('openssl', args, {cwd: dir, stdio: 'pipe'})
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  try {
    openssl(
      'req',
      '-x509',
      ...ecKey,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '2',
      '-subj',
      `/CN=${name}-ca`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    )
    openssl('req', ...ecKey, '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${name}`)
    writeFileSync(
      join(dir, 'server.ext'),
      [
        `subjectAltName=IP:127.0.0.1,DNS:localhost,${CALICO_ES_NAMES.map((n) => `DNS:${n}`).join(',')}`,
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth',
      ].join('\n'),
    )
    openssl(
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '2',
      '-extfile',
      'server.ext',
    )
    return {
      caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
      certPem: readFileSync(join(dir, 'server.crt'), 'utf8'),
      keyPem: readFileSync(join(dir, 'server.key'), 'utf8'),
    }
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
