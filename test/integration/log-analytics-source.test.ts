// The Log Analytics source against a loopback Log Analytics over HTTPS (a test CA, trusted through
// the client's own transport): the KQL and timespan it sends are asserted, the window is sliced
// so no answer reaches a cap, answers the cap still cut are halved, 429s are waited out, and each
// failure the user can fix is one line.
import assert from 'node:assert/strict'

import {decodeDocument} from '../../src/audit/event.js'
import {UserError} from '../../src/errors.js'
import {
  auditTables,
  connectLogs,
  LogAnalyticsSource,
  type LogsConnection,
  queryRange,
} from '../../src/sources/log-analytics.js'
import {rowsQuery} from '../../src/sources/log-analytics-kql.js'
import type {QueryFilter, QueryPage} from '../../src/sources/source.js'
import {azureDiagnosticsRow, CLUSTER_RESOURCE_ID, logAnalyticsRow} from '../support/aks-records.js'
import {auditEvent, type EventSpec} from '../support/events.js'
import {fakeCredential, FakeLogAnalytics, trustingHttpClient} from '../support/fake-log-analytics/index.js'

const WORKSPACE = '1f0e0c8a-7b6d-4e5f-9a8b-0c1d2e3f4a5b'
const NOW = Date.parse('2026-12-07T12:00:00Z')
const SINCE = Date.parse('2026-12-07T10:00:00Z')

const ALL: QueryFilter = {
  sinceMs: SINCE,
  untilMs: null,
  resources: [
    {apiGroup: 'networking.k8s.io', resource: 'networkpolicies'},
    {apiGroup: 'projectcalico.org', resource: 'globalnetworkpolicies'},
    {apiGroup: 'crd.projectcalico.org', resource: 'globalnetworkpolicies'},
    {apiGroup: 'crd.projectcalico.org', resource: 'networkpolicies'},
  ],
  verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'],
  users: [],
  namespaces: [],
}

let seq = 0
function write(spec: EventSpec & {at: string}) {
  const event = auditEvent({
    auditID: `aud-${String(++seq).padStart(4, '0')}`,
    verb: 'patch',
    user: 'alice',
    apiGroup: 'networking.k8s.io',
    resource: 'networkpolicies',
    namespace: 'shop',
    name: 'web',
    code: 200,
    time: spec.at,
    ...spec,
  })
  return logAnalyticsRow(event)
}

const minute = (n: number) => new Date(SINCE + n * 60_000).toISOString().replace('.000Z', '.123456Z')

describe('Log Analytics source (loopback HTTPS)', function () {
  this.timeout(30_000)
  const fake = new FakeLogAnalytics()
  let connection: LogsConnection

  before(async () => {
    await fake.start()
    connection = await connectLogs(fakeCredential(), fake.url, await trustingHttpClient(fake.caPem))
  })
  after(() => fake.stop())
  beforeEach(() => {
    fake.requests.length = 0
    fake.workspaces.clear()
    fake.rowCap = 500_000
    fake.throttle = []
  })

  const source = (options: {rowsPerSlice?: number; table?: 'AKSAuditAdmin' | 'AzureDiagnostics'} = {}) =>
    new LogAnalyticsSource(
      {workspaceId: WORKSPACE, table: options.table ?? 'AKSAuditAdmin', scope: {resourceId: CLUSTER_RESOURCE_ID}},
      connection,
      {now: () => NOW, rowsPerSlice: options.rowsPerSlice},
    )

  async function readAll(
    s: LogAnalyticsSource,
    filter: QueryFilter = ALL,
  ): Promise<{pages: QueryPage[]; ids: string[]; error?: Error}> {
    const pages: QueryPage[] = []
    let error: Error | undefined
    try {
      for await (const page of s.query(filter)) pages.push(page)
    } catch (e) {
      error = e as Error
    }
    const ids = pages
      .flatMap((p) => p.records)
      .flatMap((r) => {
        const decoded = decodeDocument(r)
        assert.ok('events' in decoded, JSON.stringify(decoded))
        return decoded.events.map((e) => e.auditID)
      })
    return {pages, ids, ...(error ? {error} : {})}
  }

  it('asks for the cluster, the window, the watched resources and write verbs, and nothing else travels', async () => {
    const policy = write({at: minute(5)})
    const lease = logAnalyticsRow(
      auditEvent({
        auditID: 'lease',
        verb: 'update',
        apiGroup: 'coordination.k8s.io',
        resource: 'leases',
        namespace: 'kube-system',
        time: minute(6),
      }),
    )
    const read = logAnalyticsRow(
      auditEvent({
        auditID: 'get',
        verb: 'get',
        apiGroup: 'networking.k8s.io',
        resource: 'networkpolicies',
        time: minute(7),
      }),
    )
    const otherCluster = {
      ...write({at: minute(8)}),
      _ResourceId: CLUSTER_RESOURCE_ID.replace('shop-prod', 'shop-dev').toLowerCase(),
    }
    const before = write({at: '2026-12-07T09:00:00.000000Z'})
    fake.workspace(WORKSPACE, {AKSAuditAdmin: [policy, lease, read, otherCluster, before]})
    const {pages, ids} = await readAll(source())
    assert.deepEqual(ids, [policy.AuditId])
    assert.equal(pages.length, 1)
    assert.equal(pages[0]!.total, 1)
    assert.ok(pages[0]!.bytes > 0, 'the answer is counted in bytes')
    const range = queryRange(ALL, NOW)
    assert.deepEqual(
      fake.requests.map((r) => r.timespan),
      [
        `${new Date(range.startMs).toISOString()}/${new Date(range.endMs).toISOString()}`,
        '2026-12-07T10:05:00.123Z/2026-12-07T10:05:00.124Z',
      ],
      'the count over the window, then the rows over their span',
    )
    assert.ok(fake.requests.every((r) => r.workspace === WORKSPACE && r.prefer === 'wait=180'))
    assert.equal(
      fake.queries[1],
      [
        'AKSAuditAdmin',
        '| where TimeGenerated >= datetime(2026-12-07T10:05:00.123Z) and TimeGenerated < datetime(2026-12-07T10:05:00.124Z)',
        `| where _ResourceId =~ "${CLUSTER_RESOURCE_ID}"`,
        '| where tostring(ObjectRef.resource) in ("globalnetworkpolicies", "networkpolicies") and tostring(ObjectRef.apiGroup) in ("crd.projectcalico.org", "networking.k8s.io", "projectcalico.org")',
        '| where Verb in ("create", "update", "patch", "delete", "deletecollection")',
        '| project TimeGenerated, AuditId, Stage, Level, RequestUri, Verb, User, ImpersonatedUser = column_ifexists("ImpersonatedUser", dynamic(null)), SourceIps, UserAgent, ObjectRef, ResponseStatus, RequestObject, ResponseObject, Annotations, RequestReceivedTime = tostring(RequestReceivedTime), StageReceivedTime = tostring(StageReceivedTime)',
      ].join('\n'),
      'the rows are asked for the span the count found, with the filter pushed down',
    )
    assert.match(
      fake.queries[0]!,
      /\| summarize Rows = count\(\), First = min\(TimeGenerated\), Last = max\(TimeGenerated\)$/,
    )
  })

  it("pushes --user, --verb and -n down, and still brings the Calico API server's backing writes", async () => {
    const alice = write({
      at: minute(1),
      user: 'alice',
      verb: 'patch',
      apiGroup: 'projectcalico.org',
      resource: 'globalnetworkpolicies',
      namespace: undefined,
      name: 'default.deny',
    })
    const backing = write({
      at: minute(1),
      user: 'system:serviceaccount:calico-apiserver:calico-apiserver',
      verb: 'update',
      apiGroup: 'crd.projectcalico.org',
      resource: 'globalnetworkpolicies',
      namespace: undefined,
      name: 'default.deny',
    })
    const bob = write({at: minute(2), user: 'bob', verb: 'patch'})
    const aliceDelete = write({at: minute(3), user: 'alice', verb: 'delete'})
    const otherNamespace = write({at: minute(4), user: 'alice-admin', verb: 'patch', namespace: 'billing'})
    fake.workspace(WORKSPACE, {AKSAuditAdmin: [alice, backing, bob, aliceDelete, otherNamespace]})
    const filter = {...ALL, users: ['alice', 'ops-*'], verbs: ['patch']}
    const {ids} = await readAll(source(), filter)
    assert.deepEqual(ids.sort(), [alice.AuditId, backing.AuditId].sort())
    const asked = fake.queries.at(-1)!
    assert.match(
      asked,
      /\| where Verb in \("patch"\) or \(tostring\(ObjectRef\.apiGroup\) == "crd\.projectcalico\.org" and Verb in \("create", "update", "patch", "delete", "deletecollection"\)\)/,
    )
    assert.match(
      asked,
      /tostring\(User\.username\) in \("alice"\) or tostring\(User\.username\) matches regex "\^\(\?:ops-\.\*\)\$"/,
    )
    assert.match(asked, /column_ifexists\("ImpersonatedUser", dynamic\(null\)\)\.username\) in \("alice"\)/)

    fake.requests.length = 0
    const {ids: inShop} = await readAll(source(), {...ALL, namespaces: ['shop']})
    assert.deepEqual(inShop.sort(), [bob.AuditId, aliceDelete.AuditId].sort())
    assert.match(fake.queries.at(-1)!, /\| where tostring\(ObjectRef\.namespace\) in \("shop"\)/)
  })

  it('slices the window so that no answer holds more than the planned rows, and reads each row once', async () => {
    const rows = Array.from({length: 23}, (_, i) => write({at: minute(i * 4 + (i % 3))}))
    fake.workspace(WORKSPACE, {AKSAuditAdmin: rows})
    const {pages, ids} = await readAll(source({rowsPerSlice: 5}))
    assert.deepEqual([...ids].sort(), rows.map((r) => String(r.AuditId)).sort(), 'every row once')
    assert.ok(
      pages.every((p) => p.records.length <= 5),
      `pages of ${pages.map((p) => p.records.length).join(', ')}`,
    )
    assert.ok(pages.length >= 5 && pages.length <= 8, `${pages.length} slices`)
    assert.ok(pages.every((p) => p.total === 23))
    assert.equal(fake.queries.filter((q) => q.includes('bin_at(TimeGenerated')).length, 1, 'one histogram')
  })

  it('splits a bin that alone holds too many rows, down to where it fits', async () => {
    const burst = Array.from({length: 12}, (_, i) =>
      write({at: new Date(SINCE + 30 * 60_000 + i * 7).toISOString().replace('Z', '001Z')}),
    )
    const quiet = [write({at: minute(1)}), write({at: minute(110)})]
    fake.workspace(WORKSPACE, {AKSAuditAdmin: [...quiet, ...burst]})
    const {pages, ids} = await readAll(source({rowsPerSlice: 4}))
    assert.equal(ids.length, 14)
    assert.equal(new Set(ids).size, 14)
    assert.ok(
      pages.every((p) => p.records.length <= 4),
      `pages of ${pages.map((p) => p.records.length).join(', ')}`,
    )
    assert.ok(
      fake.queries.filter((q) => q.includes('bin_at(TimeGenerated')).length >= 2,
      'the busy bin got a histogram of its own',
    )
  })

  it('halves a slice whose answer the service cut, and reads it all', async () => {
    const rows = Array.from({length: 10}, (_, i) => write({at: minute(i * 10)}))
    fake.workspace(WORKSPACE, {AKSAuditAdmin: rows})
    fake.rowCap = 4
    const {ids, error} = await readAll(source({rowsPerSlice: 100}))
    assert.equal(error, undefined)
    assert.deepEqual([...ids].sort(), rows.map((r) => String(r.AuditId)).sort())
  })

  it('says when an answer is cut where the window cannot be cut (rows sharing one millisecond), after reading the rest', async () => {
    const same = Array.from({length: 6}, () => write({at: '2026-12-07T10:30:00.500000Z'}))
    const other = write({at: minute(50)})
    fake.workspace(WORKSPACE, {AKSAuditAdmin: [...same, other]})
    fake.rowCap = 4
    const {ids, error} = await readAll(source({rowsPerSlice: 100}))
    assert.ok(error, 'the source ends in an error: it is incomplete')
    assert.match(
      error.message,
      /1 answer was cut by Log Analytics' answer limit and could not be split further \(2026-12-07T10:30:00\.500Z to 2026-12-07T10:30:00\.501Z\): rows there are missing/,
    )
    assert.equal(ids.length, 5, 'the 4 rows of the cut answer and the other slice')
    assert.ok(ids.includes(String(other.AuditId)))
  })

  it('waits out a 429 with Retry-After and asks again', async () => {
    fake.workspace(WORKSPACE, {AKSAuditAdmin: [write({at: minute(3)})]})
    fake.throttle = [1]
    const started = Date.now()
    const {ids} = await readAll(source())
    assert.equal(ids.length, 1)
    assert.equal(fake.requests.length, 3, 'the throttled count, its retry, the rows')
    assert.equal(fake.requests[0]!.query, fake.requests[1]!.query)
    assert.ok(Date.now() - started >= 900, 'Retry-After was waited for')
  })

  it('reads the legacy AzureDiagnostics table, filtering inside log_s', async () => {
    const policy = azureDiagnosticsRow(
      auditEvent({
        auditID: 'diag-np',
        verb: 'create',
        apiGroup: 'networking.k8s.io',
        resource: 'networkpolicies',
        namespace: 'shop',
        name: 'web',
        code: 201,
        time: minute(9),
      }),
    )
    const lease = azureDiagnosticsRow(
      auditEvent({auditID: 'diag-lease', verb: 'update', resource: 'leases', time: minute(9)}),
    )
    fake.workspace(WORKSPACE, {AzureDiagnostics: [policy, lease]})
    const {ids} = await readAll(source({table: 'AzureDiagnostics'}))
    assert.deepEqual(ids, ['diag-np'])
    assert.match(
      fake.queries.at(-1)!,
      /\| where Category in \("kube-audit-admin", "kube-audit"\)\n.*\n\| where tostring\(parse_json\(log_s\)\.objectRef\.resource\) in/,
    )
    assert.equal(
      rowsQuery('AzureDiagnostics', {}, ALL, {startMs: 0, endMs: 1}).split('\n').at(-1),
      '| project TimeGenerated, Category, log_s',
    )
  })

  it('tells which audit tables hold rows of the cluster, and none when the workspace has no such table', async () => {
    fake.workspace(WORKSPACE, {AKSAuditAdmin: [write({at: minute(1)}), write({at: minute(2)})], AKSAudit: []})
    const range = queryRange(ALL, NOW)
    assert.deepEqual(await auditTables(connection.client, WORKSPACE, {resourceId: CLUSTER_RESOURCE_ID}, range), [
      {table: 'AKSAuditAdmin', rows: 2},
      {table: 'AKSAudit', rows: 0},
    ])
    assert.match(fake.queries[0]!, /^union isfuzzy=true\n {4}\(AKSAuditAdmin \| where TimeGenerated >= /)
    fake.workspace(WORKSPACE, {})
    assert.deepEqual(await auditTables(connection.client, WORKSPACE, {}, range), [])
  })

  it('turns refusals into one line each: permission, workspace, credentials', async () => {
    const range = queryRange(ALL, NOW)
    fake.workspace(WORKSPACE, {AKSAuditAdmin: []}).forbidden = true
    await assert.rejects(
      auditTables(connection.client, WORKSPACE, {}, range),
      (e: Error) =>
        e instanceof UserError &&
        /not allowed to query Log Analytics workspace/.test(e.message) &&
        /Log Analytics Reader/.test((e as UserError).hint ?? ''),
    )
    await assert.rejects(
      auditTables(connection.client, 'no-such-workspace', {}, range),
      (e: Error) => e instanceof UserError && /workspace no-such-workspace was not found/.test(e.message),
    )
    const wrong = await connectLogs(
      {getToken: async () => ({token: 'stale', expiresOnTimestamp: Date.now() + 60_000})},
      fake.url,
      await trustingHttpClient(fake.caPem),
    )
    await assert.rejects(
      auditTables(wrong.client, WORKSPACE, {}, range),
      (e: Error) => e instanceof UserError && /refused the Azure credentials/.test(e.message),
    )
  })
})
