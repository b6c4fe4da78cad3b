// Inputs that are not what the user thinks, through the CLI: files with no audit event at all
// (README.md, kube-apiserver's own klog), directories holding other files, wrappers of events
// (an Elasticsearch _search response), documents that are no event, and the span the input
// covers, taken from events only. Expected counts come from how each file was written.

import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {runCli} from '../support/cli.js'
import {auditEvent, auditLine} from '../support/events.js'

const write = (name: string, time = '2026-11-24T10:00:00.000000Z', code = 201) =>
  auditEvent({
    verb: 'create',
    apiGroup: 'networking.k8s.io',
    resource: 'networkpolicies',
    namespace: 'shop',
    name,
    time,
    code,
  })
const lease = (time = '2026-11-24T10:00:00.000000Z') =>
  auditEvent({verb: 'update', resource: 'leases', namespace: 'kube-node-lease', name: 'node-1', time})

async function jsonReport(args: string[]): Promise<{report: PolicyChangeReport; stderr: string; code: number | null}> {
  const result = await runCli([...args, '-o', 'json'])
  return {
    report:
      result.stdout === ''
        ? (undefined as unknown as PolicyChangeReport)
        : (JSON.parse(result.stdout) as PolicyChangeReport),
    stderr: result.stderr,
    code: result.code,
  }
}

describe('inputs that are not what the user thinks', function () {
  this.timeout(60_000)
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-kinds-'))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  describe('files that hold no audit event', () => {
    it('README.md alone is an error that says so, exit 2', async () => {
      const file = join(dir, 'README.md')
      const lines = Array.from({length: 510}, (_, i) =>
        i % 3 === 0 ? `## Section ${i}` : `Some text about audit logs and "verb" fields, line ${i}.`,
      )
      writeFileSync(file, lines.join('\n') + '\n')
      const result = await runCli(['policies', '-f', file, '--since', 'all'])
      assert.equal(result.code, 2)
      assert.equal(
        result.stderr,
        `error: ${file} holds no audit events (510 lines, none of them an audit event)\nhint: give kube-apiserver's audit log: JSON lines, written to the file named by its --audit-log-path\n`,
      )
    })

    it("kube-apiserver's own log (klog) alone: the hint names the mix-up", async () => {
      const file = join(dir, 'kube-apiserver.log')
      writeFileSync(
        file,
        [
          'I1124 10:00:00.123456       1 server.go:123] Version: v1.31.2',
          'W1124 10:00:01.000001       1 authentication.go:55] something',
          'E1124 10:00:02.500000      12 controller.go:9] failed',
        ].join('\n') + '\n',
      )
      const result = await runCli(['policies', '-f', file, '--since', 'all'])
      assert.equal(result.code, 2)
      assert.match(
        result.stderr,
        /^error: \S+kube-apiserver\.log holds no audit events \(3 lines, none of them an audit event\)\nhint: it looks like kube-apiserver's own log; the audit log is the file named by its --audit-log-path\n$/,
      )
    })

    it('beside a real log: a warning names it, and the report goes on (exit 0)', async () => {
      const readme = join(dir, 'notes.md')
      const log = join(dir, 'good.log')
      writeFileSync(readme, '# Notes\n\ntext\n')
      writeFileSync(log, JSON.stringify(write('web')) + '\n')
      const {report, stderr, code} = await jsonReport(['policies', '-f', readme, '-f', log, '--since', 'all'])
      assert.equal(code, 0, stderr)
      assert.equal(stderr, `warning: ${readme} holds no audit events (2 lines, none of them an audit event)\n`)
      assert.deepEqual(
        report.changes.map((c) => c.name),
        ['web'],
      )
    })

    it('an empty file (a log just rotated) is no error', async () => {
      const empty = join(dir, 'audit.log')
      writeFileSync(empty, '')
      const {report, stderr, code} = await jsonReport(['policies', '-f', empty, '--since', 'all'])
      assert.equal(code, 0, stderr)
      assert.equal(stderr, '')
      assert.deepEqual(
        report.sources.map((s) => [s.events, s.malformed, s.complete]),
        [[0, 0, true]],
      )
    })

    it('a one-line JSON document with no final newline that is no audit event is not "1 event": it is the error above', async () => {
      const file = join(dir, 'status.json')
      writeFileSync(file, '{"kind":"Status","apiVersion":"v1","verb":"create","resource":"networkpolicies","code":403}')
      const result = await runCli(['policies', '-f', file, '--since', 'all'])
      assert.equal(result.code, 2)
      assert.match(result.stderr, /holds no audit events \(1 line, not an audit event\)/)
    })
  })

  describe('known wrappers of events', () => {
    // An Elasticsearch _search response: 12 policy writes, one denied, among the hits.
    const hits = Array.from({length: 12}, (_, i) => ({
      _index: 'audit-2026.11.24',
      _id: `h${i}`,
      _source: write(`p${i}`, `2026-11-24T10:00:${String(i).padStart(2, '0')}.000000Z`, i === 5 ? 403 : 201),
    }))
    const response = {took: 3, timed_out: false, hits: {total: {value: 12, relation: 'eq'}, max_score: 1, hits}}

    for (const [title, text] of [
      ['on one line, with no final newline', JSON.stringify(response)],
      ['pretty-printed', JSON.stringify(response, null, 2) + '\n'],
    ] as const) {
      it(`decodes an Elasticsearch _search response ${title}: its 12 writes, the denied one failed`, async () => {
        const file = join(dir, `search-${title.length}.json`)
        writeFileSync(file, text)
        const {report, stderr, code} = await jsonReport(['policies', '-f', file, '--since', 'all'])
        assert.equal(code, 0, stderr)
        assert.deepEqual([report.sources[0].events, report.sources[0].malformed], [12, 0])
        assert.equal(report.changes.length, 12)
        assert.deepEqual(
          report.changes.filter((c) => c.outcome === 'failed').map((c) => [c.name, c.code]),
          [['p5', 403]],
        )
      })
    }

    it('counts a hit from another index as not understood, and keeps the rest', async () => {
      const file = join(dir, 'search-mixed.json')
      writeFileSync(
        file,
        JSON.stringify({
          ...response,
          hits: {...response.hits, hits: [...hits, {_index: 'nginx', _source: {message: 'GET /'}}]},
        }) + '\n',
      )
      const {report, stderr} = await jsonReport(['policies', '-f', file, '--since', 'all'])
      assert.deepEqual([report.sources[0].events, report.sources[0].malformed, report.changes.length], [12, 1, 12])
      assert.match(stderr, /skipped 1 malformed line/)
    })

    it('counts a wrapped line the same whatever it holds: {"event": …} is an event, an unknown wrapper is not', async () => {
      const file = join(dir, 'wrapped.jsonl')
      const lines = [
        JSON.stringify(lease()),
        JSON.stringify({event: lease()}),
        JSON.stringify({event: write('wrapped-write')}),
        JSON.stringify({payload: lease()}),
        JSON.stringify({payload: write('unknown-wrapper-write')}),
      ]
      writeFileSync(file, lines.join('\n') + '\n')
      const {report} = await jsonReport(['policies', '-f', file, '--since', 'all'])
      assert.deepEqual([report.sources[0].events, report.sources[0].malformed], [3, 2])
      assert.deepEqual(
        report.changes.map((c) => c.name),
        ['wrapped-write'],
      )
    })
  })

  it('says what span the input covers from its events only, not from lines it rejected', async () => {
    const file = join(dir, 'span.log')
    const rejected = (time: string) => JSON.stringify({kind: 'Status', verb: 'get', stageTimestamp: time})
    writeFileSync(
      file,
      [
        rejected('2020-01-01T00:00:00.000000Z'),
        auditLine({verb: 'update', resource: 'leases', time: '2026-11-24T10:00:00.000000Z'}),
        auditLine({verb: 'update', resource: 'leases', time: '2026-11-24T11:00:00.000000Z'}),
        rejected('2030-01-01T00:00:00.000000Z'),
      ].join('\n') + '\n',
    )
    const result = await runCli(['policies', '-f', file, '--since-time', '2026-11-25T00:00:00Z'])
    assert.equal(result.code, 0, result.stderr)
    assert.match(result.stdout, /The input covers 2026-11-24T10:00:00Z to 2026-11-24T11:00:00Z\./)
  })

  describe('directories', () => {
    it('counts and names the files it leaves out, briefly', async () => {
      const logs = join(dir, 'logs')
      mkdirSync(logs)
      writeFileSync(join(logs, 'audit.log'), JSON.stringify(write('web')) + '\n')
      for (const name of ['kube-apiserver.log', 'policy.yaml', 'a.txt', 'b.txt', 'c.txt'])
        writeFileSync(join(logs, name), 'x\n')
      const {stderr, code} = await jsonReport(['policies', '-f', logs, '--since', 'all'])
      assert.equal(code, 0)
      assert.equal(
        stderr,
        `warning: ${logs}: left out 5 files whose names do not say audit (a.txt, b.txt, c.txt and 2 more): pass them with -f to read them\n`,
      )
    })

    it('summarises a long list of files read, never one line per 1,700 names', async () => {
      const logs = join(dir, 'many')
      mkdirSync(logs)
      for (let i = 0; i < 1700; i++)
        writeFileSync(join(logs, `events-${String(i).padStart(4, '0')}.jsonl`), JSON.stringify(lease()) + '\n')
      const {report, stderr, code} = await jsonReport(['policies', '-f', logs, '--since', 'all'])
      assert.equal(code, 0, stderr.slice(0, 500))
      assert.equal(report.sources.length, 1700)
      assert.equal(
        stderr,
        `warning: ${logs}: no audit log by name (audit.log, audit-<time>.log[.gz]); reading 1,700 files that look like logs (events-0000.jsonl, events-0001.jsonl, events-0002.jsonl and 1,697 more)\n`,
      )
    })
  })
})

describe('time bounds to the microsecond', function () {
  this.timeout(60_000)
  let file: string
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-us-'))
    file = join(dir, 'audit.log')
    const times = ['2026-11-24T10:00:00.123455Z', '2026-11-24T10:00:00.123456Z', '2026-11-24T10:00:00.123457Z']
    writeFileSync(file, times.map((time, i) => JSON.stringify(write(`p${i}`, time))).join('\n') + '\n')
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  const cases: Array<[string[], string[], {since: string | null; until: string | null}]> = [
    [
      ['--until-time', '2026-11-24T10:00:00.123456Z'],
      ['p0', 'p1'],
      {since: null, until: '2026-11-24T10:00:00.123456Z'},
    ],
    [
      ['--since-time', '2026-11-24T10:00:00.123456Z'],
      ['p1', 'p2'],
      {since: '2026-11-24T10:00:00.123456Z', until: null},
    ],
    [
      ['--since-time', '2026-11-24T10:00:00.123456Z', '--until-time', '2026-11-24T10:00:00.123456Z'],
      ['p1'],
      {since: '2026-11-24T10:00:00.123456Z', until: '2026-11-24T10:00:00.123456Z'},
    ],
    [
      ['--since-time', '2026-11-24T11:00:00.123456+01:00', '--until-time', '2026-11-24T10:00:00.124Z'],
      ['p1', 'p2'],
      {since: '2026-11-24T10:00:00.123456Z', until: '2026-11-24T10:00:00.124Z'},
    ],
    [['--until-time', '2026-11-24T10:00:00Z'], [], {since: null, until: '2026-11-24T10:00:00Z'}],
  ]
  for (const [args, names, window] of cases) {
    it(`${args.join(' ')}: ${names.join(', ') || 'nothing'}, and the window echoed as given`, async () => {
      const {report, code, stderr} = await jsonReport(['policies', '-f', file, ...args])
      assert.equal(code, 0, stderr)
      assert.deepEqual(
        report.changes.map((c) => c.name),
        names,
      )
      assert.deepEqual(report.window, window)
    })
  }

  it('shows the bound to the microsecond in the table title', async () => {
    const result = await runCli(['policies', '-f', file, '--until-time', '2026-11-24T10:00:00.123456Z'])
    assert.match(result.stdout, /^Policy changes from the start to 2026-11-24T10:00:00\.123456Z/)
  })
})
