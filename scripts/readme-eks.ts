// The README's EKS examples, run against a loopback CloudWatch Logs (test/support/fake-cloudwatch)
// holding a small EKS audit log, with a kubeconfig as `aws eks update-kubeconfig` writes it.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {AUDIT_STREAM, truncatedMessage} from '../test/support/cloudwatch-records.js'
import {auditEvent, type EventSpec} from '../test/support/events.js'
import {FakeCloudWatch, storedEvent} from '../test/support/fake-cloudwatch.js'

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

type RunCli = (args: readonly string[], options: {env?: NodeJS.ProcessEnv; terminal?: boolean}) => Promise<Run>

const ARN = 'arn:aws:eks:eu-west-1:123456789012:cluster/prod-eu'
const GROUP = '/aws/eks/prod-eu/cluster'
const CALICO_APISERVER = 'system:serviceaccount:calico-apiserver:calico-apiserver'

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- cluster: {server: 'https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com', certificate-authority-data: ''}
  name: ${ARN}
contexts:
- context: {cluster: ${ARN}, user: ${ARN}}
  name: ${ARN}
current-context: ${ARN}
users:
- name: ${ARN}
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [--region, eu-west-1, eks, get-token, --cluster-name, prod-eu, --output, json]
`

const at = (time: string, spec: EventSpec) => auditEvent({time: `2026-11-24T${time}000Z`, code: 200, ...spec})

/** An hour of prod-eu's audit log: lease noise, policy writes (one through Calico's API server), a denied one, and one CloudWatch cut. */
function auditLog(): ReturnType<typeof storedEvent>[] {
  const events: Array<Record<string, unknown> | {cut: Record<string, unknown>}> = []
  for (let minute = 0; minute < 60; minute += 2) {
    events.push(
      at(`10:${String(minute).padStart(2, '0')}:01.000`, {
        verb: 'update',
        user: 'system:kube-scheduler',
        apiGroup: 'coordination.k8s.io',
        resource: 'leases',
        namespace: 'kube-system',
        name: 'kube-scheduler',
      }),
    )
  }
  const arn = (who: string) => `arn:aws:sts::123456789012:assumed-role/${who}`
  events.push(
    at('10:04:12.345', {
      auditID: 'a1c3e5f7-0000-4000-8000-000000000001',
      verb: 'create',
      user: arn('platform-admin/alice'),
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      namespace: 'shop',
      name: 'allow-frontend',
      code: 201,
    }),
    at('10:17:40.002', {
      auditID: 'a1c3e5f7-0000-4000-8000-000000000002',
      verb: 'patch',
      user: arn('sre/bob'),
      apiGroup: 'projectcalico.org',
      resource: 'globalnetworkpolicies',
      name: 'security.deny-egress',
      userAgent: 'calicoctl/v3.31.0',
    }),
    at('10:17:40.031', {
      auditID: 'a1c3e5f7-0000-4000-8000-000000000002',
      verb: 'update',
      user: CALICO_APISERVER,
      apiGroup: 'crd.projectcalico.org',
      resource: 'globalnetworkpolicies',
      name: 'security.deny-egress',
      requestObject: {spec: {tier: 'security'}},
    }),
    at('10:31:05.500', {
      auditID: 'a1c3e5f7-0000-4000-8000-000000000003',
      verb: 'delete',
      user: arn('developer/carol'),
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      namespace: 'shop',
      name: 'default-deny',
      code: 403,
    }),
    {
      cut: at('10:48:19.250', {
        auditID: 'a1c3e5f7-0000-4000-8000-000000000004',
        verb: 'update',
        user: arn('platform-admin/alice'),
        apiGroup: 'networking.k8s.io',
        resource: 'networkpolicies',
        namespace: 'shop',
        name: 'allow-frontend',
      }),
    },
  )
  return events
    .map((e) => {
      const event = 'cut' in e ? (e.cut as Record<string, unknown>) : e
      const timestamp = Date.parse(String(event.stageTimestamp)) + 800
      return storedEvent({
        timestamp,
        message: 'cut' in e ? truncatedMessage(event, 600) : JSON.stringify(event),
        logStreamName: AUDIT_STREAM,
      })
    })
    .sort((a, b) => a.timestamp - b.timestamp)
}

/** Runs `args` on the EKS context against a fake CloudWatch holding the log (`withGroup`: or none at all). */
export async function runOnEks(runCli: RunCli, args: readonly string[], withGroup = true): Promise<Run> {
  const fake = await new FakeCloudWatch({perSecond: 5}).start()
  const dir = mkdtempSync(join(tmpdir(), 'readme-eks-'))
  try {
    if (withGroup) fake.addEvents(GROUP, auditLog())
    writeFileSync(join(dir, 'config'), KUBECONFIG)
    return await runCli(args, {env: fake.env({KUBECONFIG: join(dir, 'config')}), terminal: true})
  } finally {
    await fake.close()
    rmSync(dir, {recursive: true, force: true})
  }
}
