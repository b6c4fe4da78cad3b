// `kubectl audit policies --es URL`: the built CLI against the loopback fake Elasticsearch, loaded
// with our fixtures. The oracle is the same command reading the same events from files.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {PolicyChangeReport, StoredClusterList} from '../../src/commands/policies.js'
import {runCli} from '../support/cli.js'
import {
  calicoAuditMapping,
  elasticIntegrationMapping,
  type FakeElasticsearch,
  startFakeElasticsearch,
} from '../support/fake-elasticsearch/index.js'
import {unrelatedCaPem} from '../support/fake-elasticsearch/tls.js'
import {withoutSource} from '../support/reports.js'
import {integrationDocument} from '../support/store-documents.js'

const FIXTURES = 'test/fixtures/elasticsearch'
const KUBE_LOG = `${FIXTURES}/calico-kube-apiserver.jsonl`
const CALICO_LOG = `${FIXTURES}/calico-apiserver.jsonl`
const EXAMPLE_LOG = 'examples/audit.log'
const KUBE_INDEX = 'tigera_secure_ee_audit_kube.cluster.fluentd-20261124-000001'
const EE_INDEX = 'tigera_secure_ee_audit_ee.cluster.fluentd-20261124-000001'
/** No credentials from the machine running the tests. */
const NO_CREDENTIALS = {ES_USERNAME: '', ES_PASSWORD: '', ES_API_KEY: ''}

const events = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
const report = (stdout: string) => JSON.parse(stdout) as PolicyChangeReport

function loadCalico(es: FakeElasticsearch): void {
  es.createIndex(KUBE_INDEX, calicoAuditMapping())
  es.createIndex(EE_INDEX, calicoAuditMapping())
  es.index(KUBE_INDEX, [...events(EXAMPLE_LOG), ...events(KUBE_LOG)])
  es.index(EE_INDEX, events(CALICO_LOG))
}

describe('policies --es', function () {
  this.timeout(60_000)
  let es: FakeElasticsearch | undefined
  const dirs: string[] = []
  const policies = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(['policies', '--since', 'all', ...args], {env: {...NO_CREDENTIALS, ...env}})
  const file = (name: string, text: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'es-cli-'))
    dirs.push(dir)
    writeFileSync(join(dir, name), text)
    return join(dir, name)
  }

  afterEach(async () => {
    await es?.close()
    es = undefined
    for (const dir of dirs.splice(0)) rmSync(dir, {recursive: true, force: true})
  })

  it("reads Calico Enterprise's indices of a store as the files they were shipped from", async () => {
    es = await startFakeElasticsearch()
    loadCalico(es)
    const result = await policies(['--es', es.url, '-o', 'json'])
    assert.equal(result.code, 0, result.stderr)
    const files = await runCli([
      'policies',
      '--since',
      'all',
      '-f',
      EXAMPLE_LOG,
      '-f',
      KUBE_LOG,
      '-f',
      CALICO_LOG,
      '-o',
      'json',
    ])
    assert.deepEqual(withoutSource(report(result.stdout)), withoutSource(report(files.stdout)))
    assert.deepEqual(
      report(result.stdout).sources.map((s) => [s.name, s.complete]),
      [
        ['elasticsearch:tigera_secure_ee_audit_kube.cluster.*', true],
        ['elasticsearch:tigera_secure_ee_audit_ee.cluster.*', true],
      ],
    )
    assert.equal(result.stderr, `reading the audit logs of cluster "cluster" from Elasticsearch at ${es.url}\n`)
  })

  it('checks the certificate with --es-ca, refuses an unknown one, and skips the check only when told, with a warning', async () => {
    es = await startFakeElasticsearch({tls: true})
    loadCalico(es)
    const ca = file('ca.pem', es.caPem!)
    const checked = await policies(['--es', es.url, '--es-ca', ca])
    assert.equal(checked.code, 0, checked.stderr)
    const unknown = await policies(['--es', es.url])
    assert.equal(unknown.code, 2)
    assert.match(
      unknown.stderr,
      /^error: Elasticsearch at https:\/\/127\.0\.0\.1:\d+: TLS verification failed \((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE): .+\)\nhint: give the CA that signed its certificate with --es-ca FILE/,
    )
    const wrong = await policies(['--es', es.url, '--es-ca', file('other.pem', unrelatedCaPem())])
    assert.equal(wrong.code, 2)
    const insecure = await policies(['--es', es.url, '--es-insecure-skip-tls-verify'])
    assert.equal(insecure.code, 0, insecure.stderr)
    assert.match(
      insecure.stderr,
      /^warning: the store's certificate is not checked \(--es-insecure-skip-tls-verify\): anyone on the way can read the audit log and the credentials$/m,
    )
  })

  it('signs in with ES_USERNAME and ES_PASSWORD, or ES_API_KEY, and says what is wrong with them', async () => {
    const key = Buffer.from('key-id:key-secret').toString('base64')
    es = await startFakeElasticsearch({
      users: {auditor: {password: 's3cret', indices: ['tigera_secure_ee_audit_*']}},
      apiKeys: {[key]: {indices: ['*']}},
    })
    loadCalico(es)
    assert.equal((await policies(['--es', es.url], {ES_USERNAME: 'auditor', ES_PASSWORD: 's3cret'})).code, 0)
    assert.equal((await policies(['--es', es.url], {ES_API_KEY: key})).code, 0)
    assert.equal((await policies(['--es', es.url], {ES_API_KEY: 'key-id:key-secret'})).code, 0)
    assert.deepEqual([...new Set(es.requests.map((r) => r.user))], ['auditor', 'apikey'])
    const wrong = await policies(['--es', es.url], {ES_USERNAME: 'auditor', ES_PASSWORD: 'guess'})
    assert.equal(wrong.code, 2)
    assert.match(
      wrong.stderr,
      /^error: Elasticsearch at http:\/\/127\.0\.0\.1:\d+ rejected the credentials from ES_USERNAME and ES_PASSWORD \(401: unable to authenticate user \[auditor\] for REST request \[.+\]\)\nhint: set ES_USERNAME and ES_PASSWORD, or ES_API_KEY/,
    )
    const half = await policies(['--es', es.url], {ES_USERNAME: 'auditor'})
    assert.equal(half.code, 2)
    assert.equal(
      half.stderr,
      'error: ES_USERNAME is set without ES_PASSWORD\nhint: set ES_USERNAME and ES_PASSWORD, or ES_API_KEY alone\n',
    )
  })

  it('waits out a busy store, and reports what was read when it fails part-way (exit 3)', async () => {
    es = await startFakeElasticsearch()
    loadCalico(es)
    es.fail({path: /_search$/, status: 429, times: 1})
    const busy = await policies(['--es', es.url, '-o', 'json'])
    assert.equal(busy.code, 0, busy.stderr)
    es.failShard()
    const partial = await policies(['--es', es.url, '-o', 'json'])
    assert.equal(partial.code, 3)
    const kube = report(partial.stdout).sources[0]!
    assert.equal(kube.complete, false)
    assert.match(
      partial.stderr,
      /^warning: elasticsearch:tigera_secure_ee_audit_kube\.cluster\.\*: 1 shard\(s\) of the store failed the search: node_disconnected_exception \[fake-node-2\] disconnected, after .+ read; the rest of this source is missing$/m,
    )
  })

  it('lists the clusters whose logs the store holds', async () => {
    es = await startFakeElasticsearch()
    loadCalico(es)
    es.createIndex('tigera_secure_ee_audit_kube.managed-eu.fluentd-20261124-000001', calicoAuditMapping())
    es.index(
      'tigera_secure_ee_audit_kube.managed-eu.fluentd-20261124-000001',
      events(`${FIXTURES}/calico-managed-eu-kube-apiserver.jsonl`),
    )
    const table = await policies(['--es', es.url, '--es-clusters'])
    assert.equal(table.code, 0, table.stderr)
    const kube = (events(EXAMPLE_LOG).length + events(KUBE_LOG).length).toLocaleString('en-US')
    assert.equal(
      table.stdout,
      [
        `CLUSTER      LAYOUT        KUBE-APISERVER EVENTS   CALICO-APISERVER EVENTS`,
        `cluster      multi-index   ${kube.padEnd(21)}   2`,
        `managed-eu   multi-index   1                       0`,
        '',
      ].join('\n'),
    )
    const json = JSON.parse(
      (await policies(['--es', es.url, '--es-clusters', '-o', 'json'])).stdout,
    ) as StoredClusterList
    assert.deepEqual(
      json.clusters.map((c) => c.name),
      ['cluster', 'managed-eu'],
    )
    const managed = await policies(['--es', es.url, '--es-cluster', 'managed-eu', '-o', 'json'])
    assert.deepEqual(
      report(managed.stdout).changes.map((c) => [c.user, c.name]),
      [['frank', 'threat-feed-ips']],
    )
    const unknown = await policies(['--es', es.url, '--es-cluster', 'staging'])
    assert.equal(unknown.code, 2)
    assert.match(
      unknown.stderr,
      /^error: .+ holds no audit log of cluster "staging"\nhint: it holds: cluster, managed-eu; choose with --es-cluster NAME\n$/,
    )
  })

  it("reads the Elastic integration's data stream with --es-index", async () => {
    es = await startFakeElasticsearch()
    es.createDataStream('logs-kubernetes.audit_logs-default', elasticIntegrationMapping())
    es.index('logs-kubernetes.audit_logs-default', events(EXAMPLE_LOG).map(integrationDocument))
    const result = await policies(['--es', es.url, '--es-index', 'logs-kubernetes.audit_logs-*', '-o', 'json'])
    assert.equal(result.code, 0, result.stderr)
    const files = await runCli(['policies', '--since', 'all', '-f', EXAMPLE_LOG, '-o', 'json'])
    assert.deepEqual(withoutSource(report(result.stdout)), withoutSource(report(files.stdout)))
    assert.match(
      result.stderr,
      /^reading the audit log in logs-kubernetes\.audit_logs-\* from Elasticsearch at http:\/\/127\.0\.0\.1:\d+\n$/,
    )
  })

  it('says when the store cannot be reached', async () => {
    const result = await policies(['--es', 'http://127.0.0.1:9'])
    assert.equal(result.code, 2)
    assert.match(
      result.stderr,
      /^error: Elasticsearch at http:\/\/127\.0\.0\.1:9 cannot be reached \(ECONNREFUSED: .+\)\nhint: check the URL and that the store is running\n$/,
    )
  })
})
