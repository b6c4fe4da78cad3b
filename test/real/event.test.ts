// decodeDocument on real third-party logs: the same cases as test/unit/event.test.ts, on other
// projects' files.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'

import {decodeDocument} from '../../src/audit/event.js'
import {LOGS as FIXTURES} from './fixtures.js'

describe('decodeDocument on real logs', () => {
  it('decodes a v1 line from a real log (audit2rbac demo) with impersonation', () => {
    const lines = readFileSync(`${FIXTURES}/audit2rbac-demo.log`, 'utf8').trim().split('\n')
    const withImpersonation = lines.map((l) => JSON.parse(l)).find((e) => e.impersonatedUser)
    assert.ok(withImpersonation, 'the fixture has an impersonated request')
    const result = decodeDocument(withImpersonation)
    assert.ok('events' in result)
    const [event] = result.events
    assert.equal(event.user.username, withImpersonation.user.username)
    assert.equal(event.impersonatedUser?.username, withImpersonation.impersonatedUser.username)
    assert.equal(event.objectRef?.resource, withImpersonation.objectRef.resource)
  })

  it('decodes v1beta1 events, taking stageTimestamp over timestamp', () => {
    const line = readFileSync(`${FIXTURES}/k8s-docs-v1beta1-events.jsonl`, 'utf8').split('\n')[0]
    const raw = JSON.parse(line)
    const result = decodeDocument(raw)
    assert.ok('events' in result)
    assert.equal(result.events[0].objectRef?.apiGroup, 'rbac.authorization.k8s.io')
    assert.equal(result.events[0].stage, raw.stage)
  })

  it('unrolls a webhook EventList', () => {
    const raw = JSON.parse(readFileSync(`${FIXTURES}/k8s-docs-webhook-eventlist-v1beta1.json`, 'utf8'))
    const result = decodeDocument(raw)
    assert.ok('events' in result)
    assert.equal(result.events.length, raw.items.length)
  })

  it('unwraps an event inside {"event": …} (SIEM export)', () => {
    const lines = readFileSync(`${FIXTURES}/eks-panther-test-events.jsonl`, 'utf8').trim().split('\n')
    const raw = lines.map((l) => JSON.parse(l)).find((r) => r.event.verb && r.event.requestReceivedTimestamp)
    const result = decodeDocument(raw)
    assert.ok('events' in result, JSON.stringify(result))
    assert.equal(result.events[0].verb, raw.event.verb)
  })

  const bad: Array<[string, unknown]> = [
    ['the malformed {"kind": 0} from Falco', JSON.parse(readFileSync(`${FIXTURES}/falco/fal_01_003.json`, 'utf8'))],
  ]
  for (const [title, value] of bad) {
    it(`rejects ${title}`, () => assert.ok('error' in decodeDocument(value)))
  }
})
