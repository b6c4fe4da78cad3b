import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'

import {decodeDocument, parseTimestamp} from '../../src/audit/event.js'

const FIXTURES = 'test/fixtures/logs'

describe('decodeDocument', () => {
  it('decodes a v1 line with impersonation', () => {
    const lines = readFileSync(`${FIXTURES}/impersonation.log`, 'utf8').trim().split('\n')
    const withImpersonation = lines.map((l) => JSON.parse(l)).find((e) => e.impersonatedUser && e.objectRef)
    assert.ok(withImpersonation, 'the fixture has an impersonated request')
    const result = decodeDocument(withImpersonation)
    assert.ok('events' in result)
    const [event] = result.events
    assert.equal(event.user.username, withImpersonation.user.username)
    assert.equal(event.impersonatedUser?.username, withImpersonation.impersonatedUser.username)
    assert.equal(event.objectRef?.resource, withImpersonation.objectRef.resource)
  })

  it('decodes v1beta1 events, taking stageTimestamp over timestamp', () => {
    const line = readFileSync(`${FIXTURES}/v1beta1-events.jsonl`, 'utf8').split('\n')[0]
    const raw = JSON.parse(line)
    const result = decodeDocument(raw)
    assert.ok('events' in result)
    assert.equal(result.events[0].objectRef?.apiGroup, 'rbac.authorization.k8s.io')
    assert.equal(result.events[0].stage, raw.stage)
  })

  it('unrolls a webhook EventList', () => {
    const raw = JSON.parse(readFileSync(`${FIXTURES}/webhook-eventlist-v1beta1.json`, 'utf8'))
    const result = decodeDocument(raw)
    assert.ok('events' in result)
    assert.equal(result.events.length, raw.items.length)
  })

  it('unrolls an EventList of a million events (a spread of its items once overflowed the call stack)', () => {
    const event = {
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1',
      auditID: 'a',
      stage: 'ResponseComplete',
      verb: 'get',
      stageTimestamp: '2026-11-24T10:00:00.000001Z',
    }
    const decoded = decodeDocument({
      kind: 'EventList',
      apiVersion: 'audit.k8s.io/v1',
      items: Array.from({length: 1_000_000}, () => event),
    })
    assert.ok('events' in decoded)
    assert.equal(decoded.events.length, 1_000_000)
  })
  it('unwraps an event inside {"event": …} (SIEM export)', () => {
    const lines = readFileSync(`${FIXTURES}/wrapped-events.jsonl`, 'utf8').trim().split('\n')
    const raw = lines.map((l) => JSON.parse(l)).find((r) => r.event.verb && r.event.requestReceivedTimestamp)
    const result = decodeDocument(raw)
    assert.ok('events' in result, JSON.stringify(result))
    assert.equal(result.events[0].verb, raw.event.verb)
  })

  it('derives apiGroup from a v1alpha1 objectRef.apiVersion', () => {
    const result = decodeDocument({
      kind: 'Event',
      apiVersion: 'audit.k8s.io/v1alpha1',
      auditID: 'x',
      verb: 'create',
      stage: 'ResponseComplete',
      timestamp: '2018-01-01T00:00:00Z',
      objectRef: {resource: 'networkpolicies', apiVersion: 'networking.k8s.io/v1', name: 'a'},
    })
    assert.ok('events' in result)
    assert.equal(result.events[0].objectRef?.apiGroup, 'networking.k8s.io')
    assert.equal(result.events[0].objectRef?.apiVersion, 'v1')
  })

  const bad: Array<[string, unknown]> = [
    ['a document whose kind is a number', JSON.parse(readFileSync(`${FIXTURES}/captures/malformed.json`, 'utf8'))],
    ['a number', 42],
    ['another kind', {kind: 'Pod', apiVersion: 'v1'}],
    ['no timestamp', {kind: 'Event', auditID: 'x', verb: 'get'}],
    ['no verb (partial test data)', {kind: 'Event', auditID: 'x', stageTimestamp: '2026-01-01T00:00:00Z'}],
    ['arrays nested beyond any real input', JSON.parse('['.repeat(5000) + ']'.repeat(5000))],
    ['an EventList with a bad item', {kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: [{kind: 0}]}],
  ]
  for (const [title, value] of bad) {
    it(`rejects ${title}`, () => assert.ok('error' in decodeDocument(value)))
  }
})

describe('parseTimestamp', () => {
  const cases: Array<[string, string | undefined]> = [
    ['2021-03-08T18:02:04.086545Z', '2021-03-08T18:02:04.086545Z'],
    ['2021-03-08T18:02:04Z', '2021-03-08T18:02:04Z'],
    ['2017-03-21T03:57:09.106841886-04:00', '2017-03-21T07:57:09.106841Z'],
    ['2022-11-29 22:40:02.903', '2022-11-29T22:40:02.903Z'],
    ['yesterday', undefined],
    ['2026-02-30T00:00:00Z', undefined],
    ['2026-11-24T24:00:00Z', undefined],
    ['2026-11-24T10:61:00Z', undefined],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00Z'],
  ]
  for (const [input, expected] of cases) {
    it(input, () => assert.equal(parseTimestamp(input)?.text, expected))
  }

  it('keeps microseconds for ordering', () => {
    assert.equal(
      parseTimestamp('2026-01-01T00:00:00.000002Z')!.us - parseTimestamp('2026-01-01T00:00:00.000001Z')!.us,
      1,
    )
  })
})

describe('parseTimestamp on the apiserver form', () => {
  // The general path (an offset of +00:00 takes it) is the oracle for the fast one (a Z).
  const general = (text: string) => parseTimestamp(text.replace(/Z$/, '+00:00'))
  const inputs = [
    '2026-11-23T16:00:00.007745Z',
    '2026-11-23T16:00:00Z',
    '2026-11-23T16:00:00.1Z',
    '2026-11-23T16:00:00.12345Z',
    '1999-12-31T23:59:59.999999Z',
    '2000-02-29T12:00:00Z',
    '2100-02-29T12:00:00Z',
    '2024-02-29T00:00:00.5Z',
    '2023-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-01-00T00:00:00Z',
    '2026-01-01T23:60:00Z',
    '2026-01-01T00:00:60Z',
    '2026-01-01T-1:00:00Z',
    '2026-01-01T00:00:00.Z',
    '2026-01-01T00:00:00.00000aZ',
    '2026-01-01T00:00:00.0000001Z',
    '0999-01-01T00:00:00Z',
  ]
  for (const input of inputs) {
    it(input, () => {
      assert.deepEqual(parseTimestamp(input), general(input))
    })
  }

  it('agrees with the general path on every day of four years, at a varying time', () => {
    for (let day = 0; day < 4 * 366; day++) {
      const at = Date.UTC(2027, 0, 1) + day * 86_400_000 + ((day * 7_919_993) % 86_400_000)
      const input = `${new Date(at).toISOString().slice(0, 19)}.${String((day * 104_729) % 1_000_000).padStart(6, '0')}Z`
      assert.deepEqual(parseTimestamp(input), general(input), input)
    }
  })
})
