// The Loki query source against a loopback Loki (test/support/fake-loki), over real HTTP: what it
// asks (the pushed-down LogQL, the window in nanoseconds, direction and limit) is asserted, and so
// are paging by timestamp with the duplicates at each boundary dropped, a window split where
// max_query_length refuses it, a limit lowered to max_entries_limit_per_query, retries when Loki
// is busy, credentials, tenants and TLS, and each error before anything is read as one line.
import assert from 'node:assert/strict'

import {WATCHED_RESOURCES, WRITE_VERBS} from '../../src/audit/catalog.js'
import {UserError} from '../../src/errors.js'
import {readSources} from '../../src/reading/read.js'
import type {LokiEndpoint} from '../../src/sources/loki-http.js'
import {lokiQuery} from '../../src/sources/loki-query.js'
import {LokiSource, type LokiSourceSettings} from '../../src/sources/loki.js'
import type {QueryFilter} from '../../src/sources/source.js'
import {eventsAfter} from '../support/events.js'
import {FakeLoki, type FakeLokiOptions, nsOf} from '../support/fake-loki.js'

const T0 = Date.parse('2026-11-24T10:00:00Z')
const ALL: QueryFilter['resources'] = WATCHED_RESOURCES.map(({apiGroup, resource}) => ({apiGroup, resource}))
const FILTER: QueryFilter = {
  sinceMs: T0,
  untilMs: T0 + 3_600_000,
  resources: ALL,
  verbs: [...WRITE_VERBS],
  users: [],
  namespaces: [],
}
const SELECTOR = '{job="integrations/kubernetes-audit"}'
const LABELS = {job: 'integrations/kubernetes-audit', cluster: 'prod'}
const FAST: LokiSourceSettings = {retries: {retries: 3, backoffMs: 5}, now: () => T0 + 10 * 3_600_000}

const {at, knp, lease} = eventsAfter(T0)
/** An entry as promtail ships it: the line, at its event's time (or `ns`). */
const entry = (event: Record<string, unknown>, ns?: bigint) => ({
  ns: ns ?? nsOf(String(event.stageTimestamp)),
  line: JSON.stringify(event),
})

describe('Loki query source (loopback Loki)', () => {
  let fake: FakeLoki
  const endpoint = (over: Partial<LokiEndpoint> = {}): LokiEndpoint => ({
    url: over.url ?? fake.url,
    credentials: null,
    credentialsFrom: null,
    insecure: false,
    requestTimeoutMs: 10_000,
    ...over,
  })
  const source = (over: Partial<LokiEndpoint> = {}, settings: LokiSourceSettings = {}, selector = SELECTOR) =>
    new LokiSource(endpoint(over), selector, {...FAST, ...settings})
  async function restart(options: FakeLokiOptions): Promise<void> {
    await fake.close()
    fake = await new FakeLoki(options).start()
  }

  beforeEach(async () => {
    fake = await new FakeLoki().start()
  })
  afterEach(async () => {
    await fake.close()
  })

  async function read(loki: LokiSource, filter = FILTER) {
    await loki.start(filter)
    const ids: string[] = []
    const [stats] = await readSources([loki], {
      window: {sinceMs: filter.sinceMs, untilMs: filter.untilMs},
      query: filter,
      sink: {add: (event) => ids.push(event.auditID)},
    })
    await loki.close()
    return {stats: stats!, ids}
  }

  it('pushes the selector, the window in nanoseconds and the filter into query_range, and gets only the writes back', async () => {
    fake.addStream(LABELS, [
      entry(lease(1, 'lease-1')),
      entry(knp(2, 'knp-create')),
      entry(
        at(3, {
          auditID: 'gnp-patch',
          verb: 'patch',
          apiGroup: 'projectcalico.org',
          resource: 'globalnetworkpolicies',
          name: 'deny-all',
        }),
      ),
      entry(
        at(4, {
          auditID: 'knp-get',
          verb: 'get',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'shop',
        }),
      ),
      entry(knp(3 * 3600, 'after-the-window')),
    ])
    // Another job's streams: the selector leaves them in Loki.
    fake.addStream({job: 'kube-apiserver', cluster: 'prod'}, [entry(knp(5, 'other-job'))])
    const loki = source()
    const {stats, ids} = await read(loki)
    assert.deepEqual(ids, ['knp-create', 'gnp-patch'])
    const [first] = fake.queries()
    assert.deepEqual(first!.params, {
      query: lokiQuery(FILTER, SELECTOR),
      start: String(BigInt(T0 - 60_000) * 1_000_000n),
      end: String(BigInt(T0 + 3_600_000 + 300_000) * 1_000_000n),
      limit: '5000',
      direction: 'forward',
    })
    assert.equal(fake.queries().length, 1, 'one answer held everything')
    assert.deepEqual([stats.events, stats.malformed, stats.format], [2, 0, 'loki'])
    assert.equal(
      fake.entriesSent,
      2,
      'the lease, the read, the other job and the lines after the window never left Loki',
    )
    assert.ok(stats.bytesRead > 0 && stats.bytesRead === fake.bytesSent, 'bytes as received')
  })

  it("pushes --verb, --user (a glob too) and -n, keeping the Calico API server's backing writes", async () => {
    const filter: QueryFilter = {
      ...FILTER,
      verbs: ['patch'],
      users: ['alice', 'system:serviceaccount:ci:*'],
      namespaces: ['shop'],
    }
    fake.addStream(LABELS, [
      entry(knp(1, 'alice-patch', {verb: 'patch', user: 'alice'})),
      entry(knp(2, 'bob-patch', {verb: 'patch', user: 'bob'})),
      entry(knp(3, 'alice-create', {verb: 'create', user: 'alice'})),
      entry(knp(4, 'alice-other-ns', {verb: 'patch', user: 'alice', namespace: 'dev'})),
      entry(knp(5, 'as-alice', {verb: 'patch', user: 'ci', impersonatedUser: 'alice'})),
      entry(knp(6, 'ci-deployer', {verb: 'patch', user: 'system:serviceaccount:ci:deployer'})),
      entry(
        at(7, {
          auditID: 'backing-update',
          verb: 'update',
          user: 'system:serviceaccount:calico-apiserver:calico-apiserver',
          apiGroup: 'crd.projectcalico.org',
          resource: 'globalnetworkpolicies',
          namespace: 'shop',
        }),
      ),
    ])
    const {ids} = await read(source(), filter)
    assert.deepEqual(ids, ['alice-patch', 'as-alice', 'ci-deployer', 'backing-update'])
    assert.equal(fake.entriesSent, 4, 'Loki filtered the rest')
    assert.equal(fake.queries()[0]!.params.query, lokiQuery(filter, SELECTOR))
  })

  it('keeps the lines a shipper wrapped (their fields unseen by the json stage), and decodes them here', async () => {
    fake.addStream(LABELS, [
      {
        ns: nsOf('2026-11-24T10:00:01Z'),
        line: JSON.stringify({log: `${JSON.stringify(knp(1, 'fluent-bit'))}\n`, stream: 'stdout'}),
      },
      {
        ns: nsOf('2026-11-24T10:00:02Z'),
        line: `2026-11-24T10:00:02.000000001Z stdout F ${JSON.stringify(knp(2, 'cri'))}`,
      },
      {ns: nsOf('2026-11-24T10:00:03Z'), line: JSON.stringify({log: JSON.stringify(lease(3, 'wrapped-lease'))})},
    ])
    const {ids} = await read(source())
    assert.deepEqual(ids, ['fluent-bit', 'cri'])
    assert.equal(fake.entriesSent, 2, 'the wrapped lease failed the line filters')
  })

  it('pages by timestamp, `limit` at a time: entries sharing a nanosecond across answers are neither lost nor doubled', async () => {
    const same = nsOf('2026-11-24T10:00:07Z')
    fake.addStream(LABELS, [
      entry(knp(1, 'before')),
      entry(knp(2, 'x1')),
      entry(knp(7, 'm1'), same),
      entry(knp(9, 'after')),
      entry(knp(10, 'last')),
    ])
    fake.addStream({...LABELS, node: 'cp-2'}, [entry(knp(7, 'n1'), same)])
    const {ids, stats} = await read(source({}, {limit: 3}))
    assert.equal(stats.error, null)
    assert.deepEqual([...ids].sort(), ['after', 'before', 'last', 'm1', 'n1', 'x1'])
    assert.equal(ids.length, 6, 'each once')
    const starts = fake.queries().map((q) => BigInt(q.params.start!))
    assert.equal(starts[1], same, 'the second answer starts at the nanosecond the first ended in')
    assert.ok(fake.queries().every((q) => q.params.limit === '3'))
  })

  it('steps over a nanosecond filling a whole answer, and says the source may be incomplete', async () => {
    const same = nsOf('2026-11-24T10:00:07Z')
    fake.addStream(LABELS, [
      entry(knp(1, 'before')),
      ...['m1', 'm2', 'm3'].map((id) => entry(knp(7, id), same)),
      entry(knp(9, 'after')),
    ])
    const {ids, stats} = await read(source({}, {limit: 2}))
    assert.deepEqual(ids, ['before', 'm1', 'm2', 'after'])
    assert.match(
      stats.error ?? '',
      /^Loki holds as many lines at one nanosecond as one answer may carry \(2\), at 2026-11-24T10:00:07Z: any past those there were not read$/,
    )
  })

  it('splits a window longer than max_query_length where Loki refuses it, and reads every piece', async () => {
    await restart({maxQueryLengthMs: 2 * 3_600_000})
    const filter: QueryFilter = {...FILTER, untilMs: T0 + 5 * 3_600_000}
    fake.addStream(LABELS, [
      entry(knp(60, 'h0')),
      entry(knp(2 * 3600 + 60, 'h2')),
      entry(knp(4 * 3600 + 60, 'h4')),
      entry(knp(5 * 3600 + 60, 'h5-slack')),
    ])
    const loki = source()
    const {ids, stats} = await read(loki, filter)
    assert.equal(stats.error, null)
    assert.deepEqual(ids, ['h0', 'h2', 'h4', 'h5-slack'])
    const [refused, ...pieces] = fake.queries()
    assert.equal(refused!.status, 400)
    assert.ok(pieces.length >= 3 && pieces.every((q) => q.status === 200))
    for (const q of pieces)
      assert.ok(
        BigInt(q.params.end!) - BigInt(q.params.start!) <= 2n * 3_600_000_000_000n,
        'each piece within the limit',
      )
    assert.equal(pieces[0]!.params.start, refused!.params.start, 'from where it was refused')
    assert.equal(pieces.at(-1)!.params.end, refused!.params.end, 'to the end of the window')
    assert.equal(loki.counters.splits, 1, 'the limit learned once')
  })

  it('lowers its limit to max_entries_limit_per_query when Loki refuses a larger one', async () => {
    await restart({maxEntries: 3})
    fake.addStream(
      LABELS,
      Array.from({length: 7}, (_, i) => entry(knp(i + 1, `k${i}`))),
    )
    const {ids} = await read(source())
    assert.equal(ids.length, 7)
    const [refused, ...rest] = fake.queries()
    assert.deepEqual([refused!.status, refused!.params.limit], [400, '5000'])
    assert.ok(rest.every((q) => q.params.limit === '3' && q.status === 200))
  })

  it('asks again, after a pause, while Loki is busy (429 too many outstanding requests) or its gateway is (503)', async () => {
    fake.addStream(LABELS, [entry(knp(1, 'k1'))])
    fake.busyNext = 2
    fake.unavailableNext = 1
    const {ids, stats} = await read(source())
    assert.deepEqual([ids, stats.error], [['k1'], null])
    assert.deepEqual(
      fake.queries().map((q) => q.status),
      [429, 429, 503, 200],
    )
  })

  it('keeps what it read when Loki fails part-way, and says why the rest is missing', async () => {
    fake.addStream(LABELS, [entry(knp(1, 'k1')), entry(knp(2, 'k2')), entry(knp(3, 'k3'))])
    fake.failAfter = 1
    const {ids, stats} = await read(source({}, {limit: 1}))
    assert.deepEqual(ids, ['k1'])
    assert.match(stats.error ?? '', /^500 rpc error: code = Unavailable desc = connection refused$/)
  })

  it('signs in with LOKI_USERNAME/LOKI_PASSWORD or a bearer token, and names the tenant', async () => {
    await restart({auth: {username: 'auditor', password: 's3cret'}, multiTenant: true})
    fake.addStream(LABELS, [entry(knp(1, 'k1'))], 'team-a')
    const {ids} = await read(
      source({
        credentials: {kind: 'basic', username: 'auditor', password: 's3cret'},
        credentialsFrom: 'LOKI_USERNAME and LOKI_PASSWORD',
        tenant: 'team-a',
      }),
    )
    assert.deepEqual(ids, ['k1'])
    assert.deepEqual(
      [fake.queries()[0]!.tenant, fake.queries()[0]!.authorization],
      ['team-a', `Basic ${Buffer.from('auditor:s3cret').toString('base64')}`],
    )
    await restart({auth: {token: 'glc_token'}})
    fake.addStream(LABELS, [entry(knp(1, 'k1'))])
    assert.deepEqual(
      (await read(source({credentials: {kind: 'bearer', token: 'glc_token'}, credentialsFrom: 'LOKI_BEARER_TOKEN'})))
        .ids,
      ['k1'],
    )
    assert.equal(fake.queries()[0]!.authorization, 'Bearer glc_token')
  })

  it('checks TLS against the CA given, and not at all when told', async () => {
    await restart({tls: true})
    fake.addStream(LABELS, [entry(knp(1, 'k1'))])
    assert.deepEqual((await read(source({ca: fake.caPem}))).ids, ['k1'])
    assert.deepEqual((await read(source({insecure: true}))).ids, ['k1'])
    const error = await source()
      .start(FILTER)
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    assert.ok(error instanceof UserError)
    assert.match(
      error.message,
      /^Loki at https:\/\/127\.0\.0\.1:\d+ cannot be reached: its certificate is not trusted \(/,
    )
    assert.match(error.hint ?? '', /--loki-ca FILE/)
  })

  it('asks only for the selector and the window without the push-down', async () => {
    fake.addStream(LABELS, [entry(lease(1, 'lease-1')), entry(knp(2, 'k1'))])
    const {ids} = await read(source({}, {pushDown: false}))
    assert.deepEqual(ids, ['lease-1', 'k1'], 'every event of the window, to be filtered here')
    assert.equal(fake.queries()[0]!.params.query, SELECTOR)
    assert.equal(fake.entriesSent, 2)
  })

  it('reads a window with lines but no policy write as an empty answer, not an error', async () => {
    fake.addStream(LABELS, [entry(lease(1, 'lease-1'))])
    const {ids, stats} = await read(source())
    assert.deepEqual([ids, stats.events, stats.error], [[], 0, null])
    assert.deepEqual(
      fake.queries().map((q) => q.params.query),
      [lokiQuery(FILTER, SELECTOR), SELECTOR],
      'then asked whether the selector holds any line at all',
    )
    assert.equal(fake.queries()[1]!.params.limit, '1')
  })

  // [case, set up the fake (returns the endpoint's changes and the selector), message, hint]
  type Setup = (f: FakeLoki) => Promise<{over?: Partial<LokiEndpoint>; selector?: string}>
  const refusals: Array<[string, Setup, RegExp, RegExp]> = [
    [
      'no credentials where the gateway wants some',
      async () => {
        await restart({auth: {username: 'auditor', password: 's3cret'}})
        return {}
      },
      /^Loki at http:\/\/127\.0\.0\.1:\d+ asks for credentials \(401: Unauthorized\)$/,
      /^set LOKI_USERNAME and LOKI_PASSWORD, or LOKI_BEARER_TOKEN$/,
    ],
    [
      'wrong credentials',
      async () => {
        await restart({auth: {username: 'auditor', password: 's3cret'}})
        return {
          over: {
            credentials: {kind: 'basic', username: 'auditor', password: 'wrong'},
            credentialsFrom: 'LOKI_USERNAME and LOKI_PASSWORD',
          },
        }
      },
      /^Loki at http:\/\/127\.0\.0\.1:\d+ refused the credentials in LOKI_USERNAME and LOKI_PASSWORD \(401: Unauthorized\)$/,
      /^check LOKI_USERNAME and LOKI_PASSWORD$/,
    ],
    [
      'a multi-tenant Loki asked without a tenant',
      async () => {
        await restart({multiTenant: true})
        return {}
      },
      /^Loki at http:\/\/127\.0\.0\.1:\d+ is multi-tenant and was asked without a tenant \(401: no org id\)$/,
      /--loki-tenant TENANT/,
    ],
    [
      'a tenant the credentials may not read',
      async () => {
        await restart({multiTenant: true, auth: {token: 't'}})
        fake.forbiddenTenants.add('team-b')
        return {
          over: {tenant: 'team-b', credentials: {kind: 'bearer', token: 't'}, credentialsFrom: 'LOKI_BEARER_TOKEN'},
        }
      },
      /^not allowed to read logs from Loki at http:\/\/127\.0\.0\.1:\d+ \(tenant team-b\) with the credentials in LOKI_BEARER_TOKEN \(403: tenant team-b may not read logs\)$/,
      /LOKI_BEARER_TOKEN need read access to the logs of tenant team-b/,
    ],
    [
      'a selector Loki cannot parse',
      async () => ({selector: '{job="audit"'}),
      /^Loki refused the query: parse error at line 1, col \d+: syntax error: unexpected /,
      /^check --loki-selector \{job="audit": a LogQL stream selector/,
    ],
    [
      'a selector that may match every stream',
      async () => ({selector: '{job=~".*"}'}),
      /^Loki refused the query: parse error : queries require at least one regexp or equality matcher/,
      /--loki-selector/,
    ],
    [
      "a URL that is not Loki's base",
      async () => ({over: {url: `${fake.url}/grafana`}}),
      /^Loki at http:\/\/127\.0\.0\.1:\d+\/grafana has no query API \(404 on \/loki\/api\/v1\/query_range\)$/,
      /without \/loki\/api\/v1/,
    ],
    [
      'nothing listening',
      async () => {
        const url = fake.url
        await fake.close()
        return {over: {url}}
      },
      /^Loki at http:\/\/127\.0\.0\.1:\d+ cannot be reached: connection refused$/,
      /kubectl port-forward -n loki svc\/loki-gateway 3100:80/,
    ],
    [
      'no line matches the selector',
      async (f) => {
        f.addStream({job: 'apiserver-audit', cluster: 'prod'}, [entry(knp(1, 'k1'))])
        f.addStream({job: 'kubelet'}, [entry(lease(1, 'l1'))])
        return {}
      },
      /^no line in Loki matches \{job="integrations\/kubernetes-audit"\} from 2026-11-24T09:59:00Z to 2026-11-24T11:05:00Z: the audit log is shipped with other labels, or was not shipped then$/,
      /^give the audit log's stream selector, e.g. --loki-selector '\{job="NAME"\}' \(jobs in this Loki then: apiserver-audit, kubelet\), or widen --since$/,
    ],
  ]
  for (const [name, setUp, message, hint] of refusals) {
    it(`says in one line what stops it before anything is read: ${name}`, async () => {
      const {over, selector} = await setUp(fake)
      const loki = source(over, {}, selector)
      const error = await loki.start(FILTER).then(
        () => undefined,
        (e: unknown) => e,
      )
      await loki.close()
      assert.ok(error instanceof UserError, String(error))
      assert.match(error.message, message)
      assert.match(error.hint ?? '', hint)
      assert.doesNotMatch(error.message, /\n/)
    })
  }
})
