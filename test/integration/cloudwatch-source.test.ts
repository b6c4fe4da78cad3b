// The CloudWatch Logs query source against a loopback CloudWatch (test/support/fake-cloudwatch),
// through the real SDK: what it asks (the pushed-down filter and window) is asserted, and so are
// paging through empty pages, pacing to the quota, backing off when throttled, resuming at the
// last timestamp when a token is refused, the events CloudWatch cut, and each error as one line.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {WATCHED_RESOURCES, WATCHED_RESOURCE_NAMES} from '../../src/audit/catalog.js'
import type {AuditEvent} from '../../src/audit/event.js'
import {UserError} from '../../src/errors.js'
import {readSources} from '../../src/reading/read.js'
import {CloudWatchSource, type CloudWatchPacing, type CloudWatchTarget} from '../../src/sources/cloudwatch.js'
import type {QueryFilter} from '../../src/sources/source.js'
import {AUDIT_STREAM, truncatedMessage} from '../support/cloudwatch-records.js'
import {eventsAfter} from '../support/events.js'
import {FakeCloudWatch, storedEvent} from '../support/fake-cloudwatch.js'

const GROUP = '/aws/eks/prod-eu/cluster'
const T0 = Date.parse('2026-11-24T10:00:00Z')
const FAST: CloudWatchPacing = {requestsPerSecond: 1000, backoffMs: 5, attempts: 4, resumes: 3}
const ALL_WATCHED: QueryFilter['resources'] = WATCHED_RESOURCES.map(({apiGroup, resource}) => ({apiGroup, resource}))
const FILTER: QueryFilter = {
  sinceMs: T0,
  untilMs: T0 + 3_600_000,
  resources: ALL_WATCHED,
  verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'],
  users: [],
  namespaces: [],
}

const {at, knp, lease} = eventsAfter(T0)
const stored = (event: Record<string, unknown> | string, options: {timestamp?: number; stream?: string} = {}) =>
  storedEvent({
    timestamp: options.timestamp ?? Date.parse(String((event as Record<string, unknown>).stageTimestamp)),
    message: typeof event === 'string' ? event : JSON.stringify(event),
    logStreamName: options.stream ?? AUDIT_STREAM,
  })

describe('CloudWatch Logs query source (loopback CloudWatch)', () => {
  let fake: FakeCloudWatch
  const saved = {...process.env}
  beforeEach(async () => {
    fake = await new FakeCloudWatch({perSecond: 5}).start()
    for (const [name, value] of Object.entries(fake.env())) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })
  afterEach(async () => {
    await fake.close()
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
    Object.assign(process.env, saved)
  })

  const target = (over: Partial<CloudWatchTarget> = {}): CloudWatchTarget => ({
    logGroup: GROUP,
    region: 'eu-west-1',
    profile: null,
    roleArn: null,
    ...over,
  })

  async function read(source: CloudWatchSource, filter = FILTER) {
    await source.start(filter)
    const added: AuditEvent[] = []
    const [stats] = await readSources([source], {
      window: {sinceMs: filter.sinceMs, untilMs: filter.untilMs},
      query: filter,
      sink: {add: (event) => added.push(event)},
    })
    assert.equal(stats!.error, null)
    return {stats: stats!, ids: added.map((e) => e.auditID)}
  }

  it('pushes the window, the audit streams and a JSON pattern into FilterLogEvents, and gets only the writes back', async () => {
    fake.addEvents(GROUP, [
      stored(lease(1, 'lease-1')),
      stored(knp(2, 'knp-create')),
      stored(
        at(3, {
          auditID: 'gnp-patch',
          verb: 'patch',
          apiGroup: 'projectcalico.org',
          resource: 'globalnetworkpolicies',
          name: 'deny-all',
        }),
      ),
      stored(
        at(4, {
          auditID: 'knp-get',
          verb: 'get',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'shop',
        }),
      ),
      // The api log type's stream: `kube-apiserver-` would have matched it too.
      stored(JSON.stringify(knp(5, 'not-an-audit-stream')), {
        timestamp: T0 + 5000,
        stream: 'kube-apiserver-0123456789abcdef0123456789abcdef',
      }),
      stored(knp(3 * 3600, 'after-the-window')),
    ])
    const source = new CloudWatchSource(target(), FAST)
    const {stats, ids} = await read(source)
    assert.deepEqual(ids, ['knp-create', 'gnp-patch'])
    const [first] = fake.filterRequests()
    assert.deepEqual(first!.body, {
      logGroupName: GROUP,
      logStreamNamePrefix: 'kube-apiserver-audit',
      startTime: T0 - 60_000,
      endTime: T0 + 3_600_000 + 300_000,
      // Every watched resource, in whichever group: the pattern asks for names alone.
      filterPattern: `{ (${WATCHED_RESOURCE_NAMES.map((name) => `$.objectRef.resource = "${name}"`).join(' || ')}) && ($.verb = "create" || $.verb = "update" || $.verb = "patch" || $.verb = "delete" || $.verb = "deletecollection") }`,
    })
    assert.equal(
      fake.filterRequests()[1]!.body.filterPattern,
      '"[Truncated...]"',
      'then the events CloudWatch cut, by their mark',
    )
    assert.deepEqual([stats.events, stats.malformed, stats.format], [2, 0, 'cloudwatch'])
    assert.equal(fake.eventsSent, 2, 'the lease, the read and the other stream never left CloudWatch')
    assert.ok(stats.bytesRead > 0 && stats.bytesRead === fake.bytesSent, 'bytes as received')
  })

  it("pushes --verb, --user and -n, keeping the Calico API server's backing writes", async () => {
    const filter: QueryFilter = {...FILTER, verbs: ['patch'], users: ['alice'], namespaces: ['shop']}
    fake.addEvents(GROUP, [
      stored(
        at(1, {
          auditID: 'alice-patch',
          verb: 'patch',
          user: 'alice',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'shop',
        }),
      ),
      stored(
        at(2, {
          auditID: 'bob-patch',
          verb: 'patch',
          user: 'bob',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'shop',
        }),
      ),
      stored(
        at(3, {
          auditID: 'alice-create',
          verb: 'create',
          user: 'alice',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'shop',
        }),
      ),
      stored(
        at(4, {
          auditID: 'alice-other-ns',
          verb: 'patch',
          user: 'alice',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'dev',
        }),
      ),
      stored(
        at(5, {
          auditID: 'as-alice',
          verb: 'patch',
          user: 'ci',
          impersonatedUser: 'alice',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'shop',
        }),
      ),
      stored(
        at(6, {
          auditID: 'backing-update',
          verb: 'update',
          user: 'system:serviceaccount:calico-apiserver:calico-apiserver',
          apiGroup: 'crd.projectcalico.org',
          resource: 'globalnetworkpolicies',
          namespace: 'shop',
        }),
      ),
    ])
    const {ids} = await read(new CloudWatchSource(target(), FAST), filter)
    assert.deepEqual(ids, ['alice-patch', 'as-alice', 'backing-update'])
    const pattern = String(fake.filterRequests()[0]!.body.filterPattern)
    assert.match(
      pattern,
      /\(\$\.verb = "patch" \|\| \(\$\.objectRef\.apiGroup = "crd\.projectcalico\.org" && \(\$\.verb = "create"/,
    )
    assert.match(
      pattern,
      /\(\$\.user\.username = "alice" \|\| \$\.impersonatedUser\.username = "alice" \|\| \$\.objectRef\.apiGroup = "crd\.projectcalico\.org"\)/,
    )
    assert.match(pattern, /\$\.objectRef\.namespace = "shop"/)
  })

  it('leaves a --user glob to be filtered after decoding', async () => {
    fake.addEvents(GROUP, [stored(knp(1, 'k1', {user: 'system:serviceaccount:ci:deployer'}))])
    await read(new CloudWatchSource(target(), FAST), {...FILTER, users: ['system:serviceaccount:*']})
    assert.doesNotMatch(String(fake.filterRequests()[0]!.body.filterPattern), /username/)
  })

  it('pages until there is no nextToken, through empty pages, and never drops or repeats an event', async () => {
    const slow = new FakeCloudWatch({pageEvents: 2, scanEvents: 4})
    await fake.close()
    fake = await slow.start()
    process.env.AWS_ENDPOINT_URL = fake.url
    fake.emptyPagesFirst = 2
    const events = Array.from({length: 20}, (_, i) => (i % 3 === 0 ? knp(i, `k${i}`) : lease(i, `l${i}`)))
    fake.addEvents(
      GROUP,
      events.map((e) => stored(e)),
    )
    const {ids} = await read(new CloudWatchSource(target(), FAST))
    assert.deepEqual(ids, ['k0', 'k3', 'k6', 'k9', 'k12', 'k15', 'k18'])
    const main = fake.filterRequests().filter((r) => r.body.filterPattern !== '"[Truncated...]"')
    const emptyAnswers = main.length - 4
    assert.ok(
      main.length >= 7,
      `${main.length} requests: two empty pages first, then pages of at most two events over scans of four`,
    )
    assert.ok(emptyAnswers >= 2)
    assert.equal(main.at(-1)!.body.nextToken !== undefined, true, 'the last request carried a token')
  })

  it('keeps to 5 requests a second, and backs off when throttled', async () => {
    const paged = new FakeCloudWatch({pageEvents: 1, perSecond: 5})
    await fake.close()
    fake = await paged.start()
    process.env.AWS_ENDPOINT_URL = fake.url
    fake.addEvents(
      GROUP,
      Array.from({length: 8}, (_, i) => stored(knp(i, `k${i}`))),
    )
    fake.throttleNext = 2
    const source = new CloudWatchSource(target(), {...FAST, requestsPerSecond: 5, backoffMs: 300})
    const {ids} = await read(source)
    assert.equal(ids.length, 8)
    assert.equal(source.counters.throttled, 2, 'only the two throttles asked for: pacing kept within the quota')
    const times = fake.filterRequests().map((r) => r.at)
    for (let i = 5; i < times.length; i++)
      assert.ok(times[i]! - times[i - 5]! >= 990, `requests ${i - 5}..${i} within a second`)
    assert.ok(times[2]! - times[0]! >= 150 + 300, 'waited after each throttle, longer the second time')
  })

  it('resumes at the last timestamp when a token is refused: events sharing a millisecond are neither lost nor doubled', async () => {
    const paged = new FakeCloudWatch({pageEvents: 2})
    await fake.close()
    fake = await paged.start()
    process.env.AWS_ENDPOINT_URL = fake.url
    const same = T0 + 7000
    fake.addEvents(GROUP, [
      stored(knp(1, 'before')),
      ...['m1', 'm2', 'm3', 'm4', 'm5'].map((id) => stored(knp(7, id), {timestamp: same})),
      stored(knp(9, 'after')),
    ])
    // The second token handed out (after the page holding m1 and m2) is refused.
    fake.refuseTokens.add(2)
    const source = new CloudWatchSource(target(), FAST)
    const {ids} = await read(source)
    assert.deepEqual(ids, ['before', 'm1', 'm2', 'm3', 'm4', 'm5', 'after'])
    assert.equal(source.counters.resumed, 1)
    const requests = fake.filterRequests()
    const refused = requests.findIndex(
      (r, i) => i > 0 && r.body.nextToken !== undefined && requests[i + 1]?.body.nextToken === undefined,
    )
    const resumed = requests[refused + 1]!
    assert.equal(resumed.body.startTime, same, 'at the last timestamp, not one after it')
    assert.equal(resumed.body.nextToken, undefined)
  })

  it('counts the events CloudWatch cut and names those that may be policy writes', async () => {
    fake.addEvents(GROUP, [
      stored(knp(1, 'whole')),
      stored(truncatedMessage(knp(2, 'cut-knp'), 900), {timestamp: T0 + 2000}),
      stored(truncatedMessage(lease(3, 'cut-lease'), 900), {timestamp: T0 + 3000}),
    ])
    const {stats, ids} = await read(new CloudWatchSource(target(), FAST))
    assert.deepEqual(ids, ['whole'])
    assert.deepEqual([stats.truncated, stats.truncatedIDs, stats.malformed], [1, ['cut-knp'], 1])
  })

  // [case, set up the fake (and the target), expected message, expected hint]
  const refusals: Array<[string, (f: FakeCloudWatch) => Partial<CloudWatchTarget>, RegExp, RegExp]> = [
    [
      'no permission',
      (f) => {
        f.denyLogs = true
        return {}
      },
      /^not allowed to read the audit log: logs:FilterLogEvents on log group \/aws\/eks\/prod-eu\/cluster \(eu-west-1\) was refused$/,
      /allows logs:FilterLogEvents on arn:aws:logs:eu-west-1:ACCOUNT:log-group:\/aws\/eks\/prod-eu\/cluster:\*/,
    ],
    [
      'no log group: audit logging never turned on',
      () => ({logGroup: '/aws/eks/staging/cluster'}),
      /^log group \/aws\/eks\/staging\/cluster \(eu-west-1\) does not exist: EKS does not send cluster staging's audit log to CloudWatch Logs$/,
      /^turn it on: aws eks update-cluster-config --region eu-west-1 --name staging --logging '\{"clusterLogging":\[\{"types":\["audit"\],"enabled":true\}\]\}'$/,
    ],
    [
      'an empty window',
      (f) => {
        f.group(GROUP)
        return {}
      },
      /^no EKS audit events in \/aws\/eks\/prod-eu\/cluster \(streams kube-apiserver-audit\*\) from 2026-11-24T10:00:00Z to 2026-11-24T11:00:00Z: the audit log type was off then/,
      /^widen --since, or turn the audit log on: aws eks update-cluster-config/,
    ],
    [
      'no credentials',
      () => {
        delete process.env.AWS_ACCESS_KEY_ID
        delete process.env.AWS_SECRET_ACCESS_KEY
        return {}
      },
      /^no usable AWS credentials for CloudWatch Logs: /,
      /^sign in as you do for kubectl on this cluster/,
    ],
    ['no region', () => ({region: null}), /^no AWS region for CloudWatch Logs/, /--region REGION/],
  ]
  for (const [name, setUp, message, hint] of refusals) {
    it(`says in one line what stops it before anything is read: ${name}`, async () => {
      const source = new CloudWatchSource(target(setUp(fake)), FAST)
      const error = await source.start(FILTER).then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.ok(error instanceof UserError, String(error))
      assert.match(error.message, message)
      assert.match(error.hint ?? '', hint)
      assert.doesNotMatch(error.message, /\n/)
    })
  }

  it('reads a window with events but no policy write as an empty answer, not an error', async () => {
    fake.addEvents(GROUP, [stored(lease(1, 'lease-1'))])
    const {ids, stats} = await read(new CloudWatchSource(target(), FAST))
    assert.deepEqual([ids, stats.events, stats.error], [[], 0, null])
  })

  it('keeps what it read when CloudWatch fails part-way, and says why the rest is missing', async () => {
    const paged = new FakeCloudWatch({pageEvents: 1})
    await fake.close()
    fake = await paged.start()
    process.env.AWS_ENDPOINT_URL = fake.url
    fake.addEvents(GROUP, [stored(knp(1, 'k1')), stored(knp(2, 'k2')), stored(knp(3, 'k3'))])
    const source = new CloudWatchSource(target(), FAST)
    await source.start(FILTER)
    fake.throttleNext = 100
    const added: string[] = []
    const [stats] = await readSources([source], {
      window: {sinceMs: T0, untilMs: null},
      query: FILTER,
      sink: {add: (e) => added.push(e.auditID)},
    })
    assert.deepEqual(added, ['k1'])
    assert.match(stats!.error ?? '', /ThrottlingException|Rate exceeded/)
  })

  it('uses the profile the kubeconfig names, and assumes the role it names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-aws-'))
    try {
      writeFileSync(
        join(dir, 'credentials'),
        '[prod]\naws_access_key_id = AKIAFAKEPROFILE00000\naws_secret_access_key = fake\n',
      )
      writeFileSync(join(dir, 'config'), '[profile prod]\nregion = eu-west-1\n')
      process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials')
      process.env.AWS_CONFIG_FILE = join(dir, 'config')
      fake.addEvents(GROUP, [stored(knp(1, 'k1'))])
      await read(new CloudWatchSource(target({profile: 'prod', region: null}), FAST))
      assert.deepEqual(
        [...new Set(fake.filterRequests().map((r) => r.accessKey))],
        ['AKIAFAKEPROFILE00000'],
        'the profile wins over the keys in the environment, as for the credential plugin',
      )
      fake.requests.length = 0
      await read(
        new CloudWatchSource(target({profile: 'prod', roleArn: 'arn:aws:iam::123456789012:role/eks-auditor'}), FAST),
      )
      const assume = fake.requests.find((r) => r.action === 'AssumeRole')
      assert.equal(assume?.body.RoleArn, 'arn:aws:iam::123456789012:role/eks-auditor')
      assert.equal(assume?.accessKey, 'AKIAFAKEPROFILE00000', "the role is assumed with the profile's credentials")
      assert.deepEqual([...new Set(fake.filterRequests().map((r) => r.accessKey))], ['ASIAFAKEASSUMED00000'])
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
