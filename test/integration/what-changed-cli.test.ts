// What changes did, from the example log: `history` of the four objects examples/generate.ts
// follows, `policies --diff` and `--opens`, in every output. The expected lines were derived by
// hand from the specs in examples/generate.ts (allowWebSpec, allowDnsSpec, denyEgressSpec,
// TIER_SPEC), not copied from a run:
// - Objects print as `kubectl get -o yaml` does, without uid, resourceVersion, generation,
//   creationTimestamp, managedFields and status. The NetworkPolicy comes back in Go field order
//   (kind, apiVersion, metadata{name, namespace, labels}, spec{podSelector, ingress[ports, from],
//   policyTypes}); the Calico objects are stored as crd.projectcalico.org objects with every map's
//   keys sorted, and mapped back to projectcalico.org/v3: apiVersion and kind first as stored,
//   metadata{name, labels} from the projectcalico.org/metadata annotation.
// - Hunks have 3 lines of context, `@@ -a,b +c,d @@` counted on the YAML of the version before
//   and after (b or d left out when 1; 0,0 for no object).
//   allow-web: the created object is 19 lines; `labels:`/`team: web` go after `namespace:` (line
//   5), so the hunk is lines 3-8 before, 3-10 after; with them the port is line 15 (context 12-14
//   and 16-18); the new rule's 6 lines go after line 19 (`app: gateway`), with 2 lines after it to
//   the end; the deleted object is 21 + 6 = 27 lines.
//   security.allow-dns: the label goes after `name:` (line 4, context 2-4 and 5-7); the metrics
//   port is line 19 once labelled (context 16-18, 20-22); the TCP/53 rule's 8 lines go after line
//   23 (`selector: app == 'prometheus'`): context 21-23 before, 24-26 after.
// - Rule lines: `<direction> <action> <protocol>/<port> from|to <peer>`, a changed rule as it is
//   now with `(was …)`; Calico selectors as written, `and` between selector and namespaceSelector.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {PolicyChange} from '../../src/audit/changes.js'
import type {ChangeVersions} from '../../src/audit/what-changed/change-versions.js'
import type {PolicyChangeReport} from '../../src/commands/policies.js'
import type {ObjectHistoryReport} from '../../src/render/history.js'
import {loadSequence} from '../fixtures/what-changed/sequences.js'
import {auditLine} from '../support/events.js'
import {type CliResult, runCli} from '../support/cli.js'

const LOG = 'examples/audit.log'

/** A report whose changes carry what --diff or --opens adds. */
type VersionedReport = Omit<PolicyChangeReport, 'changes'> & {changes: Array<PolicyChange & Partial<ChangeVersions>>}

/** Each listed change: its row, and the lines under it (indent taken off, blank lines dropped). */
function blocks(stdout: string): Array<{row: string; lines: string[]}> {
  const out: Array<{row: string; lines: string[]}> = []
  for (const line of stdout.split('\n')) {
    if (/^\d{4}-\d\d-\d\dT/.test(line)) out.push({row: line, lines: []})
    else if (line.startsWith('    ') && out.length > 0) out.at(-1)!.lines.push(line.slice(4))
  }
  return out
}

/** The indented lines under a header of a change's lines (`rules:`, `opens:`); none when it has no such header. */
function section(lines: readonly string[], header: string): string[] {
  const at = lines.indexOf(header)
  if (at === -1) return []
  const end = lines.findIndex((l, i) => i > at && !l.startsWith('  '))
  return lines.slice(at + 1, end === -1 ? undefined : end)
}

function ok(result: CliResult): string {
  assert.equal(result.code, 0, result.stderr)
  return result.stdout
}

const plus = (lines: string[]) => lines.map((l) => `+${l}`)
const minus = (lines: string[]) => lines.map((l) => `-${l}`)

const allowWebCreated = [
  'kind: NetworkPolicy',
  'apiVersion: networking.k8s.io/v1',
  'metadata:',
  '  name: allow-web',
  '  namespace: shop',
  'spec:',
  '  podSelector:',
  '    matchLabels:',
  '      app: web',
  '  ingress:',
  '  - ports:',
  '    - protocol: TCP',
  '      port: 8080',
  '    from:',
  '    - podSelector:',
  '        matchLabels:',
  '          app: gateway',
  '  policyTypes:',
  '  - Ingress',
]
const worldHttps = [
  '  - ports:',
  '    - protocol: TCP',
  '      port: 443',
  '    from:',
  '    - ipBlock:',
  '        cidr: 0.0.0.0/0',
]

describe('history of one object, from the example log', () => {
  it('a Kubernetes NetworkPolicy: create, label, port, a rule from 0.0.0.0/0, delete', async () => {
    const stdout = ok(await runCli(['history', 'knp/allow-web', '-f', LOG]))
    assert.match(stdout, /^History of NetworkPolicy allow-web in namespace shop {2}· {2}5 changes in the whole input/)
    assert.doesNotMatch(stdout, /mid-way/)
    const got = blocks(stdout)
    assert.deepEqual(
      got.map((b) => b.row.split(/ {2,}/).slice(1, 3)),
      [
        ['bob', 'create'],
        ['bob', 'patch'],
        ['bob', 'update'],
        ['bob', 'patch'],
        ['bob', 'delete'],
      ],
    )
    const labelled = [...allowWebCreated.slice(0, 5), '  labels:', '    team: web', ...allowWebCreated.slice(5)]
    const final = [
      ...labelled.slice(0, 15).map((l) => l.replace('8080', '8443')),
      ...labelled.slice(15, 19),
      ...worldHttps,
      ...labelled.slice(19),
    ]
    assert.deepEqual(
      got.map((b) => b.lines),
      [
        [
          '@@ -0,0 +1,19 @@',
          ...plus(allowWebCreated),
          'rules:',
          '  + podSelector app=web',
          '  + policyTypes Ingress',
          '  + ingress allow tcp/8080 from podSelector app=gateway',
        ],
        [
          '@@ -3,6 +3,8 @@',
          ' metadata:',
          '   name: allow-web',
          '   namespace: shop',
          '+  labels:',
          '+    team: web',
          ' spec:',
          '   podSelector:',
          '     matchLabels:',
        ],
        [
          '@@ -12,7 +12,7 @@',
          '   ingress:',
          '   - ports:',
          '     - protocol: TCP',
          '-      port: 8080',
          '+      port: 8443',
          '     from:',
          '     - podSelector:',
          '         matchLabels:',
          'rules:',
          '  ~ ingress allow tcp/8443 from podSelector app=gateway (was tcp/8080)',
        ],
        [
          '@@ -17,5 +17,11 @@',
          '     - podSelector:',
          '         matchLabels:',
          '           app: gateway',
          ...plus(worldHttps),
          '   policyTypes:',
          '   - Ingress',
          'rules:',
          '  + ingress allow tcp/443 from 0.0.0.0/0',
          'opens:',
          '  ! allows from every address (0.0.0.0/0): ingress allow tcp/443 from 0.0.0.0/0',
        ],
        [
          '@@ -1,27 +0,0 @@',
          ...minus(final),
          'rules:',
          '  - podSelector app=web',
          '  - policyTypes Ingress',
          '  - ingress allow tcp/8443 from podSelector app=gateway',
          '  - ingress allow tcp/443 from 0.0.0.0/0',
        ],
      ],
    )
  })

  it('a Calico GlobalNetworkPolicy through the aggregated API: the backing CRD write, mapped back to v3', async () => {
    const stdout = ok(await runCli(['history', 'gnp/security.allow-dns', '-f', LOG]))
    const got = blocks(stdout)
    assert.deepEqual(
      got.map((b) => b.row.split(/ {2,}/).slice(1, 5)),
      [
        ['alice', 'create', 'GlobalNetworkPolicy', 'ok'],
        ['alice', 'patch', 'GlobalNetworkPolicy', 'ok'],
        ['alice', 'update', 'GlobalNetworkPolicy', 'ok'],
        ['alice', 'patch', 'GlobalNetworkPolicy', 'ok'],
        ['bob', 'delete', 'GlobalNetworkPolicy', '403 Forbidden'],
        ['alice', 'delete', 'GlobalNetworkPolicy', 'ok'],
      ],
    )
    const mapped = '# mapped from the stored crd.projectcalico.org object to projectcalico.org/v3'
    const [create, label, port, world, denied, deleted] = got.map((b) => b.lines)
    assert.deepEqual(create.slice(0, 6), [
      mapped,
      '@@ -0,0 +1,26 @@',
      '+apiVersion: projectcalico.org/v3',
      '+kind: GlobalNetworkPolicy',
      '+metadata:',
      '+  name: security.allow-dns',
    ])
    assert.deepEqual(create.slice(create.indexOf('rules:')), [
      'rules:',
      '  + tier security',
      '  + order 100',
      "  + selector k8s-app == 'kube-dns'",
      '  + types Ingress',
      '  + ingress allow udp/53 from selector all()',
      "  + ingress allow tcp/9153 from selector app == 'prometheus' and namespaceSelector kubernetes.io/metadata.name == 'monitoring'",
    ])
    assert.deepEqual(label, [
      mapped,
      '@@ -2,6 +2,8 @@',
      ' kind: GlobalNetworkPolicy',
      ' metadata:',
      '   name: security.allow-dns',
      '+  labels:',
      '+    team: netops',
      ' spec:',
      '   ingress:',
      '   - action: Allow',
    ])
    assert.deepEqual(port, [
      mapped,
      '@@ -16,7 +16,7 @@',
      '   - action: Allow',
      '     destination:',
      '       ports:',
      '-      - 9153',
      '+      - 9253',
      '     protocol: TCP',
      '     source:',
      "       namespaceSelector: kubernetes.io/metadata.name == 'monitoring'",
      'rules:',
      "  ~ ingress allow tcp/9253 from selector app == 'prometheus' and namespaceSelector kubernetes.io/metadata.name == 'monitoring' (was tcp/9153)",
    ])
    assert.deepEqual(world, [
      mapped,
      '@@ -21,6 +21,14 @@',
      '     source:',
      "       namespaceSelector: kubernetes.io/metadata.name == 'monitoring'",
      "       selector: app == 'prometheus'",
      ...plus([
        '  - action: Allow',
        '    destination:',
        '      ports:',
        '      - 53',
        '    protocol: TCP',
        '    source:',
        '      nets:',
        '      - 0.0.0.0/0',
      ]),
      '   order: 100',
      "   selector: k8s-app == 'kube-dns'",
      '   tier: security',
      'rules:',
      '  + ingress allow tcp/53 from 0.0.0.0/0',
      'opens:',
      '  ! allows from every address (0.0.0.0/0): ingress allow tcp/53 from 0.0.0.0/0',
    ])
    assert.deepEqual(denied, ['# the request failed: nothing changed'])
    assert.deepEqual(deleted.slice(0, 2), [mapped, '@@ -1,36 +0,0 @@'])
    assert.ok(
      deleted.includes('-      - 9253') && deleted.includes('-      - 0.0.0.0/0'),
      'the last version is what was deleted',
    )
  })

  it('a GlobalNetworkPolicy calicoctl writes straight to its CRD: found by its v3 name or its CRD name', async () => {
    const byV3 = ok(await runCli(['history', 'gnp/deny-egress', '-f', LOG]))
    const byCrd = ok(await runCli(['history', 'gnp/default.deny-egress', '-f', LOG]))
    assert.deepEqual(blocks(byV3), blocks(byCrd))
    const got = blocks(byV3)
    assert.deepEqual(
      got.map((b) => b.row.split(/ {2,}/).slice(1, 5)),
      [
        ['dave', 'create', 'GlobalNetworkPolicy (crd)', 'ok'],
        ['dave', 'update', 'GlobalNetworkPolicy (crd)', 'ok'],
        ['dave', 'create', 'GlobalNetworkPolicy (crd)', '409 Conflict'],
        ['dave', 'update', 'GlobalNetworkPolicy (crd)', 'ok'],
        ['dave', 'update', 'GlobalNetworkPolicy (crd)', 'ok'],
        ['dave', 'delete', 'GlobalNetworkPolicy (crd)', 'ok'],
      ],
    )
    assert.deepEqual(
      got.map((b) => [...section(b.lines, 'rules:'), ...section(b.lines, 'opens:')]),
      [
        [
          '  + tier default',
          '  + order 500',
          "  + selector projectcalico.org/namespace == 'payments'",
          '  + types Egress',
          "  + egress allow udp/53 to selector k8s-app == 'kube-dns' and namespaceSelector kubernetes.io/metadata.name == 'kube-system'",
          '  + egress allow tcp/5432 to 10.0.40.0/24',
          '  + egress deny to 0.0.0.0/0',
        ],
        [],
        [],
        ['  ~ egress allow tcp/6432 to 10.0.40.0/24 (was tcp/5432)'],
        [
          '  ~ types Egress -> Ingress,Egress',
          '  + ingress allow tcp/22 from 0.0.0.0/0',
          '  ! allows from every address (0.0.0.0/0): ingress allow tcp/22 from 0.0.0.0/0',
        ],
        [
          '  - tier default',
          '  - order 500',
          "  - selector projectcalico.org/namespace == 'payments'",
          '  - types Ingress,Egress',
          '  - ingress allow tcp/22 from 0.0.0.0/0',
          "  - egress allow udp/53 to selector k8s-app == 'kube-dns' and namespaceSelector kubernetes.io/metadata.name == 'kube-system'",
          '  - egress allow tcp/6432 to 10.0.40.0/24',
          '  - egress deny to 0.0.0.0/0',
          '  ! deny rule removed with the policy: egress deny to 0.0.0.0/0',
        ],
      ],
    )
    // The label is the whole of the second change; the failed apply changed nothing.
    assert.deepEqual(got[1].lines.slice(1, 2), ['@@ -2,6 +2,8 @@'])
    assert.deepEqual(got[2].lines, ['# the request failed: nothing changed'])
  })

  it("a tier's order change", async () => {
    const got = blocks(ok(await runCli(['history', 'tier/security', '-f', LOG])))
    assert.equal(got.length, 2)
    assert.deepEqual(got[1].lines.slice(1), [
      '@@ -3,4 +3,4 @@',
      ' metadata:',
      '   name: security',
      ' spec:',
      '-  order: 100',
      '+  order: 50',
      'rules:',
      '  ~ order 100 -> 50',
    ])
  })

  it('--user, --verb and --outcome choose what is shown; every change still feeds the diffs', async () => {
    const all = blocks(ok(await runCli(['history', 'knp/allow-web', '-f', LOG])))
    const stdout = ok(await runCli(['history', 'knp/allow-web', '-f', LOG, '--verb', 'update']))
    assert.match(stdout, /1 of them match --verb update; every change still counts for the diffs/)
    assert.deepEqual(blocks(stdout), [all[2]])
    const none = ok(await runCli(['history', 'knp/allow-web', '-f', LOG, '--user', 'carol']))
    assert.match(none, /None of its 5 changes match --user carol\./)
  })

  it('policies --diff in a window that starts after the version before a change: the change whole, and said', async () => {
    const stdout = ok(
      await runCli([
        'policies',
        '-f',
        LOG,
        '--since-time',
        '2026-11-24T08:16:00Z',
        '--until-time',
        '2026-11-24T08:17:00Z',
        '--diff',
      ]),
    )
    const [only] = blocks(stdout)
    assert.deepEqual(only.lines.slice(0, 2), ['# previous version not in the log', '@@ -0,0 +1,21 @@'])
  })

  it('a window that starts after the create: says the history starts mid-way, and shows the first version whole', async () => {
    const stdout = ok(await runCli(['history', 'knp/allow-web', '-f', LOG, '--since-time', '2026-11-24T08:15:00Z']))
    assert.match(
      stdout,
      /The history starts mid-way: its first change in the log is a update, not a create; the versions before it are not in the log\./,
    )
    const [first] = blocks(stdout)
    assert.deepEqual(first.lines.slice(0, 3), [
      '# previous version not in the log',
      '@@ -0,0 +1,21 @@',
      '+kind: NetworkPolicy',
    ])
    assert.ok(!first.lines.includes('rules:'), 'no rule summary without the version before')
  })

  it('-o json: the object, where its history starts, and each change with before, after, patch, rules, opens, notes and shape', async () => {
    const report = JSON.parse(
      ok(await runCli(['history', 'knp/allow-web', '-f', LOG, '-o', 'json'])),
    ) as ObjectHistoryReport
    assert.deepEqual(Object.keys(report), [
      'apiVersion',
      'kind',
      'window',
      'sources',
      'object',
      'startsMidway',
      'total',
      'changes',
    ])
    assert.deepEqual(
      [report.kind, report.object, report.startsMidway, report.total],
      [
        'ObjectHistory',
        {
          kind: 'NetworkPolicy',
          name: 'allow-web',
          namespace: 'shop',
          resources: ['networkpolicies.networking.k8s.io', 'networkpolicies.extensions'],
        },
        false,
        5,
      ],
    )
    const [create, label, , world, deleted] = report.changes
    assert.deepEqual([create.before, create.patch, create.shape], [null, null, 'object'])
    assert.deepEqual(create.after, {
      kind: 'NetworkPolicy',
      apiVersion: 'networking.k8s.io/v1',
      metadata: {name: 'allow-web', namespace: 'shop'},
      spec: {
        podSelector: {matchLabels: {app: 'web'}},
        ingress: [{ports: [{protocol: 'TCP', port: 8080}], from: [{podSelector: {matchLabels: {app: 'gateway'}}}]}],
        policyTypes: ['Ingress'],
      },
    })
    assert.deepEqual([label.rules, label.opens, label.notes], [[], [], []])
    assert.deepEqual(world.opens, [
      {
        code: 'allow-world-cidr',
        message: 'allows from every address (0.0.0.0/0)',
        rule: 'ingress allow tcp/443 from 0.0.0.0/0',
      },
    ])
    assert.equal(deleted.after, null)
    assert.deepEqual(deleted.before, world.after)
  })

  it('--show-all-fields keeps what every write changes', async () => {
    const stdout = ok(await runCli(['history', 'knp/allow-web', '-f', LOG, '--show-all-fields']))
    const label = blocks(stdout)[1].lines
    assert.ok(
      label.some((l) => /^-  resourceVersion: "\d+"$/.test(l)) &&
        label.some((l) => /^\+  resourceVersion: "\d+"$/.test(l)),
      label.join('\n'),
    )
    assert.ok(
      label.some((l) => l.startsWith(' ') && l.includes('uid:')),
      'the uid, unchanged, as context',
    )
  })

  it('a patch logged at Request level alone: the patch, and that the object is not in the log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-history-'))
    try {
      const file = join(dir, 'audit.log')
      writeFileSync(
        file,
        loadSequence('kubernetes-networkpolicy-request-level')
          .steps.flatMap((s) => s.events.map((e) => JSON.stringify(e)))
          .join('\n') + '\n',
      )
      const json = JSON.parse(
        ok(await runCli(['history', 'knp/allow-api', '-n', 'payments', '-f', file, '-o', 'json'])),
      ) as ObjectHistoryReport
      const patched = json.changes.find((c) => c.patch !== null)
      assert.ok(patched, 'a change told by its patch')
      assert.ok(patched.notes.includes('the full object is not in the log: the change is the patch that was sent'))
      assert.equal(patched.after, null)
      const table = blocks(ok(await runCli(['history', 'knp/allow-api', '-n', 'payments', '-f', file])))
      assert.ok(
        table.some((b) => b.lines.some((l) => /^patch \((json-patch|merge-patch|strategic-merge-patch)\):$/.test(l))),
        'the patch is shown',
      )
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('a name in two namespaces needs -n; a bad object is one line and exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-history-'))
    try {
      const file = join(dir, 'audit.log')
      const line = (namespace: string, time: string) =>
        auditLine({
          verb: 'create',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace,
          name: 'allow-web',
          time,
        })
      writeFileSync(
        file,
        `${line('shop', '2026-11-24T10:00:00.000000Z')}\n${line('payments', '2026-11-24T10:00:01.000000Z')}\n`,
      )
      const both = await runCli(['history', 'knp/allow-web', '-f', file])
      assert.equal(both.code, 2)
      assert.equal(
        both.stderr,
        'error: knp/allow-web is in more than one namespace: payments, shop\nhint: say which with -n, e.g. kubectl audit history knp/allow-web -n payments\n',
      )
      assert.equal(
        ok(await runCli(['history', 'knp/allow-web', '-n', 'shop', '-f', file]))
          .split('\n')
          .filter((l) => /^\d{4}-/.test(l)).length,
        1,
      )
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
    for (const [args, error] of [
      [['history', '-f', LOG], /^error: history needs the object, as KIND\/NAME\nhint: /],
      [['history', 'gnp', '-f', LOG], /^error: "gnp" is not KIND\/NAME\nhint: /],
      [['history', 'pod/web', '-f', LOG], /^error: pod is not a watched kind\nhint: use one of: gnp, /],
      [
        ['history', 'gnp/allow-dns', '-n', 'shop', '-f', LOG],
        /^error: -n shop: GlobalNetworkPolicy is not namespaced\nhint: drop -n: kubectl audit history gnp\/allow-dns\n$/,
      ],
    ] as const) {
      const result = await runCli(args)
      assert.equal(result.code, 2, result.stderr)
      assert.match(result.stderr, error)
    }
  })
})

describe('policies --diff and --opens, from the example log', () => {
  it('--opens lists only the changes that widened something, with what each opened', async () => {
    const report = JSON.parse(
      ok(await runCli(['policies', '-f', LOG, '--since', 'all', '--opens', '-o', 'json'])),
    ) as VersionedReport
    assert.deepEqual(
      report.changes.map((c) => [c.time.slice(11, 19), c.user, c.verb, c.name, c.opens]),
      [
        [
          '07:48:17',
          'alice',
          'patch',
          'security.allow-dns',
          [
            {
              code: 'allow-world-cidr',
              message: 'allows from every address (0.0.0.0/0)',
              rule: 'ingress allow tcp/53 from 0.0.0.0/0',
            },
          ],
        ],
        [
          '08:22:47',
          'bob',
          'patch',
          'allow-web',
          [
            {
              code: 'allow-world-cidr',
              message: 'allows from every address (0.0.0.0/0)',
              rule: 'ingress allow tcp/443 from 0.0.0.0/0',
            },
          ],
        ],
        [
          '09:05:44',
          'dave',
          'update',
          'default.deny-egress',
          [
            {
              code: 'allow-world-cidr',
              message: 'allows from every address (0.0.0.0/0)',
              rule: 'ingress allow tcp/22 from 0.0.0.0/0',
            },
          ],
        ],
        [
          '09:42:18',
          'dave',
          'delete',
          'default.deny-egress',
          [{code: 'deny-rule-removed', message: 'deny rule removed with the policy', rule: 'egress deny to 0.0.0.0/0'}],
        ],
      ],
    )
    assert.deepEqual(
      report.summary.map((r) => [r.user, r.verb, r.succeeded]),
      [
        ['alice', 'patch', 1],
        ['bob', 'patch', 1],
        ['dave', 'delete', 1],
        ['dave', 'update', 1],
      ],
    )
    // Only the findings: the versions are for --diff.
    assert.ok(!('before' in report.changes[0]) && !('rules' in report.changes[0]))
  })

  it('--diff adds before, after or patch, rules, opens, notes and shape to every change; without it, none', async () => {
    const plain = JSON.parse(
      ok(await runCli(['policies', '-f', LOG, '--since', 'all', '-o', 'json'])),
    ) as PolicyChangeReport
    const diff = JSON.parse(
      ok(await runCli(['policies', '-f', LOG, '--since', 'all', '--diff', '-o', 'json'])),
    ) as VersionedReport
    assert.equal(diff.changes.length, plain.changes.length)
    diff.changes.forEach((change, i) => {
      assert.deepEqual(Object.keys(change), [
        ...Object.keys(plain.changes[i]),
        'before',
        'after',
        'patch',
        'rules',
        'opens',
        'notes',
        'shape',
      ])
    })
    const tierOrder = diff.changes.find((c) => c.kind === 'Tier' && c.verb === 'patch')!
    assert.deepEqual(
      [tierOrder.before, tierOrder.after, tierOrder.rules, tierOrder.shape],
      [
        {apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: {name: 'security'}, spec: {order: 100}},
        {apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: {name: 'security'}, spec: {order: 50}},
        ['~ order 100 -> 50'],
        'calico-v3',
      ],
    )
    // A change whose object the log does not hold (a Metadata-level write with no backing write).
    const netset = diff.changes.find((c) => c.kind === 'NetworkSet')!
    assert.ok((netset.notes as string[]).length > 0)
    const yaml = ok(await runCli(['policies', '-f', LOG, '--since', 'all', '--diff', '-o', 'yaml']))
    assert.match(yaml, /\n {4}rules:\n {6}- ~ order 100 -> 50\n/)
  })

  it('the table lists the diff and the rules under each change, coloured as git diff only when asked', async () => {
    // The selection chooses what is listed: the diff is still against the version before, in the log.
    const args = ['policies', '-f', LOG, '--since', 'all', '--user', 'bob', '--verb', 'update', '--diff']
    const plain = ok(await runCli(args))
    assert.deepEqual(
      blocks(plain).map((b) => b.lines),
      [
        [
          '@@ -12,7 +12,7 @@',
          '   ingress:',
          '   - ports:',
          '     - protocol: TCP',
          '-      port: 8080',
          '+      port: 8443',
          '     from:',
          '     - podSelector:',
          '         matchLabels:',
          'rules:',
          '  ~ ingress allow tcp/8443 from podSelector app=gateway (was tcp/8080)',
        ],
      ],
    )
    assert.doesNotMatch(plain, /\x1b/)
    const coloured = ok(await runCli([...args, '--color', 'always']))
    assert.match(coloured, /\x1b\[36m@@ -12,7 \+12,7 @@\x1b\[39m/)
    assert.match(coloured, /\x1b\[31m- {6}port: 8080\x1b\[39m/)
    assert.match(coloured, /\x1b\[32m\+ {6}port: 8443\x1b\[39m/)
    assert.doesNotMatch(ok(await runCli([...args, '--color', 'never'])), /\x1b/)
  })

  it('--show-all-fields is for --diff', async () => {
    const result = await runCli(['policies', '-f', LOG, '--since', 'all', '--show-all-fields'])
    assert.equal(result.code, 2)
    assert.equal(
      result.stderr,
      'error: --show-all-fields is for the diffs of --diff\nhint: add --diff, or drop --show-all-fields\n',
    )
  })

  it('text from the log never drives the terminal: control characters in a body are shown as markers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-diff-'))
    try {
      const file = join(dir, 'audit.log')
      const object = {
        kind: 'NetworkPolicy',
        apiVersion: 'networking.k8s.io/v1',
        metadata: {name: 'web', namespace: 'shop', labels: {team: 'a\u001b[2Jb\u202ec'}},
        spec: {podSelector: {}},
      }
      writeFileSync(
        file,
        auditLine({
          verb: 'create',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'shop',
          name: 'web',
          level: 'RequestResponse',
          code: 201,
          responseObject: object,
        }) + '\n',
      )
      const stdout = ok(await runCli(['history', 'knp/web', '-n', 'shop', '-f', file, '--color', 'always']))
      assert.doesNotMatch(stdout.replace(/\x1b\[\d+m/g, ''), /[\u001b\u202e]/)
      assert.match(stdout, /team: "a\\e\[2Jb\\u202ec"/)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
