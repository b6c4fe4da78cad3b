// ARCHITECTURE.md, Layout: @kubernetes/client-node loads only inside src/cluster and src/sources,
// and only on use (dynamic import), so file-only runs never pay for it.
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'

import {ROOT} from '../support/cli.js'

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((d) => (d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []))
}

describe('layout', () => {
  const files = sourceFiles(join(ROOT, 'src')).map((path) => ({path: relative(ROOT, path), text: readFileSync(path, 'utf8')}))

  it('imports @kubernetes/client-node at run time only in src/cluster and src/sources', () => {
    const users = files.filter((f) => /import\(\s*'@kubernetes\/client-node'\s*\)/.test(f.text)).map((f) => f.path)
    assert.ok(users.length > 0, 'the check finds the dynamic imports')
    for (const path of users) assert.match(path, /^src\/(cluster|sources)\//, path)
  })

  it('never imports @kubernetes/client-node statically, except for types', () => {
    for (const {path, text} of files) {
      for (const line of text.split('\n').filter((l) => /^import .*'@kubernetes\/client-node'/.test(l))) {
        assert.match(line, /^import type /, `${path}: ${line}`)
      }
    }
  })

  it('imports point down: nothing below the commands imports them, the flags or the CLI entry', () => {
    const below = files.filter((f) => /^src\/(audit|cluster|doctor|reading|render|sources)\//.test(f.path))
    assert.ok(below.length > 0)
    for (const {path, text} of below) {
      for (const line of text.split('\n').filter((l) => /^import .* from '\.\.\/(flags|commands)\/|^import .* from '\.\.\/cli\.js'/.test(l))) {
        assert.fail(`${path}: ${line}`)
      }
    }
  })
})
