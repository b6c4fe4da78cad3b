// Real AKS audit records (logs/cloud and logs/more, PROVENANCE.md there): an Event Hubs batch and
// a single pretty-printed record (sysdig's samples), a storage/Event Hubs line (Elastic's), and a
// kube-audit-admin record with properties.log as an object among raw events and a GKE entry. Each
// must decode to the Events jq finds inside; and the same real Events, put at test time into the
// Log Analytics shapes (query API answer, az CLI rows) and into a loopback Log Analytics, must
// count the same, with nothing but watched writes asked for.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {decodeDocument} from '../../src/audit/event.js'
import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {azCliRows, logAnalyticsRow, queryResponse} from '../support/aks-records.js'
import {runCli} from '../support/cli.js'
import {AksScenario, WORKSPACE_ID} from '../support/fake-log-analytics/aks-scenario.js'
import {FakeLogAnalytics} from '../support/fake-log-analytics/index.js'
import {LOGS} from './fixtures.js'

const BATCH = `${LOGS}/more/sysdig-aks-eventhub-records.json`
const SINGLE = `${LOGS}/more/sysdig-aks-eventhub-single.json`
const LINE = `${LOGS}/cloud/aks-elastic-kube-audit.log`
const MIXED = `${LOGS}/more/elastic-test-audit-mixed.log`

const jq = (filter: string, file: string, ...flags: string[]): string =>
  execFileSync('jq', [...flags, filter, file], {encoding: 'utf8'}).trim()

async function read(file: string, ...args: string[]) {
  const result = await runCli(['policies', '-f', file, '--since', 'all', '-o', 'json', ...args])
  assert.equal(result.code, 0, result.stderr)
  return {report: JSON.parse(result.stdout) as PolicyChangeReport, stderr: result.stderr}
}

describe('real AKS records', function () {
  this.timeout(60_000)
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-real-aks-'))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('an Event Hubs batch ({"records": […]}, properties.log strings): every Event jq finds inside', async () => {
    const {report} = await read(BATCH)
    assert.equal(report.sources[0]!.events, Number(jq('.records | length', BATCH)))
    assert.equal(report.sources[0]!.malformed, 0)
    assert.deepEqual(report.changes, [], 'gets, watches and a token review: no network policy write')
    const decoded = decodeDocument(JSON.parse(readFileSync(BATCH, 'utf8')))
    assert.ok('events' in decoded)
    assert.deepEqual(
      decoded.events.map((e) => e.auditID),
      jq('[.records[].properties.log | fromjson | .auditID] | .[]', BATCH, '-r').split('\n'),
    )
  })

  it('one pretty-printed record after a byte-order mark, properties.log ending in a newline', async () => {
    const {report} = await read(SINGLE)
    assert.deepEqual([report.sources[0]!.events, report.sources[0]!.malformed], [1, 0])
    const text = readFileSync(SINGLE, 'utf8').replace(/^\uFEFF/, '')
    const decoded = decodeDocument(JSON.parse(text))
    assert.ok('events' in decoded)
    assert.equal(decoded.events[0]!.auditID, JSON.parse(JSON.parse(text).properties.log).auditID)
    assert.equal(decoded.events[0]!.time, '2020-05-08T22:44:17.862312Z')
  })

  it('a storage PT1H.json / Event Hubs line: the lease update inside, to the microsecond', async () => {
    const {report} = await read(LINE)
    assert.deepEqual([report.sources[0]!.events, report.sources[0]!.malformed], [1, 0])
    const decoded = decodeDocument(JSON.parse(readFileSync(LINE, 'utf8')))
    assert.ok('events' in decoded)
    const [event] = decoded.events
    assert.deepEqual(
      [event!.auditID, event!.user.username, event!.verb, event!.objectRef?.resource, event!.code, event!.time],
      [
        jq('.properties.log | fromjson | .auditID', LINE, '-r'),
        'aksService',
        'update',
        'leases',
        200,
        '2025-10-07T16:19:19.647762Z',
      ],
    )
  })

  it('a kube-audit-admin record with properties.log an object, among raw Events', () => {
    const line = readFileSync(MIXED, 'utf8')
      .split('\n')
      .find((l) => l.includes('"kube-audit-admin"'))!
    const decoded = decodeDocument(JSON.parse(line))
    assert.ok('events' in decoded)
    assert.deepEqual(
      decoded.events.map((e) => [e.auditID, e.stage, e.user.username, e.objectRef?.name]),
      [['abcde12345', 'ResponseComplete', 'aksService', 'elastic-agent-cluster-test']],
    )
  })

  describe('the same real Events in Log Analytics', () => {
    // Each real Event of the batch as its AKSAuditAdmin row.
    const rows = () =>
      (JSON.parse(readFileSync(BATCH, 'utf8')) as {records: Array<{properties: {log: string}}>}).records.map((r) =>
        logAnalyticsRow(JSON.parse(r.properties.log) as Record<string, unknown>),
      )

    it('as the query API answer and as az CLI rows: the same events, and none malformed', async () => {
      for (const [name, value] of [
        ['api.json', queryResponse(rows())],
        ['az.json', azCliRows(rows())],
      ] as const) {
        writeFileSync(join(dir, name), JSON.stringify(value, null, name === 'az.json' ? 2 : undefined))
        const {report} = await read(join(dir, name))
        assert.deepEqual([report.sources[0]!.events, report.sources[0]!.malformed], [22, 0], name)
      }
    })

    it('queried where they are: the workspace holds them, and no row of them is a watched write, so none travels', async () => {
      const fake = await new FakeLogAnalytics().start()
      const aks = new AksScenario(fake)
      try {
        fake.workspace(WORKSPACE_ID, {
          AKSAuditAdmin: rows().map((row) => ({
            ...row,
            _ResourceId:
              '/subscriptions/00000000-1111-2222-3333-444444444444/resourcegroups/shop-rg/providers/microsoft.containerservice/managedclusters/shop-prod',
          })),
        })
        const result = await runCli(
          [
            'policies',
            '--workspace',
            WORKSPACE_ID,
            '--since-time',
            '2020-05-05T00:00:00Z',
            '--until-time',
            '2020-05-06T00:00:00Z',
            '-o',
            'json',
          ],
          {env: aks.env()},
        )
        assert.equal(result.code, 0, result.stderr)
        const report = JSON.parse(result.stdout) as PolicyChangeReport
        assert.deepEqual(report.changes, [])
        assert.equal(report.sources[0]!.events, 0)
        assert.equal(
          fake.queries.length,
          2,
          'the tables counted, then the watched writes counted: none, so no rows asked',
        )
      } finally {
        aks.remove()
        await fake.stop()
      }
    })
  })
})
