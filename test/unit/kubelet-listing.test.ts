import assert from 'node:assert/strict'

import {isUnderVarLog, kubeletLogsPath, parseFileServerListing} from '../../src/sources/kubelet.js'

describe('kubelet /logs/ listing', () => {
  const cases: Array<[string, string, string[]]> = [
    [
      'a listing from Go before the doctype header',
      '<pre>\n<a href="audit-2026-11-24T10-00-00.000.log.gz">audit-2026-11-24T10-00-00.000.log.gz</a>\n<a href="audit.log">audit.log</a>\n</pre>\n',
      ['audit-2026-11-24T10-00-00.000.log.gz', 'audit.log'],
    ],
    [
      'a current Go listing with a subdirectory',
      '<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n<a href="audit.log">audit.log</a>\n<a href="old/">old/</a>\n</pre>\n',
      ['audit.log', 'old/'],
    ],
    [
      'escaped names: HTML entities in the href, percent-encoding, ./ before a colon',
      '<pre>\n<a href="a&amp;b%20%3Cc%3E.log">a&amp;b &lt;c&gt;.log</a>\n<a href="./audit-10:00.log">audit-10:00.log</a>\n<a href="x%25y.log">x%y.log</a>\n</pre>\n',
      ['a&b <c>.log', 'audit-10:00.log', 'x%y.log'],
    ],
    [
      'links that cannot be directory entries',
      '<pre>\n<a href="/etc/passwd">x</a>\n<a href="../up">x</a>\n<a href="https://example.com/x">x</a>\n<a href="%E0%A4%A">bad escape</a>\n<a href="ok.log">ok.log</a>\n</pre>',
      ['ok.log'],
    ],
    ['an empty directory', '<!doctype html>\n<meta name="viewport" content="width=device-width">\n<pre>\n</pre>\n', []],
  ]
  for (const [what, html, names] of cases) {
    it(`parses ${what}`, () => assert.deepEqual(parseFileServerListing(html), names))
  }
})

describe('kubelet /logs/ paths', () => {
  const reachable: Array<[string, boolean]> = [
    ['/var/log/kubernetes/audit/audit.log', true],
    ['/var/log/kube-apiserver-audit.log', true],
    ['/var/log/../lib/rancher/rke2/server/logs/audit.log', false],
    ['/var/lib/rancher/k3s/server/logs/audit.log', false],
    ['/var/log/', false],
    ['/var/logs/audit.log', false],
  ]
  for (const [path, expected] of reachable) {
    it(`${expected ? 'reaches' : 'cannot reach'} ${path}`, () => assert.equal(isUnderVarLog(path), expected))
  }

  it('builds the node proxy path, escaping each segment', () => {
    assert.equal(
      kubeletLogsPath('cp-1', '/var/log/kubernetes/audit/audit.log'),
      '/api/v1/nodes/cp-1/proxy/logs/kubernetes/audit/audit.log',
    )
    assert.equal(
      kubeletLogsPath('cp-1', '/var/log/kubernetes/audit/'),
      '/api/v1/nodes/cp-1/proxy/logs/kubernetes/audit/',
    )
    assert.equal(kubeletLogsPath('cp-1', '/var/log/a b#c.log'), '/api/v1/nodes/cp-1/proxy/logs/a%20b%23c.log')
  })
})
