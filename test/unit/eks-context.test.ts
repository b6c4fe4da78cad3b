// Which EKS cluster a kubeconfig context points at, from what `aws eks update-kubeconfig`, eksctl
// and aws-iam-authenticator write (aws-cli customizations/eks/update_kubeconfig.py shapes).
import assert from 'node:assert/strict'

import {KubeConfig} from '@kubernetes/client-node'

import {
  clusterOfLogGroup,
  eksContext,
  type EksContext,
  eksLogGroup,
  enableAuditLogCommand,
} from '../../src/cluster/eks-context.js'
import {contextView, type KubeContextView} from '../../src/cluster/managed-context.js'

const ARN = 'arn:aws:eks:eu-west-1:123456789012:cluster/prod-eu'
const SERVER = 'https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com'
const getToken = (...extra: string[]) => ({
  command: 'aws',
  args: ['--region', 'eu-west-1', 'eks', 'get-token', '--cluster-name', 'prod-eu', '--output', 'json', ...extra],
  env: {},
})

const view = (over: Partial<KubeContextView>): KubeContextView => ({
  contextName: 'ctx',
  clusterName: 'cluster',
  server: 'https://10.0.0.1:6443',
  ...over,
})
const answer = (name: string | null, region: string | null, over: Partial<EksContext> = {}) => ({
  name,
  region,
  profile: null,
  roleArn: null,
  ...over,
})
const without = ({evidence: _evidence, ...rest}: EksContext) => rest

describe('EKS cluster from the kubeconfig context', () => {
  // [case, context, expected (without evidence), evidence]
  const cases: Array<[string, KubeContextView, ReturnType<typeof answer> | undefined, string[]]> = [
    [
      'aws eks update-kubeconfig: ARN as context and cluster, exec get-token',
      view({contextName: ARN, clusterName: ARN, server: SERVER, exec: getToken()}),
      answer('prod-eu', 'eu-west-1'),
      [
        'context name (cluster ARN)',
        'cluster name (cluster ARN)',
        'credential plugin (aws eks get-token)',
        'server host',
      ],
    ],
    [
      '--alias renames the context: the cluster entry keeps the ARN',
      view({contextName: 'prod', clusterName: ARN, exec: getToken()}),
      answer('prod-eu', 'eu-west-1'),
      ['cluster name (cluster ARN)', 'credential plugin (aws eks get-token)'],
    ],
    [
      '--profile: AWS_PROFILE in the exec env; --role-arn: --role in the args',
      view({
        contextName: 'prod',
        clusterName: 'prod',
        exec: {...getToken('--role', 'arn:aws:iam::123456789012:role/eks-admin'), env: {AWS_PROFILE: 'prod-admin'}},
      }),
      answer('prod-eu', 'eu-west-1', {profile: 'prod-admin', roleArn: 'arn:aws:iam::123456789012:role/eks-admin'}),
      ['credential plugin (aws eks get-token)'],
    ],
    [
      'get-token with --key=value args, --role-arn and --profile',
      view({
        exec: {
          command: '/usr/local/bin/aws',
          args: [
            'eks',
            'get-token',
            '--cluster-name=staging',
            '--region=us-east-2',
            '--role-arn=arn:aws:iam::1:role/r',
            '--profile=dev',
          ],
          env: {},
        },
      }),
      answer('staging', 'us-east-2', {profile: 'dev', roleArn: 'arn:aws:iam::1:role/r'}),
      ['credential plugin (aws eks get-token)'],
    ],
    [
      'eksctl: context <who>@<cluster>.<region>.eksctl.io',
      view({
        contextName: 'alice@blue.ap-southeast-2.eksctl.io',
        clusterName: 'blue.ap-southeast-2.eksctl.io',
        exec: {
          command: 'aws',
          args: ['eks', 'get-token', '--output', 'json', '--cluster-name', 'blue', '--region', 'ap-southeast-2'],
          env: {AWS_STS_REGIONAL_ENDPOINTS: 'regional'},
        },
      }),
      answer('blue', 'ap-southeast-2'),
      ['credential plugin (aws eks get-token)', 'eksctl context name'],
    ],
    [
      'older eksctl: aws-iam-authenticator token -i, no region in the args',
      view({
        contextName: 'alice@blue.us-west-2.eksctl.io',
        exec: {
          command: 'aws-iam-authenticator',
          args: ['token', '-i', 'blue', '-r', 'arn:aws:iam::1:role/x'],
          env: {AWS_PROFILE: 'ops'},
        },
      }),
      answer('blue', 'us-west-2', {profile: 'ops', roleArn: 'arn:aws:iam::1:role/x'}),
      ['credential plugin (aws-iam-authenticator)', 'eksctl context name'],
    ],
    [
      'aws-iam-authenticator alone (kops uses it too) is no EKS',
      view({
        contextName: 'prod.k8s.local',
        server: 'https://api.prod.k8s.local',
        exec: {command: 'aws-iam-authenticator', args: ['token', '-i', 'prod.k8s.local'], env: {}},
      }),
      undefined,
      [],
    ],
    [
      'aws-iam-authenticator on an EKS server names the cluster',
      view({server: SERVER, exec: {command: 'aws-iam-authenticator', args: ['token', '-i', 'blue'], env: {}}}),
      answer('blue', 'eu-west-1'),
      ['credential plugin (aws-iam-authenticator)', 'server host'],
    ],
    [
      'the server host alone: EKS, region known, name not',
      view({
        contextName: 'mine',
        clusterName: 'mine',
        server: SERVER,
        exec: {command: 'kubelogin', args: ['get-token'], env: {}},
      }),
      answer(null, 'eu-west-1'),
      ['server host'],
    ],
    [
      'a China region ARN and host',
      view({
        contextName: 'arn:aws-cn:eks:cn-north-1:123456789012:cluster/cn1',
        server: 'https://ABC.yl4.cn-north-1.eks.amazonaws.com.cn',
      }),
      answer('cn1', 'cn-north-1'),
      ['context name (cluster ARN)', 'server host'],
    ],
    [
      'GovCloud',
      view({clusterName: 'arn:aws-us-gov:eks:us-gov-west-1:123456789012:cluster/gov'}),
      answer('gov', 'us-gov-west-1'),
      ['cluster name (cluster ARN)'],
    ],
    ['kubeadm', view({contextName: 'kubernetes-admin@kubernetes', clusterName: 'kubernetes'}), undefined, []],
    [
      'GKE',
      view({contextName: 'gke_proj_europe-west1_prod', exec: {command: 'gke-gcloud-auth-plugin', args: [], env: {}}}),
      undefined,
      [],
    ],
    ['AKS', view({server: 'https://prod-dns-1a2b3c.hcp.westeurope.azmk8s.io:443'}), undefined, []],
    [
      'an ARN of another service is not a cluster',
      view({contextName: 'arn:aws:iam::123456789012:role/eks'}),
      undefined,
      [],
    ],
    ['a host that only mentions eks', view({server: 'https://eks.example.com'}), undefined, []],
  ]
  for (const [name, context, expected, evidence] of cases) {
    it(name, () => {
      const found = eksContext(context)
      assert.deepEqual(found && without(found), expected)
      assert.deepEqual(found?.evidence ?? [], evidence)
    })
  }

  it('reads the context from a kubeconfig as update-kubeconfig writes it', () => {
    const kc = new KubeConfig()
    kc.loadFromString(`apiVersion: v1
kind: Config
clusters:
- cluster: {server: ${SERVER}, certificate-authority-data: ""}
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
      env:
      - {name: AWS_PROFILE, value: prod}
`)
    assert.deepEqual(contextView(kc), {
      contextName: ARN,
      clusterName: ARN,
      server: SERVER,
      userName: ARN,
      exec: {
        command: 'aws',
        args: ['--region', 'eu-west-1', 'eks', 'get-token', '--cluster-name', 'prod-eu', '--output', 'json'],
        env: {AWS_PROFILE: 'prod'},
      },
    })
    assert.deepEqual(without(eksContext(contextView(kc)!)!), answer('prod-eu', 'eu-west-1', {profile: 'prod'}))
  })

  it('names the log group and the command that fills it', () => {
    assert.equal(eksLogGroup('prod-eu'), '/aws/eks/prod-eu/cluster')
    assert.equal(clusterOfLogGroup('/aws/eks/prod-eu/cluster'), 'prod-eu')
    assert.equal(clusterOfLogGroup('/custom/audit'), null)
    assert.equal(
      enableAuditLogCommand('prod-eu', 'eu-west-1'),
      `aws eks update-cluster-config --region eu-west-1 --name prod-eu --logging '{"clusterLogging":[{"types":["audit"],"enabled":true}]}'`,
    )
  })
})
