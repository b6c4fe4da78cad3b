// `kubectl audit policies` on an AKS context: the CLI infers the cluster from the kubeconfig that
// `az aks get-credentials` writes, finds the workspace through the cluster's diagnostic setting
// (Azure Resource Manager), says so in one line, and reads the audit rows from Log Analytics with
// the filter pushed down; all against a loopback fake over HTTPS (a test CA), with tokens from a
// fake `az` run by DefaultAzureCredential. What stops it before anything is read is one line, exit 2.
import assert from 'node:assert/strict'
import {chmodSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {CLUSTER_RESOURCE_ID, logAnalyticsRow} from '../support/aks-records.js'
import {runCli} from '../support/cli.js'
import {auditEvent, type EventSpec} from '../support/events.js'
import {
  AksScenario,
  diagnosticSetting,
  WORKSPACE_ID,
  WORKSPACE_RESOURCE_ID,
} from '../support/fake-log-analytics/aks-scenario.js'
import {FakeLogAnalytics} from '../support/fake-log-analytics/index.js'

const T0 = Date.parse('2026-12-07T10:00:00Z')
const WINDOW = ['--since-time', '2026-12-07T10:00:00Z', '--until-time', '2026-12-07T11:00:00Z']

const at = (second: number, spec: EventSpec) =>
  auditEvent({time: new Date(T0 + second * 1000).toISOString().replace('Z', '000Z'), code: 200, ...spec})
const row = (second: number, spec: EventSpec) => logAnalyticsRow(at(second, spec))

describe('policies on an AKS cluster (loopback Log Analytics and Azure Resource Manager)', function () {
  this.timeout(60_000)
  const fake = new FakeLogAnalytics()
  let aks: AksScenario

  before(async () => {
    await fake.start()
    aks = new AksScenario(fake)
  })
  after(async () => {
    aks.remove()
    await fake.stop()
  })
  beforeEach(() => {
    fake.requests.length = 0
    fake.arm.requests.length = 0
    fake.arm.resources.clear()
    fake.arm.forbidden.clear()
    fake.workspaces.clear()
    fake.rowCap = 500_000
    aks.armResources()
  })

  const policies = (...args: string[]) => runCli(['policies', ...WINDOW, ...args], {env: aks.env()})

  const shopRows = () => [
    row(60, {
      auditID: 'np-patch',
      verb: 'patch',
      user: 'alice@example.com',
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      namespace: 'shop',
      name: 'allow-web',
    }),
    row(120, {
      auditID: 'gnp-create',
      verb: 'create',
      user: 'bob@example.com',
      apiGroup: 'projectcalico.org',
      apiVersion: 'v3',
      resource: 'globalnetworkpolicies',
      name: 'security.deny-egress',
      code: 201,
    }),
    row(120, {
      auditID: 'gnp-backing',
      verb: 'create',
      user: 'system:serviceaccount:calico-apiserver:calico-apiserver',
      apiGroup: 'crd.projectcalico.org',
      resource: 'globalnetworkpolicies',
      name: 'security.deny-egress',
      code: 201,
    }),
    row(130, {
      auditID: 'lease',
      verb: 'update',
      user: 'system:node:aks-nodepool1-0',
      apiGroup: 'coordination.k8s.io',
      resource: 'leases',
      namespace: 'kube-node-lease',
      name: 'aks-nodepool1-0',
    }),
    {
      ...row(140, {
        auditID: 'other-cluster',
        verb: 'delete',
        apiGroup: 'networking.k8s.io',
        resource: 'networkpolicies',
        namespace: 'shop',
        name: 'x',
      }),
      _ResourceId: CLUSTER_RESOURCE_ID.replace('shop-prod', 'shop-dev').toLowerCase(),
    },
  ]

  it("finds the workspace through the diagnostic setting, says so, and reads the cluster's changes", async () => {
    fake.workspace(WORKSPACE_ID, {AKSAuditAdmin: shopRows(), AKSAudit: []})
    const {code, stdout, stderr} = await policies('-o', 'json')
    assert.equal(code, 0, stderr)
    assert.equal(
      stderr.split('\n')[0],
      `reading AKS audit logs of cluster shop-prod (westeurope) from Log Analytics workspace ${WORKSPACE_ID}, table AKSAuditAdmin (server host; user entry clusterUser_shop-rg_shop-prod; the Azure CLI's default subscription; diagnostic setting kube-audit)`,
    )
    const report = JSON.parse(stdout) as PolicyChangeReport
    assert.deepEqual(
      report.changes.map((c) => [c.auditID, c.user, c.verb, c.resource]),
      [
        ['np-patch', 'alice@example.com', 'patch', 'networkpolicies'],
        ['gnp-create', 'bob@example.com', 'create', 'globalnetworkpolicies'],
      ],
    )
    assert.equal(report.changes[1]!.tier, 'security')
    assert.deepEqual(
      report.sources.map((s) => [s.name, s.events, s.complete]),
      [[`log-analytics:${WORKSPACE_ID}/AKSAuditAdmin`, 3, true]],
    )
    assert.deepEqual(
      fake.arm.requests.map((r) => r.path),
      [
        CLUSTER_RESOURCE_ID,
        `${CLUSTER_RESOURCE_ID}/providers/Microsoft.Insights/diagnosticSettings`,
        WORKSPACE_RESOURCE_ID,
      ].map((p) => p.toLowerCase()),
    )
    assert.ok(fake.requests.every((r) => r.workspace === WORKSPACE_ID))
    assert.match(fake.queries[0]!, /^union isfuzzy=true/)
    assert.ok(
      fake.queries.slice(1).every((q) => q.includes(`| where _ResourceId =~ "${CLUSTER_RESOURCE_ID}"`)),
      'every query is about this cluster',
    )
    // The window reaches 10 minutes past its end: rows are timed when AKS wrote them.
    assert.equal(fake.requests[0]!.timespan, '2026-12-07T10:00:00.000Z/2026-12-07T11:10:00.000Z')
  })

  it('names the writes whose bodies AKS replaced, and keeps them as changes', async () => {
    const big = row(90, {
      auditID: 'big-gnp',
      verb: 'update',
      user: 'calicoctl-ci',
      apiGroup: 'crd.projectcalico.org',
      resource: 'globalnetworkpolicies',
      name: 'default.huge',
      requestObject: 'skipped-too-big-size-object',
      responseObject: 'skipped-too-big-size-object',
    })
    fake.workspace(WORKSPACE_ID, {AKSAuditAdmin: [...shopRows(), big]})
    const {code, stdout, stderr} = await policies('-o', 'json')
    assert.equal(code, 0, stderr)
    assert.equal(
      stderr.split('\n')[1],
      `warning: log-analytics:${WORKSPACE_ID}/AKSAuditAdmin: 1 write has its bodies replaced by AKS ("skipped-too-big-size-object"): who changed it and when are known, what changed is not; audit ID big-gnp`,
    )
    assert.ok((JSON.parse(stdout) as PolicyChangeReport).changes.some((c) => c.auditID === 'big-gnp'))
  })

  it("takes --workspace as given, without Azure Resource Manager, and keeps to the context's cluster by name", async () => {
    fake.workspace(WORKSPACE_ID, {AKSAuditAdmin: shopRows()})
    const {code, stdout, stderr} = await policies('--workspace', WORKSPACE_ID, '-o', 'json')
    assert.equal(code, 0, stderr)
    assert.match(
      stderr,
      /^reading AKS audit logs of cluster shop-prod \(westeurope\) from Log Analytics workspace .*, table AKSAuditAdmin \(server host; user entry clusterUser_shop-rg_shop-prod; --workspace\)/,
    )
    assert.equal(fake.arm.requests.length, 0)
    assert.ok(
      fake.queries.slice(1).every((q) => q.includes('| where _ResourceId endswith "/managedclusters/shop-prod"')),
    )
    assert.equal((JSON.parse(stdout) as PolicyChangeReport).changes.length, 2)
  })

  it('reads the legacy AzureDiagnostics table when the setting sends there', async () => {
    const event = at(60, {
      auditID: 'legacy',
      verb: 'delete',
      user: 'carol',
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      namespace: 'shop',
      name: 'old',
    })
    fake.workspace(WORKSPACE_ID, {
      AzureDiagnostics: [
        {
          TimeGenerated: '2026-12-07T10:01:00.0000000Z',
          Category: 'kube-audit',
          log_s: JSON.stringify(event),
          _ResourceId: CLUSTER_RESOURCE_ID.toLowerCase(),
        },
      ],
    })
    aks.armResources([diagnosticSetting({categories: ['kube-audit'], dedicated: false})])
    const {code, stdout, stderr} = await policies('-o', 'json')
    assert.equal(code, 0, stderr)
    assert.match(stderr, /table AzureDiagnostics/)
    assert.deepEqual(
      (JSON.parse(stdout) as PolicyChangeReport).changes.map((c) => c.auditID),
      ['legacy'],
    )
  })

  it('stops with one line when the cluster sends its audit log to no workspace', async () => {
    aks.armResources([
      diagnosticSetting({
        workspace: null,
        storageAccount: '/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/auditarchive',
      }),
    ])
    const {code, stderr} = await policies()
    assert.equal(code, 2)
    assert.match(
      stderr,
      /^error: AKS cluster shop-prod sends its audit log to no Log Analytics workspace \(kube-audit sends kube-audit-admin to \/subscriptions\/x\/.*auditarchive: read those exports with -f\)\nhint: send it to a workspace: az monitor diagnostic-settings create --name kube-audit --resource \/subscriptions\/.*\/managedClusters\/shop-prod --workspace WORKSPACE_RESOURCE_ID --export-to-resource-specific true --logs '\[\{"category":"kube-audit-admin","enabled":true\}\]'\n$/,
    )
  })

  it('stops with one line when the workspace has no audit table, or no rows in the window', async () => {
    fake.workspace(WORKSPACE_ID, {})
    let {code, stderr} = await policies()
    assert.equal(code, 2)
    assert.match(
      stderr,
      /^error: Log Analytics workspace 1f0e0c8a-.* has none of the tables AKS writes its audit log to \(AKSAuditAdmin, AKSAudit, AzureDiagnostics\)\nhint: send it there with a diagnostic setting: az monitor diagnostic-settings create .*kube-audit-admin/,
    )
    fake.workspace(WORKSPACE_ID, {AKSAuditAdmin: [row(-7200, {verb: 'update'})]})
    ;({code, stderr} = await policies())
    assert.equal(code, 2)
    assert.match(
      stderr,
      /^error: Log Analytics workspace 1f0e0c8a-.* holds no AKS audit records of cluster shop-prod from 2026-12-07T10:00:00.000Z to 2026-12-07T11:10:00.000Z \(AKSAuditAdmin: none\)\nhint: widen the window/,
    )
  })

  it('names the permission a refusal asks for: Log Analytics Reader, and Reader for the diagnostic settings', async () => {
    fake.workspace(WORKSPACE_ID, {AKSAuditAdmin: shopRows()}).forbidden = true
    let {code, stderr} = await policies()
    assert.equal(code, 2)
    assert.match(
      stderr,
      /^error: not allowed to query Log Analytics workspace 1f0e0c8a-.*\nhint: ask for Log Analytics Reader on the workspace \(Microsoft\.OperationalInsights\/workspaces\/query\/read\)\n$/,
    )
    fake.arm.forbidden.add(`${CLUSTER_RESOURCE_ID}/providers/Microsoft.Insights/diagnosticSettings`)
    ;({code, stderr} = await policies())
    assert.equal(code, 2)
    assert.match(
      stderr,
      /^error: not allowed to read .*diagnosticsettings.*\nhint: ask for Microsoft\.Insights\/diagnosticSettings\/read \(the Reader role has it\), or give --workspace\n$/i,
    )
  })

  it('says there are no Azure credentials when az is not logged in', async () => {
    mkdirSync(join(aks.dir, 'logged-out'), {recursive: true})
    writeFileSync(
      join(aks.dir, 'logged-out', 'az'),
      '#!/bin/sh\necho "ERROR: Please run \'az login\' to setup account." >&2\nexit 1\n',
    )
    chmodSync(join(aks.dir, 'logged-out', 'az'), 0o755)
    const env = {...aks.env(), PATH: `${join(aks.dir, 'logged-out')}:${process.env.PATH ?? ''}`}
    const {code, stderr} = await runCli(['policies', ...WINDOW], {env})
    assert.equal(code, 2)
    assert.match(
      stderr,
      /^error: no Azure credentials to read Azure Resource Manager: Please run 'az login' .*\nhint: az login/,
    )
  })

  it('exits 3 when an answer was cut where the window cannot be cut, after printing what was read', async () => {
    const burst = Array.from({length: 6}, (_, i) => ({
      ...row(300, {
        auditID: `burst-${i}`,
        verb: 'patch',
        apiGroup: 'networking.k8s.io',
        resource: 'networkpolicies',
        namespace: 'shop',
        name: `np-${i}`,
      }),
      TimeGenerated: '2026-12-07T10:05:00.0000000Z',
    }))
    fake.workspace(WORKSPACE_ID, {AKSAuditAdmin: [...shopRows(), ...burst]})
    fake.rowCap = 4
    const {code, stdout, stderr} = await policies('-o', 'json')
    assert.equal(code, 3, stderr)
    const report = JSON.parse(stdout) as PolicyChangeReport & {sources: Array<{complete?: boolean; reason?: string}>}
    assert.equal(report.sources[0]!.complete, false)
    assert.match(report.sources[0]!.reason ?? '', /cut by Log Analytics' answer limit/)
    assert.match(stderr, /answer was cut by Log Analytics' answer limit and could not be split further/)
    assert.ok(report.changes.length >= 4)
  })

  it('--source log-analytics with --workspace reads a workspace without any kubeconfig: every cluster in it', async () => {
    fake.workspace(WORKSPACE_ID, {AKSAuditAdmin: shopRows()})
    const {code, stdout, stderr} = await runCli(
      ['policies', ...WINDOW, '--source', 'log-analytics', '--workspace', WORKSPACE_ID, '-o', 'json'],
      {env: {...aks.env(), KUBECONFIG: join(aks.dir, 'no-such-kubeconfig')}},
    )
    assert.equal(code, 0, stderr)
    assert.match(
      stderr,
      /^reading AKS audit logs of every AKS cluster the workspace holds from Log Analytics workspace/,
    )
    assert.deepEqual((JSON.parse(stdout) as PolicyChangeReport).changes.map((c) => c.auditID).sort(), [
      'gnp-create',
      'np-patch',
      'other-cluster',
    ])
  })
})
