import assert from 'node:assert/strict'

import {VersionHistory} from '../../src/audit/what-changed/history.js'
import {type Finding, whatChangeOpens} from '../../src/audit/what-changed/opens.js'
import {summarizeChange, summaryLineText} from '../../src/audit/what-changed/rule-summary.js'
import {NOTES, type Side, type WhatChanged} from '../../src/audit/what-changed/versions.js'
import {diffVersions} from '../../src/audit/what-changed/yaml-diff.js'
import {loadSequence, type SequenceName, stepWrite} from '../fixtures/what-changed/sequences.js'

// Each row is one step of a sequence in test/fixtures/what-changed, checked end to end: the
// versions the log gives, the YAML diff, the rule summary and what the change opens.
//
// How the expected lines were derived by hand from the fixture objects:
// - Diffs leave out metadata.uid, resourceVersion, generation, creationTimestamp, managedFields,
//   status and the last-applied annotation (an annotations map holding only that goes too).
// - Keys print in the object's order: built-in objects (NetworkPolicy) come back in Go field order
//   (kind, apiVersion, metadata{name, namespace, labels}, spec{podSelector, ingress, policyTypes});
//   custom resources (crd.projectcalico.org, AdminNetworkPolicy) come back from the apiserver with
//   every map's keys sorted. Calico objects mapped back to v3 get their metadata in ObjectMeta
//   order (name, then labels).
// - Lists print at their key's indentation (`  ingress:` / `  - ports:`), as kubectl does.
// - Hunks carry 3 lines of context; `@@ -a,b +c,d @@` counts them, b or d omitted when 1, and a
//   side with no lines starts at 0. Line numbers were counted in the printed YAML of the version
//   before (e.g. the port line of allow-web is line 15 once the label is there: context 12-14 and
//   16-18 gives `@@ -12,7 +12,7 @@`).
// - Rule lines: `<direction> <action> <ports> from|to <peer>`; a changed rule is printed as it is
//   now with what differs in `(was …)`.

interface Expected {
  before: Side['state']
  after: Side['state']
  notes?: string[]
  diff?: string[]
  rules: string[] | undefined
  opens: Finding[]
}

async function run(
  name: SequenceName,
): Promise<Array<{change: WhatChanged; diff: string[] | undefined; rules: string[] | undefined; opens: Finding[]}>> {
  const history = new VersionHistory()
  const out = []
  for (const step of loadSequence(name).steps) {
    const {ref, write} = stepWrite(step)
    const change = history.record(ref, write)
    const object = (s: Side) => (s.state === 'known' ? s.version.object : null)
    const diffable = change.before.state !== 'unknown' && change.after.state !== 'unknown'
    const diff = diffable
      ? (await diffVersions(object(change.before), object(change.after))).map((l) => l.text)
      : undefined
    out.push({change, diff, rules: summarizeChange(change)?.map(summaryLineText), opens: whatChangeOpens(change)})
  }
  return out
}

function check(name: SequenceName, expected: Expected[]): void {
  it(name, async () => {
    const got = await run(name)
    const steps = loadSequence(name).steps
    assert.equal(got.length, expected.length)
    got.forEach((g, i) => {
      const e = expected[i]
      const at = `step ${i + 1} (${steps[i].story})`
      assert.equal(g.change.before.state, e.before, `${at}: before`)
      assert.equal(g.change.after.state, e.after, `${at}: after`)
      assert.deepEqual(g.change.notes, e.notes ?? [], `${at}: notes`)
      assert.deepEqual(g.diff, e.diff, `${at}: diff`)
      assert.deepEqual(g.rules, e.rules, `${at}: rules`)
      assert.deepEqual(g.opens, e.opens, `${at}: opens`)
    })
  })
}

const knpBefore = [
  'kind: NetworkPolicy',
  'apiVersion: networking.k8s.io/v1',
  'metadata:',
  '  name: allow-web',
  '  namespace: shop',
]
const knpSpec = (port: number) => [
  'spec:',
  '  podSelector:',
  '    matchLabels:',
  '      app: web',
  '  ingress:',
  '  - ports:',
  '    - protocol: TCP',
  `      port: ${port}`,
  '    from:',
  '    - podSelector:',
  '        matchLabels:',
  '          app: gateway',
]
const worldRule443 = [
  '  - ports:',
  '    - protocol: TCP',
  '      port: 443',
  '    from:',
  '    - ipBlock:',
  '        cidr: 0.0.0.0/0',
]
const types = ['  policyTypes:', '  - Ingress']
const plus = (lines: string[]) => lines.map((l) => `+${l}`)
const minus = (lines: string[]) => lines.map((l) => `-${l}`)

describe('what changed: realistic sequences', () => {
  // bob, kubectl, RequestResponse. The create diffs against nothing (19 lines of YAML); the label
  // adds 2 lines after `namespace` (line 5); the port is line 15; the new rule goes after line 19;
  // the delete's response is a Status, so the delete diffs against the version the patch left.
  check('kubernetes-networkpolicy', [
    {
      before: 'none',
      after: 'known',
      diff: ['@@ -0,0 +1,19 @@', ...plus([...knpBefore, ...knpSpec(8080), ...types])],
      rules: [
        '+ podSelector app=web',
        '+ policyTypes Ingress',
        '+ ingress allow tcp/8080 from podSelector app=gateway',
      ],
      opens: [],
    },
    {
      before: 'known',
      after: 'known',
      diff: [
        '@@ -3,6 +3,8 @@',
        ' metadata:',
        '   name: allow-web',
        '   namespace: shop',
        '+  labels:',
        '+    team: storefront',
        ' spec:',
        '   podSelector:',
        '     matchLabels:',
      ],
      rules: [],
      opens: [],
    },
    {
      before: 'known',
      after: 'known',
      diff: [
        '@@ -12,7 +12,7 @@',
        '   ingress:',
        '   - ports:',
        '     - protocol: TCP',
        '-      port: 8080',
        '+      port: 8443',
        '     from:',
        '     - podSelector:',
        '         matchLabels:',
      ],
      rules: ['~ ingress allow tcp/8443 from podSelector app=gateway (was tcp/8080)'],
      opens: [],
    },
    {
      before: 'known',
      after: 'known',
      diff: [
        '@@ -17,5 +17,11 @@',
        '     - podSelector:',
        '         matchLabels:',
        '           app: gateway',
        ...plus(worldRule443),
        '   policyTypes:',
        '   - Ingress',
      ],
      rules: ['+ ingress allow tcp/443 from 0.0.0.0/0'],
      opens: [
        {
          code: 'allow-world-cidr',
          message: 'allows from every address (0.0.0.0/0)',
          rule: 'ingress allow tcp/443 from 0.0.0.0/0',
        },
      ],
    },
    {
      before: 'known',
      after: 'none',
      diff: [
        '@@ -1,27 +0,0 @@',
        ...minus([...knpBefore, '  labels:', '    team: storefront', ...knpSpec(8443), ...worldRule443, ...types]),
      ],
      rules: [
        '- podSelector app=web',
        '- policyTypes Ingress',
        '- ingress allow tcp/8443 from podSelector app=gateway',
        '- ingress allow tcp/443 from 0.0.0.0/0',
      ],
      // A Kubernetes policy with rules only allows: deleting it is not flagged (opens.ts says why).
      opens: [],
    },
  ])

  // Request level: creates and updates carry the object as sent, patches only the patch. After a
  // patch-only step the next step has no previous version; nothing is diffed or summarised across
  // a gap, and a patch is not read for what it opens.
  check('kubernetes-networkpolicy-request-level', [
    {
      before: 'none',
      after: 'known',
      diff: [
        '@@ -0,0 +1,22 @@',
        ...plus([
          'kind: NetworkPolicy',
          'apiVersion: networking.k8s.io/v1',
          'metadata:',
          '  name: allow-api',
          '  namespace: payments',
          'spec:',
          '  podSelector:',
          '    matchLabels:',
          '      app: payments-api',
          '  ingress:',
          '  - ports:',
          '    - protocol: TCP',
          '      port: 8080',
          '    from:',
          '    - namespaceSelector:',
          '        matchLabels:',
          '          kubernetes.io/metadata.name: shop',
          '      podSelector:',
          '        matchLabels:',
          '          app: web',
          ...types,
        ]),
      ],
      rules: [
        '+ podSelector app=payments-api',
        '+ policyTypes Ingress',
        '+ ingress allow tcp/8080 from podSelector app=web in namespaceSelector kubernetes.io/metadata.name=shop',
      ],
      opens: [],
    },
    {before: 'known', after: 'unknown', notes: [NOTES.patchOnly, NOTES.patchTypeUnknown], rules: undefined, opens: []},
    {before: 'unknown', after: 'known', notes: [NOTES.previousMissing], rules: undefined, opens: []},
    {before: 'known', after: 'unknown', notes: [NOTES.patchOnly], rules: undefined, opens: []},
    {before: 'unknown', after: 'none', notes: [NOTES.previousMissing], rules: undefined, opens: []},
  ])

  // alice through the aggregated API: her requests are at Metadata; the bodies are the Calico API
  // server's backing writes of default.allow-monitoring, mapped back to v3 (name allow-monitoring,
  // labels out of projectcalico.org/metadata). Spec keys sorted (a custom resource). The label goes
  // after `name` (line 4); the port is line 12; the new rule goes after line 16.
  const gnp = (port: number) =>
    ['apiVersion: projectcalico.org/v3', 'kind: GlobalNetworkPolicy', 'metadata:', '  name: allow-monitoring']
      .concat(port === 9100 ? [] : ['  labels:', '    team: sre'])
      .concat([
        'spec:',
        '  ingress:',
        '  - action: Allow',
        '    destination:',
        '      ports:',
        `      - ${port}`,
        '    protocol: TCP',
        '    source:',
        "      namespaceSelector: kubernetes.io/metadata.name == 'monitoring'",
        "      selector: app == 'prometheus'",
      ])
  const gnpTail = ['  order: 200', "  selector: app == 'node-exporter'", '  tier: default', '  types:', '  - Ingress']
  const ssh = [
    '  - action: Allow',
    '    destination:',
    '      ports:',
    '      - 22',
    '    protocol: TCP',
    '    source:',
    '      nets:',
    '      - 0.0.0.0/0',
  ]
  const monitoringRule = (port: number) =>
    `ingress allow tcp/${port} from selector app == 'prometheus' and namespaceSelector kubernetes.io/metadata.name == 'monitoring'`
  check('calico-globalnetworkpolicy-aggregated', [
    {
      before: 'none',
      after: 'known',
      diff: ['@@ -0,0 +1,19 @@', ...plus([...gnp(9100), ...gnpTail])],
      rules: [
        '+ tier default',
        '+ order 200',
        "+ selector app == 'node-exporter'",
        '+ types Ingress',
        `+ ${monitoringRule(9100)}`,
      ],
      opens: [],
    },
    {
      before: 'known',
      after: 'known',
      diff: [
        '@@ -2,6 +2,8 @@',
        ' kind: GlobalNetworkPolicy',
        ' metadata:',
        '   name: allow-monitoring',
        '+  labels:',
        '+    team: sre',
        ' spec:',
        '   ingress:',
        '   - action: Allow',
      ],
      rules: [],
      opens: [],
    },
    {
      before: 'known',
      after: 'known',
      diff: [
        '@@ -9,7 +9,7 @@',
        '   - action: Allow',
        '     destination:',
        '       ports:',
        '-      - 9100',
        '+      - 9101',
        '     protocol: TCP',
        '     source:',
        "       namespaceSelector: kubernetes.io/metadata.name == 'monitoring'",
      ],
      rules: [`~ ${monitoringRule(9101)} (was tcp/9100)`],
      opens: [],
    },
    {
      before: 'known',
      after: 'known',
      diff: [
        '@@ -14,6 +14,14 @@',
        '     source:',
        "       namespaceSelector: kubernetes.io/metadata.name == 'monitoring'",
        "       selector: app == 'prometheus'",
        ...plus(ssh),
        '   order: 200',
        "   selector: app == 'node-exporter'",
        '   tier: default',
      ],
      rules: ['+ ingress allow tcp/22 from 0.0.0.0/0'],
      opens: [
        {
          code: 'allow-world-cidr',
          message: 'allows from every address (0.0.0.0/0)',
          rule: 'ingress allow tcp/22 from 0.0.0.0/0',
        },
      ],
    },
    {
      before: 'known',
      after: 'none',
      diff: ['@@ -1,29 +0,0 @@', ...minus([...gnp(9101), ...ssh, ...gnpTail])],
      rules: [
        '- tier default',
        '- order 200',
        "- selector app == 'node-exporter'",
        '- types Ingress',
        `- ${monitoringRule(9101)}`,
        '- ingress allow tcp/22 from 0.0.0.0/0',
      ],
      opens: [],
    },
  ])

  // dave with calicoctl: updates (PUT) of the CRD security.restrict-egress as dave. The tier
  // prefix is part of the v3 name and stays. The partner port is line 21 once labelled; step 4
  // inserts the ingress list after line 26 and `- Ingress` after `types:` (line 30): one hunk,
  // 24-31 old, 24-41 new. The delete drops a deny rule with the policy.
  const egress = (port: number) => [
    'spec:',
    '  egress:',
    '  - action: Allow',
    '    destination:',
    "      namespaceSelector: kubernetes.io/metadata.name == 'kube-system'",
    '      ports:',
    '      - 53',
    "      selector: k8s-app == 'kube-dns'",
    '    protocol: UDP',
    '  - action: Allow',
    '    destination:',
    '      nets:',
    '      - 192.0.2.0/24',
    '      ports:',
    `      - ${port}`,
    '    protocol: TCP',
    '  - action: Deny',
    '    destination:',
    '      nets:',
    '      - 10.0.0.0/8',
  ]
  const restrictHead = [
    'apiVersion: projectcalico.org/v3',
    'kind: GlobalNetworkPolicy',
    'metadata:',
    '  name: security.restrict-egress',
  ]
  const restrictTail = ['  order: 10', '  selector: has(app)', '  tier: security', '  types:']
  const dnsRule =
    "egress allow udp/53 to selector k8s-app == 'kube-dns' and namespaceSelector kubernetes.io/metadata.name == 'kube-system'"
  check('calico-globalnetworkpolicy-calicoctl', [
    {
      before: 'none',
      after: 'known',
      diff: ['@@ -0,0 +1,29 @@', ...plus([...restrictHead, ...egress(443), ...restrictTail, '  - Egress'])],
      rules: [
        '+ tier security',
        '+ order 10',
        '+ selector has(app)',
        '+ types Egress',
        `+ ${dnsRule}`,
        '+ egress allow tcp/443 to 192.0.2.0/24',
        '+ egress deny to 10.0.0.0/8',
      ],
      opens: [],
    },
    {
      before: 'known',
      after: 'known',
      diff: [
        '@@ -2,6 +2,8 @@',
        ' kind: GlobalNetworkPolicy',
        ' metadata:',
        '   name: security.restrict-egress',
        '+  labels:',
        '+    team: secops',
        ' spec:',
        '   egress:',
        '   - action: Allow',
      ],
      rules: [],
      opens: [],
    },
    {
      before: 'known',
      after: 'known',
      diff: [
        '@@ -18,7 +18,7 @@',
        '       nets:',
        '       - 192.0.2.0/24',
        '       ports:',
        '-      - 443',
        '+      - 8443',
        '     protocol: TCP',
        '   - action: Deny',
        '     destination:',
      ],
      rules: ['~ egress allow tcp/8443 to 192.0.2.0/24 (was tcp/443)'],
      opens: [],
    },
    {
      before: 'known',
      after: 'known',
      diff: [
        '@@ -24,8 +24,18 @@',
        '     destination:',
        '       nets:',
        '       - 10.0.0.0/8',
        '+  ingress:',
        ...plus(ssh),
        ...restrictTail.map((l) => ` ${l}`),
        '+  - Ingress',
        '   - Egress',
      ],
      rules: ['~ types Egress -> Ingress,Egress', '+ ingress allow tcp/22 from 0.0.0.0/0'],
      opens: [
        {
          code: 'allow-world-cidr',
          message: 'allows from every address (0.0.0.0/0)',
          rule: 'ingress allow tcp/22 from 0.0.0.0/0',
        },
      ],
    },
    {
      before: 'known',
      after: 'none',
      diff: [
        '@@ -1,41 +0,0 @@',
        ...minus([
          ...restrictHead,
          '  labels:',
          '    team: secops',
          ...egress(8443),
          '  ingress:',
          ...ssh,
          ...restrictTail,
          '  - Ingress',
          '  - Egress',
        ]),
      ],
      rules: [
        '- tier security',
        '- order 10',
        '- selector has(app)',
        '- types Ingress,Egress',
        '- ingress allow tcp/22 from 0.0.0.0/0',
        `- ${dnsRule}`,
        '- egress allow tcp/8443 to 192.0.2.0/24',
        '- egress deny to 10.0.0.0/8',
      ],
      opens: [
        {code: 'deny-rule-removed', message: 'deny rule removed with the policy', rule: 'egress deny to 10.0.0.0/8'},
      ],
    },
  ])

  // alice and tier security through the aggregated API. A tier has no rules: its lines are its
  // order and, once set, its defaultAction (Deny when not set, so Pass replaces Deny).
  const tier = ['apiVersion: projectcalico.org/v3', 'kind: Tier', 'metadata:', '  name: security']
  check('calico-tier-aggregated', [
    {
      before: 'none',
      after: 'known',
      diff: ['@@ -0,0 +1,6 @@', ...plus([...tier, 'spec:', '  order: 100'])],
      rules: ['+ order 100'],
      opens: [],
    },
    {
      before: 'known',
      after: 'known',
      diff: [
        '@@ -2,5 +2,7 @@',
        ' kind: Tier',
        ' metadata:',
        '   name: security',
        '+  labels:',
        '+    owner: secops',
        ' spec:',
        '   order: 100',
      ],
      rules: [],
      opens: [],
    },
    {
      before: 'known',
      after: 'known',
      diff: ['@@ -5,4 +5,4 @@', '   labels:', '     owner: secops', ' spec:', '-  order: 100', '+  order: 50'],
      rules: ['~ order 100 -> 50'],
      opens: [],
    },
    {
      before: 'known',
      after: 'known',
      diff: ['@@ -5,4 +5,5 @@', '   labels:', '     owner: secops', ' spec:', '+  defaultAction: Pass', '   order: 50'],
      rules: ['~ defaultAction Deny -> Pass'],
      opens: [
        {
          code: 'deny-replaced',
          message: 'defaultAction Pass replaces Deny: traffic no policy in the tier decides goes on to the next tier',
        },
      ],
    },
    {
      before: 'known',
      after: 'none',
      diff: [
        '@@ -1,9 +0,0 @@',
        ...minus([...tier, '  labels:', '    owner: secops', 'spec:', '  defaultAction: Pass', '  order: 50']),
      ],
      rules: ['- order 50', '- defaultAction Pass'],
      opens: [],
    },
  ])

  // carol and an AdminNetworkPolicy (a custom resource: keys sorted, so `labels` comes before
  // `name`). Its ingress peers cannot be CIDRs: the rule to 0.0.0.0/0 is an egress rule, appended
  // after the deny rule (line 13). Rules carry their names.
  const anpHead = ['apiVersion: policy.networking.k8s.io/v1alpha1', 'kind: AdminNetworkPolicy', 'metadata:']
  const anpEgress = [
    'spec:',
    '  egress:',
    '  - action: Deny',
    '    name: deny-metadata-api',
    '    to:',
    '    - networks:',
    '      - 169.254.169.254/32',
  ]
  const httpsOut = [
    '  - action: Allow',
    '    name: allow-https-out',
    '    ports:',
    '    - portNumber:',
    '        port: 443',
    '        protocol: TCP',
    '    to:',
    '    - networks:',
    '      - 0.0.0.0/0',
  ]
  const anpIngress = (port: number) => [
    '  ingress:',
    '  - action: Allow',
    '    from:',
    '    - namespaces:',
    '        matchLabels:',
    '          kubernetes.io/metadata.name: monitoring',
    '    name: allow-monitoring',
    '    ports:',
    '    - portNumber:',
    `        port: ${port}`,
    '        protocol: TCP',
    '  priority: 10',
    '  subject:',
    '    namespaces:',
    '      matchLabels:',
    '        env: prod',
  ]
  const scrape = (port: number) =>
    `ingress "allow-monitoring" allow tcp/${port} from namespaces kubernetes.io/metadata.name=monitoring`
  check('admin-network-policy', [
    {
      before: 'none',
      after: 'known',
      diff: [
        '@@ -0,0 +1,27 @@',
        ...plus([...anpHead, '  name: cluster-guardrails', ...anpEgress, ...anpIngress(9100)]),
      ],
      rules: [
        '+ priority 10',
        '+ subject namespaces env=prod',
        `+ ${scrape(9100)}`,
        '+ egress "deny-metadata-api" deny to 169.254.169.254/32',
      ],
      opens: [],
    },
    {
      before: 'known',
      after: 'known',
      diff: [
        '@@ -1,6 +1,8 @@',
        ' apiVersion: policy.networking.k8s.io/v1alpha1',
        ' kind: AdminNetworkPolicy',
        ' metadata:',
        '+  labels:',
        '+    owner: security',
        '   name: cluster-guardrails',
        ' spec:',
        '   egress:',
      ],
      rules: [],
      opens: [],
    },
    {
      before: 'known',
      after: 'known',
      diff: [
        '@@ -20,7 +20,7 @@',
        '     name: allow-monitoring',
        '     ports:',
        '     - portNumber:',
        '-        port: 9100',
        '+        port: 9101',
        '         protocol: TCP',
        '   priority: 10',
        '   subject:',
      ],
      rules: [`~ ${scrape(9101)} (was tcp/9100)`],
      opens: [],
    },
    {
      before: 'known',
      after: 'known',
      diff: [
        '@@ -11,6 +11,15 @@',
        '     to:',
        '     - networks:',
        '       - 169.254.169.254/32',
        ...plus(httpsOut),
        '   ingress:',
        '   - action: Allow',
        '     from:',
      ],
      rules: ['+ egress "allow-https-out" allow tcp/443 to 0.0.0.0/0'],
      opens: [
        {
          code: 'allow-world-cidr',
          message: 'allows to every address (0.0.0.0/0)',
          rule: 'egress "allow-https-out" allow tcp/443 to 0.0.0.0/0',
        },
      ],
    },
    {
      before: 'known',
      after: 'none',
      diff: [
        '@@ -1,38 +0,0 @@',
        ...minus([
          ...anpHead,
          '  labels:',
          '    owner: security',
          '  name: cluster-guardrails',
          ...anpEgress,
          ...httpsOut,
          ...anpIngress(9101),
        ]),
      ],
      rules: [
        '- priority 10',
        '- subject namespaces env=prod',
        `- ${scrape(9101)}`,
        '- egress "deny-metadata-api" deny to 169.254.169.254/32',
        '- egress "allow-https-out" allow tcp/443 to 0.0.0.0/0',
      ],
      opens: [
        {
          code: 'deny-rule-removed',
          message: 'deny rule removed with the policy',
          rule: 'egress "deny-metadata-api" deny to 169.254.169.254/32',
        },
      ],
    },
  ])
})
