// CloudWatch Logs records, as a query returns them and as users hold them (-f): each shape
// decodes to the audit events inside, mixed freely in one file, and an event CloudWatch cut short
// is counted and named by its audit ID, never read as something else.
import assert from 'node:assert/strict'
import {gzipSync} from 'node:zlib'

import {decodeDocument} from '../../src/audit/event.js'
import {cloudWatchRecords, subscriptionPayload as decodePayload} from '../../src/audit/records/cloudwatch.js'
import {decodeCandidate} from '../../src/reading/decode.js'
import {readSources} from '../../src/reading/read.js'
import {sourceWarnings} from '../../src/render/source-warnings.js'
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
import {MemorySource} from '../support/memory-source.js'

const write = (auditID: string, second: number, spec: {verb?: string; resource?: string; apiGroup?: string} = {}) =>
  auditEvent({
    auditID,
    time: `2026-11-24T10:00:${String(second).padStart(2, '0')}.000000Z`,
    verb: spec.verb ?? 'create',
    apiGroup: spec.apiGroup ?? 'networking.k8s.io',
    resource: spec.resource ?? 'networkpolicies',
    namespace: 'shop',
    name: 'web',
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

const ids = (result: ReturnType<typeof decodeDocument>) =>
  'error' in result ? result : result.events.map((e) => e.auditID)

describe('CloudWatch records', () => {
  const events = [logEvent(write('a', 1)), logEvent(lease('b', 2)), logEvent(write('c', 3))]
  const json = (text: string) => JSON.parse(text) as unknown

  // [shape, the JSON value, audit IDs decoded]
  const shapes: Array<[string, unknown, string[]]> = [
    ['one FilterLogEvents event', events[0], ['a']],
    ['`aws logs filter-log-events` output', json(filterLogEventsOutput(events)), ['a', 'b', 'c']],
    ['`aws logs get-log-events` output (no eventId, no stream)', json(getLogEventsOutput(events)), ['a', 'b', 'c']],
    ['a decoded subscription payload', subscriptionPayload(events), ['a', 'b', 'c']],
    [
      "a Lambda's subscription event (base64 of gzip)",
      {awslogs: {data: deliveredPayload(subscriptionPayload(events))}},
      ['a', 'b', 'c'],
    ],
    ['a JSON array of events (jq .events)', events, ['a', 'b', 'c']],
    [
      'a subscription CONTROL_MESSAGE',
      {
        messageType: 'CONTROL_MESSAGE',
        owner: 'CloudwatchLogs',
        logGroup: '',
        logStream: '',
        subscriptionFilters: [],
        logEvents: [{id: '', timestamp: 1, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.'}],
      },
      [],
    ],
    ['a page with nothing in the window', {events: [], searchedLogStreams: []}, []],
  ]
  for (const [shape, value, expected] of shapes) {
    it(`decodes ${shape}`, () => {
      const decoded = decodeDocument(value)
      assert.deepEqual(ids(decoded), expected)
      assert.equal('notUnderstood' in decoded ? decoded.notUnderstood : undefined, undefined, 'nothing left over')
    })
  }

  it('leaves what is not a CloudWatch record to the other recognisers', () => {
    assert.equal(
      cloudWatchRecords({message: 'hello', timestamp: 1}),
      undefined,
      'a message and a time alone are not enough',
    )
    assert.equal(cloudWatchRecords({events: [{kind: 'Event'}]}), undefined)
    assert.equal(
      cloudWatchRecords({awslogs: {data: 'bm90IGd6aXA='}})?.notUnderstood,
      1,
      'a Lambda event whose data is no payload is counted',
    )
  })

  it('counts an event CloudWatch cut short and names it by audit ID, keeping the rest of the page', () => {
    const page = {
      events: [
        events[0],
        logEvent(truncatedMessage(write('cut-1', 4))),
        logEvent('time="2026-11-24T10:00:05Z" level=info msg="authenticator line"'),
        events[2],
      ],
    }
    const decoded = decodeDocument(page)
    assert.ok(!('error' in decoded))
    assert.deepEqual(
      decoded.events.map((e) => e.auditID),
      ['a', 'c'],
    )
    assert.equal(decoded.notUnderstood, 2, 'the cut event and the line that is no event')
    assert.deepEqual(decoded.cut, ['cut-1'])
  })

  it('makes one cut event alone an error that still names it', () => {
    const decoded = decodeDocument(logEvent(truncatedMessage(write('cut-2', 4))))
    assert.ok('error' in decoded)
    assert.match(decoded.error, /cut short by CloudWatch Logs \(audit ID cut-2\)/)
    assert.deepEqual(decoded.cut, ['cut-2'])
    const cutBeforeItsID = decodeDocument(
      logEvent(`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Req${'[Truncated...]'}`),
    )
    assert.deepEqual(cutBeforeItsID.cut, ['?'])
  })

  it('refuses a payload that inflates past its bound, or is no gzip', () => {
    const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024, 0x20)).toString('base64')
    assert.equal(decodePayload(bomb), undefined)
    assert.equal(decodePayload('H4sI!!!'), undefined)
  })
})

describe('CloudWatch lines (-f)', () => {
  const candidate = (text: string) => decodeCandidate({bytes: Buffer.from(text), line: 1, unterminated: false})

  it('decodes an S3 export line (`<ISO time> <event>`)', () => {
    assert.deepEqual(ids(candidate(s3ExportLine(logEvent(write('s3', 1))))), ['s3'])
  })

  it('names an S3 export line CloudWatch cut short', () => {
    const decoded = candidate(s3ExportLine(logEvent(truncatedMessage(write('s3-cut', 1)))))
    assert.ok('error' in decoded)
    assert.deepEqual(decoded.cut, ['s3-cut'])
  })

  it('decodes a subscription payload as delivered, one per line', () => {
    assert.deepEqual(ids(candidate(deliveredPayload(subscriptionPayload([logEvent(write('b64', 1))])))), ['b64'])
    assert.ok('error' in candidate('H4sIAAAAnotbase64gzip'))
  })

  it('reads every shape from one file, hands on the writes, and names the cut events in a warning', async () => {
    const cut = logEvent(truncatedMessage(write('cut-3', 9)))
    const lines = [
      s3ExportLine(logEvent(write('s3-write', 1))),
      s3ExportLine(logEvent(lease('s3-lease', 2))),
      JSON.stringify(logEvent(write('cw-write', 3))),
      JSON.stringify(logEvent(lease('cw-lease', 4))),
      deliveredPayload(subscriptionPayload([logEvent(write('b64-write', 5)), logEvent(lease('b64-lease', 6))])),
      JSON.stringify(
        subscriptionPayload([
          logEvent(
            write('sub-write', 7, {apiGroup: 'projectcalico.org', resource: 'globalnetworkpolicies', verb: 'patch'}),
          ),
        ]),
      ),
      JSON.stringify({awslogs: {data: deliveredPayload(subscriptionPayload([logEvent(write('lambda-write', 8))]))}}),
      s3ExportLine(cut),
      JSON.stringify(cut),
    ]
    for (const gzip of [false, true]) {
      const text = `${lines.join('\n')}\n`
      const source = new MemorySource(
        gzip ? 'export.log.gz' : 'export.log',
        gzip ? gzipSync(text) : Buffer.from(text),
        {chunkBytes: 333},
      )
      const added: string[] = []
      const [stats] = await readSources([source], {
        window: {sinceMs: null, untilMs: null},
        sink: {add: (event) => added.push(event.auditID)},
      })
      // Events the byte prefilter cannot see (escaped, base64) reach the sink whatever their verb: it filters them.
      assert.deepEqual(
        added.filter((id) => id.endsWith('write')).sort(),
        ['b64-write', 'cw-write', 'lambda-write', 's3-write', 'sub-write'],
        'every write reaches the sink, whatever carries it',
      )
      assert.ok(!added.includes('s3-lease'), 'an S3 export line is prefiltered like the log itself')
      assert.equal(stats!.events, 8, 'the leases are counted too')
      assert.equal(stats!.truncated, 2)
      assert.deepEqual(stats!.truncatedIDs, ['cut-3', 'cut-3'])
      assert.equal(stats!.malformed, 2)
      const warnings = sourceWarnings([stats!])
      assert.deepEqual(
        warnings,
        [
          `${source.name}: 2 events were cut short by CloudWatch Logs ([Truncated...]) and cannot be read; audit IDs cut-3, cut-3`,
        ],
        'said once, not again as malformed lines',
      )
    }
  })

  it('reads `aws logs filter-log-events` output given as a file', async () => {
    const output = filterLogEventsOutput([
      logEvent(write('p1', 1)),
      logEvent(truncatedMessage(write('p-cut', 2))),
      logEvent(write('p2', 3)),
    ])
    const added: string[] = []
    const [stats] = await readSources([new MemorySource('events.json', Buffer.from(output))], {
      window: {sinceMs: null, untilMs: null},
      sink: {add: (event) => added.push(event.auditID)},
    })
    assert.deepEqual(added, ['p1', 'p2'])
    assert.equal(stats!.format, 'documents')
    assert.deepEqual([stats!.events, stats!.malformed, stats!.truncated, stats!.truncatedIDs], [2, 1, 1, ['p-cut']])
  })
})
