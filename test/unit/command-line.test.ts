// Reading the command line before oclif does: kubectl's -v levels, the Node version check, and
// "did you mean" for a mistyped name.
import assert from 'node:assert/strict'

import {kubectlVerbosity} from '../../src/cli.js'
import {closest} from '../../src/commands/did-you-mean.js'
import {olderThan} from '../../src/node-version.js'

describe("kubectl's -v levels", () => {
  const rows: Array<[string[], string[]]> = [
    [
      ['policies', '-v'],
      ['policies', '-v'],
    ],
    [
      ['policies', '-v=6'],
      ['policies', '--verbose'],
    ],
    [
      ['policies', '--v=8', '-o', 'json'],
      ['policies', '--verbose', '-o', 'json'],
    ],
    [
      ['doctor', '-v', '6'],
      ['doctor', '--verbose'],
    ],
    [['doctor', '-v=0'], ['doctor']],
    [
      ['policies', '-f', '-', '--', '-v=6'],
      ['policies', '-f', '-', '--', '-v=6'],
    ],
    [
      ['policies', '-v', 'audit.log'],
      ['policies', '-v', 'audit.log'],
    ],
  ]
  for (const [argv, want] of rows) it(argv.join(' '), () => assert.deepEqual(kubectlVerbosity(argv), want))
})

describe('Node version check', () => {
  const rows: Array<[string, boolean]> = [
    ['20.20.2', true],
    ['22.12.0', true],
    ['22.18.9', true],
    ['22.19.0', false],
    ['22.19.1', false],
    ['22.20.0', false],
    ['24.21.0', false],
    ['25.0.0-pre', false],
  ]
  for (const [version, older] of rows)
    it(`${version} is ${older ? '' : 'not '}older than 22.19.0`, () =>
      assert.equal(olderThan(version, '22.19.0'), older))
})

describe('did you mean', () => {
  const names = ['doctor', 'help', 'policies']
  const rows: Array<[string, string | undefined]> = [
    ['polices', 'policies'],
    ['policy', 'policies'],
    ['pol', 'policies'],
    ['Policies', 'policies'],
    ['docter', 'doctor'],
    ['doc', 'doctor'],
    ['hlep', 'help'],
    ['audit', undefined],
    ['x', undefined],
    ['frobnicate', undefined],
  ]
  for (const [typed, want] of rows) it(`${typed} → ${want}`, () => assert.equal(closest(typed, names), want))
})
