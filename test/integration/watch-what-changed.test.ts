// What changes did, while following a file (the CLI as a child process): `policies -w --diff`
// and `history KIND/NAME -w` print a change that lands while following with its diff against
// the version read before following; `policies -w --opens` prints and counts only what widened
// something. Then Ctrl-C: the summary, exit 0.
import assert from 'node:assert/strict'
import {appendFileSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {PolicyChangeSummary} from '../../src/commands/policies.js'
import type {ObjectHistorySummary} from '../../src/commands/history.js'
import {auditLine, type EventSpec} from '../support/events.js'
import {startCommand, startWatch, type WatchRun} from '../support/watch.js'

/** allow-web in shop: ingress on a port from the gateway pods; `more` adds a rule from everywhere on 443. */
const knp = (port: number, more = false) => ({
  kind: 'NetworkPolicy',
  apiVersion: 'networking.k8s.io/v1',
  metadata: {name: 'allow-web', namespace: 'shop', resourceVersion: String(port)},
  spec: {
    podSelector: {matchLabels: {app: 'web'}},
    ingress: [
      {ports: [{protocol: 'TCP', port}], from: [{podSelector: {matchLabels: {app: 'gateway'}}}]},
      ...(more ? [{ports: [{protocol: 'TCP', port: 443}], from: [{ipBlock: {cidr: '0.0.0.0/0'}}]}] : []),
    ],
    policyTypes: ['Ingress'],
  },
})

const knpWrite = (verb: string, time: string, object: object, id: string) =>
  auditLine({
    auditID: id,
    verb,
    user: 'bob',
    level: 'RequestResponse',
    apiGroup: 'networking.k8s.io',
    resource: 'networkpolicies',
    namespace: 'shop',
    name: 'allow-web',
    code: verb === 'create' ? 201 : 200,
    time,
    responseObject: object,
  }) + '\n'

/** security.allow-dns as Calico stores it (crd.projectcalico.org), in tier security, at an order. */
const gnpCrd = (order: number) => ({
  apiVersion: 'crd.projectcalico.org/v1',
  kind: 'GlobalNetworkPolicy',
  metadata: {name: 'security.allow-dns', uid: '5b0a3c1e', resourceVersion: String(order)},
  spec: {
    tier: 'security',
    order,
    selector: "k8s-app == 'kube-dns'",
    ingress: [{action: 'Allow', protocol: 'UDP', destination: {ports: [53]}}],
    types: ['Ingress'],
  },
})

/** A change through Calico's aggregated API: the user's request (logged at Metadata) and the Calico API server's CRD write. */
const gnpWrite = (verb: string, time: string, name: string, object: object, id: string) => {
  const calico: EventSpec = {verb, resource: 'globalnetworkpolicies', code: verb === 'create' ? 201 : 200}
  return (
    auditLine({...calico, auditID: `${id}-v3`, user: 'alice', apiGroup: 'projectcalico.org', name, time}) +
    '\n' +
    auditLine({
      ...calico,
      auditID: `${id}-crd`,
      user: 'system:serviceaccount:calico-apiserver:calico-apiserver',
      level: 'RequestResponse',
      apiGroup: 'crd.projectcalico.org',
      apiVersion: 'v1',
      name,
      time: time.replace(/\d{3}Z$/, '900Z'),
      responseObject: object,
    }) +
    '\n'
  )
}

const noise = (time: string) =>
  auditLine({verb: 'update', user: 'system:node:cp-1', resource: 'leases', namespace: 'kube-node-lease', time}) + '\n'

/** The lines a table printed under the row whose text holds `row`, up to the blank line that closes them. */
function linesUnder(stdout: string, row: RegExp): string[] {
  const lines = stdout.split('\n')
  const at = lines.findIndex((line) => row.test(line))
  assert.ok(at >= 0, `no row ${String(row)} in:\n${stdout}`)
  const end = lines.indexOf('', at)
  return lines.slice(at + 1, end)
}

describe('what changes did, while following', function () {
  this.timeout(60_000)
  let dir: string
  let running: WatchRun | undefined

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'watch-what-changed-'))
  })
  afterEach(async () => {
    if (running?.child.exitCode === null) await running.stop('SIGKILL')
    running = undefined
    rmSync(dir, {recursive: true, force: true})
  })

  it('policies -w --diff: a change that lands while following is diffed against the version read before', async () => {
    const log = join(dir, 'audit.log')
    writeFileSync(
      log,
      noise('2026-12-07T09:00:00.000000Z') + knpWrite('create', '2026-12-07T09:00:01.000000Z', knp(8080), 'c-1'),
    )
    running = startWatch(['--diff', '--since', 'all', '-f', log])
    await running.waitFor('for new changes; Ctrl-C to stop', {stream: 'stderr'})
    assert.match(running.stdout(), /^1 change in the log, then new ones as they land:\n/)
    appendFileSync(
      log,
      noise('2026-12-07T09:00:02.000000Z') + knpWrite('update', '2026-12-07T09:00:03.000000Z', knp(8443), 'u-1'),
    )
    await running.waitFor('(was tcp/8080)')
    const {code, stdout, stderr} = await running.stop('SIGINT')
    assert.equal(code, 0, stderr)
    // The object as YAML, noise (resourceVersion) left out: kind, apiVersion, metadata (3 lines),
    // spec, podSelector (3), ingress (line 10), `- ports:`, protocol, port (line 13), from, podSelector,
    // matchLabels, app, policyTypes, `- Ingress` (19 lines). The port changed: one hunk, 3 lines of
    // context each side, lines 10 to 16.
    assert.deepEqual(
      linesUnder(stdout, /^2026-12-07T09:00:03Z +bob +update +NetworkPolicy \(k8s\) +shop +allow-web /),
      [
        '    @@ -10,7 +10,7 @@',
        '       ingress:',
        '       - ports:',
        '         - protocol: TCP',
        '    -      port: 8080',
        '    +      port: 8443',
        '         from:',
        '         - podSelector:',
        '             matchLabels:',
        '    rules:',
        '      ~ ingress allow tcp/8443 from podSelector app=gateway (was tcp/8080)',
      ],
    )
    // The create, read before following, is the object whole.
    assert.deepEqual(linesUnder(stdout, /^2026-12-07T09:00:01Z +bob +create /).slice(0, 2), [
      '    @@ -0,0 +1,19 @@',
      '    +kind: NetworkPolicy',
    ])
    assert.match(
      stdout,
      /\nPolicy changes in the whole log, until the watch ended {2}· {2}1 source, 4 events read, 2 changes\n/,
    )
    assert.match(stdout, /\nbob +1 +1 +0 +2\n$/)
  })

  it('policies -w --opens -o json: only the changes that widened something, with what --opens adds, and counted so', async () => {
    const log = join(dir, 'audit.log')
    writeFileSync(log, knpWrite('create', '2026-12-07T09:00:01.000000Z', knp(8080), 'c-1'))
    running = startWatch(['--opens', '--since', 'all', '-o', 'json', '-f', log])
    await running.waitFor('for new changes; Ctrl-C to stop', {stream: 'stderr'})
    appendFileSync(
      log,
      knpWrite('update', '2026-12-07T09:00:02.000000Z', knp(8443), 'u-1') +
        knpWrite('patch', '2026-12-07T09:00:03.000000Z', knp(8443, true), 'p-1'),
    )
    await running.waitFor('"p-1"')
    const {code, stdout, stderr} = await running.stop('SIGINT')
    assert.equal(code, 0, stderr)
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    assert.equal(lines.length, 2, stdout)
    assert.equal(lines[0]!.auditID, 'p-1')
    assert.deepEqual(lines[0]!.opens, [
      {
        code: 'allow-world-cidr',
        message: 'allows from every address (0.0.0.0/0)',
        rule: 'ingress allow tcp/443 from 0.0.0.0/0',
      },
    ])
    assert.equal(lines[0]!.after, undefined, 'without --diff, no versions')
    const summary = lines[1] as unknown as PolicyChangeSummary
    assert.equal(summary.kind, 'PolicyChangeSummary')
    assert.deepEqual(summary.summary, [{user: 'bob', verb: 'patch', succeeded: 1, failed: 0, unknown: 0}])
  })

  it('history gnp/NAME -w: the history in the log, then each new change of the object with its diff; Ctrl-C ends it, exit 0', async () => {
    const log = join(dir, 'audit.log')
    writeFileSync(
      log,
      gnpWrite('create', '2026-12-07T09:00:01.000000Z', 'security.allow-dns', gnpCrd(100), 'c-1') +
        noise('2026-12-07T09:00:02.000000Z'),
    )
    running = startCommand(['history', 'gnp/security.allow-dns', '-w', '-f', log])
    await running.waitFor('for new changes; Ctrl-C to stop', {stream: 'stderr'})
    assert.match(
      running.stdout(),
      /^History of GlobalNetworkPolicy security\.allow-dns {2}· {2}1 change in the whole input {2}· {2}1 source, 3 events read\nNew changes are listed as they land\.\n\nTIME +USER +VERB +KIND +RESULT +SOURCE\n2026-12-07T09:00:01Z +alice +create +GlobalNetworkPolicy +ok /,
    )
    appendFileSync(
      log,
      gnpWrite(
        'update',
        '2026-12-07T09:00:05.000000Z',
        'security.other',
        {...gnpCrd(7), metadata: {name: 'security.other'}},
        'o-1',
      ) + gnpWrite('update', '2026-12-07T09:00:06.000000Z', 'security.allow-dns', gnpCrd(200), 'u-1'),
    )
    await running.waitFor('order 100 -> 200')
    const {code, stdout, stderr} = await running.stop('SIGINT')
    assert.equal(code, 0, stderr)
    assert.doesNotMatch(stdout, /security\.other/)
    // The v3 object as YAML, noise (uid, resourceVersion) left out: apiVersion, kind, metadata,
    // name, spec, tier, order (line 7), selector, ingress, action, protocol, destination, ports, 53,
    // types, `- Ingress` (16 lines). The order changed: one hunk, lines 4 to 10.
    assert.deepEqual(linesUnder(stdout, /^2026-12-07T09:00:06Z +alice +update +GlobalNetworkPolicy +ok /), [
      '    # mapped from the stored crd.projectcalico.org object to projectcalico.org/v3',
      '    @@ -4,7 +4,7 @@',
      '       name: security.allow-dns',
      '     spec:',
      '       tier: security',
      '    -  order: 100',
      '    +  order: 200',
      "       selector: k8s-app == 'kube-dns'",
      '       ingress:',
      '       - action: Allow',
      '    rules:',
      '      ~ order 100 -> 200',
    ])
    assert.match(
      stdout,
      /\n\nHistory of GlobalNetworkPolicy security\.allow-dns, until the watch ended {2}· {2}1 source, 7 events read, 2 changes\n$/,
    )
  })

  it('history -w -o json: each change as history -o json has it, then the summary; SIGTERM exits 143', async () => {
    const log = join(dir, 'audit.log')
    writeFileSync(log, knpWrite('create', '2026-12-07T09:00:01.000000Z', knp(8080), 'c-1'))
    running = startCommand(['history', 'knp/allow-web', '-n', 'shop', '--watch', '-o', 'json', '-f', log])
    await running.waitFor('for new changes; Ctrl-C to stop', {stream: 'stderr'})
    appendFileSync(log, knpWrite('update', '2026-12-07T09:00:03.000000Z', knp(8443), 'u-1'))
    await running.waitFor('"u-1"')
    const {code, stdout, stderr} = await running.stop('SIGTERM')
    assert.equal(code, 143, stderr)
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    assert.deepEqual(
      lines.map((l) => l.auditID ?? l.kind),
      ['c-1', 'u-1', 'ObjectHistorySummary'],
    )
    assert.equal(lines[1]!.before && (lines[1]!.before as ReturnType<typeof knp>).spec.ingress[0]!.ports[0]!.port, 8080)
    assert.deepEqual(lines[1]!.rules, ['~ ingress allow tcp/8443 from podSelector app=gateway (was tcp/8080)'])
    const summary = lines[2] as unknown as ObjectHistorySummary
    assert.deepEqual(summary.object, {
      kind: 'NetworkPolicy',
      name: 'allow-web',
      namespace: 'shop',
      resources: ['networkpolicies.networking.k8s.io', 'networkpolicies.extensions'],
    })
    assert.equal(summary.total, 2)
    assert.equal(summary.startsMidway, false)
  })

  it('history -w of a name found in two namespaces, without -n: refused once the log is read, as without --watch', async () => {
    const log = join(dir, 'audit.log')
    const elsewhere = {...knp(80), metadata: {name: 'allow-web', namespace: 'web'}}
    writeFileSync(
      log,
      knpWrite('create', '2026-12-07T09:00:01.000000Z', knp(8080), 'c-1') +
        knpWrite('create', '2026-12-07T09:00:02.000000Z', elsewhere, 'c-2').replace(
          '"namespace":"shop"',
          '"namespace":"web"',
        ),
    )
    running = startCommand(['history', 'knp/allow-web', '-w', '-f', log])
    const {code, stdout, stderr} = await new Promise<{code: number | null; stdout: string; stderr: string}>((resolve) =>
      running!.child.on('close', (code) => resolve({code, stdout: running!.stdout(), stderr: running!.stderr()})),
    )
    assert.equal(code, 2, stderr)
    assert.equal(stdout, '')
    assert.match(stderr, /^error: knp\/allow-web is in more than one namespace: shop, web\nhint: say which with -n/m)
  })

  it('history -w refuses what a watch cannot do, before reading', async () => {
    const {runCli} = await import('../support/cli.js')
    const file = ['-f', join(dir, 'nope.log')]
    const cases: Array<[string[], RegExp]> = [
      [[...file, '--watch-interval', '5s'], /^error: --watch-interval is for --watch\n/],
      [
        [...file, '-w', '--until-time', '2026-12-07T10:00:00Z'],
        /^error: --watch follows the log from now on, so it has no --until-time\n/,
      ],
    ]
    for (const [args, stderr] of cases) {
      const result = await runCli(['history', 'gnp/security.allow-dns', ...args])
      assert.equal(result.code, 2, args.join(' '))
      assert.match(result.stderr, stderr)
    }
  })
})
