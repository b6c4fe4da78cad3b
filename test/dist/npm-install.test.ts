// The npm package as users get it: `npm pack`, then `npm install -g --prefix <tmp>` of that tarball,
// then `kubectl audit …` from the prefix's bin. `npm run dist` has just built what prepack would, so
// packing skips the scripts rather than rebuild dist/ under other tests' feet.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {MODULE_ENTRIES, NODE_CHECK} from '../../scripts/dist/bundle.js'
import {runCli} from '../support/cli.js'
import {PACKAGE_VERSION, ROOT, WORKER_DEBUG, findOnPath, pathWith, runProgram, workerLog, writeTwoThreadLog} from './support.js'

const POLICIES = ['policies', '-f', 'examples/tiny.log', '--since', 'all', '-o', 'json']
// What runs, and nothing else: the bundle (one flat folder), its licenses, entry points, the command manifest, README, LICENSE.
const SHIPPED = /^(package\.json|README\.md|LICENSE|oclif\.manifest\.json|bin\/run\.js|bin\/kubectl_complete-audit|dist\/[\w.-]+\.js|dist\/THIRD-PARTY-NOTICES)$/

/** The files of dist/ that `entries` import, directly or not (static imports and import()). */
function reachable(dist: string, entries: readonly string[]): Set<string> {
  const seen = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const code = readFileSync(join(dist, file), 'utf8')
    for (const [, imported] of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']\.\/([\w.-]+\.js)["']/g)) visit(imported!)
  }
  for (const entry of entries) visit(entry)
  return seen
}

describe('npm package', () => {
  const kubectl = findOnPath('kubectl')
  let dir: string
  let files: string[]
  let prefixBin: string
  let packageDir: string
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-npm-'))
    const pack = await runProgram('npm', ['pack', '--ignore-scripts', '--pack-destination', dir, '--json'], {env: {PATH: pathWith()}})
    assert.equal(pack.code, 0, pack.stderr)
    const [packed] = JSON.parse(pack.stdout) as {filename: string; files: {path: string}[]}[]
    files = packed!.files.map((file) => file.path).sort()
    const prefix = join(dir, 'prefix')
    const install = await runProgram('npm', ['install', '-g', '--prefix', prefix, join(dir, packed!.filename), '--no-audit', '--no-fund', '--prefer-offline'], {
      env: {PATH: pathWith()},
    })
    assert.equal(install.code, 0, install.stderr)
    prefixBin = join(prefix, 'bin')
    packageDir = join(prefix, 'lib', 'node_modules', 'kubectl-audit')
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('packs only what runs', () => {
    assert.deepEqual(files.filter((file) => !SHIPPED.test(file)), [])
    for (const needed of ['bin/run.js', 'bin/kubectl_complete-audit', 'dist/index.js', 'oclif.manifest.json', 'LICENSE', 'README.md']) {
      assert.ok(files.includes(needed), `${needed} is missing from the package`)
    }
  })

  it('packs the bundle of the current sources only: every module one an entry point imports, none left from an older build', () => {
    const modules = files.filter((file) => file.startsWith('dist/') && file.endsWith('.js')).map((file) => file.slice('dist/'.length))
    const entries = [NODE_CHECK.out, ...Object.keys(MODULE_ENTRIES)].map((name) => `${name}.js`)
    assert.deepEqual(entries.filter((entry) => !modules.includes(entry)), [])
    const used = reachable(join(packageDir, 'dist'), entries)
    assert.deepEqual(modules.filter((file) => !used.has(file)), [])
    assert.deepEqual([...used].filter((file) => !modules.includes(file)), [])
  })

  it('passes on the licenses of the packages it bundles', () => {
    assert.ok(files.includes('dist/THIRD-PARTY-NOTICES'))
    const notices = readFileSync(join(packageDir, 'dist', 'THIRD-PARTY-NOTICES'), 'utf8')
    for (const name of ['@oclif/core', '@kubernetes/client-node', 'yaml', 'cli-table3']) assert.match(notices, new RegExp(`^${name} \\d+\\.\\d+\\.\\d+\\S* \\(`, 'm'), name)
    assert.doesNotMatch(notices, /No license file in the package/)
  })

  it('compiles dist/ afresh in prepack, so a module left there by an older build is never packed', async () => {
    const leftOver = join(ROOT, 'dist', 'left-by-an-older-build.js')
    writeFileSync(leftOver, 'export {}\n')
    try {
      // With scripts, as `npm pack` and `npm publish` run them: prepack builds.
      const pack = await runProgram('npm', ['pack', '--dry-run', '--json'], {env: {PATH: pathWith()}})
      assert.equal(pack.code, 0, pack.stderr)
      const [packed] = JSON.parse(pack.stdout) as {files: {path: string}[]}[]
      const paths = packed!.files.map((file) => file.path)
      assert.ok(paths.includes('dist/index.js'))
      assert.ok(!paths.includes('dist/left-by-an-older-build.js'), 'the left-over module was packed')
    } finally {
      rmSync(leftOver, {force: true})
    }
  })

  it('installs nothing beside itself: what it runs is all in the bundle', () => {
    assert.equal(existsSync(join(packageDir, 'node_modules')), false, 'a node_modules folder was installed')
    const {dependencies} = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {dependencies?: object}
    assert.equal(dependencies, undefined)
  })

  it('puts kubectl-audit and kubectl_complete-audit on PATH', async () => {
    assert.deepEqual(readdirSync(prefixBin).sort(), ['kubectl-audit', 'kubectl_complete-audit'])
    const env = {PATH: pathWith(prefixBin)}
    const version = await runProgram('kubectl-audit', ['--version'], {env})
    assert.equal(version.code, 0, version.stderr)
    assert.match(version.stdout, new RegExp(`^kubectl-audit/${PACKAGE_VERSION} `))
    const completion = await runProgram('kubectl_complete-audit', [''], {env})
    assert.match(completion.stdout, /^policies\t/m)
  })

  it('gives the same policies report as the working tree\'s CLI', async () => {
    const result = await runProgram('kubectl-audit', POLICIES, {env: {PATH: pathWith(prefixBin)}, cwd: ROOT})
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(JSON.parse(result.stdout), JSON.parse((await runCli(POLICIES)).stdout))
  })

  it('reads a log big enough for two threads on two threads, as the working tree\'s CLI does', async () => {
    const big = join(dir, 'big.log')
    writeTwoThreadLog(big)
    const args = ['policies', '-f', big, '--since', 'all', '-o', 'json']
    const result = await runProgram('kubectl-audit', args, {env: {PATH: pathWith(prefixBin), ...WORKER_DEBUG}})
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(workerLog(result.stderr), {started: 1, failed: false}, result.stderr)
    assert.deepEqual(JSON.parse(result.stdout), JSON.parse((await runCli(args)).stdout))
    rmSync(big)
  })

  it('is discovered and run by the real kubectl as `kubectl audit` when kubectl is installed', async function () {
    if (!kubectl) {
      console.log('      (kubectl is not installed here: the tests above ran the installed bin directly)')
      this.skip()
    }
    const env = {PATH: pathWith(prefixBin)}
    const list = await runProgram(kubectl, ['plugin', 'list'], {env})
    assert.ok(list.stdout.split('\n').includes(join(prefixBin, 'kubectl-audit')), list.stdout + list.stderr)
    const help = await runProgram(kubectl, ['audit', '--help'], {env})
    assert.equal(help.code, 0, help.stderr)
    assert.match(help.stdout, /\$ kubectl audit /)
    const policies = await runProgram(kubectl, ['audit', ...POLICIES], {env})
    assert.equal(policies.code, 0, policies.stderr)
    assert.ok((JSON.parse(policies.stdout) as {changes: unknown[]}).changes.length > 0)
    const completion = await runProgram(kubectl, ['__complete', 'audit', 'pol'], {env})
    assert.deepEqual(completion.stdout.split('\n').filter(Boolean).map((line) => line.split('\t')[0]), ['policies', ':4'])
  })
})
