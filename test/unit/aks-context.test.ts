// Which AKS cluster a kubeconfig context points at, from what `az aks get-credentials` writes
// (server host, cluster entry named after the cluster, user entry clusterUser_<group>_<cluster>).
import assert from 'node:assert/strict'

import {KubeConfig} from '@kubernetes/client-node'

import {aksContext, type AksContext} from '../../src/cluster/aks-context.js'
import {contextView, type KubeContextView} from '../../src/cluster/managed-context.js'
import {aksLogOptions, checkAksSource} from '../../src/flags/aks.js'
import {UserError} from '../../src/errors.js'

const SERVER = 'https://shop-prod-dns-4f2a9c1e.hcp.westeurope.azmk8s.io:443'
const view = (over: Partial<KubeContextView>): KubeContextView => ({
  contextName: 'ctx',
  clusterName: 'cluster',
  server: 'https://10.0.0.1:6443',
  ...over,
})
const answer = (over: Partial<AksContext>): AksContext => ({
  host: 'shop-prod-dns-4f2a9c1e.hcp.westeurope.azmk8s.io',
  region: 'westeurope',
  name: null,
  resourceGroup: null,
  evidence: ['server host'],
  ...over,
})

describe('AKS cluster from the kubeconfig context', () => {
  const cases: Array<[string, KubeContextView, AksContext | undefined]> = [
    [
      'az aks get-credentials: cluster entry and context named after the cluster, user clusterUser_<group>_<cluster>',
      view({
        contextName: 'shop-prod',
        clusterName: 'shop-prod',
        userName: 'clusterUser_shop-rg_shop-prod',
        server: SERVER,
      }),
      answer({
        name: 'shop-prod',
        resourceGroup: 'shop-rg',
        evidence: ['server host', 'user entry clusterUser_shop-rg_shop-prod'],
      }),
    ],
    [
      '--admin: clusterAdmin_…, context <cluster>-admin',
      view({
        contextName: 'shop-prod-admin',
        clusterName: 'shop-prod',
        userName: 'clusterAdmin_shop-rg_shop-prod',
        server: SERVER,
      }),
      answer({
        name: 'shop-prod',
        resourceGroup: 'shop-rg',
        evidence: ['server host', 'user entry clusterAdmin_shop-rg_shop-prod'],
      }),
    ],
    [
      'a resource group with underscores',
      view({clusterName: 'prod_1', userName: 'clusterUser_team_a_rg_prod_1', server: SERVER}),
      answer({
        name: 'prod_1',
        resourceGroup: 'team_a_rg',
        evidence: ['server host', 'user entry clusterUser_team_a_rg_prod_1'],
      }),
    ],
    [
      'a renamed user entry: the cluster entry still names the cluster',
      view({clusterName: 'shop-prod', userName: 'alice', server: SERVER}),
      answer({name: 'shop-prod', evidence: ['server host', 'cluster entry name']}),
    ],
    [
      'a private cluster (privatelink host)',
      view({
        clusterName: 'vault',
        userName: 'clusterUser_sec_vault',
        server: 'https://vault-dns-1a2b3c4d.5e6f7a8b-1c2d-3e4f-5a6b-7c8d9e0f1a2b.privatelink.eastus2.azmk8s.io:443',
      }),
      {
        host: 'vault-dns-1a2b3c4d.5e6f7a8b-1c2d-3e4f-5a6b-7c8d9e0f1a2b.privatelink.eastus2.azmk8s.io',
        region: 'eastus2',
        name: 'vault',
        resourceGroup: 'sec',
        evidence: ['server host', 'user entry clusterUser_sec_vault'],
      },
    ],
    [
      'a cluster entry that is no AKS name (a URL): the host alone',
      view({clusterName: 'https://x', server: SERVER}),
      answer({}),
    ],
    [
      'kubeadm',
      view({contextName: 'kubernetes-admin@kubernetes', clusterName: 'kubernetes', userName: 'kubernetes-admin'}),
      undefined,
    ],
    ['EKS', view({server: 'https://0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com'}), undefined],
    ['a host that only contains azmk8s.io', view({server: 'https://azmk8s.io.example.com'}), undefined],
  ]
  for (const [what, given, expected] of cases) {
    it(what, () => assert.deepEqual(aksContext(given), expected))
  }

  it('reads the view from a loaded kubeconfig, the user entry included', () => {
    const kc = new KubeConfig()
    kc.loadFromOptions({
      clusters: [{name: 'shop-prod', server: SERVER}],
      users: [
        {
          name: 'clusterUser_shop-rg_shop-prod',
          exec: {
            command: 'kubelogin',
            args: ['get-token', '--login', 'azurecli', '--server-id', '6dae42f8-4368-4678-94ff-3960e28e3630'],
          },
        },
      ],
      contexts: [{name: 'shop-prod', cluster: 'shop-prod', user: 'clusterUser_shop-rg_shop-prod'}],
      currentContext: 'shop-prod',
    })
    assert.deepEqual(
      aksContext(contextView(kc)!),
      answer({
        name: 'shop-prod',
        resourceGroup: 'shop-rg',
        evidence: ['server host', 'user entry clusterUser_shop-rg_shop-prod'],
      }),
    )
  })
})

describe('AKS flags', () => {
  it('compiles the flags (the shared --cluster-name is compiled with the EKS ones)', () => {
    assert.deepEqual(
      aksLogOptions({
        workspace: ' 1F0E0C8A-7B6D-4E5F-9A8B-0C1D2E3F4A5B ',
        'resource-group': 'shop-rg',
        'cluster-name': 'shop-prod',
      }),
      {workspace: '1F0E0C8A-7B6D-4E5F-9A8B-0C1D2E3F4A5B', resourceGroup: 'shop-rg'},
    )
    assert.deepEqual(aksLogOptions({}), {})
  })

  const refusals: Array<[Parameters<typeof aksLogOptions>[0], RegExp]> = [
    [{workspace: 'my-workspace'}, /--workspace my-workspace is not a workspace ID/],
    [{workspace: ''}, /--workspace is empty/],
    [{subscription: 'prod'}, /--subscription prod is not a subscription ID/],
    [{'resource-group': 'bad/group'}, /--resource-group bad\/group is not a resource group name/],
    [{'resource-group': 'ends.'}, /is not a resource group name/],
  ]
  for (const [flags, message] of refusals) {
    it(`refuses ${JSON.stringify(flags)}`, () =>
      assert.throws(
        () => aksLogOptions(flags),
        (e: Error) => e instanceof UserError && message.test(e.message),
      ))
  }

  it('refuses flags for a place the run does not read', () => {
    const none = {nodes: [], eks: []}
    assert.throws(
      () => checkAksSource('nodes', {workspace: 'x'}, none),
      /--workspace does not apply when reading the control-plane nodes' files/,
    )
    assert.throws(
      () => checkAksSource('cloudwatch', {subscription: 'x'}, none),
      /--subscription does not apply when reading CloudWatch Logs/,
    )
    assert.throws(
      () => checkAksSource('log-analytics', {}, {nodes: ['--node'], eks: ['--region', '--cluster-name']}),
      /--node, --region do not apply when reading Log Analytics \(AKS\)/,
    )
    assert.throws(
      () => checkAksSource(undefined, {workspace: 'x'}, {nodes: ['--via'], eks: []}),
      /--via does not apply when reading Log Analytics/,
    )
    checkAksSource('log-analytics', {workspace: 'x', 'cluster-name': 'c'}, {nodes: [], eks: ['--cluster-name']})
    checkAksSource(undefined, {}, {nodes: ['--node'], eks: []})
  })
})
