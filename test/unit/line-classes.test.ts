// The WebAssembly line classifier: the committed module is the .wat compiled, it loads or
// answers null, and it sorts lines exactly as its definition says.
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'

import {expectedGeneratedModule, GENERATED_FILE} from '../../scripts/build-wasm.js'
import {LineClasses, type PlainLines} from '../../src/reading/line-classes.js'
import {ROOT} from '../support/cli.js'

describe('line classes (WebAssembly)', () => {
  it('is line-classes.wat as `npm run build:wasm` compiles it', async function () {
    this.timeout(20_000)
    assert.equal(readFileSync(GENERATED_FILE, 'utf8'), await expectedGeneratedModule(), 'run `npm run build:wasm`')
  })

  it('answers null for strings it cannot take, so the scanner judges every line itself', () => {
    const plain: PlainLines = {prefix: '{"kind":', key: '"verb"', needles: ['tiers']}
    for (const bad of [
      {...plain, needles: ['a', 'b', 'c', 'd', 'e']},
      {...plain, needles: ['x'.repeat(33)]},
      {...plain, needles: ['']},
      {...plain, needles: ['two\nlines']},
      {...plain, needles: ['\u0100']},
      {...plain, key: '"v"'},
      {...plain, key: '"' + 'k'.repeat(15) + '"'},
      {...plain, prefix: '{'.repeat(49)},
      {...plain, prefix: '{\n'},
    ])
      assert.equal(LineClasses.create(bad), null, JSON.stringify(bad))
  })

  it('answers null where the engine has no WebAssembly (node --jitless)', async function () {
    this.timeout(30_000)
    const script = [
      `import {LineClasses} from ${JSON.stringify(join(ROOT, 'src/reading/line-classes.ts'))}`,
      `console.log(JSON.stringify(LineClasses.create({prefix: '{', key: '"verb"', needles: ['tiers']})))`,
    ].join('\n')
    const {stdout} = await promisify(execFile)(
      process.execPath,
      ['--jitless', '--import', 'tsx', '--input-type=module', '-e', script],
      {cwd: ROOT},
    )
    assert.equal(JSON.parse(stdout), null)
  })

  describe('classify', () => {
    const plain: PlainLines = {prefix: '{"kind":"Event",', key: '"verb"', needles: ['tiers', 'networkpolicies']}
    const classes = LineClasses.create(plain)!
    const event = '{"kind":"Event","verb":"get","uri":"/api/v1/pods"}'

    /** Each line: true when plain. A line is handed back with its place and whether a needle was found. */
    const rows: Array<[string, boolean, string]> = [
      [event, true, 'the prefix, the key, `}` last'],
      [event + ' \t\r', true, 'spaces, tabs and CRs after the brace'],
      [event.replace('pods', 'tiers'), false, 'a needle'],
      [event.replace('pods', 'networkpolicies'), false, 'the other needle'],
      [event.replace('pods', 'tier'), true, 'a needle cut short'],
      [event.replace('pods', 'Tiers'), true, 'a needle in another case'],
      [event.replace('pods', 'ti\0ers'), true, 'a NUL inside a needle'],
      [event.replace('pods', 'pods\xff\xfe\x00'), true, 'high bytes and a NUL'],
      ['{"kind":"Event","tiers":1,"verb":"get"}', false, 'a needle just after the prefix'],
      ['{"kind":"Event","uri":"/api"}', false, 'no key'],
      ['{"kind":"Event","uri":"/api"}"verb"', false, 'the key after the brace'],
      ['{"kind":"Event","uri":"verb"}', true, 'the key just before the brace'],
      ['{"kind":"Event","ver b":"get"}', false, 'a key broken by a space'],
      ['{"kind":"Event","verb":"get"', false, 'no brace last'],
      ['{"kind":"Event","verb":"get"} x', false, 'a byte after the brace'],
      ['{"kind":"Event"', false, 'the prefix alone'],
      ['{"kind":"Even', false, 'shorter than the prefix'],
      ['\xef\xbb\xbf' + event, false, 'a byte-order mark first'],
      [' ' + event, false, 'a space first'],
      ['node-1 ' + event, false, 'a host name first'],
      ['{"kind":"EventList","verb":"get"}', false, 'another kind'],
      ['', false, 'blank'],
      [' \t ', false, 'spaces only'],
      ['\r', false, 'a CR only'],
    ]
    for (const [line, isPlain, what] of rows)
      it(`${isPlain ? 'plain' : 'other'}: ${what}`, () => {
        const bytes = Buffer.from(`${event}\n${line}\n${event}\n`, 'latin1')
        const others: unknown[] = []
        classes.classify(bytes, 0, bytes.length, (...other) => others.push(other))
        assert.equal(classes.lines, 3)
        const start = event.length + 1
        const needle = /tiers|networkpolicies/.test(line)
        assert.deepEqual(others, isPlain ? [] : [[1, start, start + line.length, needle]])
        assert.equal(classes.lastPlainStart, start + line.length + 1)
        assert.equal(classes.lastPlainNewline, bytes.length - 1)
      })

    it("ends a line at its newline: a key or a needle just after it is the next line's", () => {
      for (const [line, next, others] of [
        ['{"kind":"Event","a":1}', '"verb"}', [0, 1]],
        ['{"kind":"Event","verb":1}', 'tiers}', [1]],
        ['{"kind":"Event","verb":1}', '"verb"tiers}', [1]],
        ['{"kind":"Event","verb":1,"b":"tier', 's"}', [0, 1]],
      ] as const) {
        const bytes = Buffer.from(`${line}\n${next}\n`)
        const lines: number[] = []
        classes.classify(bytes, 0, bytes.length, (index) => lines.push(index))
        assert.deepEqual(lines, others, `${line}|${next}`)
      }
    })

    it('finds a needle at every place in the 16-byte lanes, and none that is not whole', () => {
      for (let pad = 0; pad < 48; pad++)
        for (const word of ['tiers', 'networkpolicies', 'tier', 'etworkpolicies'])
          for (const after of ['', 'x', '"}']) {
            const line = `{"kind":"Event","verb":"get","a":"${'x'.repeat(pad)}${word}${after}"}`
            const bytes = Buffer.from(`${line}\n`)
            const others: unknown[] = []
            classes.classify(bytes, 0, bytes.length, (...other) => others.push(other))
            const found = word === 'tiers' || word === 'networkpolicies'
            assert.deepEqual(others, found ? [[0, 0, line.length, true]] : [], line)
          }
    })

    it('lists any number of other lines, in order, from a run of any length', () => {
      const lines = Array.from({length: 9000}, (_, i) => (i % 3 === 0 ? event : i % 3 === 1 ? '' : 'x'.repeat(i % 40)))
      const bytes = Buffer.from('garbage before\n' + lines.join('\n') + '\n')
      const from = 'garbage before\n'.length
      const others: number[] = []
      classes.classify(bytes, from, bytes.length, (line, start) => {
        others.push(line)
        assert.equal(bytes[start - 1], 0x0a)
      })
      assert.equal(classes.lines, 9000)
      assert.deepEqual(
        others,
        lines.flatMap((_, i) => (i % 3 === 0 ? [] : [i])),
      )
    })
  })
})
