// The README's `doctor --probe` examples where the log has left the nodes, run against the test
// fakes (no real cluster): the fake apiserver takes the dry-run create and ships its events to a
// loopback Cloud Logging (as a GKE cluster's Cloud Audit Logs entries) or Loki (as a shipper's
// lines), a little later, as the real services do.
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {auditEvent} from '../test/support/events.js'
import {type FakeAuditPolicy, startFakeApiserver} from '../test/support/fake-apiserver/index.js'
import {FakeCloudLogging} from '../test/support/fake-cloud-logging.js'
import {FakeLoki} from '../test/support/fake-loki.js'
import {gkeEntry} from '../test/support/gke-entries.js'
import {fakeGoogleEnv} from '../test/support/gke-scenario.js'
import {gkeEntriesOf, lokiEntriesOf} from '../test/support/shipped-audit.js'
import {SHOWN_URL} from './readme-loki.js'

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

type RunCli = (args: readonly string[], options: {env?: NodeJS.ProcessEnv; terminal?: boolean}) => Promise<Run>

/** GKE's own policy records writes of Kubernetes' network policies with their bodies. */
const RECORDING: FakeAuditPolicy = {
  omitStages: ['RequestReceived'],
  rules: [
    {
      level: 'RequestResponse',
      verbs: ['create', 'update', 'patch', 'delete'],
      resources: [{group: 'networking.k8s.io', resources: ['networkpolicies']}],
    },
  ],
}
const NETWORKING = {
  apiVersion: 'apiregistration.k8s.io/v1',
  kind: 'APIService',
  metadata: {name: 'v1.networking.k8s.io'},
  spec: {group: 'networking.k8s.io', version: 'v1'},
}
const ago = (ms: number) => new Date(Date.now() - ms).toISOString().replace(/Z$/, '000Z')

/** A GKE cluster whose entries reach Cloud Logging 3 s after the write, without the Audit-ID sent. */
export async function runProbeOnGke(runCli: RunCli, args: readonly string[]): Promise<Run> {
  const home = mkdtempSync(join(tmpdir(), 'readme-probe-gke-'))
  const target = {project: 'shop-prod', location: 'europe-west1', cluster: 'prod'}
  const logging = await new FakeCloudLogging({
    entries: [
      gkeEntry({
        time: ago(3600_000),
        method: 'io.k8s.coordination.v1.leases.update',
        resourceName: 'coordination.k8s.io/v1/namespaces/kube-system/leases/kube-scheduler',
        principal: 'system:kube-scheduler',
      }),
    ],
  }).start()
  const fake = await startFakeApiserver({
    version: {gitVersion: 'v1.31.5-gke.1233000', major: '1', minor: '31'},
    nodes: [{name: 'gke-prod-pool-1-abcd', root: '/nonexistent', labels: {'cloud.google.com/gke-nodepool': 'pool-1'}}],
    objects: [NETWORKING],
    audit: {
      user: {username: 'alice@example.com', groups: ['system:authenticated']},
      logs: [
        {
          deliver: (lines) => logging.add(gkeEntriesOf(lines, target, {keepAuditID: false})),
          policy: RECORDING,
          delayMs: 3000,
        },
      ],
    },
  })
  try {
    const kubeconfig = fake.writeKubeconfig({context: 'gke_shop-prod_europe-west1_prod'})
    return await runCli(args, {env: {...fakeGoogleEnv(home, logging), KUBECONFIG: kubeconfig}, terminal: true})
  } finally {
    await fake.close()
    await logging.stop()
    rmSync(home, {recursive: true, force: true})
  }
}

/** A cluster whose audit log a shipper sends to Loki a second after each event. */
export async function runProbeOnLoki(runCli: RunCli, args: readonly string[]): Promise<Run> {
  const loki = await new FakeLoki().start()
  const earlier = JSON.stringify(
    auditEvent({time: ago(600_000), verb: 'update', apiGroup: 'coordination.k8s.io', resource: 'leases', name: 'x'}),
  )
  const stream = loki.addStream(
    {job: 'integrations/kubernetes-audit', cluster: 'demo'},
    lokiEntriesOf([earlier]).map((e) => ({...e, ns: e.ns - 600_000_000_000n})),
  )
  const fake = await startFakeApiserver({
    nodes: [{name: 'worker-1', root: '/nonexistent'}],
    objects: [NETWORKING],
    audit: {
      user: {username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated']},
      logs: [{deliver: (lines) => stream.entries.push(...lokiEntriesOf(lines)), policy: RECORDING, delayMs: 1000}],
    },
  })
  try {
    const run = await runCli(
      args.map((arg) => (arg === SHOWN_URL ? loki.url : arg)),
      {
        env: {
          KUBECONFIG: fake.kubeconfigPath,
          LOKI_USERNAME: undefined,
          LOKI_PASSWORD: undefined,
          LOKI_BEARER_TOKEN: undefined,
        },
        terminal: true,
      },
    )
    const shown = (text: string) => text.replaceAll(loki.url, SHOWN_URL)
    return {code: run.code, stdout: shown(run.stdout), stderr: shown(run.stderr)}
  } finally {
    await fake.close()
    await loki.close()
  }
}
