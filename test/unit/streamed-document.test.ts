// -o json and -o yaml written as a stream of changes: byte for byte the document written whole (the
// contract), for empty and long lists, hostile strings, long strings YAML folds, nested lists and
// nulls; and written at the pace of a slow reader.
import assert from 'node:assert/strict'
import {Writable} from 'node:stream'

import {jsonChunks, toJson, toYaml, writeStreamedDocument, yamlChunks, yamlRenderer} from '../../src/render/document.js'

const HEAD = {
  apiVersion: 'kubectl-audit/v1',
  kind: 'PolicyChangeReport',
  window: {since: null, until: '2026-11-24T10:00:00Z'},
  sources: [{name: 'a\u009bb.log', bytesRead: 10, events: 1, malformed: 0, complete: false, reason: 'cut'}],
  summary: [{user: 'alice', verb: 'create', succeeded: 1, failed: 0, unknown: 0}],
}

function change(i: number): Record<string, unknown> {
  return {
    time: `2026-11-24T10:00:${String(i % 60).padStart(2, '0')}.000001Z`,
    auditID: i % 7 === 0 ? '' : `id-${i}`,
    user: [
      'alice',
      'Meta\u001b[2Jdata',
      'user\u202etxt.exe',
      'a\u2028b',
      `${'long '.repeat(40)}\u009b end`,
      'multi\nline\n',
      '',
    ][i % 7],
    impersonatedUser: i % 3 === 0 ? null : 'bob',
    verb: 'patch',
    namespace: i % 2 === 0 ? null : 'shop',
    name: i % 5 === 0 ? '- looks: like yaml' : `p${i}`,
    code: i % 4 === 0 ? null : 200,
    dryRun: i % 2 === 0,
    sourceIPs: i % 6 === 0 ? [] : ['10.0.0.1', '::1'],
    source: 'node/cp-1:/var/log/audit.log',
  }
}

describe('a report written as a stream of its changes', () => {
  for (const count of [0, 1, 2, 255, 256, 257, 1000]) {
    it(`writes ${count} changes as the whole document would, in JSON and YAML`, async () => {
      const changes = Array.from({length: count}, (_, i) => change(i))
      const whole = {...HEAD, changes}
      assert.equal([...jsonChunks(HEAD, 'changes', changes)].join(''), toJson(whole))
      assert.equal([...yamlChunks(await yamlRenderer(), HEAD, 'changes', changes)].join(''), await toYaml(whole))
    })
  }

  it('writes in step with a slow reader', async () => {
    let written = ''
    let writes = 0
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        written += chunk.toString()
        writes++
        setImmediate(done)
      },
    })
    let walked = 0
    const changes = function* () {
      for (let i = 0; i < 5000; i++) {
        walked++
        yield change(i)
      }
    }
    assert.equal(await writeStreamedDocument(slow, 'json', HEAD, 'changes', changes()), true)
    assert.equal(walked, 5000)
    assert.ok(writes > 10, `${writes} writes`)
    assert.equal(written, toJson({...HEAD, changes: Array.from({length: 5000}, (_, i) => change(i))}))
    assert.equal(await writeStreamedDocument(slow, 'table', HEAD, 'changes', changes()), false)
  })
})
