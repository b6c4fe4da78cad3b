// `kubectl audit policies` on a GKE context, as a user runs it: the cluster inferred from the
// kubeconfig, credentials from the metadata server (google-auth-library, through
// GCE_METADATA_HOST), the log read from a loopback Cloud Logging (KUBECTL_AUDIT_CLOUD_LOGGING_URL).
// The filter and window the fake received are asserted, and each way it fails is one line, exit 2.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {WATCHED_RESOURCES, WRITE_VERBS} from '../../src/audit/catalog.js'
import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {methodPattern} from '../../src/sources/cloud-logging-filter.js'
import {runCli} from '../support/cli.js'
import {type FakeCloudLoggingOptions, FakeCloudLogging} from '../support/fake-cloud-logging.js'
import {fakeGoogleEnv, GKE_MORNING_CHANGES, gkeMorning, writeGkeKubeconfig} from '../support/gke-scenario.js'

const WINDOW = ['--since-time', '2026-11-24T09:00:00Z', '--until-time', '2026-11-24T11:00:00Z']

describe('policies on a GKE cluster, from Cloud Logging', function () {
  this.timeout(30_000)
  let dir: string
  let fake: FakeCloudLogging
  const start = async (options: FakeCloudLoggingOptions = {}) => {
    fake = await new FakeCloudLogging({entries: gkeMorning(), ...options}).start()
  }
  /** The CLI with nothing of this machine's Google login: HOME and gcloud's folder are empty. */
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(['policies', ...args], {env: {...fakeGoogleEnv(dir, fake), ...env}})

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gke-e2e-'))
  })
  afterEach(async () => {
    await fake?.stop()
    rmSync(dir, {recursive: true, force: true})
  })

  it('infers the cluster from the context, says so, and pushes the window and watched methods into the query', async () => {
    await start()
    const result = await run([
      '--kubeconfig',
      writeGkeKubeconfig(dir, 'gke_shop-prod_europe-west1_prod'),
      ...WINDOW,
      '-o',
      'json',
    ])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(
      result.stderr.split('\n')[0],
      'reading GKE audit logs of cluster prod (europe-west1, project shop-prod) from Cloud Logging (kubeconfig context gke_shop-prod_europe-west1_prod)',
    )
    assert.match(result.stderr, /^warning: GKE audit entries \(Cloud Audit Logs\) carry no stage/m)
    const report = JSON.parse(result.stdout) as PolicyChangeReport
    assert.deepEqual(
      report.changes.map((c) => [c.auditID.slice(-4), c.user, c.verb, c.kind, c.name, c.code]),
      GKE_MORNING_CHANGES,
    )
    assert.deepEqual(
      report.sources.map((s) => [s.name, s.events, s.complete]),
      [['cloud-logging:shop-prod/europe-west1/prod', 6, true]],
    )
    assert.equal(fake.requests.length, 1)
    const [request] = fake.requests
    assert.deepEqual(
      [request.resourceNames, request.orderBy, request.pageSize],
      [['projects/shop-prod'], 'timestamp asc', 1000],
    )
    const clauses = request.filter.split('\nAND ')
    assert.deepEqual(clauses.slice(0, 6), [
      'resource.type="k8s_cluster"',
      'resource.labels.location="europe-west1"',
      'resource.labels.cluster_name="prod"',
      'logName="projects/shop-prod/logs/cloudaudit.googleapis.com%2Factivity"',
      'timestamp>="2026-11-24T09:00:00Z"',
      'timestamp<="2026-11-24T11:00:00Z"',
    ])
    assert.equal(
      clauses[6],
      `protoPayload.methodName=~"${methodPattern({resources: WATCHED_RESOURCES, verbs: WRITE_VERBS})}"`,
    )
    assert.equal(clauses.length, 7)
    assert.equal(fake.tokenRequests, 1, 'one token from the metadata server')
  })

  it('pushes --user and -n, and still gets the Calico backing writes the join needs', async () => {
    await start()
    const result = await run([
      '--kubeconfig',
      writeGkeKubeconfig(dir, 'gke_shop-prod_europe-west1_prod'),
      ...WINDOW,
      '--user',
      'carol@example.com',
      '-o',
      'json',
    ])
    assert.equal(result.code, 0, result.stderr)
    assert.match(
      fake.requests[0].filter,
      /principalEmail=\("carol@example\.com"\) OR protoPayload\.methodName=~"\^\(org\[\.\]projectcalico\[\.\]crd/,
    )
    const report = JSON.parse(result.stdout) as PolicyChangeReport
    assert.deepEqual(
      report.changes.map((c) => [c.user, c.kind, c.name, c.tier]),
      [['carol@example.com', 'GlobalNetworkPolicy', 'security.deny-egress', 'security']],
    )
  })

  it('--source cloud-logging with --project, --location and --cluster-name reads a cluster the context does not name', async () => {
    await start()
    const result = await run([
      '--kubeconfig',
      writeGkeKubeconfig(dir, 'kind-kind', {token: 'x'}),
      '--source',
      'cloud-logging',
      '--project',
      'shop-prod',
      '--location',
      'europe-west1',
      '--cluster-name',
      'prod',
      ...WINDOW,
      '-o',
      'json',
    ])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(
      result.stderr.split('\n')[0],
      'reading GKE audit logs of cluster prod (europe-west1, project shop-prod) from Cloud Logging (--project, --location, --cluster-name)',
    )
    assert.equal((JSON.parse(result.stdout) as PolicyChangeReport).changes.length, 4)
  })

  it('names the flags it needs when the context only says GKE', async () => {
    await start()
    const result = await run(['--kubeconfig', writeGkeKubeconfig(dir, 'prod'), ...WINDOW])
    assert.equal(result.code, 2)
    assert.equal(
      result.stderr,
      "error: cannot tell the GKE cluster's project, location, name: the kubeconfig user prod runs gke-gcloud-auth-plugin, which does not name it\nhint: give --project PROJECT --location LOCATION --cluster-name CLUSTER (gcloud container clusters list shows them)\n",
    )
    assert.equal(fake.requests.length, 0)
  })

  it('without credentials: one line and the command that logs in, exit 2', async () => {
    await start()
    const result = await run(['--kubeconfig', writeGkeKubeconfig(dir, 'gke_shop-prod_europe-west1_prod'), ...WINDOW], {
      METADATA_SERVER_DETECTION: 'none',
    })
    assert.equal(result.code, 2)
    assert.equal(
      result.stderr,
      "error: no Google credentials to read Cloud Logging with (none in GOOGLE_APPLICATION_CREDENTIALS, in gcloud's application-default file, or from a metadata server)\nhint: log in with: gcloud auth application-default login (the account needs roles/logging.viewer on the project)\n",
    )
  })

  it('without permission: one line naming the role, exit 2', async () => {
    await start({
      refuse: {
        http: 403,
        status: 'PERMISSION_DENIED',
        message: "Permission 'logging.logEntries.list' denied on resource (or it may not exist).",
        reason: 'IAM_PERMISSION_DENIED',
      },
    })
    const result = await run(['--kubeconfig', writeGkeKubeconfig(dir, 'gke_shop-prod_europe-west1_prod'), ...WINDOW])
    assert.equal(result.code, 2)
    const lines = result.stderr.trim().split('\n')
    assert.equal(lines.length, 2, result.stderr)
    assert.match(
      lines[1],
      /^error: cloud-logging:shop-prod\/europe-west1\/prod: permission denied reading the logs of project shop-prod \(403 PERMISSION_DENIED: .*\); it needs logging\.logEntries\.list, in roles\/logging\.viewer: gcloud projects add-iam-policy-binding shop-prod/,
    )
  })

  it('an empty window: one line, exit 2', async () => {
    await start()
    const result = await run([
      '--kubeconfig',
      writeGkeKubeconfig(dir, 'gke_shop-prod_europe-west1_prod'),
      '--since-time',
      '2026-11-20T00:00:00Z',
      '--until-time',
      '2026-11-21T00:00:00Z',
    ])
    assert.equal(result.code, 2)
    assert.match(
      result.stderr.trim().split('\n').at(-1)!,
      /^error: cloud-logging:shop-prod\/europe-west1\/prod: no audit entry of GKE cluster prod \(europe-west1\) in project shop-prod between 2026-11-20T00:00:00Z and 2026-11-21T00:00:00Z: check the names/,
    )
  })

  it('a context that is not GKE keeps reading the nodes', async () => {
    await start()
    const result = await run([
      '--kubeconfig',
      writeGkeKubeconfig(dir, 'kind-kind', {token: 'x'}),
      ...WINDOW,
      '--request-timeout',
      '2s',
    ])
    assert.notEqual(result.code, 0)
    assert.doesNotMatch(result.stderr, /Cloud Logging|GKE/)
    assert.equal(fake.requests.length, 0)
  })
})
