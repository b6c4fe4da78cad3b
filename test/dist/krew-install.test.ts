// Installs the release archives the way krew does (sha256, extract, `files`, a relative symlink in
// krew's bin folder) and runs the result the way users do: through the real kubectl when it is
// installed, else by the symlink itself. linux/amd64 is the single executable; the macOS archive
// (bundle + launcher) runs here too, since only its launcher's Node is platform-specific.
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, isAbsolute, join} from 'node:path'
import {MIN_NODE_VERSION} from '../../scripts/dist/targets.js'
import {runCli} from '../support/cli.js'
import {type KrewInstallation, krewInstall} from './krew-install.js'
import {isLicenseFile} from './krew-rules.js'
import {
  PACKAGE_VERSION,
  ROOT,
  WORKER_DEBUG,
  builtArchive,
  findOnPath,
  manifestPlatform,
  pathWith,
  readPluginManifest,
  runProgram,
  workerLog,
  writeTwoThreadLog,
} from './support.js'

const POLICIES = ['policies', '-f', 'examples/tiny.log', '--since', 'all', '-o', 'json']

/** Whether Node.js version a.b.c is older than x.y.z. */
function olderThan(version: string, minimum: string): boolean {
  const [have, need] = [version, minimum].map((v) => v.split('.').map(Number)) as [number[], number[]]
  return (have[0]! - need[0]! || have[1]! - need[1]! || have[2]! - need[2]!) < 0
}

/** A Node.js older than the minimum somewhere on PATH outside the project (the machine's own), if any. */
async function oldNode(): Promise<{node: string; version: string} | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter((d) => !d.includes('node_modules'))) {
    const node = findOnPath('node', dir)
    if (!node) continue
    const version = (await runProgram(node, ['-p', 'process.versions.node'])).stdout.trim()
    if (olderThan(version, MIN_NODE_VERSION)) return {node, version}
  }
  return undefined
}

describe('krew-style install of the release archives', () => {
  const plugin = readPluginManifest()
  const kubectl = findOnPath('kubectl')
  let root: string
  let big: string
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'kubectl-audit-krew-'))
    big = join(root, 'big.log')
    writeTwoThreadLog(big)
  })
  after(() => rmSync(root, {recursive: true, force: true}))

  /** Reads the big log as the compiled CLI does, quietly, the second half on a worker thread that runs to its end. */
  async function readsOnTwoThreads(program: string, env: NodeJS.ProcessEnv): Promise<void> {
    const args = ['policies', '-f', big, '--since', 'all', '-o', 'json']
    const result = await runProgram(program, args, {env})
    assert.equal(result.code, 0, result.stderr)
    assert.equal(result.stderr, '')
    assert.deepEqual(JSON.parse(result.stdout), JSON.parse((await runCli(args)).stdout))
    const watched = await runProgram(program, args, {env: {...env, ...WORKER_DEBUG}})
    assert.equal(watched.code, 0, watched.stderr)
    assert.deepEqual(workerLog(watched.stderr), {started: 1, failed: false}, watched.stderr)
  }

  it('refuses an archive whose sha256 is not the manifest\'s, as krew does', async () => {
    const platform = manifestPlatform(plugin, 'darwin', 'arm64')
    await assert.rejects(
      krewInstall({...platform, sha256: '0'.repeat(64)}, builtArchive(platform), {krewRoot: join(root, 'refused'), name: 'audit', version: 'v0'}),
      /checksum of .* is [a-f0-9]{64}, the manifest says 0{64}/,
    )
  })

  describe('linux/amd64: the single executable', () => {
    let installation: KrewInstallation
    let krewBin: string
    before(async () => {
      const krewRoot = join(root, 'linux')
      const platform = manifestPlatform(plugin, 'linux', 'amd64')
      installation = await krewInstall(platform, builtArchive(platform), {krewRoot, name: 'audit', version: `v${PACKAGE_VERSION}`})
      krewBin = join(krewRoot, 'bin')
    })

    it('installs the manifest\'s files, a license among them, and links bin relatively as kubectl-audit', () => {
      const installed = readdirSync(installation.installDir).sort()
      assert.deepEqual(installed, (manifestPlatform(plugin, 'linux', 'amd64').files ?? []).map((file) => file.from).sort())
      assert.ok(installed.some(isLicenseFile))
      assert.equal(installation.link, join(krewBin, 'kubectl-audit'))
      assert.equal(isAbsolute(readlinkSync(installation.link)), false)
    })

    it('runs with no Node.js on PATH at all', async () => {
      const result = await runProgram(installation.link, ['--version'], {env: {PATH: krewBin}})
      assert.equal(result.code, 0, result.stderr)
      assert.match(result.stdout, new RegExp(`^kubectl-audit/${PACKAGE_VERSION} linux-x64 node-v\\d+`))
      assert.equal(result.stderr, '', 'no warnings (SEA, engine, require) on stderr')
    })

    it('shows the same --help as the compiled CLI, the package description first', async () => {
      const result = await runProgram(installation.link, ['--help'], {env: {PATH: krewBin}})
      assert.equal(result.code, 0, result.stderr)
      const {description} = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {description: string}
      assert.ok(result.stdout.startsWith(`${description}\n`), result.stdout)
      assert.equal(result.stdout, (await runCli(['--help'])).stdout)
    })

    it('gives the same policies report as the compiled CLI', async () => {
      const result = await runProgram(installation.link, POLICIES, {env: {PATH: krewBin}})
      assert.equal(result.code, 0, result.stderr)
      assert.deepEqual(JSON.parse(result.stdout), JSON.parse((await runCli(POLICIES)).stdout))
    })

    it('reads a log big enough for two threads on two threads, the worker carried inside, as the compiled CLI does', async () => {
      await readsOnTwoThreads(installation.link, {PATH: krewBin})
    })

    it('fails on a missing file with exit code 2 and no stack trace', async () => {
      const result = await runProgram(installation.link, ['policies', '-f', join(root, 'missing.log')], {env: {PATH: krewBin}})
      assert.equal(result.code, 2)
      assert.match(result.stderr, /missing\.log/)
      assert.doesNotMatch(result.stderr, /^\s+at /m)
    })

    it('is discovered and run by the real kubectl as `kubectl audit` when kubectl is installed', async function () {
      if (!kubectl) {
        console.log('      (kubectl is not installed here: the tests above ran the installed link directly)')
        this.skip()
      }
      const env = {PATH: [krewBin, process.env.PATH].join(delimiter)}
      const list = await runProgram(kubectl, ['plugin', 'list'], {env})
      assert.ok(list.stdout.split('\n').includes(installation.link), list.stdout + list.stderr)
      const version = await runProgram(kubectl, ['audit', '--version'], {env})
      assert.match(version.stdout, new RegExp(`^kubectl-audit/${PACKAGE_VERSION} linux-x64`))
      const help = await runProgram(kubectl, ['audit', '--help'], {env})
      assert.equal(help.code, 0, help.stderr)
      assert.match(help.stdout, /\$ kubectl audit /)
      const policies = await runProgram(kubectl, ['audit', ...POLICIES], {env})
      assert.equal(policies.code, 0, policies.stderr)
      assert.deepEqual(JSON.parse(policies.stdout), JSON.parse((await runCli(POLICIES)).stdout))
    })
  })

  describe('darwin/arm64: the portable bundle and its launcher', () => {
    let installation: KrewInstallation
    before(async () => {
      // Under a folder whose package.json says "type": "module": the launcher must not care.
      const krewRoot = join(root, 'esm-scope', 'krew')
      mkdirSync(join(root, 'esm-scope'))
      writeFileSync(join(root, 'esm-scope', 'package.json'), '{"type": "module"}\n')
      const platform = manifestPlatform(plugin, 'darwin', 'arm64')
      installation = await krewInstall(platform, builtArchive(platform), {krewRoot, name: 'audit', version: `v${PACKAGE_VERSION}`})
    })

    it('runs through its symlink with the Node.js on PATH, as the compiled CLI does', async () => {
      const env = {PATH: pathWith()}
      const version = await runProgram(installation.link, ['--version'], {env})
      assert.equal(version.code, 0, version.stderr)
      assert.match(version.stdout, new RegExp(`^kubectl-audit/${PACKAGE_VERSION} `))
      const result = await runProgram(installation.link, POLICIES, {env})
      assert.equal(result.code, 0, result.stderr)
      assert.deepEqual(JSON.parse(result.stdout), JSON.parse((await runCli(POLICIES)).stdout))
    })

    it('installs lib/, the CLI\'s modules, as one folder beside the launcher', () => {
      assert.deepEqual(readdirSync(installation.installDir).sort(), (manifestPlatform(plugin, 'darwin', 'arm64').files ?? []).map((file) => file.from).sort())
      assert.ok(readdirSync(join(installation.installDir, 'lib', 'dist')).includes('start.js'))
    })

    it('reads a log big enough for two threads on two threads, as the compiled CLI does', async () => {
      await readsOnTwoThreads(installation.link, {PATH: pathWith()})
    })

    it(`refuses, with one line saying which it needs, a Node.js older than ${MIN_NODE_VERSION}, and runs on that one and newer`, async () => {
      // The Node on PATH, told to report another version: the launcher reads nothing else.
      const fakeVersion = join(root, 'fake-node-version.cjs')
      const refused = new Set(['22.12.0', '22.18.9', '21.99.99', '20.20.2'])
      for (const version of [...refused, MIN_NODE_VERSION, '22.20.0', '23.0.0', '24.21.0']) {
        writeFileSync(fakeVersion, `Object.defineProperty(process, 'versions', {value: {...process.versions, node: '${version}'}})\n` +
          `Object.defineProperty(process, 'version', {value: 'v${version}'})\n`)
        const result = await runProgram(installation.link, ['--version'], {env: {PATH: pathWith(), NODE_OPTIONS: `--require ${fakeVersion}`}})
        if (refused.has(version)) {
          assert.deepEqual([result.code, result.stdout, result.stderr], [2, '', `kubectl-audit needs Node.js ${MIN_NODE_VERSION} or newer on PATH; this one is v${version}.\n`], version)
        } else {
          assert.equal(result.code, 0, `${version}: ${result.stderr}`)
          assert.match(result.stdout, new RegExp(`^kubectl-audit/${PACKAGE_VERSION} .* node-v${version.replaceAll('.', '\\.')}\n$`), version)
        }
      }
    })

    it('refuses the machine\'s own Node.js when it is too old', async function () {
      const old = await oldNode()
      if (!old) this.skip()
      const result = await runProgram(installation.link, ['--version'], {env: {PATH: [dirname(old.node), process.env.PATH].join(delimiter)}})
      assert.equal(result.code, 2)
      assert.equal(result.stderr, `kubectl-audit needs Node.js ${MIN_NODE_VERSION} or newer on PATH; this one is v${old.version}.\n`)
    })
  })
})
