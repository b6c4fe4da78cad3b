// The policies command on real third-party logs (the same runs as
// test/integration/policies-cli.test.ts, on other projects' files). Expected counts come from jq or
// from reading the files, never from our code.

import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {runCli} from '../support/cli.js'
import {LOGS} from './fixtures.js'

const jq = (filter: string, file: string, slurp = false): string =>
  execFileSync('jq', [...(slurp ? ['-s'] : []), '-r', filter, file], {encoding: 'utf8'}).trim()

async function json(args: string[], stdin?: string | Buffer): Promise<{report: PolicyChangeReport; stderr: string}> {
  const result = await runCli([...args, '-o', 'json'], {stdin})
  assert.equal(result.code, 0, result.stderr)
  return {report: JSON.parse(result.stdout) as PolicyChangeReport, stderr: result.stderr}
}

const PANTHER_TIME = '(.event.stageTimestamp // .event.requestReceivedTimestamp // .event.timestamp)'

describe('policies on real-world logs', () => {
  // [file, expected events, expected malformed, how the expectation was derived]
  const cases: Array<[string, () => number, () => number, string]> = [
    ['audit2rbac-demo.log', () => Number(jq('length', `${LOGS}/audit2rbac-demo.log`, true)), () => 0, 'jq -s length'],
    [
      'k8s-docs-v1beta1-events.jsonl',
      () => Number(jq('length', `${LOGS}/k8s-docs-v1beta1-events.jsonl`, true)),
      () => 0,
      'jq -s length',
    ],
    [
      'k8s-docs-webhook-eventlist-v1beta1.json',
      () => Number(jq('.items | length', `${LOGS}/k8s-docs-webhook-eventlist-v1beta1.json`)),
      () => 0,
      'EventList items',
    ],
    ['openshift-node-logs-hostname-prefixed.log', () => 1, () => 0, 'one host-prefixed line'],
    // Panther's test cases wrap each event in {"event": …}; seven of them have no verb, and most
    // have no time at all (stageTimestamp, requestReceivedTimestamp and timestamp stripped): an
    // event with no time cannot be placed in a window, so it is not understood, like one with no verb.
    [
      'eks-panther-test-events.jsonl',
      () =>
        Number(
          jq(
            `map(select(.event.verb != null and ${PANTHER_TIME} != null)) | length`,
            `${LOGS}/eks-panther-test-events.jsonl`,
            true,
          ),
        ),
      () =>
        Number(
          jq(
            `map(select(.event.verb == null or ${PANTHER_TIME} == null)) | length`,
            `${LOGS}/eks-panther-test-events.jsonl`,
            true,
          ),
        ),
      'jq on .event.verb and its times',
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

  it('reads every Falco capture through a glob, and names the one that holds no audit event ({"kind": 0})', async () => {
    const {report, stderr} = await json(['policies', '-f', `${LOGS}/falco/*.json`, '--since', 'all'])
    const files = execFileSync('sh', ['-c', `ls ${LOGS}/falco/*.json | wc -l`], {encoding: 'utf8'}).trim()
    assert.equal(report.sources.length, Number(files))
    const bad = report.sources.filter((s) => s.malformed > 0)
    assert.deepEqual(
      bad.map((s) => [s.name.split('/').pop(), s.malformed]),
      [['fal_01_003.json', 1]],
    )
    // A file of lines none of which is an audit event, beside files that hold some, is named in a warning.
    assert.match(stderr, /fal_01_003\.json holds no audit events \(1 line, not an audit event\)/)
  })

  it('recognises the legacy text format and says how to fix it', async () => {
    const result = await runCli(['policies', '-f', `${LOGS}/k8s-docs-legacy-format.log`, '--since', 'all'])
    assert.equal(result.code, 0)
    assert.match(result.stderr, /legacy audit format \(4 lines\).*--audit-log-format=json/)
  })
})

describe('policies on real EventList and legacy input', () => {
  const shortTime = (t: string) => new Date(t).toISOString().replace(/\.\d+Z$/, 'Z')

  it('says what time span they cover when the window is empty', async () => {
    const eventList = `${LOGS}/k8s-docs-webhook-eventlist-v1beta1.json`
    const legacy = `${LOGS}/k8s-docs-legacy-format.log`
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
      [legacy, legacyTimes[0], legacyTimes.at(-1)!],
    ]
    for (const [file, first, last] of cases) {
      const result = await runCli(['policies', '-f', file, '--since-time', '2030-01-01T00:00:00Z'])
      assert.equal(result.code, 0)
      assert.match(
        result.stdout,
        new RegExp(`No network policy or tier changes in this window\\.\nThe input covers ${first} to ${last}\\.\n`),
        file,
      )
    }
  })

  it('detects the format of stdin when a slow pipe delivers one byte first', async () => {
    const pretty = `${LOGS}/k8s-docs-webhook-eventlist-v1beta1.json`
    const legacy = `${LOGS}/k8s-docs-legacy-format.log`
    for (const file of [pretty, legacy]) {
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
})

describe('policies on a real log rewritten to policy writes', () => {
  // audit2rbac's demo log is real apiserver output with impersonation and 403s, but only reads.
  // jq turns its resource requests into NetworkPolicy creates (everything else untouched), and
  // computes the expected outcome counts from the rewritten file itself.
  const rewrite =
    'select(.objectRef != null) | .verb = "create" | .objectRef.apiGroup = "networking.k8s.io" | .objectRef.resource = "networkpolicies"'
  let dir: string
  let file: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-rewrite-'))
    file = join(dir, 'audit.log')
    writeFileSync(file, execFileSync('jq', ['-c', rewrite, `${LOGS}/audit2rbac-demo.log`], {encoding: 'utf8'}))
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
