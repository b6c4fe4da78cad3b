// The Loki rows of `npm run bench`: a loopback Loki (test/support/fake-loki) holding a busy
// cluster's audit log as promtail ships it (200,000 lines over 16 hours by default, one in a
// thousand a network policy write), read by `kubectl audit policies --loki` with the filter pushed
// into the LogQL, against the same run asking only for the selector's lines (every line of the
// window travels and is filtered here). Prints requests, lines and bytes transferred, and the time.
import path from 'node:path'

import {FakeLoki} from '../test/support/fake-loki.js'
import {measure, median} from './lib/measure.js'

const START = Date.parse('2026-11-24T00:00:00Z')
const SPAN_MS = 16 * 3_600_000
const LABELS = {job: 'integrations/kubernetes-audit', cluster: 'bench'}

/** [verb, apiGroup, resource, user, namespace]: the noise of a busy cluster's log, by how often it comes. */
const NOISE: ReadonlyArray<readonly [string, string, string, string, string?]> = [
  ['update', 'coordination.k8s.io', 'leases', 'system:kube-scheduler', 'kube-system'],
  ['get', 'coordination.k8s.io', 'leases', 'system:kube-controller-manager', 'kube-system'],
  ['patch', '', 'nodes', 'system:node:worker-1'],
  ['get', '', 'pods', 'system:serviceaccount:kube-system:coredns', 'kube-system'],
  ['watch', 'crd.projectcalico.org', 'networkpolicies', 'system:serviceaccount:calico-system:calico-node'],
  ['list', 'networking.k8s.io', 'networkpolicies', 'system:serviceaccount:calico-system:calico-kube-controllers'],
  ['create', '', 'events', 'system:serviceaccount:kube-system:replicaset-controller', 'shop'],
  ['get', '', 'configmaps', 'system:serviceaccount:kube-system:coredns', 'kube-system'],
]
const WRITES: ReadonlyArray<readonly [string, string, string, string, string?]> = [
  ['create', 'networking.k8s.io', 'networkpolicies', 'alice', 'shop'],
  ['patch', 'projectcalico.org', 'globalnetworkpolicies', 'bob'],
  ['update', 'crd.projectcalico.org', 'tiers', 'carol'],
  ['delete', 'networking.k8s.io', 'networkpolicies', 'dave', 'dev'],
]

function line(seq: number, count: number): {ns: bigint; line: string} {
  const ms = START + Math.floor((seq * SPAN_MS) / count)
  const [verb, apiGroup, resource, user, namespace] =
    seq % 1000 === 500 ? WRITES[((seq / 1000) | 0) % WRITES.length]! : NOISE[seq % NOISE.length]!
  const time = new Date(ms).toISOString().replace('Z', '123Z')
  const name = `${resource}-${seq % 97}`
  const event = {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: `/apis/${apiGroup || 'api'}/v1/${namespace ? `namespaces/${namespace}/` : ''}${resource}/${name}`,
    verb,
    user: {username: user, groups: ['system:authenticated']},
    sourceIPs: ['10.0.1.1'],
    userAgent: 'kube-scheduler/v1.31.4 (linux/amd64) kubernetes/abcdef',
    objectRef: {resource, ...(namespace ? {namespace} : {}), name, apiGroup, apiVersion: 'v1'},
    responseStatus: {metadata: {}, code: verb === 'create' ? 201 : 200},
    requestReceivedTimestamp: time,
    stageTimestamp: time,
    annotations: {
      'authorization.k8s.io/decision': 'allow',
      'authorization.k8s.io/reason': `RBAC: allowed by ClusterRoleBinding "${user}"`,
    },
  }
  // Shipped a little after it was written.
  return {ns: BigInt(ms + 700) * 1_000_000n + BigInt(seq % 1000), line: JSON.stringify(event)}
}

export interface LokiRow {
  readonly variant: string
  readonly requests: number
  readonly lines: number
  readonly bytes: number
  readonly seconds: number
  readonly changes: number
}

export async function benchLoki(
  count: number,
  progress: (line: string) => void,
): Promise<{rows: LokiRow[]; problems: string[]}> {
  const fake = await new FakeLoki().start()
  try {
    progress(`  loki: ${count.toLocaleString('en-US')} lines in the fake Loki`)
    const entries: Array<{ns: bigint; line: string}> = []
    for (let i = 0; i < count; i++) entries.push(line(i, count))
    fake.addStream(LABELS, entries)
    const cli = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'bin', 'run.js')
    const window = [
      '--since-time',
      new Date(START).toISOString(),
      '--until-time',
      new Date(START + SPAN_MS).toISOString(),
    ]
    // No credentials from the environment: the fake asks for none.
    for (const name of ['LOKI_USERNAME', 'LOKI_PASSWORD', 'LOKI_BEARER_TOKEN']) delete process.env[name]
    const rows: LokiRow[] = []
    for (const [variant, flags] of [
      ['push-down: `policies --loki`', []],
      ['selector only: every line of the window, filtered here', ['--no-loki-push-down']],
    ] as const) {
      progress(`  loki: ${variant}`)
      const before = {requests: fake.queries().length, lines: fake.entriesSent, bytes: fake.bytesSent}
      const run = await measure(
        [process.execPath, cli, 'policies', '--loki', fake.url, ...window, ...flags, '-o', 'json'],
        1,
      )
      rows.push({
        variant,
        requests: fake.queries().length - before.requests,
        lines: fake.entriesSent - before.lines,
        bytes: fake.bytesSent - before.bytes,
        seconds: median(run.seconds),
        changes: (JSON.parse(run.stdout) as {changes: unknown[]}).changes.length,
      })
    }
    const [pushed, all] = rows
    return {
      rows,
      problems:
        pushed!.changes === all!.changes
          ? []
          : [`loki: the push-down found ${pushed!.changes} changes, the selector alone ${all!.changes}`],
    }
  } finally {
    await fake.close()
  }
}

export function lokiTable(rows: readonly LokiRow[], count: number): string {
  const [pushed, all] = rows
  const lines = [
    `\n### Loki: ${count.toLocaleString('en-US')} audit lines on a loopback Loki, 16 h, ${Math.round(count / 1000).toLocaleString('en-US')} policy writes\n`,
    '| variant | query_range requests | lines transferred | MB transferred | seconds | changes |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.variant} | ${r.requests.toLocaleString('en-US')} | ${r.lines.toLocaleString('en-US')} | ${(r.bytes / 1e6).toFixed(1)} | ${r.seconds.toFixed(1)} | ${r.changes} |`,
    ),
  ]
  if (pushed && all)
    lines.push(
      '',
      `Push-down: ${(all.lines / Math.max(1, pushed.lines)).toFixed(0)}× fewer lines, ${(all.requests / Math.max(1, pushed.requests)).toFixed(0)}× fewer requests, ${(all.seconds / pushed.seconds).toFixed(1)}× less time (the fake applies the LogQL on the same machine, as Loki would on its own).`,
    )
  return lines.join('\n')
}
