// Audit logs in Elasticsearch, read through the loopback fake (test/support/fake-elasticsearch):
// whatever the filter, the changes found by querying the store are those found by reading the
// same events from files, while only candidates travel; paging holds through runs of equal sort
// values; what the store refuses is said in one line; a search that fails part-way is incomplete.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'

import {Parser} from '@oclif/core'

import {ChangeCollector, type PolicyChange} from '../../src/audit/changes.js'
import {selectChanges} from '../../src/audit/select.js'
import Policies from '../../src/commands/policies.js'
import {UserError} from '../../src/errors.js'
import {type PoliciesFlagValues, type PoliciesOptions, policiesOptions} from '../../src/flags/policies.js'
import {readSources} from '../../src/reading/read.js'
import type {SourceStats} from '../../src/reading/stats.js'
import {type ElasticsearchOptions, listStoredClusters, openElasticsearch} from '../../src/sources/elasticsearch.js'
import {StoreClient, type StoreEndpoint} from '../../src/sources/elasticsearch-http.js'
import {fileSources} from '../../src/sources/file.js'
import type {Source} from '../../src/sources/source.js'
import {auditEvent} from '../support/events.js'
import {
  calicoAuditMapping,
  calicoSingleIndexMapping,
  elasticIntegrationMapping,
  type FakeElasticsearch,
  startFakeElasticsearch,
} from '../support/fake-elasticsearch/index.js'
import {integrationDocument} from '../support/store-documents.js'

const NOW = Date.parse('2026-11-25T12:00:00Z')
const FIXTURES = 'test/fixtures/elasticsearch'
const KUBE_LOG = `${FIXTURES}/calico-kube-apiserver.jsonl`
const CALICO_LOG = `${FIXTURES}/calico-apiserver.jsonl`
const MANAGED_LOG = `${FIXTURES}/calico-managed-eu-kube-apiserver.jsonl`
const EXAMPLE_LOG = 'examples/audit.log'
const KUBE_INDEX = 'tigera_secure_ee_audit_kube.cluster.fluentd-20261124-000001'
const EE_INDEX = 'tigera_secure_ee_audit_ee.cluster.fluentd-20261124-000001'

const events = (path: string): Array<Record<string, unknown>> =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)

async function compile(argv: string[]): Promise<PoliciesOptions> {
  const {flags} = await Parser.parse(argv, {flags: Policies.flags, args: {}, strict: true})
  return policiesOptions(flags as PoliciesFlagValues, NOW)
}

const OPTIONS: ElasticsearchOptions = {
  cluster: 'cluster',
  listClusters: false,
  insecure: false,
  credentials: null,
  credentialsFrom: null,
  pushDown: true,
  requestTimeoutMs: 10_000,
  pageSize: 7,
}

const endpoint = (es: FakeElasticsearch, changes: Partial<StoreEndpoint> = {}): StoreEndpoint => ({
  url: es.url,
  description: `Elasticsearch at ${es.url}`,
  credentials: null,
  credentialsFrom: null,
  insecure: false,
  requestTimeoutMs: 10_000,
  ...changes,
})

/** The changes the command would report from these sources, without where each was read. */
async function changesFrom(
  sources: Source[],
  options: PoliciesOptions,
): Promise<{changes: Array<Omit<PolicyChange, 'source'>>; stats: SourceStats[]}> {
  const collector = new ChangeCollector(options.filter)
  const stats = await readSources(sources, {
    window: options.window,
    query: options.query,
    sink: collector,
    concurrency: 2,
  })
  return {
    changes: selectChanges(collector.finish(), options.selection).map(({source: _source, ...rest}) => rest),
    stats,
  }
}

async function fromFiles(paths: string[], options: PoliciesOptions) {
  return changesFrom((await fileSources(paths)).sources, options)
}

async function fromStore(
  es: FakeElasticsearch,
  options: PoliciesOptions,
  settings: Partial<ElasticsearchOptions> = {},
) {
  const store = await openElasticsearch(endpoint(es), {...OPTIONS, ...settings})
  try {
    return {...(await changesFrom(store.sources, options)), store}
  } finally {
    await store.close()
  }
}

describe('audit logs in Elasticsearch', function () {
  this.timeout(60_000)
  let es: FakeElasticsearch

  beforeEach(async () => {
    es = await startFakeElasticsearch()
  })
  afterEach(async () => {
    await es.close()
  })

  describe("Calico Enterprise's indices", () => {
    beforeEach(() => {
      es.createIndex(KUBE_INDEX, calicoAuditMapping())
      es.createIndex(EE_INDEX, calicoAuditMapping())
      // The example cluster's day in the same index: noise, Calico writes, and requests in several stages.
      es.index(KUBE_INDEX, [...events(EXAMPLE_LOG), ...events(KUBE_LOG)])
      es.index(EE_INDEX, events(CALICO_LOG))
      es.createIndex('tigera_secure_ee_audit_kube.managed-eu.fluentd-20261124-000001', calicoAuditMapping())
      es.index('tigera_secure_ee_audit_kube.managed-eu.fluentd-20261124-000001', events(MANAGED_LOG))
    })

    // Each row: a command line; the store must answer it as the files do.
    const rows: string[][] = [
      ['--since', 'all'],
      ['--since-time', '2026-11-24T08:30:00.250Z', '--until-time', '2026-11-24T10:03:30.731Z'],
      ['--since', 'all', '--user', 'alice'],
      ['--since', 'all', '--user', 'carol'],
      ['--since', 'all', '--user', 'system:serviceaccount:*'],
      ['--since', 'all', '--verb', 'patch', '--kind', 'gnp'],
      ['--since', 'all', '-n', 'shop', '-n', 'payments'],
      ['--since', 'all', '--kind', 'tier', '--outcome', 'failed'],
    ]
    for (const argv of rows) {
      it(`answers ${argv.join(' ')} as reading the files does`, async () => {
        const options = await compile(argv)
        const files = await fromFiles([EXAMPLE_LOG, KUBE_LOG, CALICO_LOG], options)
        const store = await fromStore(es, options)
        assert.ok(files.changes.length > 0, 'the row selects something')
        assert.deepEqual(store.changes, files.changes)
        assert.deepEqual(
          store.stats.map((s) => [s.name, s.error]),
          [
            ['elasticsearch:tigera_secure_ee_audit_kube.cluster.*', null],
            ['elasticsearch:tigera_secure_ee_audit_ee.cluster.*', null],
          ],
        )
      })
    }

    it("joins the Calico API server's record to the user's request: one change, with its tier and body", async () => {
      const {changes} = await fromStore(es, await compile(['--since', 'all', '--kind', 'gnp,np']))
      const allowDns = changes.filter((c) => c.auditID === 'a1c6d3f2-7e21-4b8f-9d0a-1f2e3d4c5b01')
      assert.deepEqual(
        allowDns.map((c) => [c.user, c.verb, c.name, c.tier]),
        [['alice', 'patch', 'security.allow-dns', 'security']],
      )
    })

    it('asks only for candidates, and pages through them in time order', async () => {
      const {stats} = await fromStore(es, await compile(['--since', 'all']))
      const candidates = events(EXAMPLE_LOG).length + events(KUBE_LOG).length
      const kube = stats[0]!
      assert.ok(kube.records!.received < candidates / 10, `${kube.records!.received} of ${candidates} events travelled`)
      assert.equal(kube.records!.received, kube.records!.total)
      const searches = es
        .searches()
        .filter((_, i) => es.requests.filter((r) => r.path.endsWith('/_search'))[i]!.path.includes('audit_kube'))
      assert.equal(searches[0]!.track_total_hits, true)
      assert.ok(searches.slice(1).every((s) => s.track_total_hits === false && Array.isArray(s.search_after)))
      assert.ok(searches.length >= kube.records!.received / 7, 'pages of 7')
    })

    it('fetches every event of the window without the push-down, and finds the same', async () => {
      const options = await compile(['--since', 'all', '--user', 'alice'])
      const pushed = await fromStore(es, options)
      const hitsBefore = es.hitsSent
      const plain = await fromStore(es, options, {pushDown: false, pageSize: 1000})
      assert.deepEqual(plain.changes, pushed.changes)
      // Every event, and the last of each page once more (the next page starts before it: it may share its sort values with the next hits).
      const all = events(EXAMPLE_LOG).length + events(KUBE_LOG).length + events(CALICO_LOG).length
      const sent = es.hitsSent - hitsBefore
      assert.ok(sent >= all && sent <= all + Math.ceil(all / 1000), `${sent} hits sent for ${all} events`)
    })

    it("reads another cluster's logs, and says which the store holds", async () => {
      const {changes} = await fromStore(es, await compile(['--since', 'all']), {cluster: 'managed-eu'})
      assert.deepEqual(
        changes.map((c) => [c.user, c.verb, c.kind, c.name]),
        [['frank', 'delete', 'GlobalNetworkSet', 'threat-feed-ips']],
      )
      const clusters = await listStoredClusters(endpoint(es), OPTIONS)
      assert.deepEqual(clusters, [
        {
          name: 'cluster',
          layout: 'multi-index',
          kube: events(EXAMPLE_LOG).length + events(KUBE_LOG).length,
          ee: events(CALICO_LOG).length,
        },
        {name: 'managed-eu', layout: 'multi-index', kube: 1, ee: 0},
      ])
      await assert.rejects(
        openElasticsearch(endpoint(es), {...OPTIONS, cluster: 'staging'}),
        (error: UserError) =>
          error.message === `Elasticsearch at ${es.url} holds no audit log of cluster "staging"` &&
          error.hint === 'it holds: cluster, managed-eu; choose with --es-cluster NAME',
      )
    })

    it("says when a cluster's Calico API server log is not in the store, and reads the rest", async () => {
      const store = await openElasticsearch(endpoint(es), {...OPTIONS, cluster: 'managed-eu'})
      await store.close()
      assert.deepEqual(
        store.sources.map((s) => s.name),
        ['elasticsearch:tigera_secure_ee_audit_kube.managed-eu.*'],
      )
      assert.match(
        store.warnings[0]!,
        /holds no index tigera_secure_ee_audit_ee\.managed-eu\.\*: the Calico API server's audit log of cluster "managed-eu" is not there/,
      )
      assert.match(
        store.notices[0]!,
        /^reading the audit logs of cluster "managed-eu" from Elasticsearch at http:\/\/127\.0\.0\.1:\d+ \(it also holds: cluster; choose with --es-cluster\)$/,
      )
    })

    it('keeps what was read before a shard failed, and marks the source incomplete', async () => {
      es.failShard()
      const {stats} = await fromStore(es, await compile(['--since', 'all']))
      assert.match(
        stats[0]!.error!,
        /^1 shard\(s\) of the store failed the search: node_disconnected_exception \[fake-node-2\] disconnected$/,
      )
    })
  })

  it("reads Linseed's single index, one cluster of it, as the two indices", async () => {
    const index = 'calico_auditlogs.linseed-000001'
    es.createIndex(index, calicoSingleIndexMapping())
    es.index(index, [
      ...events(KUBE_LOG).map((e) => ({...e, audit_type: 'kube', cluster: 'cluster'})),
      ...events(CALICO_LOG).map((e) => ({...e, audit_type: 'ee', cluster: 'cluster'})),
      ...events(MANAGED_LOG).map((e) => ({...e, audit_type: 'kube', cluster: 'managed-eu'})),
    ])
    const options = await compile(['--since', 'all'])
    const store = await fromStore(es, options)
    assert.deepEqual(store.changes, (await fromFiles([KUBE_LOG, CALICO_LOG], options)).changes)
    assert.deepEqual(
      store.stats.map((s) => s.name),
      ['elasticsearch:calico_auditlogs*[cluster=cluster]'],
    )
    assert.deepEqual((es.searches().at(-1)!.query as {bool: {filter: object[]}}).bool.filter[0], {
      term: {cluster: 'cluster'},
    })
    assert.deepEqual(await listStoredClusters(endpoint(es), OPTIONS), [
      {name: 'cluster', layout: 'single-index', kube: events(KUBE_LOG).length, ee: events(CALICO_LOG).length},
      {name: 'managed-eu', layout: 'single-index', kube: 1, ee: 0},
    ])
  })

  it("reads the Elastic integration's data stream as the log it was shipped from", async () => {
    es.createDataStream('logs-kubernetes.audit_logs-default', elasticIntegrationMapping())
    es.index('logs-kubernetes.audit_logs-default', events(EXAMPLE_LOG).map(integrationDocument))
    const options = await compile(['--since', 'all'])
    const store = await fromStore(es, options, {index: 'logs-kubernetes.audit_logs-*'})
    assert.deepEqual(store.changes, (await fromFiles([EXAMPLE_LOG], options)).changes)
    assert.equal(store.stats[0]!.name, 'elasticsearch:logs-kubernetes.audit_logs-*')
    assert.equal(store.stats[0]!.format, 'elastic-integration')
  })

  it("loses the name of an object created without one in the request path: the shipper dropped the body's metadata", async () => {
    const created = auditEvent({
      auditID: 'c-1',
      verb: 'create',
      user: 'bob',
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      namespace: 'shop',
      code: 201,
      level: 'RequestResponse',
      time: '2026-11-24T10:00:00.000001Z',
      responseObject: {
        kind: 'NetworkPolicy',
        metadata: {name: 'allow-web', namespace: 'shop'},
        spec: {podSelector: {}},
      },
    })
    es.createDataStream('logs-kubernetes.audit_logs-default', elasticIntegrationMapping())
    es.index('logs-kubernetes.audit_logs-default', [integrationDocument(created)])
    const {changes} = await fromStore(es, await compile(['--since', 'all']), {
      index: 'logs-kubernetes.audit_logs-default',
    })
    assert.deepEqual(
      changes.map((c) => [c.user, c.verb, c.namespace, c.name]),
      [['bob', 'create', 'shop', null]],
    )
  })

  it('reads an index left to dynamic mapping through the keyword twins of its text fields', async () => {
    es.index('k8s-audit-2026.11.24', events(EXAMPLE_LOG))
    const options = await compile(['--since', 'all', '--user', 'system:serviceaccount:*'])
    const store = await fromStore(es, options, {index: 'k8s-audit-*'})
    assert.deepEqual(store.changes, (await fromFiles([EXAMPLE_LOG], options)).changes)
    const body = JSON.stringify(es.searches().at(-1))
    assert.ok(body.includes('"user.username.keyword"') && body.includes('"auditID.keyword"'), body)
  })

  it('pages through a run of hits with one time and audit ID longer than a page', async () => {
    const stages = ['RequestReceived', 'ResponseStarted', 'ResponseComplete'] as const
    const same = (n: number) =>
      auditEvent({
        auditID: 'same',
        stage: stages[n % 3],
        verb: 'patch',
        user: `u${n}`,
        apiGroup: 'networking.k8s.io',
        resource: 'networkpolicies',
        namespace: 'shop',
        name: 'web',
        time: '2026-11-24T10:00:00.000001Z',
      })
    es.createIndex('audit', calicoAuditMapping())
    es.index('audit', [
      ...Array.from({length: 9}, (_, n) => same(n)),
      auditEvent({
        auditID: 'later',
        verb: 'create',
        user: 'alice',
        apiGroup: 'networking.k8s.io',
        resource: 'networkpolicies',
        namespace: 'shop',
        name: 'db',
        code: 201,
        time: '2026-11-24T10:00:01Z',
      }),
    ])
    const store = await openElasticsearch(endpoint(es), {...OPTIONS, index: 'audit', pageSize: 4})
    const received: unknown[] = []
    for await (const page of store.sources[0]!.query((await compile(['--since', 'all'])).query))
      received.push(...page.records)
    await store.close()
    const ids = received.map((hit) => (hit as {_id: string})._id)
    assert.equal(ids.length, 10)
    assert.equal(new Set(ids).size, 10, 'no hit twice')
  })

  describe('what the store refuses, said in one line', () => {
    it('names the credentials it rejected (401)', async () => {
      const locked = await startFakeElasticsearch({users: {reader: {password: 'right', indices: ['*']}}})
      try {
        await assert.rejects(
          openElasticsearch(
            endpoint(locked, {
              credentials: {kind: 'basic', username: 'reader', password: 'wrong'},
              credentialsFrom: 'ES_USERNAME and ES_PASSWORD',
            }),
            OPTIONS,
          ),
          (error: UserError) =>
            /^Elasticsearch at http:\/\/127\.0\.0\.1:\d+ rejected the credentials from ES_USERNAME and ES_PASSWORD \(401: unable to authenticate user \[reader\] for REST request \[\/.+\/_field_caps\]\)$/.test(
              error.message,
            ) &&
            error.hint ===
              'set ES_USERNAME and ES_PASSWORD, or ES_API_KEY, to a user of the store that may read the audit indices',
        )
        await assert.rejects(openElasticsearch(endpoint(locked), OPTIONS), (error: UserError) =>
          error.message.includes('rejected the credentials (none were given) (401: missing authentication credentials'),
        )
      } finally {
        await locked.close()
      }
    })

    it('says so when OpenSearch rejects them in plain text', async () => {
      const locked = await startFakeElasticsearch({
        distribution: 'opensearch',
        users: {reader: {password: 'right', indices: ['*']}},
      })
      try {
        await assert.rejects(openElasticsearch(endpoint(locked), OPTIONS), (error: UserError) =>
          error.message.endsWith('rejected the credentials (none were given) (401: Unauthorized)'),
        )
      } finally {
        await locked.close()
      }
    })

    it('names the privilege an index needs (403), and signs in with an API key', async () => {
      const locked = await startFakeElasticsearch({
        apiKeys: {[Buffer.from('id1:secret').toString('base64')]: {indices: ['logs-*']}},
      })
      try {
        locked.index('audit-private', events(KUBE_LOG))
        await assert.rejects(
          openElasticsearch(
            endpoint(locked, {credentials: {kind: 'api-key', key: 'id1:secret'}, credentialsFrom: 'ES_API_KEY'}),
            {...OPTIONS, index: 'audit-private'},
          ),
          (error: UserError) =>
            error.message.includes(
              'refused to let the user read audit-private (403: action [indices:data/read/field_caps] is unauthorized for user [apikey]',
            ) &&
            error.hint ===
              'the user needs the "read" index privilege on audit-private; give another with ES_USERNAME and ES_PASSWORD, or ES_API_KEY',
        )
        assert.equal(locked.requests[0]!.user, 'apikey')
      } finally {
        await locked.close()
      }
    })

    it('says which index does not exist (404), and when a pattern matches none', async () => {
      await assert.rejects(
        openElasticsearch(endpoint(es), {...OPTIONS, index: 'no-such-index'}),
        (error: UserError) =>
          /has no index no-such-index \(no such index \[no-such-index\]\)$/.test(error.message) &&
          /GET \/_cat\/indices/.test(error.hint!),
      )
      await assert.rejects(openElasticsearch(endpoint(es), {...OPTIONS, index: 'nothing-*'}), (error: UserError) =>
        /has no index matching nothing-\*$/.test(error.message),
      )
      await assert.rejects(
        openElasticsearch(endpoint(es), OPTIONS),
        (error: UserError) =>
          /holds no Calico Enterprise audit index/.test(error.message) &&
          /may also not read them: that needs the "read" privilege on tigera_secure_ee_audit_\*/.test(error.hint!),
      )
    })

    it('says when an index holds no audit events', async () => {
      es.index('app-logs', [{'@timestamp': '2026-11-24T10:00:00Z', message: 'hello'}])
      await assert.rejects(
        openElasticsearch(endpoint(es), {...OPTIONS, index: 'app-logs'}),
        (error: UserError) =>
          error.message.startsWith('app-logs in Elasticsearch at') &&
          error.message.includes(
            'does not hold audit events: neither requestReceivedTimestamp nor stageTimestamp is a date field there',
          ),
      )
    })
  })

  describe('a busy store', () => {
    it('is asked again after a pause that doubles, then given up on', async () => {
      es.index('audit', events(KUBE_LOG))
      const pauses: number[] = []
      const client = new StoreClient(endpoint(es), undefined, async (ms) => {
        pauses.push(ms)
      })
      es.fail({path: /_search$/, status: 429, times: 2})
      const answer = await client.post('/audit/_search', {size: 1})
      assert.equal((answer.json.hits as {hits: unknown[]}).hits.length, 1)
      assert.deepEqual(pauses, [500, 1000])
      es.fail({path: /_search$/, status: 503})
      await assert.rejects(
        client.post('/audit/_search', {size: 1}),
        /^StoreRequestError: 503 cluster_block_exception: blocked by/,
      )
      assert.deepEqual(pauses.slice(2), [500, 1000, 2000, 4000, 8000])
      await client.close()
    })
  })
})
