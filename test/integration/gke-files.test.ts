// The files GKE users already hold, as -f input: `gcloud logging read --format=json` (an array),
// `--format=yaml` (documents), LogEntry JSON lines from a sink or Pub/Sub; mixed in one run.
// Written for these tests from the documented LogEntry shape (test/support/gke-entries.ts).

import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {stringify} from 'yaml'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {runCli} from '../support/cli.js'
import {GKE_MORNING_CHANGES, gkeMorning} from '../support/gke-scenario.js'

/** gcloud's YAML: one document per entry, `---` between them, keys as the API returns them. */
const gcloudYaml = (entries: readonly unknown[]) => entries.map((entry) => stringify(entry)).join('---\n')

describe('policies -f on GKE exports', () => {
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gke-files-'))
    const entries = gkeMorning()
    writeFileSync(join(dir, 'gcloud.json'), `${JSON.stringify(entries, null, 2)}\n`)
    writeFileSync(join(dir, 'gcloud.yaml'), gcloudYaml(entries))
    writeFileSync(join(dir, 'sink.jsonl'), entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n')
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  const expected = GKE_MORNING_CHANGES.map(([id, user, verb, kind, name, code]) => ({
    auditID: `e0a1c0de-0000-4000-8000-00000000${id}`,
    user,
    verb,
    kind,
    name,
    code,
  }))
  const picked = (report: PolicyChangeReport) =>
    report.changes.map(({auditID, user, verb, kind, name, code}) => ({auditID, user, verb, kind, name, code}))

  for (const file of ['gcloud.json', 'gcloud.yaml', 'sink.jsonl']) {
    it(`reads ${file}: the policy writes, the Calico backing writes joined, the gRPC codes as HTTP codes`, async () => {
      const result = await runCli(['policies', '-f', join(dir, file), '--since', 'all', '-o', 'json'])
      assert.equal(result.code, 0, result.stderr)
      const report = JSON.parse(result.stdout) as PolicyChangeReport
      assert.deepEqual(picked(report), expected)
      assert.equal(report.sources[0].malformed, 0)
      // The tier of the Calico v3 write comes from its name; the denied patch failed.
      assert.deepEqual(
        report.changes.map((c) => [c.tier, c.outcome]),
        [
          ['default', 'succeeded'],
          ['default', 'failed'],
          ['security', 'succeeded'],
          ['sandbox', 'succeeded'],
        ],
      )
      assert.match(
        result.stderr,
        /^warning: GKE audit entries \(Cloud Audit Logs\) carry no stage, level, request URI/m,
      )
    })
  }

  it('reads all three in one run, counting each request once and saying what GKE lacks once', async () => {
    const result = await runCli([
      'policies',
      '-f',
      join(dir, 'gcloud.json'),
      '-f',
      join(dir, 'gcloud.yaml'),
      '-f',
      join(dir, 'sink.jsonl'),
      '--since',
      'all',
      '-o',
      'json',
    ])
    assert.equal(result.code, 0, result.stderr)
    const report = JSON.parse(result.stdout) as PolicyChangeReport
    assert.deepEqual(picked(report), expected)
    // Every entry is an event, the noise too: counted, not listed.
    assert.deepEqual(
      report.sources.map((s) => [s.events, s.malformed]),
      [
        [8, 0],
        [8, 0],
        [8, 0],
      ],
    )
    assert.equal(result.stderr.match(/GKE audit entries/g)?.length, 1)
  })

  it('reads the YAML from a pipe, as `gcloud logging read --format=yaml | kubectl audit policies -f -`', async () => {
    const result = await runCli(['policies', '-f', '-', '--since', 'all', '-o', 'json'], {
      stdin: `# from gcloud\n${gcloudYaml(gkeMorning())}`,
    })
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(picked(JSON.parse(result.stdout) as PolicyChangeReport), expected)
  })
})
