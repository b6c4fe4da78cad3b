// How the CLI starts: which command lines go straight to `policies`, and where the compile cache lives.
import assert from 'node:assert/strict'

import {NO_DIRECT_START, startsDirectly} from '../../src/cli.js'
import {compileCacheDir} from '../../src/compile-cache.js'

describe('direct start of policies', () => {
  const rows: Array<[string[], boolean]> = [
    [['policies'], true],
    [['policies', '-f', 'audit.log', '--since', '1h'], true],
    [['policies', '--file=audit.log', '-o', 'json'], true],
    [['policies', '-', '-f', 'x'], true],
    [['policies', '-f', 'x', '--', '--help'], true],
    [['policies', '-f', 'x', '--verbose'], true],
    // A word where a flag belongs: oclif and wrongCommand answer it.
    [['policies', 'audit.log'], false],
    [['policies', 'help'], false],
    [['policies', '--help'], false],
    [['policies', '-f', 'x', '-h'], false],
    [['policies', '-f', '--help'], false],
    [['doctor'], false],
    [['help', 'policies'], false],
    [['--version'], false],
    [['--help'], false],
    [[], false],
    [['-f', 'x', 'policies'], false],
    [['Policies', '-f', 'x'], false],
  ]
  for (const [argv, direct] of rows)
    it(`${argv.join(' ') || '(nothing)'}: ${direct ? 'direct' : 'through oclif'}`, () =>
      assert.equal(startsDirectly(argv, {}), direct))

  it("goes through oclif when DEBUG asks for oclif's own logging, or when told to", () => {
    const argv = ['policies', '-f', 'x']
    assert.equal(startsDirectly(argv, {DEBUG: '*'}), false)
    assert.equal(startsDirectly(argv, {[NO_DIRECT_START]: '1'}), false)
    assert.equal(startsDirectly(argv, {DEBUG: '', [NO_DIRECT_START]: ''}), true)
  })
})

describe('compile cache folder', () => {
  const rows: Array<[NodeJS.Platform, NodeJS.ProcessEnv, string, string]> = [
    ['linux', {}, '/home/ana', '/home/ana/.cache/kubectl-audit/compile-cache'],
    ['linux', {XDG_CACHE_HOME: '/var/cache/ana'}, '/home/ana', '/var/cache/ana/kubectl-audit/compile-cache'],
    // The XDG spec: a relative XDG_CACHE_HOME is invalid and ignored.
    ['linux', {XDG_CACHE_HOME: 'cache'}, '/home/ana', '/home/ana/.cache/kubectl-audit/compile-cache'],
    ['darwin', {XDG_CACHE_HOME: '/x'}, '/Users/ana', '/Users/ana/Library/Caches/kubectl-audit/compile-cache'],
    [
      'win32',
      {LOCALAPPDATA: 'C:/Users/ana/AppData/Local'},
      'C:/Users/ana',
      'C:/Users/ana/AppData/Local/kubectl-audit/compile-cache',
    ],
    ['win32', {}, 'C:/Users/ana', 'C:/Users/ana/AppData/Local/kubectl-audit/compile-cache'],
  ]
  for (const [platform, env, home, want] of rows) {
    it(`${platform} ${JSON.stringify(env)}: ${want}`, () =>
      assert.equal(compileCacheDir(platform, env, home).replaceAll('\\', '/'), want))
  }
})
