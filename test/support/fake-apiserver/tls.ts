// A throwaway CA and a server certificate for 127.0.0.1, made with openssl at test time, so the
// fake apiserver speaks real HTTPS that client-node and kubectl verify against the kubeconfig CA;
// the other fakes (Elasticsearch, Loki) make theirs the same way.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

export interface TestCertificates {
  caPem: string
  certPem: string
  keyPem: string
}

let cached: TestCertificates | undefined

/** One CA per test process: generating keys is the slow part and nothing depends on freshness. */
export function testCertificates(): TestCertificates {
  cached ??= generateCertificates('fake-apiserver')
  return cached
}

/** A new CA named `${name}-ca` and a certificate it signs for 127.0.0.1, localhost and `dnsNames`. */
export function generateCertificates(name: string, dnsNames: readonly string[] = []): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), `${name}-tls-`))
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
        `subjectAltName=${['IP:127.0.0.1', 'DNS:localhost', ...dnsNames.map((n) => `DNS:${n}`)].join(',')}`,
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
