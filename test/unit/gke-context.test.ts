// Which GKE cluster a kubeconfig context points at: a row per way a kubeconfig can say it.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {
  contextView,
  type GkeClusterGuess,
  inferGkeCluster,
  type KubeContextView,
} from '../../src/cluster/gke-context.js'
import {loadKubeConfig} from '../../src/cluster/kubeconfig.js'
import {writeGkeKubeconfig} from '../support/gke-scenario.js'

describe('inferGkeCluster', () => {
  const view = (over: Partial<KubeContextView>): KubeContextView => ({
    contextName: 'ctx',
    clusterName: 'cl',
    userName: 'u',
    ...over,
  })
  // [title, context view, guess]
  const rows: Array<[string, KubeContextView, GkeClusterGuess | undefined]> = [
    [
      'the context get-credentials writes',
      view({contextName: 'gke_shop-prod_europe-west1_prod'}),
      {
        project: 'shop-prod',
        location: 'europe-west1',
        cluster: 'prod',
        evidence: 'kubeconfig context gke_shop-prod_europe-west1_prod',
      },
    ],
    [
      'a zonal cluster',
      view({contextName: 'gke_shop-dev_us-central1-a_dev-1'}),
      {
        project: 'shop-dev',
        location: 'us-central1-a',
        cluster: 'dev-1',
        evidence: 'kubeconfig context gke_shop-dev_us-central1-a_dev-1',
      },
    ],
    [
      'a domain-scoped project',
      view({contextName: 'gke_example.com:shop_europe-west1_prod'}),
      {
        project: 'example.com:shop',
        location: 'europe-west1',
        cluster: 'prod',
        evidence: 'kubeconfig context gke_example.com:shop_europe-west1_prod',
      },
    ],
    [
      'a renamed context keeps the cluster entry',
      view({contextName: 'prod', clusterName: 'gke_shop-prod_europe-west1_prod'}),
      {
        project: 'shop-prod',
        location: 'europe-west1',
        cluster: 'prod',
        evidence: 'kubeconfig cluster entry gke_shop-prod_europe-west1_prod',
      },
    ],
    [
      'or the user entry',
      view({contextName: 'prod', userName: 'gke_shop-prod_europe-west1_prod'}),
      {
        project: 'shop-prod',
        location: 'europe-west1',
        cluster: 'prod',
        evidence: 'kubeconfig user entry gke_shop-prod_europe-west1_prod',
      },
    ],
    [
      'only the credential plugin says GKE',
      view({contextName: 'prod', userName: 'me', exec: {command: 'gke-gcloud-auth-plugin'}}),
      {evidence: 'the kubeconfig user me runs gke-gcloud-auth-plugin'},
    ],
    [
      'the plugin by its path (Windows too)',
      view({userName: 'me', exec: {command: 'C:\\Program Files\\gcloud\\bin\\gke-gcloud-auth-plugin.exe'}}),
      {evidence: 'the kubeconfig user me runs gke-gcloud-auth-plugin'},
    ],
    [
      'the legacy gcp auth provider',
      view({userName: 'me', authProvider: 'gcp'}),
      {evidence: 'the kubeconfig user me uses the gcp auth provider'},
    ],
    [
      'an EKS context',
      view({contextName: 'arn:aws:eks:eu-west-1:123456789012:cluster/prod', exec: {command: 'aws'}}),
      undefined,
    ],
    ['a kind cluster', view({contextName: 'kind-kind', clusterName: 'kind-kind', userName: 'kind-kind'}), undefined],
    ['gke_ with a part missing', view({contextName: 'gke_shop-prod_prod'}), undefined],
    ['gke_ with a part too many', view({contextName: 'gke_a_b_c_d'}), undefined],
  ]
  for (const [title, input, expected] of rows) it(title, () => assert.deepEqual(inferGkeCluster(input), expected))
})

describe('contextView', () => {
  it('sees the credential plugin of a kubeconfig loaded for a run (which hands the plugin to its own runner)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gke-context-'))
    try {
      const kc = await loadKubeConfig({kubeconfig: writeGkeKubeconfig(dir, 'prod'), requestTimeoutMs: 0})
      assert.deepEqual(contextView(kc), {
        contextName: 'prod',
        clusterName: 'prod',
        userName: 'prod',
        exec: {command: 'gke-gcloud-auth-plugin'},
      })
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
