import assert from 'node:assert/strict'

import {LAST_APPLIED_ANNOTATION, withoutNoise} from '../../src/audit/what-changed/noise.js'
import {alignKeys, diffVersions, objectYaml, TOO_DEEP_LINE} from '../../src/audit/what-changed/yaml-diff.js'

const object = (
  metadata: Record<string, unknown>,
  spec: Record<string, unknown> = {order: 1},
  extra: Record<string, unknown> = {},
) => ({apiVersion: 'v1', kind: 'X', metadata: {name: 'a', ...metadata}, spec, ...extra})

describe('what changed: noise', () => {
  const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
    [
      'server-set metadata',
      object({
        uid: 'u',
        resourceVersion: '1',
        generation: 2,
        creationTimestamp: 't',
        selfLink: '/x',
        managedFields: [{manager: 'kubectl'}],
        labels: {a: 'b'},
      }),
      object({labels: {a: 'b'}}),
    ],
    ['status', object({}, {order: 1}, {status: {conditions: []}}), object({})],
    [
      'the last-applied annotation, and the annotations map it leaves empty',
      object({annotations: {[LAST_APPLIED_ANNOTATION]: '{}'}}),
      object({}),
    ],
    [
      'the last-applied annotation only',
      object({annotations: {[LAST_APPLIED_ANNOTATION]: '{}', owner: 'sre'}}),
      object({annotations: {owner: 'sre'}}),
    ],
    [
      'nothing else: spec fields named like noise stay',
      object({}, {status: 'x', uid: 'y'}),
      object({}, {status: 'x', uid: 'y'}),
    ],
  ]
  for (const [title, input, expected] of cases) {
    it(`leaves out ${title}`, () => {
      const copy = structuredClone(input)
      assert.deepEqual(withoutNoise(input), expected)
      assert.deepEqual(input, copy, 'the input is not modified')
    })
  }
})

describe('what changed: YAML diffs', () => {
  it('prints YAML as kubectl does: lists at their key, YAML 1.1 look-alikes quoted, long strings on one line', async () => {
    const yaml = await objectYaml({
      metadata: {labels: {enabled: 'yes', port: '80', flag: 'true', n: 'no', when: '2026-11-24T10:00:00Z'}},
      spec: {y: 1, nets: ['0.0.0.0/0'], selector: `app == 'web' && ${'x'.repeat(100)} == 'y'`},
    })
    assert.equal(
      yaml,
      [
        'metadata:',
        '  labels:',
        '    enabled: "yes"',
        '    port: "80"',
        '    flag: "true"',
        '    "n": "no"',
        '    when: "2026-11-24T10:00:00Z"',
        'spec:',
        '  "y": 1',
        '  nets:',
        '  - 0.0.0.0/0',
        `  selector: app == 'web' && ${'x'.repeat(100)} == 'y'`,
        '',
      ].join('\n'),
    )
  })

  it('marks every line by its kind', async () => {
    const lines = await diffVersions(object({}), object({labels: {a: 'b'}}, {order: 2}))
    assert.deepEqual(
      lines.map((l) => [l.kind, l.text]),
      [
        ['hunk', '@@ -2,5 +2,7 @@'],
        ['context', ' kind: X'],
        ['context', ' metadata:'],
        ['context', '   name: a'],
        ['added', '+  labels:'],
        ['added', '+    a: b'],
        ['context', ' spec:'],
        ['removed', '-  order: 1'],
        ['added', '+  order: 2'],
      ],
    )
  })

  it('is empty when only noise changed, and shows it with showAllFields', async () => {
    assert.deepEqual(await diffVersions(object({resourceVersion: '1'}), object({resourceVersion: '2'})), [])
    assert.deepEqual(
      (await diffVersions(object({resourceVersion: '1'}), object({resourceVersion: '2'}), {showAllFields: true})).map(
        (l) => l.text,
      ),
      [
        '@@ -2,6 +2,6 @@',
        ' kind: X',
        ' metadata:',
        '   name: a',
        '-  resourceVersion: "1"',
        '+  resourceVersion: "2"',
        ' spec:',
        '   order: 1',
      ],
    )
  })

  it('does not show a different key order as a change; a new key stays after the key it follows', async () => {
    const before = {
      apiVersion: 'v1',
      kind: 'X',
      metadata: {name: 'a'},
      spec: {order: 1, selector: 'all()', types: ['Ingress']},
    }
    const reordered = {
      kind: 'X',
      apiVersion: 'v1',
      spec: {types: ['Ingress'], selector: 'all()', order: 1},
      metadata: {name: 'a'},
    }
    assert.deepEqual(await diffVersions(before, reordered), [])
    assert.deepEqual(alignKeys({spec: {types: [], tier: 'x', order: 2}, kind: 'X', first: 1}, before), {
      first: 1,
      kind: 'X',
      spec: {order: 2, tier: 'x', types: []},
    })
  })

  it('keeps changes apart in hunks of their own, with the context asked for', async () => {
    const spec = (a: number, z: number) =>
      Object.fromEntries('abcdefghijklmnopqrstuvwxyz'.split('').map((k) => [k, k === 'a' ? a : k === 'z' ? z : 0]))
    const lines = await diffVersions(object({}, spec(1, 1)), object({}, spec(2, 2)), {context: 1})
    assert.deepEqual(
      lines.map((l) => l.text),
      [
        '@@ -5,3 +5,3 @@',
        ' spec:',
        '-  a: 1',
        '+  a: 2',
        '   b: 0',
        '@@ -30,2 +30,2 @@',
        '   "y": 0',
        '-  z: 1',
        '+  z: 2',
      ],
    )
  })

  it('counts ranges as diff -u does: one line, and no line', async () => {
    const created = await diffVersions(null, {a: 1})
    assert.deepEqual(
      created.map((l) => l.text),
      ['@@ -0,0 +1 @@', '+a: 1'],
    )
    const deleted = await diffVersions({a: 1}, null)
    assert.deepEqual(
      deleted.map((l) => l.text),
      ['@@ -1 +0,0 @@', '-a: 1'],
    )
    assert.deepEqual(await diffVersions(null, null), [])
  })

  it('does not print an object nested deeper than it shows', async () => {
    let deep: Record<string, unknown> = {}
    const top = {spec: deep}
    for (let i = 0; i < 100; i++) deep = (deep.x = {}) as Record<string, unknown>
    assert.deepEqual(await diffVersions(null, top), [TOO_DEEP_LINE])
  })
})
