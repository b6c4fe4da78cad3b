import assert from 'node:assert/strict'

import {ruleSummary, summaryLineText} from '../../src/audit/what-changed/rule-summary.js'

type Obj = Record<string, unknown>
const knp = (spec: Obj, kind = 'NetworkPolicy', apiVersion = 'networking.k8s.io/v1'): Obj => ({
  apiVersion,
  kind,
  metadata: {name: 'p', namespace: 'shop'},
  spec,
})
const calico = (kind: string, spec: Obj): Obj => ({
  apiVersion: 'projectcalico.org/v3',
  kind,
  metadata: {name: 'p', ...(kind.endsWith('GlobalNetworkPolicy') ? {} : {namespace: 'shop'})},
  spec,
})
const anp = (spec: Obj, kind = 'AdminNetworkPolicy'): Obj => ({
  apiVersion: 'policy.networking.k8s.io/v1alpha1',
  kind,
  metadata: {name: kind === 'AdminNetworkPolicy' ? 'p' : 'default'},
  spec,
})
const lines = (before: Obj | null, after: Obj | null) => ruleSummary(before, after)?.map(summaryLineText)

// Each row: the two versions and the lines, written from the rule grammar
// `<direction> [<"name">] <action> [<ports>] from|to <peer>` (rule-text.ts): Kubernetes label
// selectors as kubectl prints them (requirements sorted by key), Calico selectors as written, peers
// of one Kubernetes rule joined by `or`, the parts of one Calico entity by `and`.
const cases: Array<[string, Obj | null, Obj | null, string[] | undefined]> = [
  [
    'Kubernetes: egress with no `to`, named and ranged ports, a protocol alone, matchExpressions',
    null,
    knp({
      podSelector: {
        matchLabels: {app: 'shop'},
        matchExpressions: [
          {key: 'tier', operator: 'In', values: ['web', 'api']},
          {key: 'legacy', operator: 'DoesNotExist'},
        ],
      },
      policyTypes: ['Egress'],
      egress: [
        {ports: [{protocol: 'UDP', port: 53}, {port: 'dns-tcp'}]},
        {
          to: [{ipBlock: {cidr: '10.0.0.0/8', except: ['10.1.0.0/16']}}],
          ports: [{protocol: 'TCP', port: 30000, endPort: 32767}, {protocol: 'SCTP'}],
        },
      ],
    }),
    [
      '+ podSelector app=shop,!legacy,tier in (api,web)',
      '+ policyTypes Egress',
      '+ egress allow udp/53,tcp/dns-tcp to anywhere',
      '+ egress allow tcp/30000-32767,sctp to 10.0.0.0/8 except 10.1.0.0/16',
    ],
  ],
  [
    'Kubernetes: peers of a rule joined by or, a pod selector within a namespace selector; policyTypes as the API infers them',
    null,
    knp({
      podSelector: {},
      ingress: [
        {
          from: [
            {namespaceSelector: {matchLabels: {team: 'payments'}}},
            {namespaceSelector: {}, podSelector: {matchLabels: {app: 'api'}}},
            {podSelector: {}},
          ],
        },
      ],
      egress: [
        {
          to: [
            {
              namespaceSelector: {
                matchExpressions: [
                  {key: 'env', operator: 'NotIn', values: ['dev']},
                  {key: 'owner', operator: 'Exists'},
                ],
              },
            },
          ],
        },
      ],
    }),
    [
      '+ podSelector {}',
      '+ policyTypes Ingress,Egress',
      '+ ingress allow from namespaceSelector team=payments or podSelector app=api in namespaceSelector {} or podSelector {}',
      '+ egress allow to namespaceSelector env notin (dev),owner',
    ],
  ],
  [
    'Kubernetes (extensions/v1beta1): who it applies to, and a port changed in place',
    knp(
      {podSelector: {matchLabels: {app: 'web'}}, ingress: [{ports: [{port: 80}], from: [{podSelector: {}}]}]},
      'NetworkPolicy',
      'extensions/v1beta1',
    ),
    knp(
      {podSelector: {}, ingress: [{ports: [{port: 8080}], from: [{podSelector: {}}]}]},
      'NetworkPolicy',
      'extensions/v1beta1',
    ),
    ['~ podSelector app=web -> {}', '~ ingress allow tcp/8080 from podSelector {} (was tcp/80)'],
  ],
  [
    'Kubernetes: a rule at the same position with other peers and other ports was removed and another added',
    knp({podSelector: {}, ingress: [{ports: [{port: 80}], from: [{podSelector: {}}]}]}),
    knp({podSelector: {}, ingress: [{ports: [{port: 5432}], from: [{ipBlock: {cidr: '192.0.2.0/24'}}]}]}),
    ['- ingress allow tcp/80 from podSelector {}', '+ ingress allow tcp/5432 from 192.0.2.0/24'],
  ],
  [
    'Kubernetes: rules are a union, so reordering them changes nothing',
    knp({podSelector: {}, ingress: [{ports: [{port: 80}]}, {ports: [{port: 443}]}]}),
    knp({podSelector: {}, ingress: [{ports: [{port: 443}]}, {ports: [{port: 80}]}]}),
    [],
  ],
  [
    'Kubernetes: Egress added to policyTypes',
    knp({podSelector: {}, policyTypes: ['Ingress']}),
    knp({podSelector: {}, policyTypes: ['Ingress', 'Egress']}),
    ['~ policyTypes Ingress -> Ingress,Egress'],
  ],
  [
    "Calico's StagedKubernetesNetworkPolicy: a Kubernetes spec and a stagedAction",
    null,
    calico('StagedKubernetesNetworkPolicy', {
      stagedAction: 'Set',
      podSelector: {matchLabels: {app: 'web'}},
      ingress: [{from: [{podSelector: {matchLabels: {app: 'gateway'}}}]}],
    }),
    [
      '+ stagedAction Set',
      '+ podSelector app=web',
      '+ policyTypes Ingress',
      '+ ingress allow from podSelector app=gateway',
    ],
  ],
  [
    'Calico NetworkPolicy: every kind of match a rule can have',
    null,
    calico('NetworkPolicy', {
      ingress: [
        {action: 'Log', protocol: 'ICMP', icmp: {type: 8, code: 0}, ipVersion: 4},
        {
          action: 'Allow',
          protocol: 'TCP',
          source: {notNets: ['10.0.0.0/8'], ports: ['1024:65535']},
          destination: {ports: [443, 'https-alt'], selector: "role == 'frontend'"},
        },
        {action: 'Pass', source: {serviceAccounts: {names: ['api', 'worker'], selector: "team == 'x'"}}},
        {action: 'Deny', protocol: 'ICMPv6', notICMP: {type: 128}},
      ],
      egress: [
        {action: 'Deny', notProtocol: 'UDP', destination: {services: {name: 'db', namespace: 'data'}, notPorts: [22]}},
        {
          action: 'Allow',
          protocol: 'UDP',
          source: {selector: "app == 'dns-client'"},
          destination: {nets: ['0.0.0.0/0'], selector: 'has(dns)', namespaceSelector: 'global()', ports: [53]},
        },
        {action: 'Allow', http: {methods: ['GET'], paths: [{prefix: '/api'}]}},
      ],
    }),
    [
      '+ tier default',
      '+ order none',
      '+ selector all()',
      '+ types Ingress,Egress',
      '+ ingress log ipv4 icmp type 8 code 0 from anywhere',
      "+ ingress allow tcp/443,https-alt from not 10.0.0.0/8 and ports 1024:65535 to selector role == 'frontend'",
      "+ ingress pass from serviceAccounts api,worker and serviceAccounts selector team == 'x'",
      '+ ingress deny icmpv6 not type 128 from anywhere',
      '+ egress deny not udp notPorts 22 to service data/db',
      "+ egress allow udp/53 from selector app == 'dns-client' to 0.0.0.0/0 and selector has(dns) and namespaceSelector global()",
      '+ egress allow to anywhere http {"methods":["GET"],"paths":[{"prefix":"/api"}]}',
    ],
  ],
  [
    'Calico GlobalNetworkPolicy: the fields that say where and to whom it applies',
    null,
    calico('GlobalNetworkPolicy', {
      order: 5,
      selector: "role == 'db'",
      namespaceSelector: "projectcalico.org/name == 'shop'",
      serviceAccountSelector: "sa == 'x'",
      types: ['Ingress'],
      applyOnForward: true,
      preDNAT: true,
    }),
    [
      '+ tier default',
      '+ order 5',
      "+ selector role == 'db'",
      "+ namespaceSelector projectcalico.org/name == 'shop'",
      "+ serviceAccountSelector sa == 'x'",
      '+ types Ingress',
      '+ preDNAT true',
      '+ applyOnForward true',
    ],
  ],
  [
    'Calico: order, tier and selector changes, an optional field set',
    calico('GlobalNetworkPolicy', {order: 100, selector: "app == 'a'", types: ['Ingress']}),
    calico('GlobalNetworkPolicy', {tier: 'security', order: 200, selector: '', types: ['Ingress'], doNotTrack: true}),
    ['~ tier default -> security', '~ order 100 -> 200', "~ selector app == 'a' -> all()", '+ doNotTrack true'],
  ],
  [
    'Calico: an action changed in place',
    calico('GlobalNetworkPolicy', {
      ingress: [{action: 'Deny', protocol: 'TCP', source: {nets: ['0.0.0.0/0']}, destination: {ports: [22]}}],
    }),
    calico('GlobalNetworkPolicy', {
      ingress: [{action: 'Allow', protocol: 'TCP', source: {nets: ['0.0.0.0/0']}, destination: {ports: [22]}}],
    }),
    ['~ ingress allow tcp/22 from 0.0.0.0/0 (was deny)'],
  ],
  [
    'Calico: rules are evaluated in order, so a move is a change',
    calico('NetworkPolicy', {
      ingress: [
        {action: 'Allow', source: {selector: 'a()'}},
        {action: 'Allow', source: {selector: 'b()'}},
        {action: 'Deny'},
      ],
    }),
    calico('NetworkPolicy', {
      ingress: [
        {action: 'Deny'},
        {action: 'Allow', source: {selector: 'a()'}},
        {action: 'Allow', source: {selector: 'b()'}},
      ],
    }),
    ['~ ingress deny from anywhere (moved from 3 to 1)'],
  ],
  [
    'Calico: a change in a field the line does not show',
    calico('NetworkPolicy', {egress: [{action: 'Allow', metadata: {annotations: {why: 'a'}}}]}),
    calico('NetworkPolicy', {egress: [{action: 'Allow', metadata: {annotations: {why: 'b'}}}]}),
    ['~ egress allow to anywhere (changed in a field not shown here)'],
  ],
  [
    'Calico StagedGlobalNetworkPolicy deleted',
    calico('StagedGlobalNetworkPolicy', {
      stagedAction: 'Delete',
      tier: 'security',
      order: 1,
      selector: 'all()',
      types: ['Egress'],
    }),
    null,
    ['- stagedAction Delete', '- tier security', '- order 1', '- selector all()', '- types Egress'],
  ],
  [
    'AdminNetworkPolicy: pods, nodes and networks; named and ranged ports',
    null,
    anp({
      priority: 3,
      subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: 'db'}}}},
      ingress: [
        {
          name: 'from-api',
          action: 'Pass',
          from: [{pods: {namespaceSelector: {matchLabels: {team: 'x'}}, podSelector: {}}}],
          ports: [{namedPort: 'postgres'}],
        },
      ],
      egress: [
        {
          name: 'to-nodes',
          action: 'Allow',
          to: [{nodes: {matchLabels: {'node-role.kubernetes.io/control-plane': ''}}}, {networks: ['::/0']}],
          ports: [{portRange: {protocol: 'UDP', start: 1000, end: 2000}}],
        },
      ],
    }),
    [
      '+ priority 3',
      '+ subject pods app=db in namespaces {}',
      '+ ingress "from-api" pass namedPort postgres from pods {} in namespaces team=x',
      '+ egress "to-nodes" allow udp/1000-2000 to nodes node-role.kubernetes.io/control-plane= or ::/0',
    ],
  ],
  [
    'AdminNetworkPolicy: rules keep their names; a named rule changed and moved, another moved',
    anp({
      priority: 1,
      subject: {namespaces: {}},
      ingress: [
        {name: 'x', action: 'Allow', from: [{namespaces: {}}], ports: [{portNumber: {protocol: 'TCP', port: 80}}]},
        {name: 'y', action: 'Deny', from: [{namespaces: {}}], ports: [{portNumber: {protocol: 'TCP', port: 80}}]},
      ],
    }),
    anp({
      priority: 1,
      subject: {namespaces: {}},
      ingress: [
        {name: 'y', action: 'Deny', from: [{namespaces: {}}], ports: [{portNumber: {protocol: 'TCP', port: 81}}]},
        {name: 'x', action: 'Allow', from: [{namespaces: {}}], ports: [{portNumber: {protocol: 'TCP', port: 80}}]},
      ],
    }),
    [
      '~ ingress "y" deny tcp/81 from namespaces {} (was tcp/80)',
      '~ ingress "x" allow tcp/80 from namespaces {} (moved from 1 to 2)',
    ],
  ],
  [
    'AdminNetworkPolicy: a rule renamed in place',
    anp({
      priority: 1,
      subject: {namespaces: {}},
      egress: [{name: 'old', action: 'Deny', to: [{networks: ['10.0.0.0/8']}]}],
    }),
    anp({
      priority: 1,
      subject: {namespaces: {}},
      egress: [{name: 'new', action: 'Deny', to: [{networks: ['10.0.0.0/8']}]}],
    }),
    ['~ egress "new" deny to 10.0.0.0/8 (was "old")'],
  ],
  [
    'BaselineAdminNetworkPolicy: a subject and rules, no priority',
    null,
    anp(
      {
        subject: {namespaces: {matchLabels: {env: 'prod'}}},
        ingress: [{name: 'default-deny', action: 'Deny', from: [{namespaces: {}}]}],
      },
      'BaselineAdminNetworkPolicy',
    ),
    ['+ subject namespaces env=prod', '+ ingress "default-deny" deny from namespaces {}'],
  ],
  [
    'a kind whose rules are not read',
    null,
    {apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: {name: 'x'}, spec: {nets: ['0.0.0.0/0']}},
    undefined,
  ],
  [
    'the newer ClusterNetworkPolicy is not read either',
    null,
    {apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'ClusterNetworkPolicy', metadata: {name: 'x'}, spec: {}},
    undefined,
  ],
  ['no object on either side', null, null, undefined],
]

describe('what changed: rule summaries', () => {
  for (const [title, before, after, expected] of cases)
    it(title, () => assert.deepEqual(lines(before, after), expected))
})
