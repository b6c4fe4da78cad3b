// AKS records decode as the Events they carry: each shape AKS users hold, a row per case.
import assert from 'node:assert/strict'

import {type AuditEvent, decodeDocument} from '../../src/audit/event.js'
import {AKS_SKIPPED_BODY, hasSkippedBody} from '../../src/audit/records/aks.js'
import {
  azCliRows,
  azureDiagnosticsRow,
  diagnosticRecord,
  logAnalyticsRow,
  queryResponse,
} from '../support/aks-records.js'
import {auditEvent} from '../support/events.js'

const policyWrite = auditEvent({
  auditID: 'a1b2c3d4-0000-4000-8000-000000000001',
  verb: 'patch',
  user: 'alice@example.com',
  groups: ['system:authenticated'],
  apiGroup: 'networking.k8s.io',
  resource: 'networkpolicies',
  namespace: 'shop',
  name: 'allow-web',
  code: 200,
  time: '2026-12-07T10:15:02.123456Z',
  level: 'RequestResponse',
  requestObject: {spec: {podSelector: {}}},
})
policyWrite.annotations = {'authorization.k8s.io/decision': 'allow'}

/** The fields of an event that every AKS shape must carry through. */
function essentials(event: AuditEvent) {
  return {
    auditID: event.auditID,
    stage: event.stage,
    verb: event.verb,
    user: event.user.username,
    objectRef: event.objectRef && {
      group: event.objectRef.apiGroup,
      resource: event.objectRef.resource,
      namespace: event.objectRef.namespace,
      name: event.objectRef.name,
    },
    code: event.code,
    time: event.time,
  }
}

const EXPECTED = {
  auditID: 'a1b2c3d4-0000-4000-8000-000000000001',
  stage: 'ResponseComplete',
  verb: 'patch',
  user: 'alice@example.com',
  objectRef: {group: 'networking.k8s.io', resource: 'networkpolicies', namespace: 'shop', name: 'allow-web'},
  code: 200,
  time: '2026-12-07T10:15:02.123456Z',
}

function onlyEvent(value: unknown): AuditEvent {
  const decoded = decodeDocument(value)
  assert.ok('events' in decoded, `decoded: ${JSON.stringify(decoded)}`)
  assert.equal(decoded.events.length, 1)
  assert.equal(decoded.notUnderstood ?? 0, 0)
  return decoded.events[0]!
}

describe('AKS records', () => {
  const cases: Array<[string, unknown]> = [
    ['a storage PT1H.json line: properties.log a JSON string with a trailing newline', diagnosticRecord(policyWrite)],
    ['a record whose properties.log a shipper parsed into an object', diagnosticRecord(policyWrite, {logAs: 'object'})],
    ['an Event Hubs message: {"records": [...]}', {records: [diagnosticRecord(policyWrite)]}],
    ['a kube-audit (not -admin) record', diagnosticRecord(policyWrite, {category: 'kube-audit'})],
    [
      'an AKSAuditAdmin row as the SDK hands it back (dynamic columns parsed, datetimes as Date)',
      {...logAnalyticsRow(policyWrite), TimeGenerated: new Date('2026-12-07T10:15:02.124Z')},
    ],
    ['an AKSAudit row with its stage time as text (7 fraction digits)', logAnalyticsRow(policyWrite, 'AKSAudit')],
    [
      'the query API answer: {tables: [{columns, rows}]}, dynamic cells as JSON text',
      queryResponse([logAnalyticsRow(policyWrite)]),
    ],
    ['an AzureDiagnostics row: the Event in log_s', azureDiagnosticsRow(policyWrite)],
  ]
  for (const [what, value] of cases) {
    it(`decodes ${what}`, () => {
      assert.deepEqual(essentials(onlyEvent(value)), EXPECTED)
    })
  }

  it('decodes az monitor log-analytics query output (an array of rows, dynamic values as text)', () => {
    const decoded = decodeDocument(
      azCliRows([logAnalyticsRow(policyWrite), logAnalyticsRow({...policyWrite, auditID: 'second'})]),
    )
    assert.ok('events' in decoded)
    assert.deepEqual(
      decoded.events.map((e) => e.auditID),
      [EXPECTED.auditID, 'second'],
    )
    assert.deepEqual(essentials(decoded.events[0]!), EXPECTED)
  })

  it('keeps groups, source IPs, user agent and bodies from a row', () => {
    const event = onlyEvent(queryResponse([logAnalyticsRow(policyWrite)]))
    assert.deepEqual(event.user.groups, ['system:authenticated'])
    assert.deepEqual(event.sourceIPs, ['10.0.0.1'])
    assert.equal(event.userAgent, policyWrite.userAgent)
    assert.deepEqual(event.requestObject, {spec: {podSelector: {}}})
    assert.equal(event.level, 'RequestResponse')
  })

  it('takes the impersonated user from a row that has the column', () => {
    const event = onlyEvent({...logAnalyticsRow(policyWrite), ImpersonatedUser: {username: 'bob'}})
    assert.equal(event.impersonatedUser?.username, 'bob')
  })

  it('falls back to TimeGenerated when a row has no stage time', () => {
    const row = logAnalyticsRow(policyWrite)
    delete row.StageReceivedTime
    assert.equal(onlyEvent(row).time, '2026-12-07T10:15:02.123456Z')
  })

  it('keeps a body AKS replaced as the marker string, and says so', () => {
    const big = {...policyWrite, requestObject: AKS_SKIPPED_BODY, responseObject: AKS_SKIPPED_BODY}
    for (const value of [diagnosticRecord(big), logAnalyticsRow(big), queryResponse([logAnalyticsRow(big)])]) {
      const event = onlyEvent(value)
      assert.equal(event.requestObject, AKS_SKIPPED_BODY)
      assert.ok(hasSkippedBody(event))
    }
    assert.equal(hasSkippedBody(onlyEvent(logAnalyticsRow(policyWrite))), false)
  })

  it('counts the records of a batch that hold no event, and reads the others', () => {
    const batch = {
      records: [
        diagnosticRecord(policyWrite),
        {...diagnosticRecord(policyWrite), properties: {log: 'I0101 klog line, not JSON'}},
        diagnosticRecord(policyWrite, {category: 'kube-apiserver'}),
      ],
    }
    const decoded = decodeDocument(batch)
    assert.ok('events' in decoded)
    assert.equal(decoded.events.length, 1)
    assert.equal(decoded.notUnderstood, 2)
  })

  it('says why a single record is not an event', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{...diagnosticRecord(policyWrite), properties: {log: '{"cut short'}}, /properties\.log is not JSON/],
      [diagnosticRecord(policyWrite, {category: 'guard'}), /guard record, not an audit one/],
      [{...logAnalyticsRow(policyWrite), Verb: ''}, /no verb/],
    ]
    for (const [value, why] of cases) {
      const decoded = decodeDocument(value)
      assert.ok('error' in decoded, JSON.stringify(decoded))
      assert.match(decoded.error, why)
    }
  })

  it('leaves other documents alone: a plain Event and an unknown object', () => {
    assert.deepEqual(essentials(onlyEvent(policyWrite)), EXPECTED)
    assert.ok('error' in decodeDocument({records: [{hello: 'world'}]}))
    assert.ok('error' in decodeDocument({tables: 'no'}))
  })
})
