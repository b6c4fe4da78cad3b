// What --watch prints per change: a row of columns fitted once (to the terminal, or whole on a
// pipe), a JSON line, a YAML document; and the summary at the end.
import assert from 'node:assert/strict'

import {Chalk} from 'chalk'

import type {PolicyChange} from '../../src/audit/changes.js'
import {changeVersions} from '../../src/audit/what-changed/change-versions.js'
import {whatChanged} from '../../src/audit/what-changed/versions.js'
import {yamlRenderer} from '../../src/render/document.js'
import {ChangeLines, renderWatchSummary} from '../../src/render/watch.js'
import {textWidth} from '../../src/render/text-width.js'
import {changeDetailLines} from '../../src/render/what-changed.js'

const chalk = new Chalk({level: 0})
const change = (changes: Partial<PolicyChange> = {}): PolicyChange => ({
  time: '2026-12-07T10:00:00.123456Z',
  auditID: 'a1',
  user: 'alice',
  impersonatedUser: null,
  verb: 'patch',
  apiGroup: 'networking.k8s.io',
  resource: 'networkpolicies',
  kind: 'NetworkPolicy',
  namespace: 'shop',
  name: 'allow-web',
  tier: null,
  code: 200,
  outcome: 'succeeded',
  dryRun: false,
  userAgent: 'kubectl',
  sourceIPs: ['10.0.0.1'],
  source: 'audit.log',
  ...changes,
})

describe('watch output', () => {
  it('lines rows up under a header, with room for the usual values, on a pipe', () => {
    const lines = new ChangeLines({format: 'table', chalk}, [])
    assert.equal(
      lines.header(),
      'TIME                   USER               VERB     KIND                  NAMESPACE   NAME                   TIER       RESULT\n',
    )
    assert.equal(
      lines.line(change()),
      '2026-12-07T10:00:00Z   alice              patch    NetworkPolicy (k8s)   shop        allow-web                         ok\n',
    )
    // On a pipe a long value is whole, as kubectl prints it.
    assert.match(
      lines.line(change({user: 'system:serviceaccount:argocd:argocd-application-controller'})),
      /^2026-12-07T10:00:00Z {3}system:serviceaccount:argocd:argocd-application-controller {3}patch/,
    )
  })

  it('fits a terminal once: free text gives way, then optional columns go; a wider value later is cut in the middle', () => {
    const lines = new ChangeLines({format: 'table', chalk, width: 80}, [
      change({name: 'a-fairly-long-policy-name-for-web'}),
    ])
    const header = lines.header()
    assert.ok(textWidth(header.trimEnd()) <= 80, header)
    const row = lines.line(
      change({
        user: 'system:serviceaccount:argocd:argocd-application-controller',
        name: 'deny-all-egress-from-the-payments-namespace-to-anywhere',
      }),
    )
    assert.ok(textWidth(row.trimEnd()) <= 80, row)
    assert.match(row, /system:…|…/)
    const wide = new ChangeLines({format: 'table', chalk, width: 115}, [])
    assert.match(wide.header(), /NAMESPACE {2,}NAME {2,}TIER {2,}RESULT/)
    const narrower = new ChangeLines({format: 'table', chalk, width: 105}, [])
    assert.match(narrower.header(), /NAMESPACE {2,}NAME {2,}RESULT/, 'the tier goes first on a narrow screen')
  })

  it('writes JSON lines, terminal controls escaped, and YAML documents', async () => {
    const json = new ChangeLines({format: 'json', chalk}, [])
    assert.equal(json.header(), '')
    const line = json.line(change({name: 'evil\u001b[2J\u202e'}))
    assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'))
    assert.ok(!line.includes('\u001b') && !line.includes('\u202e'))
    assert.equal((JSON.parse(line) as PolicyChange).name, 'evil\u001b[2J\u202e')
    const yaml = new ChangeLines({format: 'yaml', chalk}, [], await yamlRenderer())
    assert.match(yaml.line(change()), /^---\ntime: 2026-12-07T10:00:00.123456Z\nauditID: a1\n/)
  })

  // The policy as YAML is 14 lines: kind, apiVersion, metadata (3), spec, podSelector, ingress,
  // `- ports:`, protocol, port (line 11), from, ipBlock, cidr (line 14): one hunk from line 8 to 14,
  // 3 lines of context on each side of the port.
  const knp = (port: number) => ({
    kind: 'NetworkPolicy',
    apiVersion: 'networking.k8s.io/v1',
    metadata: {name: 'allow-web', namespace: 'shop'},
    spec: {podSelector: {}, ingress: [{ports: [{protocol: 'TCP', port}], from: [{ipBlock: {cidr: '10.0.0.0/8'}}]}]},
  })
  const update = whatChanged(
    {verb: 'update', outcome: 'succeeded', responseObject: knp(8443)},
    {state: 'known', version: {object: knp(8080), origin: 'response', shape: 'object', notes: []}},
  )
  const versions = changeVersions(update, false)

  it('--diff: the diff and the rules under a row, closed by a blank line; a row without lines stays one line', async () => {
    const lines = new ChangeLines({format: 'table', chalk}, [])
    const below = await changeDetailLines(update, versions, {chalk, diff: true, showAllFields: false})
    assert.equal(
      lines.line(change({verb: 'update'}), below),
      [
        '2026-12-07T10:00:00Z   alice              update   NetworkPolicy (k8s)   shop        allow-web                         ok',
        '    @@ -8,7 +8,7 @@',
        '       ingress:',
        '       - ports:',
        '         - protocol: TCP',
        '    -      port: 8080',
        '    +      port: 8443',
        '         from:',
        '         - ipBlock:',
        '             cidr: 10.0.0.0/8',
        '    rules:',
        '      ~ ingress allow tcp/8443 from 10.0.0.0/8 (was tcp/8080)',
        '',
        '',
      ].join('\n'),
    )
    assert.equal(lines.line(change(), []).split('\n').length, 2)
  })

  it('--diff in JSON and YAML: the change with before, after, patch, rules, opens, notes and shape', async () => {
    const json = new ChangeLines({format: 'json', chalk}, [])
    const line = json.line({...change({verb: 'update'}), ...versions} as PolicyChange)
    assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'))
    const parsed = JSON.parse(line) as Record<string, unknown>
    assert.equal(parsed.name, 'allow-web')
    assert.deepEqual(Object.keys(parsed).slice(-7), ['before', 'after', 'patch', 'rules', 'opens', 'notes', 'shape'])
    assert.deepEqual((parsed.after as {spec: {ingress: Array<{ports: unknown}>}}).spec.ingress[0]!.ports, [
      {protocol: 'TCP', port: 8443},
    ])
    assert.deepEqual(parsed.rules, ['~ ingress allow tcp/8443 from 10.0.0.0/8 (was tcp/8080)'])
    const yaml = new ChangeLines({format: 'yaml', chalk}, [], await yamlRenderer())
    assert.match(
      yaml.line({...change(), ...versions} as PolicyChange),
      /\nrules:\n {2}- ~ ingress allow tcp\/8443 from 10\.0\.0\.0\/8 \(was tcp\/8080\)\nopens: \[\]\n/,
    )
  })

  it('history rows: the time, user, verb, kind, result and source; the source, then the kind go on a narrow screen', () => {
    const lines = new ChangeLines({format: 'table', chalk}, [], undefined, 'history')
    assert.equal(
      lines.header(),
      'TIME                   USER               VERB     KIND                  RESULT          SOURCE\n',
    )
    assert.equal(
      lines.line(change({code: 403, outcome: 'failed', source: 'audit/audit.log'})),
      '2026-12-07T10:00:00Z   alice              patch    NetworkPolicy (k8s)   403 Forbidden   audit/audit.log\n',
    )
    const narrow = new ChangeLines({format: 'table', chalk, width: 80}, [], undefined, 'history')
    assert.match(narrow.header(), /^TIME +USER +VERB +KIND +RESULT$/m)
    const narrower = new ChangeLines({format: 'table', chalk, width: 60}, [], undefined, 'history')
    assert.match(narrower.header(), /^TIME +USER +VERB +RESULT$/m)
  })

  it('sums up what was seen as the summary matrix, or says nothing changed', () => {
    const seen = {
      window: {since: '2026-12-07T09:00:00.000Z', until: '2026-12-07T10:05:00.250Z'},
      sources: [{events: 1200}, {events: 34}],
      summary: [{user: 'alice', verb: 'patch', succeeded: 2, failed: 1, unknown: 0}],
    }
    assert.equal(
      [...renderWatchSummary(seen, {format: 'table', chalk})].join(''),
      '\nPolicy changes since 2026-12-07T09:00:00Z, until the watch ended  ·  2 sources, 1,234 events read, 3 changes\n\nUSER    PATCH   FAILED   TOTAL\nalice       3        1       3\n',
    )
    assert.match(
      [...renderWatchSummary({...seen, summary: []}, {format: 'table', chalk})].join(''),
      /0 changes\nNo network policy or tier changes\.\n$/,
    )
  })
})
