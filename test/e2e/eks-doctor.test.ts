// doctor on an EKS cluster: the fake apiserver plays the cluster (an -eks- version, EKS nodes, no
// kube-apiserver pod), the loopback CloudWatch plays AWS (EKS DescribeCluster over REST-JSON,
// CloudWatch Logs DescribeLogGroups over JSON 1.1). The cluster and region come from the
// kubeconfig context, named after the cluster ARN as `aws eks update-kubeconfig` names it.
import assert from 'node:assert/strict'

import type {DoctorReport} from '../../src/commands/doctor.js'
import {runCli} from '../support/cli.js'
import {type FakeApiserver, startFakeApiserver} from '../support/fake-apiserver/index.js'
import {FakeCloudWatch} from '../support/fake-cloudwatch.js'

const ARN = 'arn:aws:eks:eu-west-1:123456789012:cluster/prod-eu'
const GROUP = '/aws/eks/prod-eu/cluster'

describe('doctor on an EKS cluster (fake apiserver, loopback AWS)', () => {
  let apiserver: FakeApiserver
  let aws: FakeCloudWatch
  let kubeconfig: string
  before(async () => {
    apiserver = await startFakeApiserver({
      version: {gitVersion: 'v1.31.4-eks-1a2b3c4', major: '1', minor: '31'},
      nodes: [
        {
          name: 'ip-10-0-1-1.eu-west-1.compute.internal',
          root: '/nonexistent',
          labels: {'eks.amazonaws.com/nodegroup': 'ng-1'},
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
    kubeconfig = apiserver.writeKubeconfig({context: ARN})
  })
  after(() => apiserver.close())
  beforeEach(async () => {
    aws = await new FakeCloudWatch().start()
  })
  afterEach(() => aws.close())

  async function doctor(env: NodeJS.ProcessEnv = {}) {
    const result = await runCli(['doctor', '--kubeconfig', kubeconfig, '-o', 'json'], {env: aws.env(env)})
    assert.ok(result.code === 0 || result.code === 1, result.stderr)
    const report = JSON.parse(result.stdout) as DoctorReport
    return {result, check: (id: string) => report.checks.find((c) => c.id === id)!}
  }

  it('reads which log types EKS sends and how long CloudWatch keeps them, with read-only calls', async () => {
    aws.clusters.set('prod-eu', {
      logging: [
        {types: ['api', 'audit'], enabled: true},
        {types: ['scheduler'], enabled: false},
      ],
    })
    aws.group(GROUP).retentionInDays = 14
    const {result, check} = await doctor()
    assert.equal(result.code, 0, result.stderr)
    assert.equal(check('eks-audit-logging').status, 'pass')
    assert.match(check('eks-log-retention').detail, /keeps events 14 days/)
    assert.equal(check('eks-log-retention').status, 'warn')
    assert.equal(check('eks-audit-policy').status, 'warn', 'Calico is served through its API server: Metadata only')
    assert.match(check('eks-audit-policy').detail, /For Calico: who changed it, yes; what changed, no$/)
    assert.deepEqual(
      aws.requests.map((r) => [r.action, r.body.name ?? r.body.logGroupNamePrefix]),
      [
        ['DescribeCluster', 'prod-eu'],
        ['DescribeLogGroups', GROUP],
      ],
    )
  })

  it('fails when the audit log type is off, and says the command that turns it on', async () => {
    aws.clusters.set('prod-eu', {logging: [{types: ['api', 'audit', 'authenticator'], enabled: false}]})
    const {result, check} = await doctor()
    assert.equal(result.code, 1)
    assert.equal(check('eks-audit-logging').status, 'fail')
    assert.match(
      check('eks-audit-logging').remedy ?? '',
      /^turn it on: aws eks update-cluster-config --region eu-west-1 --name prod-eu --logging/,
    )
  })

  it('names the read permission it lacks, and goes on', async () => {
    aws.denyEks = true
    aws.denyLogs = true
    const {result, check} = await doctor()
    assert.equal(result.code, 0)
    assert.equal(check('eks-audit-logging').status, 'skip')
    assert.match(
      check('eks-audit-logging').remedy ?? '',
      /^allow eks:DescribeCluster \(read-only\) on arn:aws:eks:eu-west-1:ACCOUNT:cluster\/prod-eu, or check by hand: aws eks describe-cluster --name prod-eu --region eu-west-1 --query cluster\.logging$/,
    )
    assert.match(check('eks-log-retention').remedy ?? '', /^allow logs:DescribeLogGroups \(read-only\)/)
  })

  it('without AWS credentials, says how to sign in', async () => {
    const {check} = await doctor({AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined})
    assert.equal(check('eks-audit-logging').status, 'skip')
    assert.match(check('eks-audit-logging').detail, /no usable AWS credentials/)
    assert.match(check('eks-audit-logging').remedy ?? '', /^sign in as you do for kubectl/)
  })
})
