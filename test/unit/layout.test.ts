// ARCHITECTURE.md, Layout: imports point down (commands -> flags, reading, sources, cluster,
// doctor, render -> audit), with no circle between modules or files; @kubernetes/client-node loads
// only inside src/cluster and src/sources, and only on use (dynamic import), so file-only runs
// never pay for it.
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join, posix, relative} from 'node:path'

import {ROOT} from '../support/cli.js'

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  )
}

/** The project files a file imports, static, type-only or dynamic: `src/x/y.ts`. */
function importsOf(path: string, text: string): string[] {
  return [...text.matchAll(/(?:\bfrom|\bimport\(|^import)\s*'(\.{1,2}\/[^']+)'/gm)].map((m) =>
    posix.join(dirname(path), m[1]!).replace(/\.js$/, '.ts'),
  )
}

/** The module a file belongs to: its folder under src, or the file itself at the top (`src/errors.ts`). */
function moduleOf(path: string): string {
  const parts = path.split('/')
  return parts.length > 2 ? `${parts[0]}/${parts[1]}` : path
}

/** One circle in a graph, as the nodes along it (first = last); undefined when there is none. */
function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open')
    path.push(node)
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') return [...path.slice(path.indexOf(next)), next]
      if (state.get(next) === undefined) {
        const found = visit(next)
        if (found) return found
      }
    }
    path.pop()
    state.set(node, 'done')
    return undefined
  }
  for (const node of [...graph.keys()].sort()) {
    if (state.get(node) !== undefined) continue
    const found = visit(node)
    if (found) return found
  }
  return undefined
}

describe('layout', () => {
  const files = sourceFiles(join(ROOT, 'src')).map((path) => ({
    path: relative(ROOT, path).split('\\').join('/'),
    text: readFileSync(path, 'utf8'),
  }))
  const imports = files.flatMap(({path, text}) => importsOf(path, text).map((target) => ({from: path, to: target})))

  it('finds the imports it checks', () => {
    const known = new Set(files.map((f) => f.path))
    assert.ok(imports.length > 100)
    for (const {from, to} of imports) assert.ok(known.has(to), `${from} imports ${to}, which is not a source file`)
    assert.deepEqual(
      findCycle(
        new Map([
          ['a', new Set(['b'])],
          ['b', new Set(['c'])],
          ['c', new Set(['a'])],
        ]),
      ),
      ['a', 'b', 'c', 'a'],
    )
  })

  // [the modules, what they may not import]
  const forbidden: Array<[RegExp, RegExp, string]> = [
    [
      /^src\/(sources|cluster)\//,
      /^src\/(flags|render|commands|doctor|reading)\//,
      'where bytes and the cluster come from know nothing of flags, printing, commands, doctor or reading',
    ],
    [/^src\/audit\//, /^src\/(?!audit\/)/, 'the audit domain is pure: it imports nothing outside src/audit'],
    [
      /^src\/(audit|cluster|doctor|reading|render|sources)\//,
      /^src\/(flags\/|commands\/|cli\.ts)/,
      'nothing below the commands imports them, the flags or the CLI entry',
    ],
    [
      /^src\/(?!commands\/|index\.ts|cli\.ts|start\.ts)/,
      /^src\/(commands\/|index\.ts|cli\.ts)/,
      'nothing imports the commands but the CLI entry (start.ts, cli.ts) and the command map',
    ],
  ]
  for (const [from, to, why] of forbidden) {
    it(why, () => {
      const wrong = imports.filter((i) => from.test(i.from) && to.test(i.to)).map((i) => `${i.from} imports ${i.to}`)
      assert.deepEqual(wrong, [])
    })
  }

  it('has no circle of imports between modules', () => {
    const graph = new Map<string, Set<string>>()
    for (const {from, to} of imports) {
      if (moduleOf(from) === moduleOf(to)) continue
      graph.set(moduleOf(from), (graph.get(moduleOf(from)) ?? new Set()).add(moduleOf(to)))
    }
    const cycle = findCycle(graph)
    const through =
      cycle &&
      cycle
        .slice(1)
        .map((to, i) => imports.find((imp) => moduleOf(imp.from) === cycle[i] && moduleOf(imp.to) === to)!)
        .map((i) => `${i.from} -> ${i.to}`)
    assert.equal(cycle, undefined, `${cycle?.join(' -> ')}: ${through?.join(', ')}`)
  })

  it('has no circle of imports between files', () => {
    const graph = new Map<string, Set<string>>()
    for (const {from, to} of imports) graph.set(from, (graph.get(from) ?? new Set()).add(to))
    const cycle = findCycle(graph)
    assert.equal(cycle, undefined, cycle?.join(' -> '))
  })

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
})
