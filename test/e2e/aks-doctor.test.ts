// doctor on an AKS cluster: the fake apiserver plays the cluster (AKS nodes, no kube-apiserver
// pod, Calico's aggregated API), the loopback fake plays Azure Resource Manager over HTTPS (the
// cluster's diagnostic settings, read-only), with tokens from a fake `az`. The cluster's name and
// resource group are given as flags (the fake's server is no azmk8s.io host); the subscription is
// the Azure CLI's default.
import assert from 'node:assert/strict'

import type {DoctorReport} from '../../src/commands/doctor.js'
import {CLUSTER_RESOURCE_ID} from '../support/aks-records.js'
import {runCli} from '../support/cli.js'
import {type FakeApiserver, startFakeApiserver} from '../support/fake-apiserver/index.js'
import {AksScenario, diagnosticSetting} from '../support/fake-log-analytics/aks-scenario.js'
import {FakeLogAnalytics} from '../support/fake-log-analytics/index.js'

describe('doctor on an AKS cluster (fake apiserver, loopback Azure Resource Manager)', function () {
  this.timeout(60_000)
  let apiserver: FakeApiserver
  let kubeconfig: string
  const azure = new FakeLogAnalytics()
  let aks: AksScenario
  before(async () => {
    apiserver = await startFakeApiserver({
      version: {gitVersion: 'v1.31.2', major: '1', minor: '31'},
      nodes: [
        {
          name: 'aks-nodepool1-12345678-vmss000000',
          root: '/nonexistent',
          labels: {'kubernetes.azure.com/cluster': 'MC_shop-rg_shop-prod_westeurope'},
        },
      ],
      objects: [
        {
          apiVersion: 'apiregistration.k8s.io/v1',
          kind: 'APIService',
          metadata: {name: 'v3.projectcalico.org'},
          spec: {
            group: 'projectcalico.org',
            version: 'v3',
            service: {namespace: 'calico-apiserver', name: 'calico-api'},
          },
        },
      ],
    })
    kubeconfig = apiserver.writeKubeconfig({context: 'shop-prod'})
    await azure.start()
    aks = new AksScenario(azure)
  })
  after(async () => {
    apiserver.close()
    aks.remove()
    await azure.stop()
  })
  beforeEach(() => {
    azure.arm.requests.length = 0
    azure.arm.resources.clear()
    azure.arm.forbidden.clear()
  })

  async function doctor(...args: string[]) {
    const result = await runCli(
      [
        'doctor',
        '--kubeconfig',
        kubeconfig,
        '--cluster-name',
        'shop-prod',
        '--resource-group',
        'shop-rg',
        '-o',
        'json',
        ...args,
      ],
      {env: {...aks.env(), KUBECONFIG: kubeconfig}},
    )
    assert.ok(result.code === 0 || result.code === 1, result.stderr)
    const report = JSON.parse(result.stdout) as DoctorReport
    return {result, check: (id: string) => report.checks.find((c) => c.id === id)!}
  }

  it('reads which diagnostic setting sends the audit log and where, with one read-only call', async () => {
    aks.armResources([diagnosticSetting(), diagnosticSetting({name: 'metrics', categories: []})])
    const {result, check} = await doctor()
    assert.equal(result.code, 0, result.stderr)
    assert.equal(check('aks-audit-logging').status, 'pass')
    assert.match(
      check('aks-audit-logging').detail,
      /^kube-audit sends kube-audit-admin to Log Analytics workspace shop-logs \(tables AKSAuditAdmin\)/,
    )
    assert.equal(
      check('eks-audit-logging') as unknown,
      undefined,
      '--cluster-name names the AKS cluster here: no EKS check is run',
    )
    assert.equal(check('aks-audit-policy').status, 'warn', 'Calico is served through its API server: Metadata only')
    assert.match(check('aks-audit-policy').detail, /For Calico: who changed it, yes; what changed, no$/)
    assert.deepEqual(
      azure.arm.requests.map((r) => [r.path, r.apiVersion]),
      [[`${CLUSTER_RESOURCE_ID}/providers/Microsoft.Insights/diagnosticSettings`.toLowerCase(), '2021-05-01-preview']],
    )
  })

  it('fails when no setting sends kube-audit or kube-audit-admin, and says the command', async () => {
    aks.armResources([diagnosticSetting({name: 'metrics', categories: []})])
    const {result, check} = await doctor()
    assert.equal(result.code, 1)
    assert.equal(check('aks-audit-logging').status, 'fail')
    assert.match(
      check('aks-audit-logging').remedy ?? '',
      /az monitor diagnostic-settings create --name kube-audit --resource \/subscriptions\/00000000-1111-2222-3333-444444444444\/resourceGroups\/shop-rg\/providers\/Microsoft\.ContainerService\/managedClusters\/shop-prod/,
    )
  })

  it('names the read permission it lacks, and goes on', async () => {
    aks.armResources()
    azure.arm.forbidden.add(CLUSTER_RESOURCE_ID)
    const {result, check} = await doctor()
    assert.equal(result.code, 0)
    assert.equal(check('aks-audit-logging').status, 'skip')
    assert.match(
      check('aks-audit-logging').remedy ?? '',
      /^allow Microsoft\.Insights\/diagnosticSettings\/read \(read-only; the Reader or Monitoring Reader role has it\), or check by hand: az monitor diagnostic-settings list --resource \/subscriptions\//,
    )
  })
})
