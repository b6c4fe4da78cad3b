// `kubectl audit policies --loki URL` as users run it (bin/run.js), against a loopback Loki
// holding examples/audit.log as promtail ships it: the same answer as -f on the file, with only
// the writes sent; what is read said on stderr, a certificate left unchecked warned of each run;
// each error before anything is read one line (exit 2), a Loki failing part-way exit 3; and -f
// on what users save from Loki (a query_range answer, logcli's JSON lines).
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {runCli, ROOT} from '../support/cli.js'
import {FakeLoki, type FakeLokiOptions, shippedLines} from '../support/fake-loki.js'

const LINES = readFileSync(join(ROOT, 'examples/audit.log'), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
const LABELS = {job: 'integrations/kubernetes-audit', cluster: 'demo'}
const WINDOW = ['--since-time', '2026-11-24T07:00:00Z', '--until-time', '2026-11-24T10:00:00Z']
/** No credentials from the developer's own environment. */
const NO_CREDENTIALS = {LOKI_USERNAME: undefined, LOKI_PASSWORD: undefined, LOKI_BEARER_TOKEN: undefined}

const comparable = (report: PolicyChangeReport) => ({
  summary: report.summary,
  changes: report.changes.map(({source: _, ...change}) => change),
})

describe('policies --loki (loopback Loki)', () => {
  let fake: FakeLoki
  async function serve(options: FakeLokiOptions = {}): Promise<void> {
    fake = await new FakeLoki(options).start()
    // Shipped a little after each event was written, as a shipper's read time is.
    fake.addStream(LABELS, shippedLines(LINES, 800))
  }
  // What -f finds in the example log within WINDOW: the count every read from Loki must give.
  let changesInWindow = 0
  before(async () => {
    const fromFile = await runCli(['policies', '-f', join(ROOT, 'examples/audit.log'), ...WINDOW, '-o', 'json'])
    assert.equal(fromFile.code, 0, fromFile.stderr)
    changesInWindow = (JSON.parse(fromFile.stdout) as PolicyChangeReport).changes.length
    assert.ok(changesInWindow > 1, 'the example log has changes in the window')
  })

  afterEach(async () => {
    await fake.close()
  })
  /** What -f finds in the example log from 07:00 on (a watch's window has no end). */
  let changesFromSeven = 0
  before(async () => {
    const fromFile = await runCli([
      'policies',
      '-f',
      join(ROOT, 'examples/audit.log'),
      '--since-time',
      '2026-11-24T07:00:00Z',
      '-o',
      'json',
    ])
    changesFromSeven = (JSON.parse(fromFile.stdout) as PolicyChangeReport).changes.length
  })

  const loki = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(['policies', '--loki', fake.url, ...args], {env: {...NO_CREDENTIALS, ...env}})

  // [selection flags]
  const selections: string[][] = [
    [],
    ['--user', 'bob'],
    ['--user', 'system:serviceaccount:*', '--verb', 'patch'],
    ['-n', 'payments', '--kind', 'knp'],
    ['--kind', 'gnp', '--outcome', 'failed'],
  ]
  for (const selection of selections) {
    it(`answers as -f on the same log, with only the writes sent${selection.length > 0 ? `: ${selection.join(' ')}` : ''}`, async () => {
      await serve()
      const fromLoki = await loki([...WINDOW, ...selection, '-o', 'json'])
      assert.equal(fromLoki.code, 0, fromLoki.stderr)
      const fromFile = await runCli([
        'policies',
        '-f',
        join(ROOT, 'examples/audit.log'),
        ...WINDOW,
        ...selection,
        '-o',
        'json',
      ])
      assert.equal(fromFile.code, 0, fromFile.stderr)
      const report = JSON.parse(fromLoki.stdout) as PolicyChangeReport
      assert.deepEqual(comparable(report), comparable(JSON.parse(fromFile.stdout) as PolicyChangeReport))
      assert.deepEqual(
        report.sources.map((s) => [s.name, s.malformed]),
        [[`loki:${fake.url}`, 0]],
      )
      assert.ok(fake.entriesSent < LINES.length / 50, `${fake.entriesSent} of ${LINES.length} lines sent`)
      const [query] = fake.queries()
      assert.match(query!.params.query!, /^\{job=~"integrations\/kubernetes-audit\|kube-apiserver-audit"\} \|~ /)
      assert.equal(query!.params.direction, 'forward')
      assert.equal(
        fromLoki.stderr,
        `reading the audit log in {job=~"integrations/kubernetes-audit|kube-apiserver-audit"} from Loki at ${fake.url}\n`,
      )
    })
  }

  it('reads the tenant and the selector given, with credentials from the environment', async () => {
    fake = await new FakeLoki({multiTenant: true, auth: {username: 'auditor', password: 's3cret'}}).start()
    fake.addStream({job: 'kube-apiserver-audit', cluster: 'prod'}, shippedLines(LINES, 800), 'platform')
    const result = await loki(
      [
        ...WINDOW,
        '--loki-selector',
        '{job="kube-apiserver-audit", cluster="prod"}',
        '--loki-tenant',
        'platform',
        '--limit',
        '1',
      ],
      {LOKI_USERNAME: 'auditor', LOKI_PASSWORD: 's3cret'},
    )
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, new RegExp(`Most recent 1 of ${changesInWindow} changes`))
    assert.equal(
      result.stderr,
      `reading the audit log in {job="kube-apiserver-audit", cluster="prod"} (tenant platform) from Loki at ${fake.url}\n`,
    )
    assert.ok(
      fake
        .queries()
        .every(
          (q) =>
            q.tenant === 'platform' && q.authorization === `Basic ${Buffer.from('auditor:s3cret').toString('base64')}`,
        ),
    )
  })

  it('checks TLS with --loki-ca, and warns each run when told not to check', async () => {
    await serve({tls: true})
    const dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-loki-ca-'))
    try {
      writeFileSync(join(dir, 'ca.pem'), fake.caPem)
      const checked = await loki([...WINDOW, '--loki-ca', join(dir, 'ca.pem'), '--limit', '1'])
      assert.equal(checked.code, 0, checked.stderr)
      const unchecked = await loki([...WINDOW, '--loki-insecure-skip-tls-verify', '--limit', '1'])
      assert.equal(unchecked.code, 0, unchecked.stderr)
      assert.match(
        unchecked.stderr,
        /^warning: Loki's certificate is not checked \(--loki-insecure-skip-tls-verify\): anyone on the way can read the audit log and the credentials$/m,
      )
      const untrusted = await loki(WINDOW)
      assert.equal(untrusted.code, 2)
      assert.match(
        untrusted.stderr,
        /^error: Loki at https:\/\/127\.0\.0\.1:\d+ cannot be reached: its certificate is not trusted \(/,
      )
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('waits while Loki is busy (429 too many outstanding requests), then answers', async () => {
    await serve()
    fake.busyNext = 2
    const result = await loki([...WINDOW, '-o', 'json'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal((JSON.parse(result.stdout) as PolicyChangeReport).changes.length, changesInWindow)
    assert.deepEqual(
      fake.queries().map((q) => q.status),
      [429, 429, 200],
    )
  })

  it('exits 3 with what it read when Loki fails part-way, and says why the rest is missing', async () => {
    await serve({maxEntries: 10})
    fake.failAfter = 3
    const result = await loki([...WINDOW, '-o', 'json'])
    assert.equal(result.code, 3, result.stderr)
    const report = JSON.parse(result.stdout) as PolicyChangeReport & {sources: Array<{complete?: boolean}>}
    assert.ok(report.changes.length > 0 && report.changes.length < changesInWindow, `${report.changes.length} changes`)
    assert.match(
      result.stderr,
      /^warning: loki:http:\/\/127\.0\.0\.1:\d+: 500 rpc error: code = Unavailable desc = connection refused, after [\d.]+ KiB read; the rest of this source is missing$/m,
    )
  })

  // [case, set up, command line after --loki URL, environment, stderr]
  const refusals: Array<[string, FakeLokiOptions, string[], NodeJS.ProcessEnv, RegExp]> = [
    [
      'wrong credentials',
      {auth: {token: 'right'}},
      WINDOW,
      {LOKI_BEARER_TOKEN: 'wrong'},
      /^error: Loki at http:\/\/127\.0\.0\.1:\d+ refused the credentials in LOKI_BEARER_TOKEN \(401: Unauthorized\)\nhint: check LOKI_BEARER_TOKEN\n$/,
    ],
    [
      'a multi-tenant Loki without --loki-tenant',
      {multiTenant: true},
      WINDOW,
      {},
      /^error: Loki at http:\/\/127\.0\.0\.1:\d+ is multi-tenant and was asked without a tenant \(401: no org id\)\nhint: name the tenant \(X-Scope-OrgID\): --loki-tenant TENANT\n$/,
    ],
    [
      'a selector Loki cannot parse',
      {},
      [...WINDOW, '--loki-selector', '{job="audit"} |'],
      {},
      /^error: Loki refused the query: parse error at line 1, col \d+: syntax error: unexpected \S+\nhint: check --loki-selector \{job="audit"\} \|: a LogQL stream selector, e.g. '\{job="NAME"\}'\n$/,
    ],
    [
      'a selector matching nothing',
      {},
      [...WINDOW, '--loki-selector', '{job="kube-audit"}'],
      {},
      /^error: no line in Loki matches \{job="kube-audit"\} from 2026-11-24T06:59:00Z to 2026-11-24T10:05:00Z: .*\nhint: .*\(jobs in this Loki then: integrations\/kubernetes-audit\), or widen --since\n$/,
    ],
  ]
  for (const [name, options, args, env, stderr] of refusals) {
    it(`exits 2 with one line and a hint: ${name}`, async () => {
      await serve(options)
      const result = await loki(args, env)
      assert.equal(result.code, 2, result.stderr)
      assert.equal(result.stdout, '')
      assert.match(result.stderr, stderr)
    })
  }

  it('gives history the same versions from Loki as from the file', async () => {
    await serve()
    const args = ['history', 'gnp/security.allow-dns', ...WINDOW, '-o', 'json']
    const fromLoki = await runCli([...args, '--loki', fake.url], {env: NO_CREDENTIALS})
    assert.equal(fromLoki.code, 0, fromLoki.stderr)
    const fromFile = await runCli([...args, '-f', join(ROOT, 'examples/audit.log')])
    const changes = (stdout: string) =>
      (JSON.parse(stdout) as {changes: Array<{source: string}>}).changes.map(({source: _, ...change}) => change)
    assert.ok(changes(fromFile.stdout).length > 1)
    assert.deepEqual(changes(fromLoki.stdout), changes(fromFile.stdout))
  })

  it('--watch asks Loki again each second: the window first, then a write shipped while it watches, once', async function () {
    this.timeout(30_000)
    await serve()
    const {startCommand} = await import('../support/watch.js')
    const {auditLine} = await import('../support/events.js')
    const watch = startCommand(
      ['policies', '--loki', fake.url, '--since-time', '2026-11-24T07:00:00Z', '--watch', '-o', 'json'],
      NO_CREDENTIALS,
    )
    try {
      await watch.waitFor(/following loki:\S+ for new changes/, {stream: 'stderr'})
      const now = Date.now()
      fake.streams[0]!.entries.push({
        ns: BigInt(now) * 1_000_000n,
        line: auditLine({
          auditID: 'shipped-while-watched',
          verb: 'patch',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'shop',
          name: 'allow-web',
          code: 200,
          time: new Date(now).toISOString().replace('Z', '000Z'),
        }),
      })
      await watch.waitFor('"auditID":"shipped-while-watched"')
    } finally {
      const {code, stdout, stderr} = await watch.stop('SIGINT')
      assert.equal(code, 0, stderr)
      const lines = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as {auditID?: string; kind?: string})
      const ids = lines.slice(0, -1).map((change) => change.auditID)
      assert.equal(ids.length, new Set(ids).size, 'each change once')
      assert.equal(ids.length, changesFromSeven + 1)
      assert.equal(ids.at(-1), 'shipped-while-watched')
      assert.equal(lines.at(-1)!.kind, 'PolicyChangeSummary')
      assert.match(stderr, /: a log store is asked, not followed: every 1 s, for the last 1 min/)
    }
  })

  it('reads with -f what users save from Loki: a query_range answer and logcli --output=jsonl lines', async () => {
    await serve({maxEntries: 10_000})
    const answer = await fetch(
      `${fake.url}/loki/api/v1/query_range?${new URLSearchParams({query: '{job="integrations/kubernetes-audit"}', start: `${Date.parse('2026-11-24T06:00:00Z')}000000`, end: `${Date.parse('2026-11-24T11:00:00Z')}000000`, limit: '10000', direction: 'forward'})}`,
    )
    const saved = await answer.text()
    const jsonl = (
      JSON.parse(saved) as {data: {result: Array<{stream: Record<string, string>; values: Array<[string, string]>}>}}
    ).data.result.flatMap(({stream, values}) =>
      values.map(([ns, line]) =>
        JSON.stringify({labels: stream, line, timestamp: new Date(Number(BigInt(ns) / 1_000_000n)).toISOString()}),
      ),
    )
    const dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-loki-files-'))
    try {
      writeFileSync(join(dir, 'query_range.json'), saved)
      writeFileSync(join(dir, 'logcli.jsonl'), `${jsonl.join('\n')}\n`)
      const fromFile = JSON.parse(
        (await runCli(['policies', '-f', join(ROOT, 'examples/audit.log'), ...WINDOW, '-o', 'json'])).stdout,
      ) as PolicyChangeReport
      for (const name of ['query_range.json', 'logcli.jsonl']) {
        const result = await runCli(['policies', '-f', join(dir, name), ...WINDOW, '-o', 'json'])
        assert.equal(result.code, 0, `${name}: ${result.stderr}`)
        const report = JSON.parse(result.stdout) as PolicyChangeReport
        assert.deepEqual(comparable(report), comparable(fromFile), name)
        assert.equal(report.sources[0]!.events, LINES.length, `${name}: every line an event`)
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})
