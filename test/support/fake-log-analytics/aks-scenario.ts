// An AKS cluster as the CLI meets it, all on this machine: the kubeconfig `az aks get-credentials`
// writes (its API server is never contacted), a fake `az` on PATH that DefaultAzureCredential's
// Azure CLI credential runs for tokens, the Azure CLI's profile (the default subscription), and
// the cluster, its diagnostic setting and its workspace served by the fake as Azure Resource
// Manager. Used by the e2e tests and the README's examples.
import {chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {CLUSTER_RESOURCE_ID} from '../aks-records.js'
import {FAKE_TOKEN, type FakeLogAnalytics} from './index.js'

export const SUBSCRIPTION = '00000000-1111-2222-3333-444444444444'
export const WORKSPACE_ID = '1f0e0c8a-7b6d-4e5f-9a8b-0c1d2e3f4a5b'
export const WORKSPACE_RESOURCE_ID = `/subscriptions/${SUBSCRIPTION}/resourceGroups/monitoring/providers/Microsoft.OperationalInsights/workspaces/shop-logs`
export const AKS_HOST = 'shop-prod-dns-4f2a9c1e.hcp.westeurope.azmk8s.io'

export interface DiagnosticSettingSpec {
  name?: string
  categories?: string[]
  categoryGroup?: string
  workspace?: string | null
  dedicated?: boolean
  storageAccount?: string
}

/** The ARM body of a diagnostic setting. */
export function diagnosticSetting(spec: DiagnosticSettingSpec = {}): Record<string, unknown> {
  const name = spec.name ?? 'kube-audit'
  return {
    id: `${CLUSTER_RESOURCE_ID}/providers/microsoft.insights/diagnosticSettings/${name}`,
    type: 'Microsoft.Insights/diagnosticSettings',
    name,
    properties: {
      ...(spec.workspace === null ? {} : {workspaceId: spec.workspace ?? WORKSPACE_RESOURCE_ID}),
      ...(spec.storageAccount ? {storageAccountId: spec.storageAccount} : {}),
      logAnalyticsDestinationType: spec.dedicated === false ? null : 'Dedicated',
      logs: [
        ...(spec.categories ?? ['kube-audit-admin']).map((category) => ({
          category,
          categoryGroup: null,
          enabled: true,
          retentionPolicy: {days: 0, enabled: false},
        })),
        ...(spec.categoryGroup ? [{category: null, categoryGroup: spec.categoryGroup, enabled: true}] : []),
        {category: 'guard', categoryGroup: null, enabled: false},
      ],
      metrics: [],
    },
  }
}

export class AksScenario {
  readonly dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-aks-'))
  readonly kubeconfig = join(this.dir, 'config')

  constructor(readonly fake: FakeLogAnalytics) {
    writeFileSync(this.kubeconfig, aksKubeconfig())
    writeFileSync(join(this.dir, 'ca.pem'), fake.caPem)
    const bin = join(this.dir, 'bin')
    mkdirSync(bin)
    // What `az account get-access-token --output json --resource R` prints.
    writeFileSync(
      join(bin, 'az'),
      `#!/bin/sh\nprintf '{"accessToken":"${FAKE_TOKEN}","expiresOn":"2099-01-01 00:00:00.000000","expires_on":4070908800,"subscription":"${SUBSCRIPTION}","tenant":"99999999-8888-7777-6666-555555555555","tokenType":"Bearer"}\\n'\n`,
    )
    chmodSync(join(bin, 'az'), 0o755)
    const azure = join(this.dir, 'azure')
    mkdirSync(azure)
    writeFileSync(
      join(azure, 'azureProfile.json'),
      `\uFEFF${JSON.stringify({
        installationId: 'x',
        subscriptions: [
          {id: 'aaaaaaaa-0000-0000-0000-000000000000', name: 'other', isDefault: false},
          {id: SUBSCRIPTION, name: 'shop', isDefault: true, state: 'Enabled'},
        ],
      })}`,
    )
  }

  /** The cluster, its diagnostic settings and the workspace, as ARM serves them. */
  armResources(settings: Array<Record<string, unknown>> = [diagnosticSetting()]): void {
    this.fake.armResource(CLUSTER_RESOURCE_ID, {
      id: CLUSTER_RESOURCE_ID,
      name: 'shop-prod',
      type: 'Microsoft.ContainerService/ManagedClusters',
      location: 'westeurope',
      properties: {
        kubernetesVersion: '1.31.2',
        dnsPrefix: 'shop-prod-dns',
        fqdn: AKS_HOST,
        azurePortalFQDN: `shop-prod-dns-4f2a9c1e.portal.hcp.westeurope.azmk8s.io`,
      },
    })
    this.fake.armResource(`${CLUSTER_RESOURCE_ID}/providers/Microsoft.Insights/diagnosticSettings`, {value: settings})
    this.fake.armResource(WORKSPACE_RESOURCE_ID, {
      id: WORKSPACE_RESOURCE_ID,
      name: 'shop-logs',
      location: 'westeurope',
      properties: {customerId: WORKSPACE_ID, retentionInDays: 30},
    })
  }

  /** The environment the CLI runs in: the fake's addresses and CA, the Azure CLI credential and its profile. */
  env(): NodeJS.ProcessEnv {
    return {
      KUBECONFIG: this.kubeconfig,
      KUBECTL_AUDIT_LOG_ANALYTICS_URL: this.fake.url,
      KUBECTL_AUDIT_ARM_URL: this.fake.armUrl,
      NODE_EXTRA_CA_CERTS: join(this.dir, 'ca.pem'),
      AZURE_TOKEN_CREDENTIALS: 'AzureCliCredential',
      AZURE_CONFIG_DIR: join(this.dir, 'azure'),
      AZURE_SUBSCRIPTION_ID: '',
      PATH: `${join(this.dir, 'bin')}:${process.env.PATH ?? ''}`,
    }
  }

  remove(): void {
    rmSync(this.dir, {recursive: true, force: true})
  }
}

/** What `az aks get-credentials -g shop-rg -n shop-prod` writes (after kubelogin convert-kubeconfig -l azurecli). */
export function aksKubeconfig(): string {
  return `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: ""
    server: https://${AKS_HOST}:443
  name: shop-prod
contexts:
- context:
    cluster: shop-prod
    user: clusterUser_shop-rg_shop-prod
  name: shop-prod
current-context: shop-prod
preferences: {}
users:
- name: clusterUser_shop-rg_shop-prod
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: kubelogin
      args: [get-token, --login, azurecli, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630]
      interactiveMode: IfAvailable
      provideClusterInfo: false
`
}
