// The lines under a change in a table: what each section holds, colour only when on, every line
// fitted to the terminal and free of characters that could drive it.
import assert from 'node:assert/strict'

import {Chalk} from 'chalk'

import {changeVersions} from '../../src/audit/what-changed/change-versions.js'
import {whatChanged} from '../../src/audit/what-changed/versions.js'
import {renderTable, tableSpec} from '../../src/render/table.js'
import {changeDetailLines} from '../../src/render/what-changed.js'
import {textWidth} from '../../src/render/text-width.js'

const plain = new Chalk({level: 0})
const knp = (port: number, cidr = '10.0.0.0/8') => ({
  kind: 'NetworkPolicy',
  apiVersion: 'networking.k8s.io/v1',
  metadata: {name: 'web', namespace: 'shop'},
  spec: {podSelector: {}, ingress: [{ports: [{protocol: 'TCP', port}], from: [{ipBlock: {cidr}}]}]},
})
const known = (object: Record<string, unknown>) => ({
  state: 'known' as const,
  version: {object, origin: 'response' as const, shape: 'object' as const, notes: []},
})

describe('the lines under a change', () => {
  const change = whatChanged(
    {verb: 'update', outcome: 'succeeded', responseObject: knp(443, '0.0.0.0/0')},
    known(knp(80)),
  )
  const versions = changeVersions(change, false)

  // The YAML is 14 lines: the port is line 11 and the CIDR line 14, the last; 3 lines of context
  // before the first (8-10) and none after the last: one hunk of 7 lines. A rule whose port and
  // peer both changed is another rule: one removed, one added.
  it('--diff: the diff, the rules, what it opens', async () => {
    const lines = await changeDetailLines(change, versions, {chalk: plain, diff: true, showAllFields: false})
    assert.deepEqual(
      lines.map((l) => l.slice(4)),
      [
        '@@ -8,7 +8,7 @@',
        '   ingress:',
        '   - ports:',
        '     - protocol: TCP',
        '-      port: 80',
        '+      port: 443',
        '     from:',
        '     - ipBlock:',
        '-        cidr: 10.0.0.0/8',
        '+        cidr: 0.0.0.0/0',
        'rules:',
        '  - ingress allow tcp/80 from 10.0.0.0/8',
        '  + ingress allow tcp/443 from 0.0.0.0/0',
        'opens:',
        '  ! allows from every address (0.0.0.0/0): ingress allow tcp/443 from 0.0.0.0/0',
      ],
    )
    assert.ok(lines.every((l) => l.startsWith('    ')))
  })

  it('--opens alone: only what it opens', async () => {
    const lines = await changeDetailLines(change, versions, {chalk: plain, diff: false, showAllFields: false})
    assert.deepEqual(
      lines.map((l) => l.trim()),
      ['opens:', '! allows from every address (0.0.0.0/0): ingress allow tcp/443 from 0.0.0.0/0'],
    )
  })

  it('coloured as git diff when colour is on', async () => {
    const lines = await changeDetailLines(change, versions, {
      chalk: new Chalk({level: 1}),
      diff: true,
      showAllFields: false,
    })
    assert.equal(lines[0], '    \x1b[36m@@ -8,7 +8,7 @@\x1b[39m')
    assert.equal(lines[4], '    \x1b[31m-      port: 80\x1b[39m')
    assert.equal(lines[5], '    \x1b[32m+      port: 443\x1b[39m')
  })

  it('fitted to the terminal: no line wider than it', async () => {
    const lines = await changeDetailLines(change, versions, {chalk: plain, width: 40, diff: true, showAllFields: false})
    assert.ok(
      lines.every((l) => textWidth(l) <= 40),
      lines.join('\n'),
    )
    assert.ok(lines.length > 14, 'long lines wrapped')
  })

  it('a table with lines under its rows keeps its columns', () => {
    const spec = tableSpec(
      [{header: 'A'}, {header: 'B'}],
      [
        ['x', 'one'],
        ['longer', 'two'],
      ],
    )
    const text = [...renderTable(spec, {below: (r) => (r === 0 ? ['    under x'] : [])})].join('')
    assert.equal(text, 'A        B\nx        one\n    under x\n\nlonger   two\n')
  })
})
