// The policies command end to end, as a user runs it: logs in every format it reads (written for
// these tests from the documented formats; the same runs on real third-party logs are in test/real),
// files, directories, gzip, stdin, bad input. Expected counts come from jq or from reading the
// fixtures, never from our code.

import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {RUN, runCli} from '../support/cli.js'
import {auditLine} from '../support/events.js'

const LOGS = 'test/fixtures/logs'
const EXAMPLE = 'examples/audit.log'

const jq = (filter: string, file: string, slurp = false): string =>
  execFileSync('jq', [...(slurp ? ['-s'] : []), '-r', filter, file], {encoding: 'utf8'}).trim()

async function json(args: string[], stdin?: string | Buffer): Promise<{report: PolicyChangeReport; stderr: string}> {
  const result = await runCli([...args, '-o', 'json'], {stdin})
  assert.equal(result.code, 0, result.stderr)
  return {report: JSON.parse(result.stdout) as PolicyChangeReport, stderr: result.stderr}
}

describe('policies on logs in every format it reads', () => {
  // [file, expected events, expected malformed, how the expectation was derived]
  const cases: Array<[string, () => number, () => number, string]> = [
    ['impersonation.log', () => Number(jq('length', `${LOGS}/impersonation.log`, true)), () => 0, 'jq -s length'],
    ['v1beta1-events.jsonl', () => Number(jq('length', `${LOGS}/v1beta1-events.jsonl`, true)), () => 0, 'jq -s length'],
    [
      'webhook-eventlist-v1beta1.json',
      () => Number(jq('.items | length', `${LOGS}/webhook-eventlist-v1beta1.json`)),
      () => 0,
      'EventList items',
    ],
    ['hostname-prefixed.log', () => 1, () => 0, 'one host-prefixed line'],
    // A SIEM export wraps each event in {"event": …}; two of its records have no verb at all.
    [
      'wrapped-events.jsonl',
      () => Number(jq('map(select(.event.verb != null)) | length', `${LOGS}/wrapped-events.jsonl`, true)),
      () => Number(jq('map(select(.event.verb == null)) | length', `${LOGS}/wrapped-events.jsonl`, true)),
      'jq on .event.verb',
    ],
  ]
  for (const [file, events, malformed, how] of cases) {
    it(`reads ${file} (${how})`, async () => {
      const {report, stderr} = await json(['policies', '-f', `${LOGS}/${file}`, '--since', 'all'])
      assert.equal(report.sources[0].events, events())
      assert.equal(report.sources[0].malformed, malformed())
      assert.deepEqual(report.changes, [], 'none of these logs holds a network policy write')
      if (malformed() > 0) assert.match(stderr, /skipped \d+ malformed lines? \(first at line \d+\)/)
    })
  }

  it('reads every capture through a glob, and counts the malformed {"kind": 0}', async () => {
    const {report, stderr} = await json(['policies', '-f', `${LOGS}/captures/*.json`, '--since', 'all'])
    const files = execFileSync('sh', ['-c', `ls ${LOGS}/captures/*.json | wc -l`], {encoding: 'utf8'}).trim()
    assert.equal(report.sources.length, Number(files))
    const bad = report.sources.filter((s) => s.malformed > 0)
    assert.deepEqual(
      bad.map((s) => [s.name.split('/').pop(), s.malformed]),
      [['malformed.json', 1]],
    )
    // Its one document is no event: the file holds none, and the warning says so.
    assert.match(stderr, /malformed\.json holds no audit events \(1 line, not an audit event\)/)
    assert.equal(
      report.sources.reduce((n, s) => n + s.events, 0),
      Number(execFileSync('sh', ['-c', `cat ${LOGS}/captures/*.json | grep -c '"kind":"Event"'`], {encoding: 'utf8'})),
    )
  })

  it('recognises the legacy text format and says how to fix it', async () => {
    const result = await runCli(['policies', '-f', `${LOGS}/legacy-format.log`, '--since', 'all'])
    assert.equal(result.code, 0)
    assert.match(result.stderr, /legacy audit format \(4 lines\).*--audit-log-format=json/)
  })
})

describe('policies on the example log', () => {
  it('prints a readable table, aligned, with the failed column', async () => {
    const result = await runCli(['policies', '-f', EXAMPLE, '--since', 'all'])
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stderr, '')
    const lines = result.stdout.split('\n')
    assert.match(lines[0], /^Policy changes in the whole input {2}· {2}1 source, [\d,]+ events read$/)
    const header = lines.find((l) => l.startsWith('USER'))!
    assert.match(header, /USER +CREATE +UPDATE +PATCH +DELETE +DELETECOLLECTION +FAILED +TOTAL/)
    const listHeader = lines.find((l) => l.startsWith('TIME'))!
    // Every row of the change list starts its RESULT column where the header does.
    const col = listHeader.indexOf('RESULT')
    const rows = lines.slice(lines.indexOf(listHeader) + 1).filter((l) => l !== '')
    assert.equal(rows.length, 20, 'the default --limit')
    for (const row of rows) assert.match(row.slice(col), /^(ok|\d{3} \w+)/, row)
    assert.doesNotMatch(result.stdout, /\u001b/, 'no colour when stdout is not a terminal')
    // The matrix: most changes first, ties by user (the example has three users with 2).
    const matrix = lines.slice(lines.indexOf(header) + 1, lines.indexOf('', lines.indexOf(header)))
    const byUser = matrix.map((l) => ({user: l.split(/ +/)[0], total: Number(l.split(/ +/).at(-1))}))
    const expected = [...byUser].sort((a, b) => b.total - a.total || (a.user < b.user ? -1 : 1))
    assert.deepEqual(byUser, expected)
    assert.ok(new Set(byUser.map((r) => r.total)).size < byUser.length, 'the example has ties')
  })

  it('says when the window is empty, what the input covers, and what to try', async () => {
    const result = await runCli(['policies', '-f', EXAMPLE, '--since', '1h'])
    assert.equal(result.code, 0)
    assert.match(result.stdout, /No network policy or tier changes in this window\./)
    assert.match(result.stdout, /The input covers 2026-11-24T07:00:\d\dZ to 2026-11-24T0?9:59:\d\dZ\./)
    assert.match(result.stdout, /Try --since all/)
  })

  it('says what time span EventList, pretty-printed and legacy input covers when the window is empty', async () => {
    const eventList = `${LOGS}/webhook-eventlist-v1beta1.json`
    const legacy = `${LOGS}/legacy-format.log`
    const pretty = join(tmpdir(), `kubectl-audit-pretty-${process.pid}.json`)
    writeFileSync(
      pretty,
      [auditLine({time: '2026-11-24T10:00:05.000000Z'}), auditLine({time: '2026-11-24T09:00:00.000000Z'})]
        .map((l) => JSON.stringify(JSON.parse(l), null, 2))
        .join('\n'),
    )
    const shortTime = (t: string) => new Date(t).toISOString().replace(/\.\d+Z$/, 'Z')
    const legacyTimes = readFileSync(legacy, 'utf8')
      .trim()
      .split('\n')
      .map((line) => shortTime(line.split(' ')[0].replace(/\.\d+/, '')))
    const cases: Array<[string, string, string]> = [
      [
        eventList,
        shortTime(jq('[.items[] | .stageTimestamp // .timestamp] | min', eventList)),
        shortTime(jq('[.items[] | .stageTimestamp // .timestamp] | max', eventList)),
      ],
      [pretty, '2026-11-24T09:00:00Z', '2026-11-24T10:00:05Z'],
      [legacy, legacyTimes[0], legacyTimes.at(-1)!],
    ]
    try {
      for (const [file, first, last] of cases) {
        const result = await runCli(['policies', '-f', file, '--since-time', '2030-01-01T00:00:00Z'])
        assert.equal(result.code, 0)
        assert.match(
          result.stdout,
          new RegExp(`No network policy or tier changes in this window\\.\nThe input covers ${first} to ${last}\\.\n`),
          file,
        )
      }
    } finally {
      rmSync(pretty)
    }
  })

  it('says how many changes in the window the filters left out, and which filters', async () => {
    const all = JSON.parse(
      execFileSync('jq', ['-n', '-f', 'examples/policy-changes.jq', EXAMPLE], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      }),
    ).changes.length
    const result = await runCli(['policies', '-f', EXAMPLE, '--since', 'all', '--user', 'nobody', '--kind', 'gnp'])
    assert.equal(result.code, 0)
    assert.match(
      result.stdout,
      new RegExp(
        `\nNo network policy or tier changes in this window match the filters\\.\n${all} changes in this window did not match --user nobody --kind gnp\\.\n$`,
      ),
    )
  })

  it('gives the same report as YAML and as JSON', async () => {
    const {parse} = await import('yaml')
    const yaml = await runCli(['policies', '-f', EXAMPLE, '--since', 'all', '-o', 'yaml'])
    const {report} = await json(['policies', '-f', EXAMPLE, '--since', 'all'])
    assert.deepEqual(parse(yaml.stdout), report)
  })

  it('lists everything with --limit 0 and adds audit IDs with -o wide', async () => {
    const {report} = await json(['policies', '-f', EXAMPLE, '--since', 'all'])
    const result = await runCli(['policies', '-f', EXAMPLE, '--since', 'all', '-o', 'wide', '--limit', '0'])
    assert.match(result.stdout, /RESULT +CODE +AUDIT-ID +SOURCE-IP +USER-AGENT +SOURCE/)
    for (const change of report.changes) assert.ok(result.stdout.includes(change.auditID), change.auditID)
    // The CODE column tells a 201 from a 200; it is right-aligned under its header.
    const lines = result.stdout.split('\n')
    const listHeader = lines.find((l) => l.startsWith('TIME'))!
    const codeEnd = listHeader.indexOf('CODE') + 'CODE'.length
    const rows = lines.slice(lines.indexOf(listHeader) + 1).filter((l) => l !== '')
    assert.deepEqual(
      rows.map((row) => row.slice(codeEnd - 3, codeEnd)),
      report.changes.map((c) => (c.code === null ? '   ' : String(c.code))),
    )
    assert.ok(report.changes.some((c) => c.code === 201) && report.changes.some((c) => c.code === 200))
  })

  it('filters by kind, user, verb, outcome and tier', async () => {
    const args = ['policies', '-f', EXAMPLE, '--since', 'all']
    const all = (await json(args)).report.changes
    const cases: Array<[string[], (c: PolicyChangeReport['changes'][number]) => boolean]> = [
      [['--kind', 'knp'], (c) => c.apiGroup === 'networking.k8s.io' && c.resource === 'networkpolicies'],
      [['--kind', 'gnp,tier'], (c) => ['globalnetworkpolicies', 'tiers'].includes(c.resource)],
      [['--user', 'system:serviceaccount:*'], (c) => c.user.startsWith('system:serviceaccount:')],
      [['--verb', 'delete,deletecollection'], (c) => c.verb.startsWith('delete')],
      [['--outcome', 'failed'], (c) => c.outcome === 'failed'],
      [['--tier', 'security'], (c) => c.tier === 'security'],
      [['-n', 'shop'], (c) => c.namespace === 'shop'],
    ]
    for (const [flags, keep] of cases) {
      const got = (await json([...args, ...flags])).report.changes
      assert.deepEqual(got, all.filter(keep), flags.join(' '))
      assert.ok(got.length > 0, `${flags.join(' ')} selects something in the example`)
    }
  })
})

describe('policies input handling', () => {
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-'))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('reads gzip by its magic bytes, whatever the name', async () => {
    const plain = (await json(['policies', '-f', EXAMPLE, '--since', 'all'])).report
    const gz = join(dir, 'audit-copy.log')
    writeFileSync(gz, gzipSync(readFileSync(EXAMPLE)))
    const zipped = (await json(['policies', '-f', gz, '--since', 'all'])).report
    assert.deepEqual(zipped.summary, plain.summary)
    assert.deepEqual(
      zipped.changes.map((c) => c.auditID),
      plain.changes.map((c) => c.auditID),
    )
    assert.equal(zipped.sources[0].bytesRead, readFileSync(gz).length)
  })

  it('reads stdin with -f -', async () => {
    const plain = (await json(['policies', '-f', EXAMPLE, '--since', 'all'])).report
    const piped = (await json(['policies', '-f', '-', '--since', 'all'], readFileSync(EXAMPLE))).report
    assert.deepEqual(piped.summary, plain.summary)
    assert.equal(piped.sources[0].name, '-')
  })

  it('detects the format of stdin when a slow pipe delivers one byte first', async () => {
    const pretty = `${LOGS}/webhook-eventlist-v1beta1.json`
    const legacy = `${LOGS}/legacy-format.log`
    for (const file of [pretty, legacy, EXAMPLE]) {
      const whole = await runCli(['policies', '-f', file, '--since', 'all', '-o', 'json'])
      const bytes = readFileSync(file)
      for (const input of [bytes, gzipSync(bytes)]) {
        const piped = await runCli(['policies', '-f', '-', '--since', 'all', '-o', 'json'], {
          stdin: [input.subarray(0, 1), input.subarray(1)],
        })
        assert.equal(piped.code, 0, piped.stderr)
        const [a, b] = [JSON.parse(whole.stdout), JSON.parse(piped.stdout)] as PolicyChangeReport[]
        assert.deepEqual(
          [b.sources[0].events, b.sources[0].malformed, b.changes.length],
          [a.sources[0].events, a.sources[0].malformed, a.changes.length],
          file,
        )
        assert.equal(piped.stderr, whole.stderr.replaceAll(file, '-'))
      }
    }
  })

  it('reads a directory of rotated logs oldest first, and skips files before the window unopened', async () => {
    const rotated = join(dir, 'rotated')
    mkdirSync(rotated)
    const lines = readFileSync(EXAMPLE, 'utf8').trimEnd().split('\n')
    const third = Math.floor(lines.length / 3)
    const parts = [lines.slice(0, third), lines.slice(third, 2 * third), lines.slice(2 * third)]
    const stamp = (part: string[]) =>
      JSON.parse(part.at(-1)!)
        .stageTimestamp.replace(/:/g, '-')
        .replace(/\.(\d{3})\d*Z$/, '.$1')
    writeFileSync(join(rotated, `audit-${stamp(parts[0])}.log.gz`), gzipSync(parts[0].join('\n') + '\n'))
    writeFileSync(join(rotated, `audit-${stamp(parts[1])}.log`), parts[1].join('\n') + '\n')
    writeFileSync(join(rotated, 'audit.log'), parts[2].join('\n') + '\n')
    const whole = (await json(['policies', '-f', EXAMPLE, '--since', 'all'])).report
    const fromDir = (await json(['policies', '-f', rotated, '--since', 'all'])).report
    assert.deepEqual(
      fromDir.changes.map((c) => c.auditID),
      whole.changes.map((c) => c.auditID),
    )
    assert.deepEqual(
      fromDir.sources.map((s) => s.name.split('/').pop()!.replace(/\d/g, 'N')),
      ['audit-NNNN-NN-NNTNN-NN-NN.NNN.log.gz', 'audit-NNNN-NN-NNTNN-NN-NN.NNN.log', 'audit.log'],
    )
    // A window starting after the first file's rotation time (plus the ordering slack) skips it.
    const since = new Date(Date.parse(JSON.parse(parts[1][0]).stageTimestamp) + 10 * 60_000).toISOString()
    const windowed = (await json(['policies', '-f', rotated, '--since-time', since])).report
    assert.equal(windowed.sources[0].bytesRead, 0, 'the first rotated file was not opened')
    assert.deepEqual(
      windowed.changes.map((c) => c.auditID),
      whole.changes.filter((c) => c.time >= since).map((c) => c.auditID),
    )
  })

  it('reads the audit logs of a directory by name, links included, and leaves its other logs alone', async () => {
    const logs = join(dir, 'by-name')
    const elsewhere = join(dir, 'elsewhere.log')
    mkdirSync(logs)
    const write = (name: string, time: string) =>
      auditLine({
        verb: 'create',
        apiGroup: 'networking.k8s.io',
        resource: 'networkpolicies',
        namespace: 'a',
        name,
        time,
        code: 201,
      }) + '\n'
    writeFileSync(elsewhere, write('active', '2026-11-24T10:30:00.000000Z'))
    symlinkSync(elsewhere, join(logs, 'audit.log'))
    writeFileSync(
      join(logs, 'audit-2026-11-24T10-00-00.000.log.gz'),
      gzipSync(write('rotated', '2026-11-24T09:30:00.000000Z')),
    )
    writeFileSync(join(logs, 'tsee-audit.log'), write('calico', '2026-11-24T10:15:00.000000Z'))
    writeFileSync(join(logs, 'kube-apiserver.log'), 'I1124 10:00:00.000000       1 server.go:100] starting\n')
    writeFileSync(join(logs, 'config.json'), '{"apiVersion": "v1"}\n')
    symlinkSync(join(dir, 'missing.log'), join(logs, 'audit-2026-11-24T08-00-00.000.log'))
    const {report, stderr} = await json(['policies', '-f', logs, '--since', 'all'])
    assert.deepEqual(
      report.sources.map((s) => [s.name.slice(logs.length + 1), s.events, s.malformed]),
      [
        ['audit-2026-11-24T10-00-00.000.log.gz', 1, 0],
        ['audit.log', 1, 0],
        ['tsee-audit.log', 1, 0],
      ],
    )
    assert.deepEqual(
      report.changes.map((c) => c.name),
      ['rotated', 'calico', 'active'],
    )
    // The files left out are counted and named, so a log under another name is not missed unseen.
    assert.equal(
      stderr,
      `warning: ${logs}: left out 2 files whose names do not say audit (config.json, kube-apiserver.log): pass them with -f to read them\n`,
    )
  })

  it('reads the JSON-looking files of a directory with no audit log by name, and says which', async () => {
    const logs = join(dir, 'unnamed')
    mkdirSync(logs)
    writeFileSync(join(logs, 'events.jsonl'), auditLine() + '\n')
    writeFileSync(join(logs, 'notes.txt'), 'not a log\n')
    const {report, stderr} = await json(['policies', '-f', logs, '--since', 'all'])
    assert.deepEqual(
      report.sources.map((s) => s.name),
      [join(logs, 'events.jsonl')],
    )
    assert.equal(
      stderr,
      `warning: ${logs}: no audit log by name (audit.log, audit-<time>.log[.gz]); reading events.jsonl, leaving out 1 other\n`,
    )
  })

  it('reads a file named twice once, and says so once', async () => {
    const once = join(dir, 'once')
    mkdirSync(once)
    writeFileSync(
      join(once, 'audit.log'),
      auditLine({
        verb: 'create',
        apiGroup: 'networking.k8s.io',
        resource: 'networkpolicies',
        namespace: 'a',
        name: 'x',
        code: 201,
      }) + '\n',
    )
    const file = join(once, 'audit.log')
    for (const args of [
      ['-f', file, '-f', join(once, '.', 'audit.log')],
      ['-f', once, '-f', file],
    ]) {
      const {report, stderr} = await json(['policies', ...args, '--since', 'all'])
      assert.equal(report.sources.length, 1, args.join(' '))
      assert.equal(report.changes.length, 1)
      assert.equal(stderr, `warning: ${args[3]} is the same file as ${report.sources[0].name}: read once\n`)
    }
  })

  it('counts the same events read from two copies once, and still joins the Calico backing writes', async () => {
    const one = await json(['policies', '-f', EXAMPLE, '--since', 'all'])
    for (const copy of ['a', 'b']) {
      mkdirSync(join(dir, copy), {recursive: true})
      writeFileSync(join(dir, copy, 'audit.log'), readFileSync(EXAMPLE))
    }
    const two = await json([
      'policies',
      '-f',
      join(dir, 'a', 'audit.log'),
      '-f',
      join(dir, 'b', 'audit.log'),
      '--since',
      'all',
    ])
    assert.equal(two.report.sources.length, 2)
    assert.deepEqual(two.report.summary, one.report.summary)
    assert.equal(two.report.changes.length, one.report.changes.length)
    assert.ok(
      !two.report.summary.some((row) => /calico-apiserver|tigera-apiserver/.test(row.user)),
      'backing writes are joined, not counted',
    )
  })

  it('reads a process substitution (-f <(zcat …)) as a stream', async function () {
    if (spawnSync('bash', ['-c', 'true']).status !== 0) this.skip()
    const gz = join(dir, 'substituted.log.gz')
    writeFileSync(gz, gzipSync(readFileSync(EXAMPLE)))
    const whole = (await json(['policies', '-f', EXAMPLE, '--since', 'all'])).report
    for (const command of ['zcat', 'cat']) {
      const result = spawnSync(
        'bash',
        ['-c', `"$0" "$1" policies -f <(${command} "$2") --since all -o json`, process.execPath, RUN, gz],
        {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: {...process.env, NO_COLOR: '1'}},
      )
      assert.equal(result.status, 0, result.stderr)
      const report = JSON.parse(result.stdout) as PolicyChangeReport
      assert.match(report.sources[0].name, /^\/dev\/fd\/\d+$|^\/proc\//)
      assert.deepEqual(report.summary, whole.summary, command)
    }
  })

  it('says when the input ends when every rotated file ends before the window', async () => {
    const old = join(dir, 'all-old')
    mkdirSync(old)
    writeFileSync(
      join(old, 'audit-2026-11-24T08-00-00.000.log.gz'),
      gzipSync(auditLine({time: '2026-11-24T07:59:00.000000Z'}) + '\n'),
    )
    writeFileSync(
      join(old, 'audit-2026-11-24T09-00-00.000.log'),
      auditLine({time: '2026-11-24T08:59:00.000000Z'}) + '\n',
    )
    const result = await runCli(['policies', '-f', old, '--since-time', '2026-11-25T00:00:00Z'])
    assert.equal(result.code, 0)
    assert.match(
      result.stdout,
      /\nThe input ends at about 2026-11-24T09:00:00Z \(the time in the newest rotated file's name\)\.\n2 rotated files that end before the window were not read\.\n/,
    )
  })

  it('reads every rotated file that reaches into --until-time, whatever order -f names them in', async () => {
    const write = (rotatedAt: string, name: string, time: string) => {
      const path = join(dir, `audit-${rotatedAt}.log`)
      writeFileSync(
        path,
        auditLine({
          verb: 'create',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'a',
          name,
          time,
          code: 201,
        }) + '\n',
      )
      return path
    }
    const older = write('2026-11-24T10-30-00.000', 'in-window', '2026-11-24T10:00:00.000000Z')
    const newer = write('2026-11-24T12-30-00.000', 'after-window', '2026-11-24T12:00:00.000000Z')
    for (const files of [
      [older, newer],
      [newer, older],
    ]) {
      const {report} = await json([
        'policies',
        ...files.flatMap((f) => ['-f', f]),
        '--since',
        'all',
        '--until-time',
        '2026-11-24T11:00:00Z',
      ])
      assert.deepEqual(
        report.changes.map((c) => c.name),
        ['in-window'],
        files.join(' '),
      )
    }
  })

  it('names a corrupt .gz on stderr and still counts the other sources', async () => {
    const bad = join(dir, 'audit-2026-11-24T08-00-00.000.log.gz')
    const full = gzipSync(readFileSync(EXAMPLE))
    writeFileSync(bad, full.subarray(0, Math.floor(full.length / 2)))
    const result = await runCli(['policies', '-f', bad, '-f', EXAMPLE, '--since', 'all', '-o', 'json'])
    // Exit 3: the report is out, but one source could not be read to its end.
    assert.equal(result.code, 3)
    assert.match(result.stderr, /audit-2026-11-24T08-00-00\.000\.log\.gz: .*gzip.*after [\d.]+ KiB read/)
    const report = JSON.parse(result.stdout) as PolicyChangeReport
    assert.ok(report.sources[0].events > 0, 'what was read before the damage counts')
    assert.ok(report.sources[1].events > 0)
  })

  it('survives garbage: binary bytes, a 30 MB line, CRLF, a BOM, a half-written last line', async () => {
    const file = join(dir, 'messy.log')
    const change = auditLine({
      verb: 'create',
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      namespace: 'a',
      name: 'after-garbage',
      code: 201,
    })
    const huge = auditLine({
      verb: 'update',
      apiGroup: 'projectcalico.org',
      resource: 'networkpolicies',
      namespace: 'a',
      name: 'huge',
      requestObject: {pad: 'x'.repeat(30 * 1024 * 1024)},
    })
    const binary = Buffer.from(Array.from({length: 4096}, (_, i) => (i * 7919) % 256).filter((b) => b !== 10))
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from('\uFEFF'),
        binary,
        Buffer.from(`\r\n${huge}\r\n${change}\r\n{"kind":"Event","verb":"cre`),
      ]),
    )
    const {report, stderr} = await json(['policies', '-f', file, '--since', 'all'])
    assert.deepEqual(report.changes.map((c) => c.name).sort(), ['after-garbage', 'huge'])
    assert.equal(report.sources[0].malformed, 1)
    assert.match(stderr, /skipped 1 malformed line \(first at line 1\)/)
  })

  it('keeps the pretty-printed events after one cut in half, and counts that one malformed', async () => {
    const file = join(dir, 'pretty-damaged.json')
    const {auditEvent} = await import('../support/events.js')
    const pretty = ['cut', 'a', 'b', 'c', 'd', 'e'].map((name) =>
      JSON.stringify(
        auditEvent({
          verb: 'create',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'x',
          name,
          code: 201,
        }),
        null,
        2,
      ),
    )
    pretty[0] = pretty[0].slice(0, Math.floor(pretty[0].length / 2))
    writeFileSync(file, pretty.join('\n') + '\n')
    const {report, stderr} = await json(['policies', '-f', file, '--since', 'all'])
    assert.deepEqual(
      report.changes.map((c) => c.name),
      ['a', 'b', 'c', 'd', 'e'],
    )
    assert.deepEqual([report.sources[0].events, report.sources[0].malformed], [5, 1])
    assert.match(stderr, /skipped 1 malformed line \(first at line 1\)/)
  })

  it('keeps the change after a byte-order mark in the middle: two files with one, gzipped one after the other', async () => {
    const file = join(dir, 'members.log.gz')
    const line = (name: string) =>
      '\uFEFF' +
      auditLine({
        verb: 'create',
        apiGroup: 'networking.k8s.io',
        resource: 'networkpolicies',
        namespace: 'a',
        name,
        code: 201,
      }) +
      '\n'
    writeFileSync(file, Buffer.concat([gzipSync(line('first')), gzipSync(line('second'))]))
    const {report} = await json(['policies', '-f', file, '--since', 'all'])
    assert.deepEqual(
      report.changes.map((c) => c.name),
      ['first', 'second'],
    )
    assert.deepEqual([report.sources[0].events, report.sources[0].malformed], [2, 0])
  })

  it('counts every item of an EventList written on one line', async () => {
    const file = join(dir, 'eventlist.jsonl')
    const {auditEvent} = await import('../support/events.js')
    const items = ['a', 'b', 'c'].map((name) =>
      auditEvent({verb: 'create', apiGroup: 'networking.k8s.io', resource: 'networkpolicies', namespace: 'x', name}),
    )
    writeFileSync(
      file,
      JSON.stringify({kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items}) + '\n' + auditLine() + '\n',
    )
    const {report} = await json(['policies', '-f', file, '--since', 'all'])
    assert.equal(report.sources[0].events, 4)
    assert.deepEqual(
      report.changes.map((c) => c.name),
      ['a', 'b', 'c'],
    )
  })

  it('never prints terminal control characters from the log in a table; JSON and YAML keep them, escaped', async () => {
    const file = join(dir, 'evil.log')
    const evil = 'mallory\u001b[2J\u001b]0;owned\u0007\u202Egnp\u009b2J\u2028'
    writeFileSync(
      file,
      auditLine({
        verb: 'delete',
        apiGroup: 'projectcalico.org',
        resource: 'globalnetworkpolicies',
        name: `deny\u001b[31m`,
        user: evil,
        code: 200,
      }) + '\n',
    )
    const table = await runCli(['policies', '-f', file, '--since', 'all', '-o', 'wide', '--color', 'never'])
    assert.equal(table.code, 0)
    assert.doesNotMatch(table.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2028]/)
    // Shown, not deleted: the reader sees that the value was tampered with.
    assert.match(table.stdout, /mallory\\x1b\[2J\\x1b\]0;owned\\x07\\u202egnp\\x9b2J\\u2028/)
    const {report} = await json(['policies', '-f', file, '--since', 'all'])
    assert.equal(report.changes[0].user, evil)
    for (const format of ['json', 'yaml']) {
      const document = await runCli(['policies', '-f', file, '--since', 'all', '-o', format])
      assert.doesNotMatch(document.stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2028]/, format)
    }
  })

  const badRuns: Array<[string, string[], RegExp]> = [
    [
      'a missing file',
      ['-f', 'no/such/audit.log'],
      /^error: cannot read no\/such\/audit\.log: no such file or directory\n$/,
    ],
    ['an empty glob', ['-f', 'no-such-dir/*.log'], /^error: no file matches no-such-dir\/\*\.log\n/],
    ['a bad duration', ['-f', EXAMPLE, '--since', '5x'], /^error: --since "5x" is not a duration\nhint: /],
    [
      'an unknown kind',
      ['-f', EXAMPLE, '--kind', 'pods'],
      /^error: --kind pods is not a watched kind\nhint: use one of: gnp, /,
    ],
    ['a read verb', ['-f', EXAMPLE, '--verb', 'get'], /^error: --verb get is not a write verb/],
    [
      '--since with --since-time',
      ['-f', EXAMPLE, '--since', '1h', '--since-time', '2026-11-24T00:00:00Z'],
      /cannot be used together/,
    ],
    [
      'an unknown output',
      ['-f', EXAMPLE, '-o', 'xml'],
      /^error: Expected --output=xml to be one of: table, wide, json, yaml\nhint: see kubectl audit policies --help\n$/,
    ],
    [
      'an unknown flag',
      ['-f', EXAMPLE, '--bogus'],
      /^error: unknown flag: --bogus\nhint: see kubectl audit policies --help\n$/,
    ],
    [
      'a flag value out of range',
      ['-f', EXAMPLE, '--limit', '-1'],
      /^error: Parsing --limit: Expected an integer greater than or equal to 0 but received: -1\nhint: see kubectl audit policies --help\n$/,
    ],
  ]
  it('exits 2 pointing at -f and the kubeconfig when there is no log and no cluster', async () => {
    const result = await runCli(['policies'], {env: {KUBECONFIG: join(dir, 'missing-kubeconfig'), HOME: dir}})
    assert.equal(result.code, 2)
    assert.match(result.stderr, /^error: .*kubeconfig.*\nhint: .*-f/)
    assert.doesNotMatch(result.stderr, /\n\s+at /)
  })

  for (const [title, args, stderr] of badRuns) {
    it(`exits 2 with one clear line for ${title}`, async () => {
      const result = await runCli(['policies', ...args])
      assert.equal(result.code, 2, result.stderr)
      assert.match(result.stderr, stderr)
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')
      assert.equal(result.stdout, '')
    })
  }
})

describe('policies on a log of impersonated reads rewritten to policy writes', () => {
  // The impersonation log has impersonated requests and 403s, but only reads.
  // jq turns its resource requests into NetworkPolicy creates (everything else untouched), and
  // computes the expected outcome counts from the rewritten file itself.
  const rewrite =
    'select(.objectRef != null) | .verb = "create" | .objectRef.apiGroup = "networking.k8s.io" | .objectRef.resource = "networkpolicies"'
  let dir: string
  let file: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-rewrite-'))
    file = join(dir, 'audit.log')
    writeFileSync(file, execFileSync('jq', ['-c', rewrite, `${LOGS}/impersonation.log`], {encoding: 'utf8'}))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('keeps impersonation and denied attempts, counted as jq counts them', async () => {
    const {report} = await json(['policies', '-f', file, '--since', 'all'])
    const failed = Number(jq('map(select(.responseStatus.code >= 400)) | length', file, true))
    const succeeded = Number(jq('map(select(.responseStatus.code < 400)) | length', file, true))
    const user = jq('.[0].user.username', file, true)
    assert.deepEqual(report.summary, [{user, verb: 'create', succeeded, failed, unknown: 0}])
    const impersonated = jq('map(.impersonatedUser.username) | sort | join(",")', file, true)
    assert.equal(
      report.changes
        .map((c) => c.impersonatedUser)
        .sort()
        .join(','),
      impersonated,
    )
    assert.ok(failed > 0 && report.changes.some((c) => c.code === 403 && c.outcome === 'failed'))
  })
})

describe("colour of oclif's own output (help, flag errors)", () => {
  // ansis, oclif's colour library, reads argv and took `--color never` for a bare `--color`.
  const env = {NO_COLOR: undefined, FORCE_COLOR: undefined, TERM: 'xterm-256color'}
  const ESC = '\u001b'
  const cases: Array<[string[], boolean]> = [
    [['--color', 'never', '--help'], false],
    [['policies', '--color', 'never', '--help'], false],
    [['policies', '--color', 'auto', '--help'], false],
    [['policies', '--color=never', '--help'], false],
    [['policies', '--color', 'always', '--help'], true],
  ]
  for (const [args, coloured] of cases) {
    it(`${args.join(' ')} into a pipe: ${coloured ? 'coloured' : 'plain'}`, async () => {
      const result = await runCli(args, {env})
      assert.equal(result.code, 0, result.stderr)
      assert.equal(result.stdout.includes(ESC), coloured)
    })
  }
})

describe('policies output into a pipe closed early', () => {
  it('exits 0 quietly when the reader stops (… -o json | head)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-pipe-'))
    const file = join(dir, 'audit.log')
    const lines = Array.from({length: 3000}, (_, i) =>
      auditLine({
        verb: 'patch',
        apiGroup: 'networking.k8s.io',
        resource: 'networkpolicies',
        namespace: 'ns',
        name: `p${i}`,
        time: new Date(Date.parse('2026-11-24T00:00:00Z') + i * 1000).toISOString(),
      }),
    )
    writeFileSync(file, lines.join('\n') + '\n')
    const {spawn} = await import('node:child_process')
    const {RUN} = await import('../support/cli.js')
    const child = spawn(process.execPath, [RUN, 'policies', '-f', file, '--since', 'all', '-o', 'json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.stdout.once('data', () => child.stdout.destroy())
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    rmSync(dir, {recursive: true, force: true})
    assert.equal(stderr, '')
    assert.equal(code, 0)
  })
})
