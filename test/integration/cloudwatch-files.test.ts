// `policies -f` on the CloudWatch Logs exports EKS users already hold: `aws logs filter-log-events`
// and `get-log-events` output, subscription payloads (decoded, and as delivered: base64 of gzip, a
// Lambda's event), S3 export objects (gzipped `<time> <event>` lines), in one run.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {runCli} from '../support/cli.js'
import {
  deliveredPayload,
  filterLogEventsOutput,
  getLogEventsOutput,
  logEvent,
  s3ExportLine,
  subscriptionPayload,
  truncatedMessage,
} from '../support/cloudwatch-records.js'
import {auditEvent} from '../support/events.js'

const write = (auditID: string, second: number, user: string) =>
  auditEvent({
    auditID,
    user,
    time: `2026-11-24T10:00:${String(second).padStart(2, '0')}.000000Z`,
    verb: 'create',
    apiGroup: 'networking.k8s.io',
    resource: 'networkpolicies',
    namespace: 'shop',
    name: `np-${auditID}`,
    code: 201,
  })
const lease = (auditID: string, second: number) =>
  auditEvent({
    auditID,
    time: `2026-11-24T10:00:${String(second).padStart(2, '0')}.000000Z`,
    verb: 'update',
    apiGroup: 'coordination.k8s.io',
    resource: 'leases',
  })

describe('policies -f on CloudWatch Logs exports', () => {
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-cw-files-'))
    writeFileSync(
      join(dir, 'filter-log-events.json'),
      filterLogEventsOutput([
        logEvent(write('cli-1', 1, 'alice')),
        logEvent(lease('l1', 2)),
        logEvent(truncatedMessage(write('cut-1', 3, 'alice'))),
      ]),
    )
    writeFileSync(join(dir, 'get-log-events.json'), getLogEventsOutput([logEvent(write('cli-2', 4, 'bob'))]))
    writeFileSync(
      join(dir, 'subscription.b64'),
      `${deliveredPayload(subscriptionPayload([logEvent(write('sub-1', 5, 'carol')), logEvent(lease('l2', 6))]))}\n`,
    )
    writeFileSync(
      join(dir, 'lambda-event.json'),
      JSON.stringify(
        {awslogs: {data: deliveredPayload(subscriptionPayload([logEvent(write('lambda-1', 7, 'dave'))]))}},
        null,
        2,
      ),
    )
    writeFileSync(
      join(dir, 'subscription.json.gz'),
      gzipSync(JSON.stringify(subscriptionPayload([logEvent(write('sub-2', 8, 'erin'))]))),
    )
    writeFileSync(
      join(dir, '000000.gz'),
      gzipSync(
        `${[s3ExportLine(logEvent(write('s3-1', 9, 'frank'))), s3ExportLine(logEvent(lease('l3', 10)))].join('\n')}\n`,
      ),
    )
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('reads every shape in one run, and names the event CloudWatch cut', async () => {
    const files = [
      'filter-log-events.json',
      'get-log-events.json',
      'subscription.b64',
      'lambda-event.json',
      'subscription.json.gz',
      '000000.gz',
    ]
    const result = await runCli([
      'policies',
      ...files.flatMap((f) => ['-f', join(dir, f)]),
      '--since',
      'all',
      '-o',
      'json',
    ])
    assert.equal(result.code, 0, result.stderr)
    const report = JSON.parse(result.stdout) as PolicyChangeReport
    assert.deepEqual(
      report.changes.map((c) => [c.auditID, c.user]),
      [
        ['cli-1', 'alice'],
        ['cli-2', 'bob'],
        ['sub-1', 'carol'],
        ['lambda-1', 'dave'],
        ['sub-2', 'erin'],
        ['s3-1', 'frank'],
      ],
    )
    assert.deepEqual(
      report.sources.map((s) => [s.name.split('/').pop(), s.events, s.malformed]),
      [
        ['filter-log-events.json', 2, 1],
        ['get-log-events.json', 1, 0],
        ['subscription.b64', 2, 0],
        ['lambda-event.json', 1, 0],
        ['subscription.json.gz', 1, 0],
        ['000000.gz', 2, 0],
      ],
    )
    assert.equal(
      result.stderr,
      `warning: ${join(dir, 'filter-log-events.json')}: 1 event was cut short by CloudWatch Logs ([Truncated...]) and cannot be read; audit ID cut-1\n`,
    )
  })
})
