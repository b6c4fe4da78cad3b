import assert from 'node:assert/strict'

import {colorEnabled, type ColorMode, colorModeInArgv, settleLibraryColor} from '../../src/render/color-mode.js'

describe('colorModeInArgv', () => {
  const cases: Array<[string[], ColorMode | undefined]> = [
    [['policies', '-f', 'a.log'], undefined],
    [['policies', '--color', 'never'], 'never'],
    [['--color=always', 'policies'], 'always'],
    [['policies', '--color', 'never', '--color=always'], 'always'],
    [['policies', '--color', '--help'], 'auto'],
    [['policies', '--', '--color', 'never'], undefined],
  ]
  for (const [argv, mode] of cases) it(`${argv.join(' ')} → ${mode}`, () => assert.equal(colorModeInArgv(argv), mode))
})

describe('colorEnabled and settleLibraryColor', () => {
  const cases: Array<[ColorMode, boolean, Record<string, string>, boolean]> = [
    ['auto', true, {}, true],
    ['auto', false, {}, false],
    ['auto', true, {NO_COLOR: '1'}, false],
    ['auto', true, {NO_COLOR: ''}, true],
    ['always', false, {NO_COLOR: '1'}, true],
    ['never', true, {}, false],
  ]
  for (const [mode, isTTY, env, on] of cases) {
    it(`--color ${mode}, ${isTTY ? 'a terminal' : 'a pipe'}, ${JSON.stringify(env)}: colour ${on ? 'on' : 'off'}`, () => {
      assert.equal(colorEnabled(mode, {isTTY}, env), on)
      const settled: NodeJS.ProcessEnv = {...env}
      settleLibraryColor(['policies', '--color', mode], settled, {isTTY})
      assert.equal(settled.FORCE_COLOR, on ? undefined : '0')
    })
  }
  it('leaves the environment alone without --color', () => {
    const env: NodeJS.ProcessEnv = {}
    settleLibraryColor(['policies', '--help'], env, {isTTY: false})
    assert.deepEqual(env, {})
  })
})
