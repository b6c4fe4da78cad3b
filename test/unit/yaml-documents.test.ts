// YAML documents (`gcloud logging read --format=yaml`): told from JSON and text by their first
// lines, split at `---`, each parsed on its own.
import assert from 'node:assert/strict'

import {parseDocument} from 'yaml'

import {detectFormat} from '../../src/reading/format.js'
import {YamlDocumentSplitter, yamlValue} from '../../src/reading/yaml-documents.js'

describe('detectFormat on YAML', () => {
  const cases: Array<[string, string, string]> = [
    ['a gcloud YAML entry', 'insertId: 85371f7c\nlabels:\n  a: b\nlogName: projects/p/logs/x\n', 'yaml'],
    [
      'entries after a licence header',
      '# Copyright 2025\n#\n\ninsertId: c7842d26\nlogName: projects/p/logs/x\n',
      'yaml',
    ],
    ['documents that start with ---', '---\ninsertId: a\n---\ninsertId: b\n', 'yaml'],
    ['an audit Event in YAML', 'apiVersion: audit.k8s.io/v1\nkind: Event\nauditID: a\n', 'yaml'],
    [
      'a manifest given by mistake (read as lines, as before)',
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n',
      'lines',
    ],
    ['a field nested, not top-level', 'metadata:\n  insertId: a\n', 'lines'],
    ['prose with a colon', 'This is text: it says insertId\ninsertId: a\n', 'lines'],
    ['JSON lines that mention insertId', '{"insertId":"a","protoPayload":{"methodName":"io.k8s.get"}}\n', 'lines'],
    ['klog', 'I1124 10:00:00.123456       1 server.go:123] insertId: x\n', 'lines'],
  ]
  for (const [title, input, expected] of cases)
    it(`${title}: ${expected}`, () => assert.equal(detectFormat(Buffer.from(input)), expected))
})

describe('YamlDocumentSplitter', () => {
  const split = (text: string, size: number) => {
    const got: Array<[number, string]> = []
    const splitter = new YamlDocumentSplitter((c) => got.push([c.line, c.bytes.toString()]))
    for (let i = 0; i < text.length; i += size) splitter.push(Buffer.from(text.slice(i, i + size)))
    splitter.end()
    return got
  }

  it('splits at --- lines, skips comments before a document, whatever the chunk boundaries', () => {
    const text = '# header\n\ninsertId: a\nx: 1\n---\ninsertId: b\n--- # second\n\ninsertId: c\n...\n'
    for (const size of [1, 3, 1000]) {
      assert.deepEqual(
        split(text, size),
        [
          [3, 'insertId: a\nx: 1\n'],
          [6, 'insertId: b\n'],
          [9, 'insertId: c\n'],
        ],
        `chunk size ${size}`,
      )
    }
  })

  it('hands on a last document without a newline, and nothing for a trailing separator', () => {
    assert.deepEqual(split('---\ninsertId: a\n---\ninsertId: b', 4), [
      [2, 'insertId: a\n'],
      [4, 'insertId: b'],
    ])
    assert.deepEqual(split('insertId: a\n---\n', 4), [[1, 'insertId: a\n']])
  })

  it('keeps a literal block that holds --- indented, and CRLF separators', () => {
    assert.deepEqual(split('a: |\n  ---\n  b\r\n---\r\nc: 1\r\n', 5), [
      [1, 'a: |\n  ---\n  b\r\n'],
      [5, 'c: 1\r\n'],
    ])
  })
})

describe('yamlValue', () => {
  it('reads a document as JSON values, timestamps staying text', () => {
    assert.deepEqual(
      yamlValue(
        parseDocument,
        "insertId: a\ntimestamp: '2024-01-01T01:00:00Z'\nreceiveTimestamp: 2024-01-01T01:00:00Z\nstatus:\n  code: 0\n",
      ),
      {
        insertId: 'a',
        timestamp: '2024-01-01T01:00:00Z',
        receiveTimestamp: '2024-01-01T01:00:00Z',
        status: {code: 0},
      },
    )
  })

  it('refuses aliases, syntax errors and duplicate keys', () => {
    assert.equal(yamlValue(parseDocument, 'a: &x [1, 2]\nb: *x\n'), undefined)
    assert.equal(yamlValue(parseDocument, 'a: [1, 2\n'), undefined)
    assert.equal(yamlValue(parseDocument, 'a: 1\na: 2\n'), undefined)
  })
})
