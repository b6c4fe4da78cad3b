// CloudWatch Logs shapes on real events. No public EKS CloudWatch export exists to copy
// (logs/cloud/PROVENANCE.md), so the real EKS audit events one folder up (Panther's test cases,
// logs/eks-panther-test-events.jsonl) are put, at test time, into each shape CloudWatch gives them
// in: `aws logs filter-log-events` output, subscription payloads as delivered (base64 of gzip),
// gzipped S3 export lines, and a loopback CloudWatch queried with the filter pushed down. Each must
// count what jq counts in the raw events. And the other clouds' real records (logs/cloud) must not
// be taken for CloudWatch records.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'

import {parseAllDocuments} from 'yaml'

import {WATCHED_RESOURCE_NAMES, WRITE_VERBS} from '../../src/audit/catalog.js'
import {cloudWatchRecords} from '../../src/audit/records/cloudwatch.js'
import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {runCli} from '../support/cli.js'
import {
  AUDIT_STREAM,
  deliveredPayload,
  filterLogEventsOutput,
  type LogEvent,
  logEvent,
  s3ExportLine,
  subscriptionPayload,
} from '../support/cloudwatch-records.js'
import {FakeCloudWatch, storedEvent} from '../support/fake-cloudwatch.js'
import {LOGS} from './fixtures.js'

const PANTHER = `${LOGS}/eks-panther-test-events.jsonl`
const jq = (filter: string): number => Number(execFileSync('jq', ['-s', filter, PANTHER], {encoding: 'utf8'}).trim())

describe('CloudWatch Logs shapes on real EKS events', () => {
  let dir: string
  let events: LogEvent[]
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-real-cw-'))
    // Each real event as its CloudWatch event: the message is the event's JSON, the timestamp its time.
    events = readFileSync(PANTHER, 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as {event: Record<string, unknown>}).event)
      .map((event) => {
        const time = String(event.stageTimestamp ?? event.requestReceivedTimestamp ?? '2022-11-29 00:00:00')
        return logEvent(event, {timestamp: Date.parse(`${time.replace(' ', 'T')}Z`)})
      })
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  const read = async (file: string) => {
    const result = await runCli(['policies', '-f', file, '--since', 'all', '-o', 'json'])
    assert.equal(result.code, 0, result.stderr)
    const report = JSON.parse(result.stdout) as PolicyChangeReport
    assert.deepEqual(report.changes, [], 'none of them is a network policy write')
    return [report.sources[0]!.events, report.sources[0]!.malformed]
  }
  // Decoded one by one, an event needs a verb and a time; most of Panther's cases have no time.
  const decodable = () =>
    jq(
      'map(select(.event.verb != null and (.event.stageTimestamp // .event.requestReceivedTimestamp // .event.timestamp) != null)) | length',
    )
  const all = () => jq('length')

  // [shape, file name, what it holds]
  const documents: Array<[string, string, () => string]> = [
    ['`aws logs filter-log-events` output', 'filter-log-events.json', () => filterLogEventsOutput(events)],
    [
      'subscription payloads as delivered, 25 events each',
      'subscription.b64',
      () =>
        `${chunks(events, 25)
          .map((c) => deliveredPayload(subscriptionPayload(c)))
          .join('\n')}\n`,
    ],
  ]
  for (const [shape, name, text] of documents) {
    it(`reads them as ${shape}: the events jq finds with a verb and a time, the rest malformed`, async () => {
      writeFileSync(join(dir, name), text())
      assert.deepEqual(await read(join(dir, name)), [decodable(), all() - decodable()])
    })
  }

  it("reads them as an S3 export object (`<time> <event>` lines, gzipped) as it reads the events' own lines", async () => {
    writeFileSync(join(dir, '000000.gz'), gzipSync(`${events.map(s3ExportLine).join('\n')}\n`))
    writeFileSync(join(dir, 'events.jsonl'), `${events.map((e) => e.message).join('\n')}\n`)
    const [exported, raw] = [await read(join(dir, '000000.gz')), await read(join(dir, 'events.jsonl'))]
    assert.deepEqual(exported, raw)
    assert.equal(exported[0]! + exported[1]!, all())
  })

  it('a loopback CloudWatch sends back only what the pushed-down pattern matches in the real messages', async () => {
    const fake = await new FakeCloudWatch({perSecond: 5}).start()
    try {
      fake.addEvents(
        '/aws/eks/panther/cluster',
        events.map((e) => storedEvent({timestamp: e.timestamp, message: e.message, logStreamName: AUDIT_STREAM})),
      )
      const result = await runCli(
        [
          'policies',
          '--source',
          'cloudwatch',
          '--cluster-name',
          'panther',
          '--region',
          'us-east-1',
          '--since',
          'all',
          '-o',
          'json',
        ],
        {env: fake.env({KUBECONFIG: join(dir, 'none')})},
      )
      assert.equal(result.code, 0, result.stderr)
      const resources = JSON.stringify(WATCHED_RESOURCE_NAMES)
      const writes = jq(
        `map(.event | select((.objectRef.resource as $r | ${resources} | index($r)) and (.verb as $v | ${JSON.stringify(WRITE_VERBS)} | index($v)))) | length`,
      )
      const pushedDown = fake.filterRequests().filter((r) => r.body.filterPattern !== '')
      assert.equal(
        pushedDown.reduce((n, r) => n + (r.events ?? 0), 0),
        writes,
        'what jq finds among the real events',
      )
      assert.equal((JSON.parse(result.stdout) as PolicyChangeReport).sources[0]!.events, writes)
      if (writes === 0)
        assert.equal(
          fake.filterRequests().at(-1)!.body.filterPattern,
          '',
          'nothing matched: one look at the whole window tells it holds events',
        )
    } finally {
      await fake.close()
    }
  })

  it("never takes the other clouds' real records for CloudWatch ones", () => {
    const cloud = `${LOGS}/cloud`
    const records: unknown[] = []
    for (const file of readdirSync(cloud).filter((f) => !f.endsWith('.md'))) {
      const text = readFileSync(join(cloud, file), 'utf8')
      if (file.endsWith('.yaml')) for (const doc of parseAllDocuments(text)) records.push(doc.toJS())
      else if (file.endsWith('.json')) records.push(JSON.parse(text))
      else for (const line of text.trim().split('\n')) records.push(JSON.parse(line))
    }
    assert.ok(records.length >= 6)
    for (const record of records)
      assert.equal(
        cloudWatchRecords(record as Record<string, unknown>),
        undefined,
        JSON.stringify(record).slice(0, 120),
      )
  })
})

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({length: Math.ceil(items.length / size)}, (_, i) => items.slice(i * size, (i + 1) * size))
}
