import assert from 'node:assert/strict'

import {type Finding, whatChangeOpens, whatOpens} from '../../src/audit/what-changed/opens.js'
import {type ObjectWrite, type Side, UNKNOWN, whatChanged} from '../../src/audit/what-changed/versions.js'

type Obj = Record<string, unknown>
const knp = (spec: Obj): Obj => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: {name: 'p', namespace: 'shop'},
  spec,
})
const gnp = (spec: Obj, kind = 'GlobalNetworkPolicy'): Obj => ({
  apiVersion: 'projectcalico.org/v3',
  kind,
  metadata: {name: 'p', ...(kind.endsWith('GlobalNetworkPolicy') ? {} : {namespace: 'shop'})},
  spec,
})
const anp = (spec: Obj): Obj => ({
  apiVersion: 'policy.networking.k8s.io/v1alpha1',
  kind: 'AdminNetworkPolicy',
  metadata: {name: 'p'},
  spec,
})
const tier = (spec: Obj): Obj => ({
  apiVersion: 'projectcalico.org/v3',
  kind: 'Tier',
  metadata: {name: 'security'},
  spec,
})
const web = {podSelector: {matchLabels: {app: 'web'}}}
const ssh = (action: string, nets = ['0.0.0.0/0']) => ({
  action,
  protocol: 'TCP',
  source: {nets},
  destination: {ports: [22]},
})

const flagged: Array<[string, Obj | null, Obj | null, Finding[]]> = [
  [
    'a Kubernetes ingress rule with no from',
    null,
    knp({...web, ingress: [{ports: [{port: 80}]}]}),
    [
      {
        code: 'allow-any-peer',
        message: 'allows from anywhere: the rule has no from',
        rule: 'ingress allow tcp/80 from anywhere',
      },
    ],
  ],
  [
    'a Kubernetes egress rule with no to',
    knp({...web, policyTypes: ['Egress']}),
    knp({...web, policyTypes: ['Egress'], egress: [{}]}),
    [{code: 'allow-any-peer', message: 'allows to anywhere: the rule has no to', rule: 'egress allow to anywhere'}],
  ],
  [
    'a Kubernetes rule from ::/0, and one from 0.0.0.0/0 with exceptions',
    knp(web),
    knp({
      ...web,
      ingress: [{from: [{ipBlock: {cidr: '::/0'}}]}, {from: [{ipBlock: {cidr: '0.0.0.0/0', except: ['10.0.0.0/8']}}]}],
    }),
    [
      {code: 'allow-world-cidr', message: 'allows from every address (::/0)', rule: 'ingress allow from ::/0'},
      {
        code: 'allow-world-cidr',
        message: 'allows from every address (0.0.0.0/0)',
        rule: 'ingress allow from 0.0.0.0/0 except 10.0.0.0/8',
      },
    ],
  ],
  [
    'a Calico Allow rule whose source names no peer (exclusions do not count)',
    gnp({selector: 'a()'}),
    gnp({selector: 'a()', ingress: [{action: 'Allow', protocol: 'TCP', source: {notNets: ['10.0.0.0/8']}}]}),
    [
      {
        code: 'allow-any-peer',
        message: "allows from anywhere: the rule's source names no peer",
        rule: 'ingress allow tcp from not 10.0.0.0/8',
      },
    ],
  ],
  [
    'a Calico egress Allow rule to 0.0.0.0/0',
    null,
    gnp({selector: 'a()', egress: [{action: 'Allow', destination: {nets: ['0.0.0.0/0']}}]}),
    [{code: 'allow-world-cidr', message: 'allows to every address (0.0.0.0/0)', rule: 'egress allow to 0.0.0.0/0'}],
  ],
  [
    'a Calico Deny rule removed',
    gnp({selector: 'a()', ingress: [ssh('Deny'), {action: 'Allow', source: {selector: 'b()'}}]}),
    gnp({selector: 'a()', ingress: [{action: 'Allow', source: {selector: 'b()'}}]}),
    [{code: 'deny-rule-removed', message: 'deny rule removed', rule: 'ingress deny tcp/22 from 0.0.0.0/0'}],
  ],
  [
    'Pass replacing Deny',
    gnp({selector: 'a()', ingress: [ssh('Deny', ['192.0.2.0/24'])]}),
    gnp({selector: 'a()', ingress: [ssh('Pass', ['192.0.2.0/24'])]}),
    [{code: 'deny-replaced', message: 'pass replaces deny', rule: 'ingress pass tcp/22 from 192.0.2.0/24'}],
  ],
  [
    'Allow replacing Deny, from every address',
    gnp({selector: 'a()', ingress: [ssh('Deny')]}),
    gnp({selector: 'a()', ingress: [ssh('Allow')]}),
    [
      {
        code: 'allow-world-cidr',
        message: 'allows from every address (0.0.0.0/0)',
        rule: 'ingress allow tcp/22 from 0.0.0.0/0',
      },
      {code: 'deny-replaced', message: 'allow replaces deny', rule: 'ingress allow tcp/22 from 0.0.0.0/0'},
    ],
  ],
  [
    'Pass replacing Deny in an admin network policy rule',
    anp({
      priority: 1,
      subject: {namespaces: {matchLabels: {env: 'prod'}}},
      egress: [{name: 'imds', action: 'Deny', to: [{networks: ['169.254.169.254/32']}]}],
    }),
    anp({
      priority: 1,
      subject: {namespaces: {matchLabels: {env: 'prod'}}},
      egress: [{name: 'imds', action: 'Pass', to: [{networks: ['169.254.169.254/32']}]}],
    }),
    [{code: 'deny-replaced', message: 'pass replaces deny', rule: 'egress "imds" pass to 169.254.169.254/32'}],
  ],
  [
    'a GlobalNetworkPolicy with an allow rule made to select all()',
    gnp({selector: "app == 'web'", ingress: [{action: 'Allow', source: {selector: 'b()'}}]}),
    gnp({selector: 'all()', ingress: [{action: 'Allow', source: {selector: 'b()'}}]}),
    [{code: 'applies-to-all', message: 'now applies to every endpoint'}],
  ],
  [
    'a Calico NetworkPolicy created with no selector (all()) and a pass rule',
    null,
    gnp({ingress: [{action: 'Pass', source: {selector: 'b()'}}]}, 'NetworkPolicy'),
    [{code: 'applies-to-all', message: 'applies to every endpoint in namespace shop'}],
  ],
  [
    'a Kubernetes policy created with podSelector {} and a rule',
    null,
    knp({podSelector: {}, ingress: [{from: [{podSelector: {matchLabels: {app: 'x'}}}]}]}),
    [{code: 'applies-to-all', message: 'applies to every pod in namespace shop'}],
  ],
  [
    'an admin network policy whose subject becomes every namespace',
    anp({
      priority: 1,
      subject: {namespaces: {matchLabels: {env: 'prod'}}},
      ingress: [{name: 'a', action: 'Allow', from: [{namespaces: {matchLabels: {team: 'x'}}}]}],
    }),
    anp({
      priority: 1,
      subject: {namespaces: {}},
      ingress: [{name: 'a', action: 'Allow', from: [{namespaces: {matchLabels: {team: 'x'}}}]}],
    }),
    [{code: 'applies-to-all', message: 'now applies to every pod in every namespace'}],
  ],
  [
    'a Kubernetes default-deny policy deleted',
    knp({podSelector: {}, policyTypes: ['Ingress']}),
    null,
    [{code: 'default-deny-removed', message: 'deleted policy denied all ingress traffic of the pods it selects'}],
  ],
  [
    'Egress taken out of policyTypes of a policy with no egress rules',
    knp({...web, policyTypes: ['Ingress', 'Egress'], ingress: [{from: [{podSelector: {}}]}]}),
    knp({...web, policyTypes: ['Ingress'], ingress: [{from: [{podSelector: {}}]}]}),
    [
      {
        code: 'default-deny-removed',
        message: 'Egress removed from policyTypes: the policy denied all egress traffic of the pods it selects',
      },
    ],
  ],
  [
    'a Calico policy with no rules deleted, and the deny rule of another',
    gnp({selector: 'all()', types: ['Ingress', 'Egress']}),
    null,
    [
      {
        code: 'default-deny-removed',
        message:
          "deleted policy sent all ingress traffic of the endpoints it selects to its tier's default action (Deny unless the tier says otherwise)",
      },
      {
        code: 'default-deny-removed',
        message:
          "deleted policy sent all egress traffic of the endpoints it selects to its tier's default action (Deny unless the tier says otherwise)",
      },
    ],
  ],
  [
    'a policy deleted with its deny rules',
    gnp({selector: 'a()', egress: [{action: 'Deny', destination: {nets: ['10.0.0.0/8']}}, {action: 'Allow'}]}),
    null,
    [{code: 'deny-rule-removed', message: 'deny rule removed with the policy', rule: 'egress deny to 10.0.0.0/8'}],
  ],
  [
    "a tier's defaultAction made Pass (Deny when not set)",
    tier({order: 100}),
    tier({order: 100, defaultAction: 'Pass'}),
    [
      {
        code: 'deny-replaced',
        message: 'defaultAction Pass replaces Deny: traffic no policy in the tier decides goes on to the next tier',
      },
    ],
  ],
]

const notFlagged: Array<[string, Obj | null, Obj | null]> = [
  [
    'ports added to a rule that was already open',
    knp({...web, ingress: [{ports: [{port: 80}]}]}),
    knp({...web, ingress: [{ports: [{port: 80}, {port: 443}]}]}),
  ],
  [
    'a peer changed from no peer to every address: it was open already',
    gnp({selector: 'a()', ingress: [{action: 'Allow'}]}),
    gnp({selector: 'a()', ingress: [{action: 'Allow', source: {nets: ['0.0.0.0/0']}}]}),
  ],
  [
    'an allow rule from every namespace: it stays inside the cluster',
    null,
    knp({...web, ingress: [{from: [{namespaceSelector: {}}]}]}),
  ],
  [
    'a staged policy: it enforces nothing until promoted',
    null,
    gnp({selector: 'all()', ingress: [ssh('Allow')]}, 'StagedGlobalNetworkPolicy'),
  ],
  [
    'a staged policy deleted with its deny rules',
    gnp({selector: 'all()', ingress: [ssh('Deny')]}, 'StagedNetworkPolicy'),
    null,
  ],
  [
    'a deny-only policy made to apply to all(): that narrows',
    gnp({selector: "app == 'x'", ingress: [ssh('Deny')]}),
    gnp({selector: 'all()', ingress: [ssh('Deny')]}),
  ],
  [
    'a Kubernetes default-deny for every pod: that narrows',
    null,
    knp({podSelector: {}, policyTypes: ['Ingress', 'Egress']}),
  ],
  [
    'Calico nets 0.0.0.0/0 together with a selector: the selected endpoints, not every address',
    null,
    gnp({selector: 'a()', ingress: [{action: 'Allow', source: {nets: ['0.0.0.0/0'], selector: 'b()'}}]}),
  ],
  [
    'a Kubernetes policy that only allows, deleted',
    knp({...web, ingress: [{from: [{ipBlock: {cidr: '0.0.0.0/0'}}]}]}),
    null,
  ],
  [
    'a rule added to a direction that denied everything (flagged as a rule when it opens)',
    knp({...web, policyTypes: ['Ingress']}),
    knp({...web, policyTypes: ['Ingress'], ingress: [{from: [{podSelector: {}}]}]}),
  ],
  ['a Log rule from anywhere', null, gnp({selector: 'a()', ingress: [{action: 'Log'}]})],
  [
    'a deny rule narrowed: whether it denies less needs the addresses in use',
    gnp({selector: 'a()', ingress: [ssh('Deny', ['10.0.0.0/8'])]}),
    gnp({selector: 'a()', ingress: [ssh('Deny', ['10.0.0.0/16'])]}),
  ],
  [
    'an allow rule moved above a deny rule',
    gnp({selector: 'a()', ingress: [ssh('Deny', ['10.0.0.0/8']), {action: 'Allow', source: {selector: 'b()'}}]}),
    gnp({selector: 'a()', ingress: [{action: 'Allow', source: {selector: 'b()'}}, ssh('Deny', ['10.0.0.0/8'])]}),
  ],
  ['a tier moved ahead', tier({order: 100}), tier({order: 1})],
  [
    'a network set gaining 0.0.0.0/0: its rules live in other objects',
    null,
    {apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: {name: 'x'}, spec: {nets: ['0.0.0.0/0']}},
  ],
  [
    'a policy that already applied to all, changed',
    gnp({selector: 'all()', ingress: [{action: 'Allow', source: {selector: 'b()'}}]}),
    gnp({selector: 'all()', order: 5, ingress: [{action: 'Allow', source: {selector: 'b()'}}]}),
  ],
]

describe('what changed: what a change opens', () => {
  for (const [title, before, after, expected] of flagged)
    it(`flags ${title}`, () => assert.deepEqual(whatOpens(before, after), expected))
  for (const [title, before, after] of notFlagged)
    it(`does not flag ${title}`, () => assert.deepEqual(whatOpens(before, after), []))

  it('says when what a version opens may not be new, its previous version not being in the log', () => {
    assert.deepEqual(whatOpens(null, knp({...web, ingress: [{}]}), {previousMissing: true}), [
      {
        code: 'allow-any-peer',
        message: 'allows from anywhere: the rule has no from (previous version not in the log: this may not be new)',
        rule: 'ingress allow from anywhere',
      },
    ])
  })
})

describe('what changed: what one change opens', () => {
  const open = knp({...web, ingress: [{}]})
  const closed = knp({...web, ingress: [{from: [{podSelector: {}}]}]})
  const known = (object: Obj): Side => ({
    state: 'known',
    version: {object, origin: 'response', shape: 'object', notes: []},
  })
  const cases: Array<[string, ObjectWrite, Side, string[]]> = [
    [
      'an update that opens',
      {verb: 'update', outcome: 'succeeded', responseObject: open},
      known(closed),
      ['allow-any-peer'],
    ],
    ['the same update, failed', {verb: 'update', outcome: 'failed', responseObject: open}, known(closed), []],
    [
      'the same update, as a dry run',
      {verb: 'update', outcome: 'succeeded', dryRun: true, responseObject: open},
      known(closed),
      [],
    ],
    [
      'a patch whose result is not in the log',
      {verb: 'patch', outcome: 'succeeded', requestObject: {spec: {ingress: [{}]}}},
      known(closed),
      [],
    ],
    ['a delete of an object not in the log', {verb: 'delete', outcome: 'succeeded'}, UNKNOWN, []],
    [
      'an update with no previous version: flagged, may not be new',
      {verb: 'update', outcome: 'succeeded', responseObject: open},
      UNKNOWN,
      ['allow-any-peer'],
    ],
  ]
  for (const [title, write, previous, codes] of cases) {
    it(title, () =>
      assert.deepEqual(
        whatChangeOpens(whatChanged(write, previous)).map((f) => f.code),
        codes,
      ),
    )
  }
})
