// `kubectl audit policies` on an EKS context: the CLI infers the cluster and region from the
// kubeconfig that `aws eks update-kubeconfig` writes, says so in one line, and reads the audit log
// from a loopback CloudWatch Logs (through the SDK's standard endpoint variables), with the filter
// pushed down. What stops it before anything is read is one line and its remedy, exit 2.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {runCli} from '../support/cli.js'
import {AUDIT_STREAM, truncatedMessage} from '../support/cloudwatch-records.js'
import {auditEvent, type EventSpec} from '../support/events.js'
import {FakeCloudWatch, storedEvent} from '../support/fake-cloudwatch.js'
import {startCommand} from '../support/watch.js'

const ARN = 'arn:aws:eks:eu-west-1:123456789012:cluster/prod-eu'
const GROUP = '/aws/eks/prod-eu/cluster'
const T0 = Date.parse('2026-11-24T10:00:00Z')
const WINDOW = ['--since-time', '2026-11-24T10:00:00Z', '--until-time', '2026-11-24T11:00:00Z']

/** What `aws eks update-kubeconfig --name prod-eu --region eu-west-1 [--profile P]` writes. */
function eksKubeconfig(profile?: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- cluster:
    server: https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com
    certificate-authority-data: ""
  name: ${ARN}
contexts:
- context:
    cluster: ${ARN}
    user: ${ARN}
  name: ${ARN}
current-context: ${ARN}
preferences: {}
users:
- name: ${ARN}
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [--region, eu-west-1, eks, get-token, --cluster-name, prod-eu, --output, json]
${profile ? `      env:\n      - name: AWS_PROFILE\n        value: ${profile}\n` : ''}`
}

const at = (second: number, spec: EventSpec) =>
  auditEvent({time: new Date(T0 + second * 1000).toISOString().replace('Z', '000Z'), code: 201, ...spec})
const stored = (event: Record<string, unknown> | string, timestamp?: number) =>
  storedEvent({
    timestamp: timestamp ?? Date.parse(String((event as Record<string, unknown>).stageTimestamp)),
    message: typeof event === 'string' ? event : JSON.stringify(event),
    logStreamName: AUDIT_STREAM,
  })

describe('policies on an EKS cluster (loopback CloudWatch Logs)', () => {
  let fake: FakeCloudWatch
  let dir: string
  let kubeconfig: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-eks-'))
    kubeconfig = join(dir, 'config')
    writeFileSync(kubeconfig, eksKubeconfig())
  })
  after(() => rmSync(dir, {recursive: true, force: true}))
  beforeEach(async () => {
    fake = await new FakeCloudWatch({perSecond: 5}).start()
  })
  afterEach(() => fake.close())

  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(['policies', ...args], {env: fake.env({KUBECONFIG: kubeconfig, ...env})})

  it('infers cluster and region from the context, says so, and reads the writes CloudWatch sends back', async () => {
    fake.addEvents(GROUP, [
      stored(
        at(1, {
          auditID: 'lease',
          verb: 'update',
          apiGroup: 'coordination.k8s.io',
          resource: 'leases',
          namespace: 'kube-system',
        }),
      ),
      stored(
        at(2, {
          auditID: 'knp',
          verb: 'create',
          user: 'alice',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'shop',
          name: 'web',
        }),
      ),
      stored(
        at(3, {
          auditID: 'gnp',
          verb: 'patch',
          user: 'bob',
          apiGroup: 'projectcalico.org',
          resource: 'globalnetworkpolicies',
          name: 'default.deny-all',
          code: 200,
        }),
      ),
      stored(
        at(4, {
          auditID: 'gnp',
          verb: 'update',
          user: 'system:serviceaccount:calico-apiserver:calico-apiserver',
          apiGroup: 'crd.projectcalico.org',
          resource: 'globalnetworkpolicies',
          name: 'default.deny-all',
          code: 200,
        }),
      ),
    ])
    // The service's own endpoint variable, as a VPC endpoint user sets it.
    const result = await run([...WINDOW, '-o', 'json'], {
      AWS_ENDPOINT_URL: undefined,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: fake.url,
    })
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stderr, 'reading EKS audit logs of cluster prod-eu (eu-west-1) from CloudWatch Logs\n')
    const report = JSON.parse(result.stdout) as PolicyChangeReport
    assert.deepEqual(
      report.changes.map((c) => [c.auditID, c.user, c.verb, c.resource, c.source]),
      [
        ['knp', 'alice', 'create', 'networkpolicies', `cloudwatch:${GROUP}`],
        ['gnp', 'bob', 'patch', 'globalnetworkpolicies', `cloudwatch:${GROUP}`],
      ],
    )
    assert.deepEqual(
      report.sources.map((s) => [s.name, s.events, s.malformed]),
      [[`cloudwatch:${GROUP}`, 3, 0]],
    )
    const [first] = fake.filterRequests()
    assert.equal(first!.body.startTime, T0 - 60_000)
    assert.equal(first!.body.endTime, T0 + 3_600_000 + 300_000)
    assert.equal(first!.body.logStreamNamePrefix, 'kube-apiserver-audit')
    assert.match(String(first!.body.filterPattern), /^\{ \(\$\.objectRef\.resource = "globalnetworkpolicies" \|\| /)
  })

  it('follows CloudWatch Logs with --watch: the window at the first ask, then each write as it reaches the log group, once', async function () {
    this.timeout(60_000)
    const write = (auditID: string, ms: number) =>
      stored(
        auditEvent({
          auditID,
          verb: 'patch',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'shop',
          name: 'allow-web',
          code: 200,
          time: new Date(ms).toISOString().replace('Z', '000Z'),
        }),
      )
    fake.addEvents(GROUP, [write('before', T0 + 2000)])
    const watch = startCommand(
      ['policies', '--since-time', '2026-11-24T10:00:00Z', '--watch', '-o', 'json'],
      fake.env({KUBECONFIG: kubeconfig}),
    )
    try {
      await watch.waitFor('"auditID":"before"')
      await watch.waitFor(/following cloudwatch:\S+ for new changes/, {stream: 'stderr'})
      fake.addEvents(GROUP, [write('now', Date.now())])
      await watch.waitFor('"auditID":"now"', {timeoutMs: 20_000})
      // Written 30 s ago, it reaches CloudWatch only now (delivery is "within minutes"): still shown, once.
      fake.addEvents(GROUP, [write('late', Date.now() - 30_000)])
      await watch.waitFor('"auditID":"late"', {timeoutMs: 20_000})
    } finally {
      const {code, stdout, stderr} = await watch.stop('SIGINT')
      assert.equal(code, 0, stderr)
      const lines = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
      assert.deepEqual(
        lines.slice(0, -1).map((change) => change.auditID),
        ['before', 'now', 'late'],
        'each once, in the order they reached the store',
      )
      assert.equal(lines.at(-1)!.kind, 'PolicyChangeSummary')
      assert.match(stderr, /cloudwatch:\S+: a log store is asked, not followed: every 5 s, for the last 5 min/)
    }
    // The first ask is the window; each later one starts 5 minutes before the ask before it, no sooner than 5 s apart.
    // One ask: the query for the writes (then one for the events CloudWatch cut short).
    const asks = fake
      .filterRequests()
      .filter((r) => r.body.nextToken === undefined && r.body.filterPattern !== '"[Truncated...]"')
    assert.ok(asks.length >= 2, `${asks.length} asks`)
    // (The source widens each ask by its own slack.)
    assert.ok(Number(asks[0]!.body.startTime) <= T0)
    for (const ask of asks.slice(1))
      assert.ok(
        Number(ask.body.startTime) > Date.now() - 7 * 60_000,
        JSON.stringify(asks.map((r) => [r.body.startTime, r.body.filterPattern?.toString().slice(0, 30)])),
      )
    const starts = asks.map((r) => r.at)
    for (let k = 1; k < starts.length; k++) assert.ok(starts[k]! - starts[k - 1]! >= 4500, `asks ${starts.join(', ')}`)
  })

  it('reads another cluster with --source cloudwatch, --cluster-name and --region, with no kubeconfig at all', async () => {
    fake.addEvents('/aws/eks/staging/cluster', [
      stored(
        at(2, {
          auditID: 'knp',
          verb: 'delete',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'shop',
          name: 'web',
          code: 200,
        }),
      ),
    ])
    const result = await run(
      ['--source', 'cloudwatch', '--cluster-name', 'staging', '--region', 'us-east-2', ...WINDOW, '-o', 'json'],
      {KUBECONFIG: join(dir, 'missing')},
    )
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stderr, 'reading EKS audit logs of cluster staging (us-east-2) from CloudWatch Logs\n')
    assert.deepEqual(
      (JSON.parse(result.stdout) as PolicyChangeReport).changes.map((c) => c.auditID),
      ['knp'],
    )
  })

  it('uses the AWS profile the kubeconfig sets for its credential plugin', async () => {
    writeFileSync(
      join(dir, 'credentials'),
      '[prod-admin]\naws_access_key_id = AKIAFAKEPROFILE00000\naws_secret_access_key = fake\n',
    )
    writeFileSync(join(dir, 'profile-config'), eksKubeconfig('prod-admin'))
    fake.addEvents(GROUP, [
      stored(
        at(2, {
          auditID: 'knp',
          verb: 'create',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'shop',
        }),
      ),
    ])
    const result = await run([...WINDOW], {
      KUBECONFIG: join(dir, 'profile-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    })
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual([...new Set(fake.filterRequests().map((r) => r.accessKey))], ['AKIAFAKEPROFILE00000'])
  })

  it('names the events CloudWatch cut, by audit ID', async () => {
    fake.addEvents(GROUP, [
      stored(
        at(2, {
          auditID: 'knp',
          verb: 'create',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'shop',
        }),
      ),
      stored(
        truncatedMessage(
          at(3, {
            auditID: 'big-knp-update',
            verb: 'update',
            apiGroup: 'networking.k8s.io',
            resource: 'networkpolicies',
            namespace: 'shop',
          }),
          700,
        ),
        T0 + 3000,
      ),
    ])
    const result = await run([...WINDOW, '-o', 'json'])
    assert.equal(result.code, 0, result.stderr)
    assert.match(
      result.stderr,
      /^warning: cloudwatch:\/aws\/eks\/prod-eu\/cluster: 1 event was cut short by CloudWatch Logs \(\[Truncated\.\.\.\]\) and cannot be read; audit ID big-knp-update$/m,
    )
  })

  // [case, set up the fake, extra arguments, extra env, error, hint]
  const stops: Array<[string, (f: FakeCloudWatch) => void, string[], NodeJS.ProcessEnv, RegExp, RegExp]> = [
    [
      'no permission',
      (f) => {
        f.denyLogs = true
      },
      [],
      {},
      /^error: not allowed to read the audit log: logs:FilterLogEvents on log group \/aws\/eks\/prod-eu\/cluster \(eu-west-1\) was refused$/,
      /^hint: ask for an IAM policy that allows logs:FilterLogEvents on arn:aws:logs:eu-west-1:ACCOUNT:log-group:\/aws\/eks\/prod-eu\/cluster:\*$/,
    ],
    [
      'audit logging never turned on (no log group)',
      () => {},
      [],
      {},
      /^error: log group \/aws\/eks\/prod-eu\/cluster \(eu-west-1\) does not exist: EKS does not send cluster prod-eu's audit log to CloudWatch Logs$/,
      /^hint: turn it on: aws eks update-cluster-config --region eu-west-1 --name prod-eu --logging '\{"clusterLogging":\[\{"types":\["audit"\],"enabled":true\}\]\}'$/,
    ],
    [
      'an empty window',
      (f) => f.addEvents(GROUP, [stored(at(7200, {auditID: 'later', verb: 'get', resource: 'pods'}))]),
      [],
      {},
      /^error: no EKS audit events in \/aws\/eks\/prod-eu\/cluster \(streams kube-apiserver-audit\*\) from 2026-11-24T10:00:00Z to 2026-11-24T11:00:00Z: /,
      /^hint: widen --since, or turn the audit log on: /,
    ],
    [
      'no credentials',
      (f) => f.group(GROUP),
      [],
      {AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined},
      /^error: no usable AWS credentials for CloudWatch Logs: /,
      /^hint: sign in as you do for kubectl on this cluster: aws sso login/,
    ],
    [
      'no cluster to read',
      () => {},
      ['--source', 'cloudwatch'],
      {KUBECONFIG: '/nonexistent/kubeconfig'},
      /^error: cannot tell which EKS cluster's audit log to read: there is no kubeconfig$/,
      /^hint: name it: --cluster-name NAME --region REGION/,
    ],
  ]
  for (const [name, setUp, args, env, error, hint] of stops) {
    it(`stops with one line and its remedy, exit 2: ${name}`, async () => {
      setUp(fake)
      const result = await run([...WINDOW, ...args], env)
      assert.equal(result.code, 2, result.stderr)
      const lines = result.stderr.trimEnd().split('\n')
      assert.equal(lines.length, 2, result.stderr)
      assert.match(lines[0]!, error)
      assert.match(lines[1]!, hint)
      assert.equal(result.stdout, '')
    })
  }
})
