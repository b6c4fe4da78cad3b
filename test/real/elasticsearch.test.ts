// Elasticsearch shapes on real documents: the Elastic integration's own indexed form of an AKS
// audit record (logs/cloud/aks-elastic-kube-audit-indexed.json, from its pipeline tests) decodes
// to the Event the raw record holds, and served from the fake store as the integration's data
// stream it is read as one event (a lease update: the store's filter leaves it out, the window alone
// brings it).
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'

import {decodeDocument} from '../../src/audit/event.js'
import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {runCli} from '../support/cli.js'
import {elasticIntegrationMapping, startFakeElasticsearch} from '../support/fake-elasticsearch/index.js'
import {LOGS} from './fixtures.js'

const INDEXED = `${LOGS}/cloud/aks-elastic-kube-audit-indexed.json`

describe("the Elastic integration's real indexed document", function () {
  this.timeout(60_000)
  const indexed = (JSON.parse(readFileSync(INDEXED, 'utf8')) as {expected: Array<Record<string, unknown>>}).expected[0]!
  // The record the shipper received, kept by it as event.original: AKS's, the Event as a string in properties.log.
  const original = JSON.parse(
    JSON.parse((indexed.event as {original: string}).original).properties.log as string,
  ) as Record<string, unknown>

  it('decodes to the Event of the record it was made from', () => {
    const fromIndexed = decodeDocument(indexed)
    const fromOriginal = decodeDocument(original)
    assert.ok('events' in fromIndexed && 'events' in fromOriginal)
    const [a] = fromIndexed.events
    const [b] = fromOriginal.events
    assert.deepEqual(
      {...a, requestObject: undefined, responseObject: undefined},
      {...b, requestObject: undefined, responseObject: undefined},
    )
    assert.equal(a!.user.username, 'aksService')
    assert.equal(a!.objectRef?.resource, 'leases')
  })

  it("is read from the store as the integration's data stream, and left out by the push-down", async () => {
    const es = await startFakeElasticsearch()
    try {
      es.createDataStream('logs-kubernetes.audit_logs-default', elasticIntegrationMapping())
      es.index('logs-kubernetes.audit_logs-default', [indexed])
      const run = (...extra: string[]) =>
        runCli(
          [
            'policies',
            '--es',
            es.url,
            '--es-index',
            'logs-kubernetes.audit_logs-*',
            '--since',
            'all',
            '-o',
            'json',
            ...extra,
          ],
          {env: {ES_USERNAME: '', ES_PASSWORD: '', ES_API_KEY: ''}},
        )
      const whole = await run('--no-es-push-down')
      assert.equal(whole.code, 0, whole.stderr)
      assert.deepEqual(
        (JSON.parse(whole.stdout) as PolicyChangeReport).sources.map((s) => [s.events, s.malformed]),
        [[1, 0]],
      )
      const pushed = await run()
      assert.equal(pushed.code, 0, pushed.stderr)
      assert.deepEqual(
        (JSON.parse(pushed.stdout) as PolicyChangeReport).sources.map((s) => [s.events, s.malformed]),
        [[0, 0]],
      )
    } finally {
      await es.close()
    }
  })
})
