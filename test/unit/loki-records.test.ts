// Loki records, as the API answers them and as users hold them (-f): each shape decodes to the
// audit events in its lines, whatever the shipper wrapped them in; a line that is no event is
// counted, not fatal, and the answer's other lines are kept.
import assert from 'node:assert/strict'

import {decodeDocument} from '../../src/audit/event.js'
import {lineJson, lokiRecords} from '../../src/audit/records/loki.js'
import {auditEvent} from '../support/events.js'

const write = (auditID: string, second: number) =>
  JSON.stringify(
    auditEvent({
      auditID,
      time: `2026-11-24T10:00:${String(second).padStart(2, '0')}.000000Z`,
      verb: 'create',
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      namespace: 'shop',
      name: 'web',
      code: 201,
    }),
  )
const ns = (second: number) => `${Date.parse('2026-11-24T10:00:00Z') / 1000 + second}000000000`
const labels = {job: 'integrations/kubernetes-audit', cluster: 'prod'}

const ids = (result: ReturnType<typeof decodeDocument>) =>
  'error' in result ? result : result.events.map((e) => e.auditID)

describe('Loki records', () => {
  const stream = {
    stream: labels,
    values: [
      [ns(1), write('a', 1)],
      [ns(2), write('b', 2)],
    ],
  }
  const answer = {
    status: 'success',
    data: {
      resultType: 'streams',
      result: [stream, {stream: {...labels, node: 'cp-2'}, values: [[ns(3), write('c', 3)]]}],
      stats: {summary: {}},
    },
  }

  // [shape, the JSON value, audit IDs decoded]
  const shapes: Array<[string, unknown, string[]]> = [
    ['a query_range answer (curl)', answer, ['a', 'b', 'c']],
    ["the answer's data alone (jq .data)", answer.data, ['a', 'b', 'c']],
    ['one stream', stream, ['a', 'b']],
    ['a push payload', {streams: [stream]}, ['a', 'b']],
    [
      'a stream value with structured metadata',
      {stream: labels, values: [[ns(1), write('a', 1), {trace_id: 'x'}]]},
      ['a'],
    ],
    ['a logcli --output=jsonl line', {labels, line: write('a', 1), timestamp: '2026-11-24T10:00:01.000000001Z'}, ['a']],
    [
      'a logcli jsonl line without labels (--no-labels)',
      {line: write('a', 1), timestamp: '2026-11-24T11:00:01+01:00'},
      ['a'],
    ],
    ['an answer with nothing in the window', {status: 'success', data: {resultType: 'streams', result: []}}, []],
    [
      'a line as Fluent Bit ships it ({"log": …})',
      {
        stream: labels,
        values: [[ns(1), JSON.stringify({log: `${write('a', 1)}\n`, stream: 'stdout', time: '2026-11-24T10:00:01Z'})]],
      },
      ['a'],
    ],
    [
      'a line as Vector ships it ({"message": …})',
      {stream: labels, values: [[ns(1), JSON.stringify({message: write('a', 1), source_type: 'file'})]]},
      ['a'],
    ],
    [
      'a pod log line shipped without the cri stage',
      {stream: labels, values: [[ns(1), `2026-11-24T10:00:01.000000001Z stdout F ${write('a', 1)}`]]},
      ['a'],
    ],
  ]
  for (const [shape, value, expected] of shapes) {
    it(`decodes ${shape}`, () => {
      const decoded = decodeDocument(value)
      assert.deepEqual(ids(decoded), expected)
      assert.equal('notUnderstood' in decoded ? decoded.notUnderstood : undefined, undefined, 'nothing left over')
    })
  }

  it('counts the lines that are no event, and keeps the others', () => {
    const mixed = {
      stream: labels,
      values: [
        [ns(1), write('a', 1)],
        [ns(2), 'I1124 10:00:02.000000 1 controller.go:1] not an event'],
        [ns(3), '2026-11-24T10:00:03Z stdout P {"kind":"Event","apiVer'],
        [ns(4), write('d', 4)],
      ],
    }
    const decoded = decodeDocument(mixed)
    assert.deepEqual(ids(decoded), ['a', 'd'])
    assert.equal('notUnderstood' in decoded && decoded.notUnderstood, 2, 'a klog line, and a CRI line cut in parts')
  })

  it('says what is wrong with a single line that is no event', () => {
    assert.deepEqual(decodeDocument({labels, line: 'hello', timestamp: '2026-11-24T10:00:01Z'}), {
      error: 'the Loki line is not JSON',
    })
    assert.deepEqual(decodeDocument({labels, line: '{"level":"info"}', timestamp: '2026-11-24T10:00:01Z'}), {
      error: 'not an audit event (no kind "Event", auditID or verb)',
    })
  })

  it('leaves what is not a Loki record to the other recognisers', () => {
    assert.equal(lokiRecords({data: {resultType: 'matrix', result: []}}), undefined, 'a metric query holds no lines')
    assert.equal(lokiRecords({line: 'x'}), undefined, 'a line without its time')
    assert.equal(lokiRecords({streams: []}), undefined)
    assert.deepEqual(ids(decodeDocument(JSON.parse(write('plain', 5)))), ['plain'], 'an Event stays an Event')
  })

  it('unwraps a line once per wrapper, and only into JSON', () => {
    assert.equal(lineJson('not json'), undefined)
    assert.deepEqual(
      lineJson('{"log":"plain text"}'),
      {log: 'plain text'},
      'a record whose line is text stays the record (decoded as no event)',
    )
    assert.deepEqual(lineJson(JSON.stringify({log: JSON.stringify({log: '{"verb":"get"}'})})), {verb: 'get'})
  })
})
