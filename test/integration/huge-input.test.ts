// Inputs that are huge in count, run through the real CLI: nothing on the call stack may grow with
// the input (a spread of a batch into push() or Math.min(), recursion over a list). Each case is
// counted independently, from how the input was generated.

import assert from 'node:assert/strict'
import {closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parse as parseYaml} from 'yaml'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {runCli} from '../support/cli.js'

const BASE = Date.parse('2026-11-24T00:00:00Z')
const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z')

/** A short network policy create (~250 bytes), so a big file holds many changes. */
function changeLine(i: number, ms: number): string {
  return `{"kind":"Event","auditID":"c-${i}","stage":"ResponseComplete","verb":"create","user":{"username":"alice"},"objectRef":{"resource":"networkpolicies","namespace":"n","name":"p${i}","apiGroup":"networking.k8s.io"},"responseStatus":{"code":201},"stageTimestamp":"${iso(ms)}"}`
}

/** The TOTAL column of the user's row in the summary matrix. */
function totalOf(table: string, user: string): number {
  const row = table.split('\n').find((line) => line.startsWith(`${user} `))
  assert.ok(row, table.slice(0, 2000))
  return Number(row.trim().split(/ +/).at(-1)!.replace(/,/g, ''))
}

describe('huge input, through the CLI', function () {
  this.timeout(300_000)
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-huge-'))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('counts every change of a windowed read of a 130 MB log (its worker half once ended in "Maximum call stack size exceeded")', async () => {
    // One change every 10 ms, in time order; the window starts 1,000 s in, well past the 5-minute
    // slack for disorder. Big enough that the read from the window's start is
    // split across two threads, and every change after it is held until the read is over.
    const file = join(dir, 'audit.log')
    const fd = openSync(file, 'w')
    const count = 450_000
    const lines: string[] = []
    for (let i = 0; i < count; i++) {
      lines.push(changeLine(i, BASE + i * 10))
      if (lines.length === 10_000) {
        writeSync(fd, lines.join('\n') + '\n')
        lines.length = 0
      }
    }
    closeSync(fd)
    const first = 100_000
    const result = await runCli(['policies', '-f', file, '--since-time', new Date(BASE + first * 10).toISOString()])
    assert.equal(result.code, 0, result.stderr)
    assert.doesNotMatch(result.stderr, /call stack|missing/)
    assert.equal(totalOf(result.stdout, 'alice'), count - first)
  })

  it('reads a directory of 130,000 rotated files, most before the window, and says what the input covers', async () => {
    const logs = join(dir, 'rotated')
    mkdirSync(logs)
    const files = 130_000
    // Rotated every minute; empty, as a log just rotated can be. The active log holds one change.
    for (let i = 0; i < files; i++) {
      const name = new Date(BASE + i * 60_000).toISOString().replace(/:/g, '-').replace('Z', '')
      writeFileSync(join(logs, `audit-${name}.log`), '')
    }
    const lastRotation = BASE + (files - 1) * 60_000
    writeFileSync(join(logs, 'audit.log'), changeLine(1, lastRotation + 30_000) + '\n')
    const since = new Date(lastRotation + 20_000).toISOString()
    const table = await runCli(['policies', '-f', logs, '--since-time', since, '--user', 'nobody'])
    assert.equal(table.code, 0, table.stderr)
    assert.match(table.stdout, /1 change in this window did not match --user nobody/)
    const json = await runCli(['policies', '-f', logs, '--since-time', since, '-o', 'json'])
    assert.equal(json.code, 0, json.stderr)
    const report = JSON.parse(json.stdout) as PolicyChangeReport
    assert.equal(report.sources.length, files + 1)
    assert.equal(report.changes.length, 1)
    // Only the files that reach into the window (with its slack) were opened.
    assert.ok(report.sources.filter((s) => s.bytesRead > 0).length === 1)
    assert.ok(json.stderr.length < 2000, `stderr stays short: ${json.stderr.length} characters`)
  })

  it('reports 120,000 changes, more than memory holds, in JSON, YAML and a table, and leaves no temporary file', async () => {
    // Three users in turn, a failed write every 7th; two seconds apart, written out of order by
    // up to a minute, as two apiservers' logs concatenated would be.
    const count = 120_000
    const users = ['alice', 'bob', 'system:serviceaccount:ci:deployer']
    const file = join(dir, 'many.log')
    const fd = openSync(file, 'w')
    const lines: string[] = []
    for (let block = 0; block < count; block += 30) {
      for (let i = block + 29; i >= block && i >= 0; i--) {
        if (i >= count) continue
        lines.push(
          changeLine(i, BASE + i * 2000)
            .replace('"alice"', JSON.stringify(users[i % 3]))
            .replace('"code":201', i % 7 === 0 ? '"code":403' : '"code":201'),
        )
      }
      if (lines.length >= 10_000) {
        writeSync(fd, lines.join('\n') + '\n')
        lines.length = 0
      }
    }
    writeSync(fd, lines.join('\n') + '\n')
    closeSync(fd)
    const tmp = join(dir, 'tmp')
    mkdirSync(tmp)
    const env = {TMPDIR: tmp}
    const expected = users
      .map((user, u) => {
        const mine = Array.from({length: count}, (_, i) => i).filter((i) => i % 3 === u)
        return {
          user,
          verb: 'create',
          succeeded: mine.filter((i) => i % 7 !== 0).length,
          failed: mine.filter((i) => i % 7 === 0).length,
          unknown: 0,
        }
      })
      .sort((a, b) => (a.user < b.user ? -1 : 1))

    const json = await runCli(['policies', '-f', file, '--since', 'all', '-o', 'json'], {env})
    assert.equal(json.code, 0, json.stderr)
    const report = JSON.parse(json.stdout) as PolicyChangeReport
    assert.deepEqual(Object.keys(report), ['apiVersion', 'kind', 'window', 'sources', 'summary', 'changes'])
    assert.deepEqual(report.summary, expected)
    assert.equal(report.changes.length, count)
    report.changes.forEach((c, i) => assert.equal(c.auditID, `c-${i}`))
    assert.deepEqual(
      readdirSync(tmp).filter((f) => f.startsWith('kubectl-audit-')),
      [],
    )

    const yaml = await runCli(['policies', '-f', file, '--since', 'all', '-o', 'yaml', '--user', 'bob'], {env})
    assert.equal(yaml.code, 0, yaml.stderr)
    const fromYaml = parseYaml(yaml.stdout) as PolicyChangeReport
    assert.deepEqual(
      fromYaml.summary,
      expected.filter((r) => r.user === 'bob'),
    )
    assert.deepEqual(
      fromYaml.changes,
      report.changes.filter((c) => c.user === 'bob'),
    )

    const table = await runCli(['policies', '-f', file, '--since', 'all', '--limit', '3'], {env})
    assert.equal(table.code, 0, table.stderr)
    assert.equal(totalOf(table.stdout, 'alice'), count / 3)
    assert.match(table.stdout, /Most recent 3 of 120,000 changes/)
    const last = new Date(BASE + (count - 1) * 2000).toISOString().replace('.000Z', 'Z')
    assert.match(table.stdout.trim().split('\n').at(-1)!, new RegExp(`^${last} `))
    assert.deepEqual(
      readdirSync(tmp).filter((f) => f.startsWith('kubectl-audit-')),
      [],
    )
  })

  it('reads a doctor --manifest List of 500,000 items (once "Maximum call stack size exceeded")', async () => {
    const pod = {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: {name: 'kube-apiserver', namespace: 'kube-system', labels: {component: 'kube-apiserver'}},
      spec: {
        containers: [
          {
            name: 'kube-apiserver',
            image: 'registry.k8s.io/kube-apiserver:v1.31.2',
            command: ['kube-apiserver', '--audit-log-path=/var/log/audit.log'],
          },
        ],
      },
    }
    const manifest = join(dir, 'pods.json')
    // Under the 1 MiB bound on manifests: two bytes an item.
    writeFileSync(manifest, `{"apiVersion":"v1","kind":"List","items":[${'0,'.repeat(500_000)}${JSON.stringify(pod)}]}`)
    const result = await runCli(['doctor', '--offline', '--manifest', manifest, '-o', 'json'])
    assert.doesNotMatch(result.stderr, /call stack/)
    const report = JSON.parse(result.stdout) as {target: {apiservers: unknown[]}}
    assert.equal(report.target.apiservers.length, 1)
  })
})
