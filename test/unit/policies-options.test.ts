// policies' flags compiled into its one options object, row by row: the command line goes in
// (parsed by oclif with the command's own flag definitions), the options or the error come out.
import assert from 'node:assert/strict'

import {Parser} from '@oclif/core'

import Policies from '../../src/commands/policies.js'
import {WATCHED_RESOURCES, WRITE_VERBS} from '../../src/audit/catalog.js'
import {UserError} from '../../src/errors.js'
import {type PoliciesFlagValues, type PoliciesOptions, policiesOptions} from '../../src/flags/policies.js'
import {DEFAULT_READER_IMAGE} from '../../src/flags/reader-pod.js'
import type {ElasticsearchOptions} from '../../src/sources/elasticsearch.js'

const NOW = Date.parse('2026-11-25T12:00:00Z')
const DAY = 86_400_000

async function compile(argv: string[]): Promise<PoliciesOptions> {
  const {flags} = await Parser.parse(argv, {flags: Policies.flags, args: {}, strict: true})
  return policiesOptions(flags as PoliciesFlagValues, NOW)
}

/** What the Elasticsearch flags compile to when none is given (the environment has no ES_* credentials here). */
const ES_DEFAULTS: ElasticsearchOptions = {
  url: undefined,
  index: undefined,
  cluster: 'cluster',
  listClusters: false,
  caFile: undefined,
  insecure: false,
  credentials: null,
  credentialsFrom: null,
  credentialsProblem: undefined,
  pushDown: true,
  requestTimeoutMs: 60_000,
}

/** The options a bare `kubectl audit policies` compiles to: every default, in one place. */
const DEFAULTS: PoliciesOptions = {
  input: {
    from: 'cluster',
    location: 'auto',
    cluster: {
      kubeconfig: undefined,
      context: undefined,
      cluster: undefined,
      kubeUser: undefined,
      server: undefined,
      certificateAuthority: undefined,
      insecureSkipTlsVerify: false,
      token: undefined,
      impersonate: undefined,
      requestTimeoutMs: 0,
      verbose: false,
      nodes: [],
      logPath: undefined,
      via: 'auto',
      image: DEFAULT_READER_IMAGE,
      podNamespace: 'kube-system',
      podTimeoutSeconds: 600,
      sinceMs: NOW - DAY,
    },
    eks: {},
    elasticsearch: ES_DEFAULTS,
  },
  window: {sinceMs: NOW - DAY, untilMs: null},
  filter: {sinceMs: NOW - DAY, untilMs: null, includeDryRun: false, includeSubresources: false},
  query: {
    sinceMs: NOW - DAY,
    untilMs: null,
    resources: WATCHED_RESOURCES.map(({apiGroup, resource}) => ({apiGroup, resource})),
    verbs: [...WRITE_VERBS],
    users: [],
    namespaces: [],
  },
  selection: {users: [], verbs: [], resources: null, namespaces: [], tiers: [], outcome: 'all'},
  selectionFlags: [],
  output: 'table',
  color: 'auto',
  limit: 20,
  watch: null,
}

type Cluster = Extract<PoliciesOptions['input'], {from: 'cluster'}>['cluster']
// --request-timeout bounds a store's requests too.
const cluster = (changes: Partial<Cluster>): Partial<PoliciesOptions> => ({
  input: {
    from: 'cluster',
    location: 'auto',
    cluster: {...(DEFAULTS.input as {cluster: Cluster}).cluster, ...changes},
    eks: {},
    elasticsearch: changes.requestTimeoutMs
      ? {...ES_DEFAULTS, requestTimeoutMs: changes.requestTimeoutMs}
      : ES_DEFAULTS,
  },
})
const eks = (location: 'auto' | 'cloudwatch', options: Record<string, string>): Partial<PoliciesOptions> => ({
  input: {...(DEFAULTS.input as Extract<PoliciesOptions['input'], {from: 'cluster'}>), location, eks: options},
})
const store = (
  location: 'auto' | 'elasticsearch',
  changes: Partial<ElasticsearchOptions>,
): Partial<PoliciesOptions> => ({
  input: {
    ...(DEFAULTS.input as Extract<PoliciesOptions['input'], {from: 'cluster'}>),
    location,
    elasticsearch: {...ES_DEFAULTS, ...changes},
  },
})

describe('policies options', () => {
  it('compiles no flags to the defaults: the logs on the control-plane nodes, the last 24 hours', async () => {
    assert.deepEqual(await compile([]), DEFAULTS)
  })

  // [command line, the options that differ from DEFAULTS]
  const rows: Array<[string[], Partial<PoliciesOptions>]> = [
    [['-f', 'a.log'], {input: {from: 'files', files: ['a.log']}}],
    [['-f', 'a.log', '-f', '-'], {input: {from: 'files', files: ['a.log', '-']}}],
    [
      ['--since', 'all'],
      {
        window: {sinceMs: null, untilMs: null},
        filter: {...DEFAULTS.filter, sinceMs: null},
        query: {...DEFAULTS.query, sinceMs: null},
        ...cluster({sinceMs: null}),
      },
    ],
    [
      ['--source', 'nodes'],
      {input: {...(DEFAULTS.input as Extract<PoliciesOptions['input'], {from: 'cluster'}>), location: 'nodes'}},
    ],
    [
      ['-f', 'a.log', '--since-time', '2026-11-24T10:00:00Z', '--until-time', '2026-11-24T11:00:00+01:00'],
      {
        input: {from: 'files', files: ['a.log']},
        window: {sinceMs: Date.parse('2026-11-24T10:00:00Z'), untilMs: Date.parse('2026-11-24T10:00:00Z')},
        filter: {
          ...DEFAULTS.filter,
          sinceMs: Date.parse('2026-11-24T10:00:00Z'),
          untilMs: Date.parse('2026-11-24T10:00:00Z'),
        },
        query: {
          ...DEFAULTS.query,
          sinceMs: Date.parse('2026-11-24T10:00:00Z'),
          untilMs: Date.parse('2026-11-24T10:00:00Z'),
        },
      },
    ],
    [
      [
        '--user',
        'alice',
        '--user',
        'system:serviceaccount:*',
        '--verb',
        'patch,DELETE',
        '--kind',
        'gnp',
        '-n',
        'prod',
        '--tier',
        'security,default',
        '--outcome',
        'failed',
      ],
      {
        selection: {
          users: ['alice', 'system:serviceaccount:*'],
          verbs: ['patch', 'delete'],
          resources: new Set([
            'globalnetworkpolicies.projectcalico.org',
            'globalnetworkpolicies.crd.projectcalico.org',
          ]),
          namespaces: ['prod'],
          tiers: ['security', 'default'],
          outcome: 'failed',
        },
        selectionFlags: [
          '--user alice',
          '--user system:serviceaccount:*',
          '--verb patch,delete',
          '--kind gnp',
          '-n prod',
          '--tier security,default',
          '--outcome failed',
        ],
        // A store is asked for the Calico kind in both groups: the backing write carries the tier.
        query: {
          ...DEFAULTS.query,
          users: ['alice', 'system:serviceaccount:*'],
          verbs: ['patch', 'delete'],
          namespaces: ['prod'],
          resources: [
            {apiGroup: 'projectcalico.org', resource: 'globalnetworkpolicies'},
            {apiGroup: 'crd.projectcalico.org', resource: 'globalnetworkpolicies'},
          ],
        },
      },
    ],
    [
      ['--kind', 'globalnetworkpolicies.projectcalico.org'],
      {
        selection: {...DEFAULTS.selection, resources: new Set(['globalnetworkpolicies.projectcalico.org'])},
        selectionFlags: ['--kind globalnetworkpolicies.projectcalico.org'],
        query: {
          ...DEFAULTS.query,
          resources: [
            {apiGroup: 'projectcalico.org', resource: 'globalnetworkpolicies'},
            {apiGroup: 'crd.projectcalico.org', resource: 'globalnetworkpolicies'},
          ],
        },
      },
    ],
    [
      ['--include-dry-run', '--include-subresources', '--limit', '0', '-o', 'wide', '--color', 'never'],
      {
        filter: {...DEFAULTS.filter, includeDryRun: true, includeSubresources: true},
        limit: 0,
        output: 'wide',
        color: 'never',
      },
    ],
    [
      [
        '--node',
        'cp-1,cp-2',
        '--node',
        'cp-1',
        '--node',
        ' cp-3 ',
        '--log-path',
        '/var/log/audit.log',
        '--via',
        'pod',
        '--image',
        ' registry.local/busybox ',
        '--pod-namespace',
        'audit',
        '--pod-timeout',
        '90s',
      ],
      cluster({
        nodes: ['cp-1', 'cp-2', 'cp-3'],
        logPath: '/var/log/audit.log',
        via: 'pod',
        image: 'registry.local/busybox',
        podNamespace: 'audit',
        podTimeoutSeconds: 90,
      }),
    ],
    [['--request-timeout', '30'], cluster({requestTimeoutMs: 30_000})],
    [['--request-timeout', '1m30s'], cluster({requestTimeoutMs: 90_000})],
    [
      ['--kubeconfig', 'kc.yaml', '--context', 'prod', '--cluster', 'c', '--kube-user', 'admin'],
      cluster({kubeconfig: 'kc.yaml', context: 'prod', cluster: 'c', kubeUser: 'admin'}),
    ],
    [
      ['-s', 'https://10.0.0.1:6443/', '--certificate-authority', 'ca.pem', '--token', 't0k3n'],
      cluster({server: 'https://10.0.0.1:6443', certificateAuthority: 'ca.pem', token: 't0k3n'}),
    ],
    [
      ['--server', 'http://127.0.0.1:8001', '--insecure-skip-tls-verify'],
      cluster({server: 'http://127.0.0.1:8001', insecureSkipTlsVerify: true}),
    ],
    [
      ['--as', 'alice', '--as-group', 'ops', '--as-group', 'system:masters'],
      cluster({impersonate: {user: 'alice', groups: ['ops', 'system:masters']}}),
    ],
    [
      ['--as', 'system:serviceaccount:ci:deployer'],
      cluster({impersonate: {user: 'system:serviceaccount:ci:deployer', groups: []}}),
    ],
    [['-v'], cluster({verbose: true})],
    [['--source', 'cloudwatch'], eks('cloudwatch', {})],
    // --cluster-name names a GKE cluster too: both are told, the kubeconfig context decides which is read.
    [
      ['--region', ' eu-west-1 ', '--cluster-name', 'prod-eu'],
      {
        input: {
          ...(eks('auto', {region: 'eu-west-1', clusterName: 'prod-eu'}).input as Extract<
            PoliciesOptions['input'],
            {from: 'cluster'}
          >),
          gke: {cluster: 'prod-eu'},
        },
      },
    ],
    [
      ['--source', 'cloudwatch', '--log-group', '/aws/eks/prod-eu/cluster', '--region', 'us-gov-west-1'],
      eks('cloudwatch', {logGroup: '/aws/eks/prod-eu/cluster', region: 'us-gov-west-1'}),
    ],
    [['--source', 'elasticsearch'], store('elasticsearch', {})],
    [
      ['--source', 'elasticsearch', '--es-cluster', 'managed-eu', '--es-ca', 'ca.pem'],
      store('elasticsearch', {cluster: 'managed-eu', caFile: 'ca.pem'}),
    ],
    // Used only if no node log can be read and the cluster has Calico Enterprise's Elasticsearch.
    [['--es-cluster', 'managed-eu'], store('auto', {cluster: 'managed-eu'})],
    [['--es-clusters'], store('elasticsearch', {listClusters: true})],
    [
      ['--es', 'https://es.example:9200/', '--es-index', 'logs-kubernetes.audit_logs-*', '--request-timeout', '5s'],
      {
        input: {
          from: 'elasticsearch',
          elasticsearch: {
            ...ES_DEFAULTS,
            url: 'https://es.example:9200',
            index: 'logs-kubernetes.audit_logs-*',
            requestTimeoutMs: 5000,
          },
        },
      },
    ],
    [
      ['--es', 'http://127.0.0.1:9200', '--es-insecure-skip-tls-verify', '--no-es-push-down'],
      {
        input: {
          from: 'elasticsearch',
          elasticsearch: {...ES_DEFAULTS, url: 'http://127.0.0.1:9200', insecure: true, pushDown: false},
        },
      },
    ],
    [
      ['--source', 'cloud-logging', '--project', 'shop-prod', '--location', ' europe-west1 ', '--cluster-name', 'prod'],
      {
        input: {
          ...(DEFAULTS.input as Extract<PoliciesOptions['input'], {from: 'cluster'}>),
          location: 'cloud-logging',
          eks: {clusterName: 'prod'},
          gke: {project: 'shop-prod', location: 'europe-west1', cluster: 'prod'},
        },
      },
    ],
    [
      ['--project', 'shop-prod'],
      {
        input: {
          ...(DEFAULTS.input as Extract<PoliciesOptions['input'], {from: 'cluster'}>),
          gke: {project: 'shop-prod'},
        },
      },
    ],
    [['-w'], {watch: {intervalMs: 1000}}],
    // A log store is asked again each interval (no faster than its quota: reading/follow-store.ts).
    [['-w', '--source', 'cloudwatch'], {...eks('cloudwatch', {}), watch: {intervalMs: 1000}}],
    [
      ['--watch', '--watch-interval', '5s', '-f', 'audit.log'],
      {watch: {intervalMs: 5000}, input: {from: 'files', files: ['audit.log']}},
    ],
  ]
  for (const [argv, changes] of rows) {
    it(argv.join(' '), async () => assert.deepEqual(await compile(argv), {...DEFAULTS, ...changes}))
  }

  // [command line, error, hint]: every flag is checked before any work, -f or not.
  const refused: Array<[string[], RegExp, RegExp]> = [
    [['--watch-interval', '2s'], /^--watch-interval is for --watch$/, /^add --watch/],
    [['-w', '--watch-interval', '0.5s'], /^--watch-interval 0.5s is too short/, /^use 1s or more$/],
    [['-w', '--watch-interval', 'often'], /^--watch-interval "often" is not a duration$/, /^use a number with a unit/],
    [
      ['-w', '--until-time', '2026-11-24T10:00:00Z'],
      /^--watch follows the log from now on, so it has no --until-time$/,
      /^drop --until-time/,
    ],
    [
      ['-f', 'a.log', '--pod-timeout', '5s', '--request-timeout', 'soon', '--image', ''],
      /^--request-timeout "soon" is not a duration$/,
      /^use a number with a unit/,
    ],
    [['-f', 'a.log', '--pod-timeout', '5s'], /^--pod-timeout 5s is too short$/, /at least 10s/],
    [['-f', 'a.log', '--image', ' '], /^--image is empty$/, /^name an image the nodes can pull/],
    [['--pod-timeout', 'soon'], /^--pod-timeout "soon" is not a duration$/, /^use a number with a unit/],
    [['--request-timeout', '-1'], /^--request-timeout "-1" is not a duration$/, /or 0 for no overall limit$/],
    [['--log-path', 'audit.log'], /^--log-path audit.log is not an absolute path$/, /as the node sees it/],
    [['--pod-namespace', ''], /^--pod-namespace is empty$/, /kube-system/],
    [
      ['-f', 'a.log', '--node', 'cp-1', '--log-path', '/var/log/a.log'],
      /^--node, --log-path are for reading the logs from the cluster, which -f replaces$/,
      /^drop --node --log-path, or drop -f/,
    ],
    [
      ['-f', 'a.log', '--source', 'nodes'],
      /^--source is for reading the logs from the cluster, which -f replaces$/,
      /^drop --source, or drop -f/,
    ],
    [
      ['-f', 'a.log', '--es', 'https://es:9200'],
      /^--es is for reading the logs from the cluster, which -f replaces$/,
      /^drop --es, or drop -f/,
    ],
    [['--es', 'es.example:9200'], /^--es "es.example:9200" is not an http\(s\) URL$/, /^write it with its scheme/],
    [['--es', 'https://elastic:changeme@es:9200'], /^--es has credentials in it/, /ES_USERNAME and ES_PASSWORD/],
    [
      ['--es', 'https://es:9200', '--context', 'prod'],
      /^--context is for finding the store through the cluster, which --es replaces$/,
      /^drop --context/,
    ],
    [
      ['--es', 'https://es:9200', '--source', 'nodes'],
      /^--es is for reading Elasticsearch, which --source nodes does not$/,
      /^drop --es, or use --source elasticsearch$/,
    ],
    [
      ['--source', 'nodes', '--es-cluster', 'x'],
      /^--es-cluster is for reading Elasticsearch, which --source nodes does not$/,
      /^drop --es-cluster, or use --source elasticsearch/,
    ],
    [
      ['--source', 'elasticsearch', '--node', 'cp-1'],
      /^--node is for reading the control-plane nodes' log files, which Elasticsearch replaces$/,
      /^drop --node/,
    ],
    [
      ['--es', 'https://es:9200', '--es-index', 'audit', '--es-cluster', 'x'],
      /^--es-cluster chooses among Calico Enterprise's indices, which --es-index replaces$/,
      /^drop one/,
    ],
    [
      ['--es', 'https://es:9200', '--es-ca', 'ca.pem', '--es-insecure-skip-tls-verify'],
      /^--es-ca and --es-insecure-skip-tls-verify cannot be used together$/,
      /not both/,
    ],
    [
      ['--source', 'elasticsearch', '--es-cluster', 'a,b'],
      /^--es-cluster "a,b" is not a cluster name$/,
      /--es-clusters/,
    ],
    [
      ['--es', 'https://es:9200', '--es-index', 'audit logs'],
      /^--es-index "audit logs" is not an index name or pattern$/,
      /commas/,
    ],
    [
      ['-f', 'a.log', '--project', 'shop-prod', '--cluster-name', 'prod'],
      /^--cluster-name, --project are for reading the logs from the cluster, which -f replaces$/,
      /^drop --cluster-name --project, or drop -f/,
    ],
    [['--location', ' '], /^--location is empty$/, /^give it a value/],
    [
      ['--source', 'cloud-logging', '--node', 'cp-1', '--via', 'pod'],
      /^--node, --via are for reading the control-plane nodes' log files, which --source cloud-logging replaces$/,
      /^drop --node --via, or the --source$/,
    ],
    [
      ['--source', 'nodes', '--project', 'shop-prod'],
      /^--project is for reading a GKE cluster's audit log from Cloud Logging, which --source nodes replaces$/,
      /^drop --project, or the --source$/,
    ],
    [
      ['-f', 'a.log', '--context', 'prod'],
      /^--context is for reading the logs from the cluster, which -f replaces$/,
      /^drop --context, or drop -f/,
    ],
    [['-f', 'a.log', '-v'], /^--verbose is for reading the logs from the cluster/, /^drop --verbose/],
    [
      ['--server', '10.0.0.1:6443'],
      /^--server "10.0.0.1:6443" is not an http\(s\) URL$/,
      /^write it with its scheme, e\.g\. https:\/\/10\.0\.0\.1:6443/,
    ],
    [['--server', 'ftp://x'], /^--server "ftp:\/\/x" is not an http\(s\) URL$/, /https:\/\/x/],
    [['--as-group', 'ops'], /^--as-group needs --as/, /^e\.g\. --as alice --as-group ops$/],
    [['--as', 'alice', '--as-group', ''], /^--as-group is empty$/, /name a group/],
    [['--as', ''], /^--as is empty$/, /leave --as out/],
    [['--token', ''], /^--token is empty$/, /leave --token out/],
    [
      ['--certificate-authority', 'ca.pem', '--insecure-skip-tls-verify'],
      /^--certificate-authority and --insecure-skip-tls-verify cannot be used together$/,
      /not both/,
    ],
    [
      ['--since', '2026-11-24T09:00:00Z'],
      /^--since "2026-11-24T09:00:00Z" is not a duration$/,
      /use --since-time 2026-11-24T09:00:00Z$/,
    ],
    [['--since', '1d', '--until-time', '2026-11-20T00:00:00Z'], /--since 1d counts back from now/, /--since-time/],
    [['--verb', 'get'], /^--verb get is not a write verb$/, /^use one of: create/],
    [['--kind', 'pods'], /^--kind pods is not a watched kind$/, /^use one of: gnp/],
    [['--user', ''], /^--user is empty$/, /leave --user out/],
    [
      ['-f', 'a.log', '--region', 'eu-west-1'],
      /^--region is for reading the logs from the cluster, which -f replaces$/,
      /^drop --region, or drop -f/,
    ],
    [
      ['--source', 'nodes', '--log-group', '/aws/eks/x/cluster'],
      /^--log-group does not apply when reading the control-plane nodes' files$/,
      /^drop --log-group, or use --source cloudwatch$/,
    ],
    [
      ['--source', 'cloudwatch', '--node', 'cp-1', '--via', 'pod'],
      /^--node, --via do not apply when reading CloudWatch Logs \(EKS\)$/,
      /^drop --node --via, or use --source nodes$/,
    ],
    [
      ['--cluster-name', 'prod', '--log-path', '/var/log/a.log'],
      /^--log-path does not apply when reading CloudWatch Logs \(EKS\)$/,
      /--source nodes/,
    ],
    [['--region', 'Europe'], /^--region Europe is not an AWS region$/, /eu-west-1/],
    [['--cluster-name', 'a b'], /^--cluster-name a b is not a cluster name$/, /letters, digits/],
    [['--log-group', 'x y'], /^--log-group x y is not a log group name$/, /\/aws\/eks\/prod\/cluster/],
    [['--region', ' '], /^--region is empty$/, /leave --region out/],
  ]
  for (const [argv, message, hint] of refused) {
    it(`refuses ${argv.join(' ')}`, async () => {
      await assert.rejects(
        compile(argv),
        (error: unknown) =>
          error instanceof UserError &&
          message.test(error.message) &&
          hint.test(error.hint ?? '') &&
          error.exitCode === 2,
      )
    })
  }
})
