// GKE Cloud Audit Logs entries from other projects (logs/cloud/PROVENANCE.md): KHI's entries as
// `gcloud logging read --format=yaml` prints them, and Elastic's as a LogEntry JSON line. Expected
// values are read off the files, never from our code.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'

import {parseDocument} from 'yaml'

import {decodeDocument} from '../../src/audit/event.js'
import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {runCli} from '../support/cli.js'
import {LOGS} from './fixtures.js'

const CLOUD = `${LOGS}/cloud`

function decodeYamlFile(file: string) {
  const decoded = decodeDocument(parseDocument(readFileSync(`${CLOUD}/${file}`, 'utf8')).toJS())
  assert.ok('events' in decoded, JSON.stringify(decoded))
  assert.equal(decoded.events.length, 1)
  return decoded.events[0]
}

describe('GKE entries from real logs', () => {
  it('KHI pods.create: the core group, the object from resourceName, the controller, the body without @type', () => {
    const event = decodeYamlFile('gke-khi-pods-create.yaml')
    assert.equal(event.auditID, '85371f7c-2383-4041-96e8-dad63d2d1990')
    assert.equal(event.verb, 'create')
    assert.deepEqual(event.objectRef, {
      apiGroup: '',
      apiVersion: 'v1',
      resource: 'pods',
      subresource: '',
      namespace: '1-2-deployment-update',
      name: 'nginx-deployment-surge-8655b4b8c5-xf5f4',
    })
    assert.equal(event.user.username, 'system:serviceaccount:kube-system:replicaset-controller')
    assert.equal(event.time, '2024-01-01T01:00:00Z')
    assert.equal(event.code, 200, 'status.code 0')
    assert.equal((event.requestObject as {kind?: string}).kind, 'Pod')
    assert.equal((event.requestObject as Record<string, unknown>)['@type'], undefined)
    assert.equal(event.mappedFrom, 'gke')
  })

  for (const file of ['gke-khi-pods-status-patch.yaml', 'gke-khi-pods-status-patch-2.yaml']) {
    it(`KHI ${file}: the status subresource and patch verb from the method, a kubelet`, () => {
      const event = decodeYamlFile(file)
      assert.equal(event.verb, 'patch')
      assert.equal(event.objectRef?.subresource, 'status')
      assert.equal(event.objectRef?.namespace, '1-2-deployment-update')
      assert.match(event.user.username, /^system:node:gke-sample-cluster-default-/)
      assert.match(event.userAgent ?? '', /^kubelet\/v1\.28\.14/)
      assert.equal(event.code, 200)
    })
  }

  it('Elastic non-resource io.k8s.get on HNAP1, denied: no object, gRPC 7 read as 403', () => {
    const raw = JSON.parse(readFileSync(`${CLOUD}/gke-elastic-k8s-nonmatching-resourcename.log`, 'utf8'))
    const decoded = decodeDocument(raw)
    assert.ok('events' in decoded)
    const [event] = decoded.events
    assert.equal(event.verb, 'get')
    assert.equal(event.objectRef, null)
    assert.equal(event.code, 403)
    assert.equal(event.user.username, 'system:anonymous')
    assert.deepEqual(event.sourceIPs, ['192.168.1.1'])
    assert.equal(event.auditID, 'k8s-nonmatch-0001')
  })

  it('policies -f reads all four as GKE entries: the YAML documents and the JSON line, none a policy change', async () => {
    const files = [
      'gke-khi-pods-create.yaml',
      'gke-khi-pods-status-patch.yaml',
      'gke-khi-pods-status-patch-2.yaml',
      'gke-elastic-k8s-nonmatching-resourcename.log',
    ]
    const result = await runCli([
      'policies',
      ...files.flatMap((f) => ['-f', `${CLOUD}/${f}`]),
      '--since',
      'all',
      '-o',
      'json',
    ])
    assert.equal(result.code, 0, result.stderr)
    const report = JSON.parse(result.stdout) as PolicyChangeReport
    assert.deepEqual(
      report.sources.map((s) => [s.name.split('/').pop(), s.events, s.malformed]),
      files.map((f) => [f, 1, 0]),
    )
    assert.deepEqual(report.changes, [])
  })
})
