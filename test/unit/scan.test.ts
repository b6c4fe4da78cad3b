import assert from 'node:assert/strict'

import {type Candidate, jsonTextOf} from '../../src/reading/decode.js'
import {DocumentSplitter} from '../../src/reading/document-splitter.js'
import {detectFormat, hasFirstLine} from '../../src/reading/format.js'
import {LineScanner} from '../../src/reading/line-scanner.js'
import {auditLine} from '../support/events.js'

function scanInChunks(text: string | Buffer, chunkSize: number) {
  const candidates: Candidate[] = []
  const scanner = new LineScanner((c) => {
    candidates.push({...c, bytes: Buffer.from(c.bytes)})
    return 'event'
  })
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text)
  for (let i = 0; i < bytes.length; i += chunkSize) scanner.push(bytes.subarray(i, i + chunkSize))
  scanner.end()
  return {scanner, candidates: candidates.map((c) => ({line: c.line, text: c.bytes.toString()}))}
}

const noise = auditLine({verb: 'update', resource: 'leases'})
const gnpPatch = auditLine({
  verb: 'patch',
  apiGroup: 'projectcalico.org',
  resource: 'globalnetworkpolicies',
  name: 'deny-all',
})
const knpGet = auditLine({verb: 'get', apiGroup: 'networking.k8s.io', resource: 'networkpolicies', name: 'web'})
const tierCreate = auditLine({verb: 'create', apiGroup: 'projectcalico.org', resource: 'tiers', name: 'security'})

/**
 * Lines that probe each rule of the prefilter: where the verb key is, whether it holds a write
 * verb, decoys (`xverb"`, "verb" as a value, a key split by spaces), host prefixes, BOMs, CRLF,
 * blank and broken lines, several events on one line. Deterministic.
 */
function variedLines(count: number): string {
  let seed = 12345
  const pick = <T>(items: readonly T[]): T => {
    // xorshift32
    seed ^= seed << 13
    seed ^= seed >>> 17
    seed ^= seed << 5
    return items[(seed >>> 0) % items.length]!
  }
  const verbs = ['get', 'patch', 'create', 'delete', 'deletecollection', 'update', 'watch', 'list']
  const resources = [
    'leases',
    'networkpolicies',
    'globalnetworkpolicies',
    'tiers',
    'hostendpoints',
    'networksets',
    'pods',
    'stagedglobalnetworkpolicies',
  ]
  const bodies: Array<() => string> = [
    () => auditLine({verb: pick(verbs), resource: pick(resources), name: pick(['a', 'web', 'tiers-x'])}),
    () => auditLine({verb: pick(verbs), resource: pick(resources)}).replace('"verb":', '"verb" : '),
    () => auditLine({verb: pick(verbs), resource: pick(resources)}).replace('"verb"', '"xverb"'),
    () => auditLine({verb: pick(verbs), resource: pick(resources)}).replace('"verb"', '"ver b"'),
    () => `{"note":"verb","resource":"${pick(resources)}","op":"${pick(verbs)}"}`,
    () =>
      `{"kind":"EventList","items":[${auditLine({verb: pick(verbs), resource: pick(resources)})},${auditLine({verb: pick(verbs), resource: pick(resources)})}]}`,
    () => `{"verb":"${pick(verbs)}"}`,
    () => `{"resource":"${pick(resources)}","verb"}`,
    () => auditLine({verb: pick(verbs), resource: pick(resources)}).slice(0, -1),
    () => 'not json at all verb" networkpolicies',
    () => '',
    () => '   \t ',
  ]
  const prefixes = ['', '', '', ' ', '\uFEFF', 'master-0.example.internal ', 'two words ']
  const ends = ['\n', '\n', '\r\n', ' \n']
  let text = ''
  for (let i = 0; i < count; i++) text += pick(prefixes) + pick(bodies)() + pick(ends)
  return text
}

/** The prefilter's rules read plainly, one line at a time (a line is what lies between newlines). */
function oracle(text: string): {candidates: number[]; lines: number; malformed: number; firstMalformed: number | null} {
  const space = (c: string | undefined) => c === ' ' || c === '\t' || c === '\r' || c === '\n'
  const candidates: number[] = []
  let lines = 0
  let malformed = 0
  let firstMalformed: number | null = null
  const writes = new Set(['create', 'update', 'patch', 'delete', 'deletecollection'])
  text
    .split('\n')
    .slice(0, -1)
    .forEach((raw, i) => {
      let line = raw.startsWith('\uFEFF') ? raw.slice(1) : raw
      if (line.endsWith('\r')) line = line.slice(0, -1)
      let first = 0
      let last = line.length - 1
      while (first < line.length && space(line[first])) first++
      while (last > first && space(line[last])) last--
      if (first >= line.length) return
      lines++
      const body = line.slice(first, last)
      const prefixed = line[first] !== '{' && /^[^{]{0,255} \{/.test(line.slice(first, last))
      const shaped = line[last] === '}' && (line[first] === '{' || prefixed) && body.includes('"verb"')
      if (!shaped) {
        malformed++
        firstMalformed ??= i + 1
      } else if (
        /hostendpoints|networkpolicies|networksets|tiers/.test(line) &&
        [...line.matchAll(/"verb"[ :]*"([^"]*)"/g)].some((m) => writes.has(m[1]!))
      ) {
        candidates.push(i + 1)
      }
    })
  return {candidates, lines, malformed, firstMalformed}
}

describe('LineScanner', () => {
  const log = [noise, gnpPatch, '', noise, knpGet, tierCreate, noise].join('\n') + '\n'

  it('passes only lines with a watched resource and a write verb', () => {
    const {scanner, candidates} = scanInChunks(log, 1 << 20)
    assert.deepEqual(candidates, [
      {line: 2, text: gnpPatch},
      {line: 6, text: tierCreate},
    ])
    assert.equal(scanner.lines, 6, 'blank lines are not events')
    assert.equal(scanner.malformed, 0)
  })

  it('gives the same answer whatever the chunk boundaries', () => {
    const whole = scanInChunks(log, 1 << 20)
    for (const size of [1, 2, 3, 7, 64, 333, 1000]) {
      const chunked = scanInChunks(log, size)
      assert.deepEqual(chunked.candidates, whole.candidates, `chunk size ${size}`)
      assert.equal(chunked.scanner.lines, whole.scanner.lines, `chunk size ${size}`)
    }
  })

  it('handles CRLF line ends and a byte-order mark', () => {
    const crlf = '\uFEFF' + [noise, gnpPatch, noise].join('\r\n') + '\r\n'
    const {scanner, candidates} = scanInChunks(crlf, 50)
    assert.deepEqual(candidates, [{line: 2, text: gnpPatch}])
    assert.equal(scanner.malformed, 0)
  })

  it('skips a byte-order mark at the start of any line (files or gzip members concatenated)', () => {
    const text = ['\uFEFF' + noise, gnpPatch, '\uFEFF' + tierCreate, '\uFEFF' + noise, '\uFEFF'].join('\n') + '\n'
    for (const size of [1, 5, 64, 1 << 20]) {
      const {scanner, candidates} = scanInChunks(text, size)
      assert.deepEqual(
        candidates,
        [
          {line: 2, text: gnpPatch},
          {line: 3, text: tierCreate},
        ],
        `chunk size ${size}`,
      )
      assert.deepEqual([scanner.lines, scanner.malformed], [4, 0], `chunk size ${size}`)
    }
  })

  it('counts lines that are not events as malformed, with the first line number', () => {
    const {scanner} = scanInChunks([noise, '{"kind": 0}', 'garbage', noise, '\u0000\u0001\u0002'].join('\n') + '\n', 16)
    assert.equal(scanner.malformed, 3)
    assert.equal(scanner.firstMalformedLine, 2)
    assert.equal(scanner.lines, 5)
  })

  it('treats a cut-off last line as a log being written, and a whole one without newline as a line', () => {
    const cut = scanInChunks(`${noise}\n${gnpPatch.slice(0, 80)}`, 1 << 20)
    assert.equal(cut.scanner.unterminated, true)
    assert.equal(cut.scanner.malformed, 0)
    assert.equal(cut.scanner.lines, 1)
    const whole = scanInChunks(`${noise}\n${gnpPatch}`, 1 << 20)
    assert.deepEqual(whole.candidates, [{line: 2, text: gnpPatch}])
    assert.equal(whole.scanner.unterminated, false)
  })

  it('survives a huge line split over many chunks', () => {
    const huge = auditLine({
      verb: 'create',
      apiGroup: 'projectcalico.org',
      resource: 'networkpolicies',
      namespace: 'a',
      name: 'big',
      requestObject: {pad: 'x'.repeat(20 * 1024 * 1024)},
    })
    const {candidates, scanner} = scanInChunks(`${noise}\n${huge}\n${noise}\n`, 1024 * 1024)
    assert.equal(candidates.length, 1)
    assert.equal(candidates[0].text.length, huge.length)
    assert.equal(scanner.lines, 3)
  })

  it('checks every line as a plain per-line reading of the rules does, wherever slices and chunks end', () => {
    const text = variedLines(3000)
    assert.ok(text.length > 3 * 64 * 1024, 'spans several slices')
    const want = oracle(text)
    assert.ok(
      want.candidates.length > 100 && want.malformed > 100,
      `the corpus has both: ${JSON.stringify([want.candidates.length, want.malformed, want.lines])}`,
    )
    for (const size of [1 << 20, 65_536, 4093, 97]) {
      const handedOn: number[] = []
      const scanner = new LineScanner((c) => {
        if (c.handOn) handedOn.push(c.line)
        return 'event'
      })
      const bytes = Buffer.from(text)
      for (let i = 0; i < bytes.length; i += size) scanner.push(bytes.subarray(i, i + size))
      scanner.end()
      assert.deepEqual(handedOn, want.candidates, `chunk size ${size}`)
      assert.deepEqual(
        [scanner.lines, scanner.malformed, scanner.firstMalformedLine],
        [want.lines, want.malformed, want.firstMalformed],
        `chunk size ${size}`,
      )
    }
  })

  it('looks for a host-name prefix within the line, never in the line after it', () => {
    // A short line whose brace follows a tab, then a host-prefixed event: the first is not in
    // kube-apiserver's shape, so it is decoded to be counted, not taken for an event.
    for (const simd of [true, false]) {
      const decoded: number[] = []
      const scanner = new LineScanner(
        (c) => {
          decoded.push(c.line)
          return 'malformed'
        },
        {simd},
      )
      scanner.push(Buffer.from(`\t{"verb":1}\nmaster-0 ${noise}\n`))
      assert.deepEqual(decoded, [1], `simd: ${simd}`)
      assert.equal(scanner.malformed, 1)
    }
  })

  it('finds candidates behind a host-name prefix', () => {
    const prefixed = `master-0.example.internal ${gnpPatch}`
    const {candidates, scanner} = scanInChunks(prefixed + '\n', 100)
    assert.equal(candidates.length, 1)
    assert.equal(scanner.malformed, 0)
    assert.equal(jsonTextOf(Buffer.from(candidates[0].text)), gnpPatch)
  })
})

describe('detectFormat', () => {
  const cases: Array<[string, string]> = [
    [`${noise}\n${noise}\n`, 'lines'],
    [`\uFEFF${noise}\n`, 'lines'],
    [`host-1 ${noise}\n`, 'lines'],
    ['{\n  "kind": "Event",\n', 'documents'],
    ['{"kind":"EventList",\n "items": [\n', 'documents'],
    ['[\n{"kind":"Event"}]', 'documents'],
    ['{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","requestObject":{', 'lines'],
    ['2017-03-21T03:57:09.106841886-04:00 AUDIT: id="c939d2a7" ip="127.0.0.1" method="GET"\n', 'legacy'],
  ]
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input.slice(0, 30))} is ${expected}`, () =>
      assert.equal(detectFormat(Buffer.from(input)), expected))
  }
})

describe('hasFirstLine', () => {
  const cases: Array<[string, boolean]> = [
    ['', false],
    ['{', false],
    ['\n\r\n  ', false],
    ['\uFEFF\n{"kind":"Event"', false],
    ['{"kind":"Event"}\n', true],
    ['\n\n{\n', true],
    ['2017-03-21T03:57:09.106841886-04:00 AUDIT: id="c939d2a7"\n', true],
  ]
  for (const [input, expected] of cases)
    it(`${JSON.stringify(input)}: ${expected}`, () => assert.equal(hasFirstLine(Buffer.from(input)), expected))
})

describe('DocumentSplitter', () => {
  it('splits pretty-printed documents, braces inside strings included, across chunks', () => {
    const docs = [
      JSON.stringify({kind: 'Event', note: 'a } and { and \\" quote'}, null, 2),
      JSON.stringify({kind: 'EventList', items: [{a: 1}]}, null, 4),
    ]
    const text = docs.join('\n') + '\n'
    for (const size of [1, 5, 1000]) {
      const got: string[] = []
      const splitter = new DocumentSplitter((c) => got.push(c.bytes.toString()))
      for (let i = 0; i < text.length; i += size) splitter.push(Buffer.from(text.slice(i, i + size)))
      splitter.end()
      assert.deepEqual(got, docs, `chunk size ${size}`)
      assert.equal(splitter.garbage, 0)
    }
  })

  const split = (text: string, size: number) => {
    const got: Array<{text: string; line: number; unterminated: boolean}> = []
    const splitter = new DocumentSplitter((c) =>
      got.push({text: c.bytes.toString(), line: c.line, unterminated: c.unterminated}),
    )
    for (let i = 0; i < text.length; i += size) splitter.push(Buffer.from(text.slice(i, i + size)))
    splitter.end()
    return got
  }
  const event = (n: number) => JSON.stringify({kind: 'Event', auditID: `a${n}`, user: {username: 'alice'}}, null, 2)

  it('starts again at the next document when one is cut short, in a string or between fields', () => {
    for (const cut of [event(0).indexOf('alice') + 2, event(0).indexOf('"user"')]) {
      const broken = event(0).slice(0, cut)
      const text = [broken, event(1), event(2)].join('\n') + '\n'
      for (const size of [1, 7, 1000]) {
        const got = split(text, size)
        assert.deepEqual(
          got.map((d) => d.text),
          [`${broken}\n`, event(1), event(2)],
          `cut at ${cut}, chunk size ${size}`,
        )
        assert.deepEqual(
          got.map((d) => [d.line, d.unterminated]),
          [
            [1, false],
            [broken.split('\n').length + 1, false],
            [broken.split('\n').length + 1 + event(1).split('\n').length, false],
          ],
        )
      }
    }
  })

  it('does not split where a { at column 0 can be part of the document', () => {
    // Not indented at all (Python's indent=0), and an array whose items start at column 0.
    for (const text of ['{\n"items": [\n{\n"a": 1\n}\n]\n}', '[\n{\n  "a": 1\n},\n{\n  "b": 2\n}\n]']) {
      assert.deepEqual(
        split(text + '\n', 3).map((d) => d.text),
        [text],
      )
    }
  })
})
