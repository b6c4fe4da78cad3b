// Calico Enterprise's Elasticsearch, found through the cluster: the fake apiserver holds the
// operator's objects (the service, its pod, the `elastic` user's secret, the CA bundle) and
// forwards the pod's port, over the real WebSocket protocol, to the fake Elasticsearch (HTTPS, the
// operator's CA). The oracle is the same command reading the same events from files.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {
  CALICO_APISERVER_LOG,
  CALICO_ES_NAMESPACE as NAMESPACE,
  CALICO_ES_POD as POD,
  CALICO_KUBE_LOG as KUBE_LOG,
  type CalicoStorageCluster,
  startCalicoStorageCluster,
} from '../support/calico-log-storage.js'
import {runCli} from '../support/cli.js'
import {exampleLines, joinLines, KUBEADM_LOG, writeOnNode} from '../support/cluster-logs.js'
import type {FakeApiserver, FakeNode} from '../support/fake-apiserver/index.js'
import type {FakeElasticsearch} from '../support/fake-elasticsearch/index.js'
import {unrelatedCaPem} from '../support/fake-elasticsearch/tls.js'
import {withoutSource} from '../support/reports.js'

const CALICO_LOG = CALICO_APISERVER_LOG
const NO_CREDENTIALS = {ES_USERNAME: '', ES_PASSWORD: '', ES_API_KEY: ''}
const report = (stdout: string) => JSON.parse(stdout) as PolicyChangeReport

describe("policies from Calico Enterprise's Elasticsearch, through the cluster", function () {
  this.timeout(90_000)
  let cluster: CalicoStorageCluster | undefined
  let es: FakeElasticsearch
  let fake: FakeApiserver
  const roots: string[] = []

  const start = async (opts: {objects?: object[]; nodes?: FakeNode[]} = {}) => {
    cluster = await startCalicoStorageCluster({
      ...opts,
      users: {auditor: {password: 'reader-pw', indices: ['tigera_secure_ee_audit_*']}},
    })
    ;({es, fake} = cluster)
  }
  const policies = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(['policies', '--kubeconfig', fake.kubeconfigPath, '--since', 'all', ...args], {
      env: {...NO_CREDENTIALS, ...env},
    })
  const asked = (pattern: RegExp) => fake.requests.filter((r) => pattern.test(r.path))

  afterEach(async () => {
    await cluster?.close()
    cluster = undefined
    for (const root of roots.splice(0)) rmSync(root, {recursive: true, force: true})
  })

  it("finds the store, forwards its port through the API server, checks it with the operator's CA and signs in as the elastic user", async () => {
    await start()
    const result = await policies(['--source', 'elasticsearch', '-o', 'json'])
    assert.equal(result.code, 0, result.stderr)
    const files = await runCli(['policies', '--since', 'all', '-f', KUBE_LOG, '-f', CALICO_LOG, '-o', 'json'])
    assert.deepEqual(withoutSource(report(result.stdout)), withoutSource(report(files.stdout)))
    assert.equal(
      result.stderr,
      `reading the audit logs of cluster "cluster" from Calico Enterprise's Elasticsearch (pod ${NAMESPACE}/${POD}, through a port-forward)\n`,
    )
    const forwards = asked(/\/portforward$/)
    assert.ok(forwards.length >= 1)
    assert.ok(
      forwards.every(
        (r) => r.path === `/api/v1/namespaces/${NAMESPACE}/pods/${POD}/portforward` && r.query === 'ports=9200',
      ),
    )
    assert.equal(asked(/\/secrets\/tigera-secure-es-elastic-user$/).length, 1)
    assert.ok(es.requests.length > 0 && es.requests.every((r) => r.user === 'elastic'))
  })

  it('takes the credentials from the environment when given, without reading the secret', async () => {
    await start()
    const result = await policies(['--source', 'elasticsearch'], {ES_USERNAME: 'auditor', ES_PASSWORD: 'reader-pw'})
    assert.equal(result.code, 0, result.stderr)
    assert.equal(asked(/\/secrets\//).length, 0)
    assert.ok(es.requests.every((r) => r.user === 'auditor'))
  })

  it('names the permission a refused secret needs, and how to go without it', async () => {
    await start()
    fake.fail({path: /\/secrets\//, code: 403})
    const result = await policies(['--source', 'elasticsearch'])
    assert.equal(result.code, 2)
    assert.equal(
      result.stderr,
      'error: no Elasticsearch credentials: ES_USERNAME and ES_PASSWORD (or ES_API_KEY) are not set, and secret tigera-secure-es-elastic-user could not be read in tigera-elasticsearch (403), tigera-operator (403)\n' +
        'hint: set ES_USERNAME and ES_PASSWORD (or ES_API_KEY) to a user of the store that may read the audit indices, or ask for: kubectl auth can-i get secrets/tigera-secure-es-elastic-user -n tigera-elasticsearch\n',
    )
  })

  it('names the permission a refused port-forward needs', async () => {
    await start()
    fake.fail({path: /\/portforward$/, code: 403})
    const result = await policies(['--source', 'elasticsearch'])
    assert.equal(result.code, 2)
    assert.match(
      result.stderr,
      /^error: permission denied: "create pods\/portforward" in namespace "tigera-elasticsearch" is needed to reach Elasticsearch in pod tigera-secure-es-default-es-0\nhint: check with: kubectl auth can-i create pods\/portforward -n tigera-elasticsearch\n$/,
    )
  })

  it("refuses a store whose certificate the operator's CA did not sign, and says how to go on", async () => {
    await start()
    fake.remove('v1', 'ConfigMap', 'tigera-ca-bundle', NAMESPACE)
    const missing = await policies(['--source', 'elasticsearch'])
    assert.equal(missing.code, 2)
    assert.match(
      missing.stderr,
      /^error: the operator's CA \(ConfigMap tigera-ca-bundle\) is in none of the namespaces tigera-elasticsearch, calico-system\nhint: give the CA of Elasticsearch's certificate with --es-ca FILE/,
    )
    const insecure = await policies(['--source', 'elasticsearch', '--es-insecure-skip-tls-verify'])
    assert.equal(insecure.code, 0, insecure.stderr)
    assert.match(insecure.stderr, /^warning: the store's certificate is not checked/m)
    fake.add({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {name: 'tigera-ca-bundle', namespace: 'calico-system'},
      data: {'ca.crt': unrelatedCaPem()},
    })
    const wrong = await policies(['--source', 'elasticsearch'])
    assert.equal(wrong.code, 2)
    assert.match(wrong.stderr, /TLS verification failed/)
  })

  it('reads the store with --source auto when no node log can be read, and says why', async () => {
    await start()
    const result = await policies(['-o', 'json'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(report(result.stdout).changes.length, 5)
    assert.match(
      result.stderr,
      /^reading the audit logs of cluster "cluster" from Calico Enterprise's Elasticsearch \(pod .+, through a port-forward\): no node log could be read \(.+\)\n$/,
    )
  })

  it('does not look for the store while the node logs can be read', async () => {
    const root = mkdtempSync(join(tmpdir(), 'node-cp-1-'))
    roots.push(root)
    writeOnNode(root, KUBEADM_LOG, joinLines(exampleLines()))
    await start({nodes: [{name: 'cp-1', root, labels: {'node-role.kubernetes.io/control-plane': ''}}]})
    const result = await policies(['--node', 'cp-1', '--log-path', KUBEADM_LOG])
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(asked(new RegExp(`/namespaces/${NAMESPACE}/`)), [])
  })

  it("keeps the nodes' failure when the cluster has no Calico Enterprise store", async () => {
    await start({objects: []})
    const result = await policies([])
    assert.equal(result.code, 2)
    assert.doesNotMatch(result.stderr, /Elasticsearch/)
    assert.equal(asked(/\/portforward$/).length, 0)
  })

  it('lists the clusters of the store through the cluster', async () => {
    await start()
    const result = await runCli(['policies', '--kubeconfig', fake.kubeconfigPath, '--es-clusters'], {
      env: NO_CREDENTIALS,
    })
    assert.equal(result.code, 0, result.stderr)
    assert.match(
      result.stdout,
      /^CLUSTER +LAYOUT +KUBE-APISERVER EVENTS +CALICO-APISERVER EVENTS\ncluster +multi-index +9 +2\n$/,
    )
  })
})
