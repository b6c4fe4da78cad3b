// The CloudWatch rows of `npm run bench`: a loopback CloudWatch Logs holding an EKS cluster's audit
// log (a million events by default, one in a thousand a network policy write), read by
// `kubectl audit policies --source cloudwatch` with the filter pushed down, against a full read
// (FilterLogEvents without a pattern, as a tool that filters on its own side must read, then the
// same events given to `policies -f`). Both keep to FilterLogEvents' quota of 5 requests a second,
// which the fake enforces. Prints requests made, events and bytes transferred, and the time.
import {CloudWatchLogsClient, FilterLogEventsCommand} from '@aws-sdk/client-cloudwatch-logs'
import {createWriteStream} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {finished} from 'node:stream/promises'

import {AUDIT_STREAM} from '../test/support/cloudwatch-records.js'
import {FakeCloudWatch, pathValue, type StoredEvent} from '../test/support/fake-cloudwatch.js'
import {measure, median} from './lib/measure.js'

const CLUSTER = 'bench'
const GROUP = `/aws/eks/${CLUSTER}/cluster`
const START = Date.parse('2026-11-24T00:00:00Z')
const SPAN_MS = 16 * 3_600_000
/** Events one FilterLogEvents answer scans, in the fake's model of CloudWatch: a selective pattern gets empty pages. */
const SCAN_EVENTS = 100_000

interface Kind {
  readonly verb: string
  readonly apiGroup: string
  readonly resource: string
  readonly user: string
  readonly namespace?: string
  readonly subresource?: string
}

/** The noise of a busy cluster's log, by how often it comes. */
const NOISE: readonly Kind[] = [
  {
    verb: 'update',
    apiGroup: 'coordination.k8s.io',
    resource: 'leases',
    user: 'system:kube-scheduler',
    namespace: 'kube-system',
  },
  {
    verb: 'get',
    apiGroup: 'coordination.k8s.io',
    resource: 'leases',
    user: 'system:kube-controller-manager',
    namespace: 'kube-system',
  },
  {
    verb: 'patch',
    apiGroup: '',
    resource: 'nodes',
    subresource: 'status',
    user: 'system:node:ip-10-0-1-1.eu-west-1.compute.internal',
  },
  {
    verb: 'get',
    apiGroup: '',
    resource: 'pods',
    user: 'system:serviceaccount:kube-system:aws-node',
    namespace: 'kube-system',
  },
  {
    verb: 'watch',
    apiGroup: 'crd.projectcalico.org',
    resource: 'networkpolicies',
    user: 'system:serviceaccount:calico-system:calico-node',
  },
  {
    verb: 'list',
    apiGroup: 'networking.k8s.io',
    resource: 'networkpolicies',
    user: 'system:serviceaccount:calico-system:calico-kube-controllers',
  },
  {
    verb: 'create',
    apiGroup: '',
    resource: 'events',
    user: 'system:serviceaccount:kube-system:replicaset-controller',
    namespace: 'shop',
  },
  {
    verb: 'get',
    apiGroup: '',
    resource: 'configmaps',
    user: 'system:serviceaccount:kube-system:coredns',
    namespace: 'kube-system',
  },
]

/** The writes the run is looking for. */
const WRITES: readonly Kind[] = [
  {verb: 'create', apiGroup: 'networking.k8s.io', resource: 'networkpolicies', user: 'alice', namespace: 'shop'},
  {verb: 'patch', apiGroup: 'projectcalico.org', resource: 'globalnetworkpolicies', user: 'bob'},
  {verb: 'update', apiGroup: 'crd.projectcalico.org', resource: 'tiers', user: 'carol'},
  {verb: 'delete', apiGroup: 'networking.k8s.io', resource: 'networkpolicies', user: 'dave', namespace: 'dev'},
]

/** One stored event, made on demand from its number: a million of them stay small. */
class SyntheticEvent implements StoredEvent {
  readonly logStreamName = AUDIT_STREAM
  readonly timestamp: number
  readonly eventId: string
  constructor(
    private readonly seq: number,
    count: number,
  ) {
    this.timestamp = START + Math.floor((seq * SPAN_MS) / count)
    this.eventId = `${String(this.timestamp).padStart(20, '0')}${String(seq).padStart(36, '0')}`
  }

  private get kind(): Kind {
    return this.seq % 1000 === 500 ? WRITES[((this.seq / 1000) | 0) % WRITES.length]! : NOISE[this.seq % NOISE.length]!
  }

  private event(): Record<string, unknown> {
    const k = this.kind
    const time = new Date(this.timestamp).toISOString().replace('Z', '123Z')
    const name = k.resource === 'nodes' ? 'ip-10-0-1-1.eu-west-1.compute.internal' : `${k.resource}-${this.seq % 97}`
    const objectRef = {
      resource: k.resource,
      ...(k.namespace ? {namespace: k.namespace} : {}),
      name,
      apiGroup: k.apiGroup,
      apiVersion: 'v1',
      ...(k.subresource ? {subresource: k.subresource} : {}),
    }
    return {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      level: 'Metadata',
      auditID: `00000000-0000-4000-8000-${String(this.seq).padStart(12, '0')}`,
      stage: 'ResponseComplete',
      requestURI: `/apis/${k.apiGroup || 'api'}/v1/${k.namespace ? `namespaces/${k.namespace}/` : ''}${k.resource}/${name}`,
      verb: k.verb,
      user: {
        username: k.user,
        groups: ['system:authenticated'],
        extra: {'authentication.kubernetes.io/credential-id': ['X509SHA256=0123456789abcdef']},
      },
      sourceIPs: ['10.0.1.1'],
      userAgent: 'kube-scheduler/v1.31.4 (linux/amd64) kubernetes/eks',
      objectRef,
      responseStatus: {metadata: {}, code: k.verb === 'create' ? 201 : 200},
      requestReceivedTimestamp: time,
      stageTimestamp: time,
      annotations: {
        'authorization.k8s.io/decision': 'allow',
        'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding "system:kube-scheduler"',
      },
    }
  }

  message(): string {
    return JSON.stringify(this.event())
  }

  field(path: string): unknown {
    const k = this.kind
    switch (path) {
      case 'verb':
        return k.verb
      case 'objectRef.resource':
        return k.resource
      case 'objectRef.apiGroup':
        return k.apiGroup
      case 'objectRef.namespace':
        return k.namespace
      case 'user.username':
        return k.user
      case 'impersonatedUser.username':
        return undefined
      default:
        return pathValue(this.event(), path)
    }
  }

  isJson(): boolean {
    return true
  }
}

interface Row {
  readonly variant: string
  readonly requests: number
  readonly events: number
  readonly bytes: number
  readonly seconds: number
  readonly changes: number
}

export async function benchCloudWatch(
  count: number,
  progress: (line: string) => void,
): Promise<{rows: Row[]; problems: string[]}> {
  const fake = await new FakeCloudWatch({perSecond: 5, scanEvents: SCAN_EVENTS}).start()
  const dir = await mkdtemp(path.join(tmpdir(), 'kubectl-audit-bench-cw-'))
  const saved = {...process.env}
  try {
    progress(`  cloudwatch: ${count.toLocaleString('en-US')} events in the fake's log group`)
    const {events} = fake.group(GROUP)
    // One at a time: a million spread into push() overflows the call stack.
    for (let i = 0; i < count; i++) events.push(new SyntheticEvent(i, count))
    for (const [name, value] of Object.entries(fake.env({KUBECONFIG: path.join(dir, 'no-kubeconfig')}))) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
    const cli = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'bin', 'run.js')
    const answer = (stdout: string) => (JSON.parse(stdout) as {changes: unknown[]}).changes.length

    progress('  cloudwatch: push-down (kubectl audit policies --source cloudwatch)')
    const before = snapshot(fake)
    const pushed = await measure(
      [
        process.execPath,
        cli,
        'policies',
        '--source',
        'cloudwatch',
        '--cluster-name',
        CLUSTER,
        '--region',
        'eu-west-1',
        '--since',
        'all',
        '-o',
        'json',
      ],
      1,
    )
    const pushDown: Row = {
      variant: 'push-down: `policies --source cloudwatch`',
      ...since(fake, before),
      seconds: median(pushed.seconds),
      changes: answer(pushed.stdout),
    }

    progress('  cloudwatch: full read (FilterLogEvents without a pattern, paced to the quota), then policies -f')
    const full = await fullRead(fake, path.join(dir, 'full.jsonl'))
    const decode = await measure(
      [process.execPath, cli, 'policies', '-f', path.join(dir, 'full.jsonl'), '--since', 'all', '-o', 'json'],
      1,
    )
    const fullRow: Row = {
      variant: 'full read: FilterLogEvents, no pattern, + `policies -f`',
      ...full.counts,
      seconds: full.seconds + median(decode.seconds),
      changes: answer(decode.stdout),
    }
    const problems =
      pushDown.changes === fullRow.changes
        ? []
        : [`cloudwatch: the push-down found ${pushDown.changes} changes, the full read ${fullRow.changes}`]
    return {rows: [pushDown, fullRow], problems}
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
    Object.assign(process.env, saved)
    await fake.close()
    await rm(dir, {recursive: true, force: true})
  }
}

function snapshot(fake: FakeCloudWatch) {
  return {requests: fake.filterRequests().length, events: fake.eventsSent, bytes: fake.bytesSent}
}

function since(fake: FakeCloudWatch, before: ReturnType<typeof snapshot>) {
  const now = snapshot(fake)
  return {requests: now.requests - before.requests, events: now.events - before.events, bytes: now.bytes - before.bytes}
}

/** What a tool without push-down does: every event of the audit streams, a page at a time, at the quota. */
async function fullRead(
  fake: FakeCloudWatch,
  file: string,
): Promise<{counts: ReturnType<typeof since>; seconds: number}> {
  const before = snapshot(fake)
  const started = performance.now()
  const client = new CloudWatchLogsClient({region: 'eu-west-1', maxAttempts: 10})
  const out = createWriteStream(file)
  let nextToken: string | undefined
  let last = 0
  // Bounded: the fake's group ends, and so does its token chain.
  for (let page = 0; page < 100_000; page++) {
    const wait = last + 220 - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    last = performance.now()
    const answer = await client.send(
      new FilterLogEventsCommand({
        logGroupName: GROUP,
        logStreamNamePrefix: 'kube-apiserver-audit',
        ...(nextToken ? {nextToken} : {}),
      }),
    )
    for (const event of answer.events ?? [])
      if (!out.write(`${event.message}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
    nextToken = answer.nextToken
    if (!nextToken) break
  }
  out.end()
  await finished(out)
  return {counts: since(fake, before), seconds: (performance.now() - started) / 1000}
}

export function cloudWatchTable(rows: readonly Row[], count: number): string {
  const [pushed, full] = rows
  const lines = [
    `\n### CloudWatch Logs (EKS): ${count.toLocaleString('en-US')} audit events on a loopback CloudWatch, 16 h, ${(count / 1000).toLocaleString('en-US')} policy writes\n`,
    '| variant | FilterLogEvents requests | events transferred | MB transferred | seconds | changes |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.variant} | ${r.requests.toLocaleString('en-US')} | ${r.events.toLocaleString('en-US')} | ${(r.bytes / 1e6).toFixed(1)} | ${r.seconds.toFixed(1)} | ${r.changes} |`,
    ),
  ]
  if (pushed && full) {
    lines.push(
      '',
      `Push-down: ${(full.events / Math.max(1, pushed.events)).toFixed(0)}× fewer events, ${(full.requests / Math.max(1, pushed.requests)).toFixed(0)}× fewer requests, ${(full.seconds / pushed.seconds).toFixed(0)}× less time; both paced to the 5 requests/s quota (the fake refuses more). The fake scans ${SCAN_EVENTS.toLocaleString('en-US')} events per answer, so a selective pattern gets empty pages with a token, as CloudWatch answers them.`,
    )
  }
  return lines.join('\n')
}
