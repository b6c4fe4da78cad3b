// The line scanner answers the same with the WebAssembly classifier as without it (the JS code
// that defines every rule): every field of its result and the exact events it hands on, on every
// fixture log, on lines made to break the classifier, and on random lines.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'

import type {AuditEvent} from '../../src/audit/event.js'
import {RESOURCE_NEEDLES} from '../../src/audit/prefilter.js'
import {decodeCandidate} from '../../src/reading/decode.js'
import {LineClasses} from '../../src/reading/line-classes.js'
import {LineScanner, PLAIN_EVENT_LINES} from '../../src/reading/line-scanner.js'
import {scanJsonLines} from '../../src/reading/scan-lines.js'
import {ROOT} from '../support/cli.js'
import {auditLine} from '../support/events.js'

describe('line scanner: with the classifier and without it, the same answer', () => {
  it("loads here, with the catalog's needles: the scanner counts plain events with it", () => {
    assert.notEqual(
      LineClasses.create(PLAIN_EVENT_LINES),
      null,
      `${RESOURCE_NEEDLES.length} needles: more than line-classes.wat keeps (MAX_NEEDLES)?`,
    )
    assert.equal(new LineScanner(() => 'event').simd, true)
    assert.equal(new LineScanner(() => 'event', {simd: false}).simd, false)
  })

  it('judges every line itself where the engine has no WebAssembly (node --jitless)', async function () {
    this.timeout(30_000)
    const script = [
      `import {LineScanner} from ${JSON.stringify(join(ROOT, 'src/reading/line-scanner.ts'))}`,
      `const scanner = new LineScanner(() => 'event')`,
      `scanner.push(Buffer.from(${JSON.stringify(auditLine() + '\n' + auditLine() + '\n')}))`,
      `console.log(JSON.stringify({simd: scanner.simd, lines: scanner.lines}))`,
    ].join('\n')
    const {stdout} = await promisify(execFile)(
      process.execPath,
      ['--jitless', '--import', 'tsx', '--input-type=module', '-e', script],
      {cwd: ROOT},
    )
    assert.deepEqual(JSON.parse(stdout), {simd: false, lines: 2})
  })

  const FIXTURE_DIRS = ['test/fixtures/logs', 'test/fixtures/elasticsearch', 'test/fixtures/what-changed', 'examples']
  const LOG = /\.(log|jsonl|json)$/

  function filesUnder(dir: string): string[] {
    return readdirSync(join(ROOT, dir)).flatMap((name) => {
      const path = join(dir, name)
      return statSync(join(ROOT, path)).isDirectory() ? filesUnder(path) : LOG.test(name) ? [path] : []
    })
  }

  for (const file of FIXTURE_DIRS.flatMap(filesUnder))
    it(file, async function () {
      this.timeout(60_000)
      const bytes = readFileSync(join(ROOT, file))
      for (const pieces of [[1 << 20], [4093, 65_536 + 13], [333]]) await assertSameAnswer(bytes, pieces)
    })

  it('lines made to break it, cut into pieces of every size', async function () {
    this.timeout(60_000)
    const bytes = Buffer.from(hostileLines().join(''), 'latin1')
    for (const pieces of [[1 << 20], [65_536], [16], [4093, 1, 7000, 13], [1000], [31], [7]])
      await assertSameAnswer(bytes, pieces)
  })

  it('very long lines: across slices, and longer than the classifier takes at once', async function () {
    this.timeout(60_000)
    const long = (bytes: number, spec = {}) =>
      auditLine({verb: 'get', resource: 'pods', ...spec}).replace('"level":', `"pad":"${'x'.repeat(bytes)}","level":`)
    const lines = [
      auditLine(),
      long(70_000),
      long(200_000, {resource: 'tiers', verb: 'create'}),
      auditLine(),
      long(1_100_000),
      long(3_000_000, {resource: 'networkpolicies', verb: 'patch'}),
      auditLine(),
      long(64 * 1024 - 20),
    ]
    const bytes = Buffer.from(lines.join('\n') + '\n')
    for (const pieces of [[1 << 20], [8 << 20], [65_536 + 7]]) await assertSameAnswer(bytes, pieces)
  })

  it("a scanner run from inside another's callback: both answer as without the classifier", () => {
    const inner = Buffer.from(hostileLines().slice(0, 400).join(''), 'latin1')
    const outer = Buffer.from(
      [
        auditLine(),
        auditLine({...WRITE, resource: 'tiers'}),
        auditLine(),
        auditLine({...WRITE, resource: 'tiers'}),
      ].join('\n') + '\n',
    )
    const run = (simd: boolean) => {
      const innerCounts: unknown[] = []
      const scanner = new LineScanner(
        () => {
          // The classifier is busy with the outer slice: the inner scanner judges its lines itself.
          const nested = new LineScanner(() => 'malformed', {simd})
          nested.push(inner)
          nested.end()
          innerCounts.push([nested.lines, nested.malformed, nested.firstMalformedLine, nested.lastEventMs])
          return 'event'
        },
        {simd},
      )
      scanner.push(outer)
      scanner.end()
      return {innerCounts, outer: [scanner.lines, scanner.malformed, scanner.firstEventMs, scanner.lastEventMs]}
    }
    const withClassifier = run(true)
    assert.equal(withClassifier.innerCounts.length, 2)
    assert.deepEqual(withClassifier, run(false))
  })

  it('an unterminated last line, plain or not', async () => {
    for (const last of [auditLine(), auditLine({verb: 'patch', resource: 'tiers'}), auditLine().slice(0, 200), ''])
      for (const pieces of [[1 << 20], [100]])
        await assertSameAnswer(Buffer.from(auditLine() + '\n' + auditLine() + '\n' + last), pieces)
  })

  it('random lines, seeded (reproducible)', async function () {
    this.timeout(120_000)
    for (let round = 0; round < 40; round++) {
      const random = xorshift(0x5eed + round)
      const text = Array.from({length: 200}, () => randomLine(random)).join('')
      const pieces = Array.from({length: 3}, () => 1 + random(round % 2 === 0 ? 70_000 : 3000))
      await assertSameAnswer(Buffer.from(text, 'latin1'), pieces, `round ${round}, pieces ${pieces}`)
    }
  })
})

/** What scanning `bytes` in pieces of `sizes` (in turn) answers: the result, the events handed on, the candidates. */
async function answer(bytes: Buffer, sizes: readonly number[], simd: boolean) {
  const events: AuditEvent[] = []
  const result = await scanJsonLines(
    piecesOf(bytes, sizes),
    (batch) => {
      for (const event of batch) events.push(event)
    },
    {stopAfter: null, watchOrder: true, simd},
  )
  const candidates: unknown[] = []
  const scanner = new LineScanner(
    (candidate) => {
      const {line, unterminated, handOn} = candidate
      candidates.push({line, unterminated, handOn, bytes: candidate.bytes.toString('latin1')})
      const decoded = decodeCandidate(candidate)
      return !('error' in decoded) ? 'event' : unterminated ? 'partial' : 'malformed'
    },
    {simd},
  )
  assert.equal(scanner.simd, simd)
  for await (const piece of piecesOf(bytes, sizes)) scanner.push(piece)
  scanner.end()
  const {lines, malformed, firstMalformedLine, unterminated, firstEventMs, lastEventMs, lineCount} = scanner
  const counts = {lines, malformed, firstMalformedLine, unterminated, firstEventMs, lastEventMs, lineCount}
  return {result, events, candidates, counts}
}

async function assertSameAnswer(bytes: Buffer, sizes: readonly number[], what = `pieces of ${sizes}`) {
  assert.deepEqual(await answer(bytes, sizes, true), await answer(bytes, sizes, false), what)
}

async function* piecesOf(bytes: Buffer, sizes: readonly number[]): AsyncIterable<Buffer> {
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]!
    yield bytes.subarray(at, at + size)
    at += size
  }
}

const WRITE = {verb: 'patch', apiGroup: 'projectcalico.org'}
const BOM = '\xef\xbb\xbf'

/** Lines (latin1, each with its end) that probe every rule of the plain class and its edges. */
function hostileLines(): string[] {
  const lines: string[] = []
  const plain = (i: number) =>
    auditLine({auditID: `id-${i}`, time: `2026-11-24T10:00:${String(i % 60).padStart(2, '0')}.000000Z`})
  const noTime = auditLine().replace(/"(stageTimestamp|requestReceivedTimestamp)"/g, '"t"')
  // No time on the first events: the first time is read from a later one.
  lines.push(noTime + '\n', noTime.replace('"verb":"get"', '"verb":"patch"') + '\n')
  const cases: string[] = [
    // Needles at every place in the lanes, in reads and writes, and near misses.
    ...RESOURCE_NEEDLES.flatMap((needle) =>
      Array.from({length: 17}, (_, pad) => [
        auditLine({verb: 'get', name: 'x'.repeat(pad) + needle}),
        auditLine({...WRITE, resource: needle, name: 'x'.repeat(pad)}),
        auditLine({verb: 'get', name: 'x'.repeat(pad) + needle.slice(1)}),
        auditLine({verb: 'get', name: 'x'.repeat(pad) + needle.slice(0, -1)}),
      ]).flat(),
    ),
    // Reads with a needle, counted on their bytes: every "verb" key read as hasWriteVerb reads it.
    auditLine({verb: 'get', resource: 'tiers'}).slice(0, -1) + ',"spec":{"verb":"create"}}',
    auditLine({verb: 'list', resource: 'networkpolicies'}).replace('"verb":"list"', '"verb" : : "list"'),
    auditLine({verb: 'list', resource: 'networkpolicies'}).replace('"verb":"list"', '"verb" :"update"'),
    auditLine({verb: 'get', resource: 'tiers'}).replace('"verb":"get"', '"verb":get'),
    auditLine({verb: 'get', resource: 'tiers'}).replace('"verb":"get"', '"verb":"deletecollection"'),
    auditLine({verb: 'watch', resource: 'hostendpoints'}).slice(0, -1) + ',"x":"verb":"patch"}',
    auditLine({verb: 'get', resource: 'networksets'}).slice(0, -1) + ',"verb":"patch}',
    auditLine({verb: 'get', resource: 'networksets'}).slice(0, -1) + ',"verb":"Patch"}',
    auditLine({verb: 'get', resource: 'tiers'}) + ' "verb":"create"',
    // A needle in the prefix, or straight after it.
    auditLine().replace('audit.k8s.io/v1', 'audit.k8s.io/tiers'),
    auditLine({...WRITE, resource: 'tiers'}).replace('audit.k8s.io/v1', 'audit.k8s.io/networksets'),
    // The verb key: missing, after the brace, last before it, decoys, escaped.
    auditLine().replace('"verb"', '"verbs"'),
    auditLine().replace('"verb":"get",', '') + '"verb"',
    auditLine().replace('"verb":"get",', '').slice(0, -1) + ',"x":"verb"}',
    auditLine().replace('"verb"', '"ver b"'),
    auditLine().replace('"verb"', '"verb\\"'),
    auditLine().replace('"verb":"get",', '') + ' "verb"}',
    `{"kind":"Event","apiVersion":"audit.k8s.io/v1","methodName":"io.k8s.networking.v1.networkpolicies.patch"}`,
    `{"kind":"Event","apiVersion":"audit.k8s.io/v1","methodName":"x"}`,
    // Ends: CRLF, spaces, tabs, CRs, no brace, two braces.
    auditLine() + '\r',
    auditLine() + ' \t \r',
    auditLine() + '\r\r',
    auditLine() + ' x',
    auditLine() + '}',
    auditLine().slice(0, -1),
    // Starts: BOMs, spaces, host names, other shapes.
    BOM + auditLine(),
    BOM + auditLine({...WRITE, resource: 'tiers'}),
    BOM,
    BOM + BOM + auditLine(),
    ' ' + auditLine(),
    '\t' + auditLine(),
    'master-0.example.internal ' + auditLine(),
    'master-0 ' + auditLine({...WRITE, resource: 'networkpolicies'}),
    'two words ' + auditLine(),
    '{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[' + auditLine({...WRITE, resource: 'tiers'}) + ']}',
    '{"verb":"get"}',
    '{"kind":"Event","apiVersion":"audit.k8s.io/v1"}',
    '{"kind":"Event","apiVersion":"audit.k8s.io/',
    '{"kind":"Event","apiVersion":"audit.k8s.io',
    // Events out of the prefilter's sight: escaped in a string, base64 of gzip, cut short.
    JSON.stringify({message: auditLine({...WRITE, resource: 'networkpolicies'})}),
    JSON.stringify({message: auditLine()}),
    'H4sIAAAAAAAAA+3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA',
    auditLine().slice(0, 300) + '[Truncated...]',
    // Blank lines of every kind.
    '',
    '   ',
    '\t',
    '\r',
    ' \r',
    // NUL and high bytes, in the prefix and after it.
    auditLine().replace('{"kind"', '{\0kind"'),
    auditLine().replace('"level"', '"\xff\xfe"'),
    auditLine({verb: 'get', name: '\0\0\0tiers\xff'}),
    '\0'.repeat(40),
    '\xff'.repeat(70),
    // A short line before a host-prefixed one: each is judged on its own.
    '\t{"verb":1}',
    'x ' + auditLine(),
  ]
  cases.forEach((line, i) => lines.push(line + '\n', plain(i) + '\n'))
  // Runs of short lines past the classifier's list of other lines.
  for (let i = 0; i < 6000; i++) lines.push(i % 5 === 0 ? plain(i) + '\n' : i % 2 === 0 ? '\n' : 'x\n')
  return lines
}

/** xorshift32: a reproducible stream of integers below `n`. */
function xorshift(seed: number): (n: number) => number {
  let state = seed >>> 0 || 1
  return (n) => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) % n
  }
}

/** A line with its end: an event, mostly plain, bent at random places. */
function randomLine(random: (n: number) => number): string {
  const pick = <T>(items: readonly T[]): T => items[random(items.length)]!
  const resources = [...RESOURCE_NEEDLES, 'pods', 'leases', 'globalnetworkpolicies', 'configmaps']
  const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']
  let line = auditLine({
    verb: pick(verbs),
    resource: pick(resources),
    name: 'x'.repeat(random(20)),
    time: `2026-11-24T10:${String(random(60)).padStart(2, '0')}:00.000000Z`,
  })
  const bends = random(4)
  for (let i = 0; i < bends; i++) {
    const at = random(line.length + 1)
    switch (random(6)) {
      case 0:
        line = line.slice(0, at) + line.slice(at + 1 + random(8))
        break
      case 1:
        line =
          line.slice(0, at) +
          pick(['\0', '\xff', '"', '}', ' ', '\r', '\t', '{', BOM, 'tiers', '"verb"']) +
          line.slice(at)
        break
      case 2:
        line = line.slice(0, at)
        break
      case 3:
        line = pick(['', ' ', BOM, 'host-1 ', '\t']) + line
        break
      case 4:
        line = pick(['', '', '', '\n', '   ', auditLine()])
        break
      default:
        line += pick([' ', '\r', '\t', ' x', '}'])
    }
  }
  return line + pick(['\n', '\n', '\r\n', ' \n'])
}
