import assert from 'node:assert/strict'

import {parse as parseYaml} from 'yaml'

import {toJson, toYaml} from '../../src/render/document.js'
import {sanitize} from '../../src/render/sanitize.js'

// Every character a terminal could act on, as a hostile log, manifest or API answer would carry it.
const HOSTILE = [
  'Meta\u001b[2Jdata',
  'x\u001b]0;pwned\u0007y',
  'a\u009b31mb',
  'del\u007f',
  'user\u202Etxt.exe',
  'a\u200bb\u200cc\u200dd\u2060e\ufeff',
  'a\u2028b\u2029c',
  'next\u0085line',
  'isolate\u2066x\u2069',
  'arabic mark\u061c',
]
// What may appear raw in a serialized document: text, plus the document's own line breaks.
const RAW_UNSAFE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/

describe('sanitize', () => {
  const cases: Array<[string, string, string]> = [
    ['plain text', 'alice@corp.com', 'alice@corp.com'],
    ['an escape sequence is shown, not deleted', 'Meta\u001b[2Jdata', 'Meta\\x1b[2Jdata'],
    ['a colour escape', 'red\u001b[31mALERT\u001b[0m', 'red\\x1b[31mALERT\\x1b[0m'],
    ['a title-setting OSC', 'x\u001b]0;pwned\u0007y', 'x\\x1b]0;pwned\\x07y'],
    ['a bare ESC and BEL', 'a\u001bb\u0007', 'a\\x1bb\\x07'],
    ['CR and newline', 'line1\r\nline2', 'line1\\x0d\\x0aline2'],
    ['C1 CSI', 'a\u009b31mb', 'a\\x9b31mb'],
    ['DEL', 'del\u007f', 'del\\x7f'],
    ['bidi override', 'user\u202Etxt.exe', 'user\\u202etxt.exe'],
    ['non-ASCII letters stay', 'José Müller', 'José Müller'],
    [
      'zero-width space, joiners and marks',
      'a\u200bb\u200cc\u200dd\u200ee\u200ff',
      'a\\u200bb\\u200cc\\u200dd\\u200ee\\u200ff',
    ],
    ['word joiner and invisible operators', 'a\u2060b\u2064c', 'a\\u2060b\\u2064c'],
    ['a byte-order mark inside text', 'ali\ufeffce', 'ali\\ufeffce'],
    ['line and paragraph separators', 'a\u2028b\u2029c', 'a\\u2028b\\u2029c'],
  ]
  for (const [title, input, expected] of cases) it(title, () => assert.equal(sanitize(input), expected))

  it('leaves nothing a terminal acts on', () => {
    for (const text of HOSTILE) assert.doesNotMatch(sanitize(text), RAW_UNSAFE, JSON.stringify(text))
  })
})

describe('documents escape what could drive a terminal, and keep the values', () => {
  const document = {
    apiVersion: 'kubectl-audit/v1',
    users: HOSTILE,
    byName: Object.fromEntries(HOSTILE.map((h, i) => [h, i])),
    multiLine: 'one\ntwo\n',
    plain: 'alice',
  }

  it('JSON: \\uNNNN escapes, valid, the same value', () => {
    const text = toJson(document)
    assert.doesNotMatch(text, RAW_UNSAFE)
    assert.match(text, /"a\\u009b31mb"/)
    assert.match(text, /"user\\u202etxt\.exe"/)
    assert.match(text, /"a\\u2028b\\u2029c"/)
    assert.deepEqual(JSON.parse(text), document)
  })

  it('YAML: its own double-quoted escapes, the same value', async () => {
    const text = await toYaml(document)
    assert.doesNotMatch(text, RAW_UNSAFE)
    assert.match(text, /"a\\x9b31mb"/)
    assert.match(text, /"Meta\\e\[2Jdata"/)
    assert.match(text, /"user\\u202etxt\.exe"/)
    assert.deepEqual(parseYaml(text), document)
  })

  it('YAML: a string too long for one line keeps its escapes when folded', async () => {
    const long = {detail: `${'word '.repeat(30)}\u009b${' more'.repeat(30)}`}
    const text = await toYaml(long)
    assert.doesNotMatch(text, RAW_UNSAFE)
    assert.deepEqual(parseYaml(text), long)
  })

  it('leaves ordinary documents as the serializers write them', async () => {
    const ordinary = {user: 'José', lines: 'a\nb\n', n: 1}
    assert.equal(toJson(ordinary), JSON.stringify(ordinary, null, 2) + '\n')
    assert.equal(await toYaml(ordinary), (await import('yaml')).stringify(ordinary))
  })
})
