// `-f` on the AKS exports users already hold, each shape written here from the documented ones:
// a storage account's PT1H.json (a record per line, and the older {"records": […]}), an Event
// Hubs message, properties.log parsed into an object, the Log Analytics query API's answer and
// `az monitor log-analytics query` output (pretty and compact). Detected per document, mixed
// freely; bodies AKS replaced are named in a warning.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {AKS_SKIPPED_BODY} from '../../src/audit/records/aks.js'
import {
  azCliRows,
  azureDiagnosticsRow,
  diagnosticRecord,
  logAnalyticsRow,
  queryResponse,
} from '../support/aks-records.js'
import {runCli} from '../support/cli.js'
import {auditEvent, auditLine} from '../support/events.js'

const np = auditEvent({
  auditID: 'np-1',
  verb: 'patch',
  user: 'alice',
  apiGroup: 'networking.k8s.io',
  resource: 'networkpolicies',
  namespace: 'shop',
  name: 'web',
  time: '2026-12-07T10:00:01.000001Z',
  level: 'RequestResponse',
  requestObject: {spec: {}},
})
const gnp = auditEvent({
  auditID: 'gnp-1',
  verb: 'create',
  user: 'bob',
  apiGroup: 'crd.projectcalico.org',
  resource: 'globalnetworkpolicies',
  name: 'default.deny',
  time: '2026-12-07T10:00:03.000001Z',
  code: 201,
  requestObject: AKS_SKIPPED_BODY,
  responseObject: AKS_SKIPPED_BODY,
})
const lease = auditEvent({
  auditID: 'lease-1',
  verb: 'update',
  resource: 'leases',
  namespace: 'kube-node-lease',
  time: '2026-12-07T10:00:02.000001Z',
})
const json = (v: unknown) => JSON.stringify(v)

describe('-f on AKS exports', function () {
  this.timeout(60_000)
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-aks-files-'))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  const file = (name: string, text: string) => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }

  const cases: Array<[string, string]> = [
    [
      'a storage account PT1H.json: one record per line',
      [np, lease, gnp].map((e) => json(diagnosticRecord(e))).join('\n') + '\n',
    ],
    [
      'an older PT1H.json blob: {"records": […]}, pretty-printed',
      JSON.stringify({records: [np, lease, gnp].map((e) => diagnosticRecord(e))}, null, 2),
    ],
    [
      'an Event Hubs message body on one line',
      json({records: [np, lease, gnp].map((e) => diagnosticRecord(e, {category: 'kube-audit'}))}),
    ],
    [
      'records whose properties.log a shipper parsed into an object',
      [np, lease, gnp].map((e) => json(diagnosticRecord(e, {logAs: 'object'}))).join('\n'),
    ],
    [
      'the Log Analytics query API answer, saved on one line',
      json(queryResponse([np, lease, gnp].map((e) => logAnalyticsRow(e)))),
    ],
    [
      'the query API answer, pretty-printed',
      JSON.stringify(queryResponse([np, lease, gnp].map((e) => logAnalyticsRow(e))), null, 2),
    ],
    [
      'az monitor log-analytics query output (pretty, as az prints it)',
      JSON.stringify(azCliRows([np, lease, gnp].map((e) => logAnalyticsRow(e))), null, 2),
    ],
    [
      'az monitor log-analytics query output, compact',
      json(azCliRows([np, lease, gnp].map((e) => logAnalyticsRow(e)))),
    ],
    ['AzureDiagnostics rows as JSON lines', [np, lease, gnp].map((e) => json(azureDiagnosticsRow(e))).join('\n')],
  ]
  for (const [i, [what, text]] of cases.entries()) {
    it(`reads ${what}`, async () => {
      const path = file(`case-${i}.json`, text)
      const {code, stdout, stderr} = await runCli(['policies', '-f', path, '--since', 'all', '-o', 'json'])
      assert.equal(code, 0, stderr)
      const report = JSON.parse(stdout) as PolicyChangeReport
      assert.deepEqual(
        report.changes.map((c) => [c.auditID, c.user, c.verb, c.resource]),
        [
          ['np-1', 'alice', 'patch', 'networkpolicies'],
          ['gnp-1', 'bob', 'create', 'globalnetworkpolicies'],
        ],
      )
      assert.equal(report.sources[0]!.events, 3)
      assert.equal(report.sources[0]!.malformed, 0)
      assert.equal(
        stderr,
        `warning: ${path}: 1 write has its bodies replaced by AKS ("skipped-too-big-size-object"): who changed it and when are known, what changed is not; audit ID gnp-1\n`,
      )
    })
  }

  it('reads the shapes mixed in one file and across files, counting one change per audit ID', async () => {
    const mixed = file(
      'mixed.log',
      [
        json(diagnosticRecord(np)),
        auditLine({
          auditID: 'raw-1',
          verb: 'delete',
          user: 'carol',
          apiGroup: 'networking.k8s.io',
          resource: 'networkpolicies',
          namespace: 'shop',
          name: 'old',
          time: '2026-12-07T10:00:04.000001Z',
        }),
        json(logAnalyticsRow(gnp)),
      ].join('\n') + '\n',
    )
    const again = file('again.json', json({records: [diagnosticRecord(np)]}))
    const {code, stdout, stderr} = await runCli(['policies', '-f', mixed, '-f', again, '--since', 'all', '-o', 'json'])
    assert.equal(code, 0, stderr)
    const report = JSON.parse(stdout) as PolicyChangeReport
    assert.deepEqual(
      report.changes.map((c) => c.auditID),
      ['np-1', 'gnp-1', 'raw-1'],
    )
  })

  it('counts a record that is no audit event (another category, a cut log) and reads the rest', async () => {
    const path = file(
      'partial.json',
      [
        json(diagnosticRecord(np)),
        json({...diagnosticRecord(lease), category: 'kube-apiserver', properties: {log: 'I1207 10:00:02 klog line'}}),
        json({...diagnosticRecord(gnp), properties: {log: '{"kind":"Event","cut'}}),
      ].join('\n'),
    )
    const {code, stdout, stderr} = await runCli(['policies', '-f', path, '--since', 'all', '-o', 'json'])
    assert.equal(code, 0, stderr)
    const report = JSON.parse(stdout) as PolicyChangeReport
    assert.deepEqual(
      report.changes.map((c) => c.auditID),
      ['np-1'],
    )
    assert.equal(report.sources[0]!.malformed, 2)
    assert.match(stderr, /skipped 2 malformed lines \(first at line 2\)/)
  })
})
