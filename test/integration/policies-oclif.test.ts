// The command through oclif in-process: run() returns the typed report that -o json prints.

import assert from 'node:assert/strict'

import Policies, {type PolicyChangeReport} from '../../src/commands/policies.js'
import {ROOT} from '../support/cli.js'

async function capture<T>(fn: () => Promise<T>): Promise<{result: Awaited<T>; stdout: string}> {
  const write = process.stdout.write.bind(process.stdout)
  let stdout = ''
  process.stdout.write = ((chunk: string | Uint8Array) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString()
    return true
  }) as typeof process.stdout.write
  try {
    return {result: await fn(), stdout}
  } finally {
    process.stdout.write = write
  }
}

describe('policies through oclif', () => {
  it('returns the report it prints', async () => {
    const {result, stdout} = await capture(() =>
      Policies.run(['-f', 'examples/audit.log', '--since', 'all', '-o', 'json'], ROOT),
    )
    const report = result as unknown as PolicyChangeReport
    assert.deepEqual(JSON.parse(stdout), report)
    assert.equal(report.apiVersion, 'kubectl-audit/v1')
    assert.equal(report.kind, 'PolicyChangeReport')
    assert.deepEqual(Object.keys(report), ['apiVersion', 'kind', 'window', 'sources', 'summary', 'changes'])
    assert.deepEqual(Object.keys(report.changes[0]), [
      'time',
      'auditID',
      'user',
      'impersonatedUser',
      'verb',
      'apiGroup',
      'resource',
      'kind',
      'namespace',
      'name',
      'tier',
      'code',
      'outcome',
      'dryRun',
      'userAgent',
      'sourceIPs',
      'source',
    ])
  })

  it('sorts the summary by count, user, verb and the changes by time, auditID', async () => {
    const {result} = await capture(() =>
      Policies.run(['-f', 'examples/audit.log', '--since', 'all', '-o', 'json'], ROOT),
    )
    const report = result as unknown as PolicyChangeReport
    const total = (r: PolicyChangeReport['summary'][number]) => r.succeeded + r.failed + r.unknown
    for (let i = 1; i < report.summary.length; i++) {
      const [a, b] = [report.summary[i - 1], report.summary[i]]
      assert.ok(
        total(a) > total(b) || (total(a) === total(b) && (a.user < b.user || (a.user === b.user && a.verb < b.verb))),
        `${a.user}/${a.verb} before ${b.user}/${b.verb}`,
      )
    }
    for (let i = 1; i < report.changes.length; i++) {
      const [a, b] = [report.changes[i - 1], report.changes[i]]
      assert.ok(a.time < b.time || (a.time === b.time && a.auditID <= b.auditID))
    }
  })
})
