// The README's AKS examples, run against a loopback Log Analytics and Azure Resource Manager
// (test/support/fake-log-analytics) holding an hour of an AKS cluster's audit log, with a
// kubeconfig as `az aks get-credentials` writes it and a fake `az` for tokens.
import {CLUSTER_RESOURCE_ID, logAnalyticsRow} from '../test/support/aks-records.js'
import {auditEvent, type EventSpec} from '../test/support/events.js'
import {AksScenario, diagnosticSetting, WORKSPACE_ID} from '../test/support/fake-log-analytics/aks-scenario.js'
import {FakeLogAnalytics} from '../test/support/fake-log-analytics/index.js'

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

type RunCli = (args: readonly string[], options: {env?: NodeJS.ProcessEnv; terminal?: boolean}) => Promise<Run>

const CALICO_APISERVER = 'system:serviceaccount:calico-apiserver:calico-apiserver'
const SKIPPED = 'skipped-too-big-size-object'

const at = (time: string, spec: EventSpec) =>
  logAnalyticsRow(auditEvent({time: `2026-12-07T${time}000Z`, code: 200, ...spec}))

/** An hour of shop-prod's AKSAuditAdmin rows: lease noise, policy writes (one through Calico's API server, one too big for AKS), a denied one. */
function auditRows(): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = []
  for (let minute = 0; minute < 60; minute += 2) {
    rows.push(
      at(`10:${String(minute).padStart(2, '0')}:01.000`, {
        verb: 'update',
        user: 'system:node:aks-nodepool1-0',
        apiGroup: 'coordination.k8s.io',
        resource: 'leases',
        namespace: 'kube-node-lease',
        name: 'aks-nodepool1-0',
      }),
    )
  }
  rows.push(
    at('10:04:12.345', {
      auditID: 'b2d4f6a8-0000-4000-8000-000000000001',
      verb: 'create',
      user: 'alice@contoso.com',
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      namespace: 'shop',
      name: 'allow-frontend',
      code: 201,
    }),
    at('10:17:40.002', {
      auditID: 'b2d4f6a8-0000-4000-8000-000000000002',
      verb: 'patch',
      user: 'bob@contoso.com',
      apiGroup: 'projectcalico.org',
      resource: 'globalnetworkpolicies',
      name: 'security.deny-egress',
      userAgent: 'calicoctl/v3.31.0',
    }),
    at('10:17:40.031', {
      auditID: 'b2d4f6a8-0000-4000-8000-000000000002',
      verb: 'update',
      user: CALICO_APISERVER,
      apiGroup: 'crd.projectcalico.org',
      resource: 'globalnetworkpolicies',
      name: 'security.deny-egress',
    }),
    at('10:31:05.500', {
      auditID: 'b2d4f6a8-0000-4000-8000-000000000003',
      verb: 'delete',
      user: 'carol@contoso.com',
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      namespace: 'shop',
      name: 'default-deny',
      code: 403,
    }),
    at('10:48:19.250', {
      auditID: 'b2d4f6a8-0000-4000-8000-000000000004',
      verb: 'update',
      user: 'alice@contoso.com',
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      namespace: 'shop',
      name: 'allow-frontend',
      requestObject: SKIPPED,
      responseObject: SKIPPED,
    }),
  )
  // Rows are timed when AKS wrote them, a moment after the event.
  return rows.map((row) => ({
    ...row,
    TimeGenerated: String(row.StageReceivedTime).replace(
      /\.(\d{3})/,
      (_, ms: string) =>
        `.${String(Number(ms) + 400)
          .padStart(3, '0')
          .slice(-3)}`,
    ),
  }))
}

/** Runs `args` on the AKS context; `withSetting`: the cluster sends kube-audit-admin to the workspace (else no setting sends the audit log). */
export async function runOnAks(runCli: RunCli, args: readonly string[], withSetting = true): Promise<Run> {
  const fake = await new FakeLogAnalytics().start()
  const aks = new AksScenario(fake)
  try {
    aks.armResources(withSetting ? [diagnosticSetting()] : [diagnosticSetting({name: 'metrics', categories: []})])
    fake.workspace(WORKSPACE_ID, {
      AKSAuditAdmin: auditRows().map((row) => ({...row, _ResourceId: CLUSTER_RESOURCE_ID.toLowerCase()})),
    })
    return await runCli(args, {env: aks.env(), terminal: true})
  } finally {
    aks.remove()
    await fake.stop()
  }
}
