// The Elastic integration's Kubernetes audit documents (Filebeat, Elastic Agent): the Event under
// kubernetes.audit, as the shipper stores it (no body metadata, annotation keys without dots),
// bare, as a search hit, or in a saved search response; decoded like the Event it was.
import assert from 'node:assert/strict'

import {decodeDocument} from '../../src/audit/event.js'
import {elasticIntegrationEvent} from '../../src/audit/records/elastic-integration.js'
import {auditEvent} from '../support/events.js'
import {integrationDocument} from '../support/store-documents.js'

const policyWrite = auditEvent({
  auditID: 'a-1',
  verb: 'patch',
  user: 'alice',
  apiGroup: 'projectcalico.org',
  apiVersion: 'v3',
  resource: 'globalnetworkpolicies',
  name: 'security.allow-dns',
  code: 200,
  time: '2026-11-24T10:00:05.437512Z',
  level: 'RequestResponse',
  responseObject: {kind: 'GlobalNetworkPolicy', metadata: {name: 'security.allow-dns'}, spec: {tier: 'security'}},
})

describe('the Elastic integration audit record', () => {
  // [what the document is, the document]
  const shapes: Array<[string, unknown]> = [
    ['the document as stored', integrationDocument(policyWrite)],
    [
      'a search hit of it',
      {
        _index: '.ds-logs-kubernetes.audit_logs-default-2026.11.24-000001',
        _id: 'x',
        _source: integrationDocument(policyWrite),
        sort: [1, 'a-1'],
      },
    ],
    [
      'a dotted key, as some pipelines write it',
      {
        '@timestamp': '2026-11-24T10:00:05.437Z',
        'kubernetes.audit': (integrationDocument(policyWrite).kubernetes as {audit: unknown}).audit,
      },
    ],
  ]
  for (const [what, doc] of shapes) {
    it(`decodes ${what} as the Event inside`, () => {
      const decoded = decodeDocument(doc)
      assert.ok('events' in decoded, JSON.stringify(decoded))
      const [event] = decoded.events
      assert.equal(event!.auditID, 'a-1')
      assert.equal(event!.user.username, 'alice')
      assert.deepEqual(event!.objectRef, {
        apiGroup: 'projectcalico.org',
        apiVersion: 'v3',
        resource: 'globalnetworkpolicies',
        subresource: '',
        namespace: '',
        name: 'security.allow-dns',
      })
      assert.equal(event!.time, '2026-11-24T10:00:05.437512Z')
      // What the shipper kept of the body: the spec (the tier), not the metadata.
      assert.deepEqual(event!.responseObject, {kind: 'GlobalNetworkPolicy', spec: {tier: 'security'}})
    })
  }

  it('decodes a saved search response, counting the hits that are no audit event', () => {
    const response = {
      hits: {
        total: {value: 2, relation: 'eq'},
        hits: [
          {_index: 'i', _id: '1', _source: integrationDocument(policyWrite)},
          {_index: 'i', _id: '2', _source: {'@timestamp': '2026-11-24T10:00:05Z', message: 'not an audit event'}},
        ],
      },
    }
    const decoded = decodeDocument(response)
    assert.ok('events' in decoded)
    assert.deepEqual(
      decoded.events.map((e) => e.auditID),
      ['a-1'],
    )
    assert.equal(decoded.notUnderstood, 1)
  })

  it('leaves other documents to the other shapes', () => {
    assert.equal(elasticIntegrationEvent({kubernetes: {pod: {name: 'web'}}, message: 'hello'}), undefined)
    assert.equal(elasticIntegrationEvent({kubernetes: {audit: {note: 'no auditID, no verb'}}}), undefined)
    assert.equal(elasticIntegrationEvent(policyWrite), undefined)
  })
})
