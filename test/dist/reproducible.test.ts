// The release is reproducible: the plugin.yaml and kubectl_complete-audit that are committed are the
// ones `npm run dist` builds (so a change that alters an archive fails here until they are
// regenerated and committed), a second build in another folder gives the same bytes, and the bundles
// hold only the package.json fields oclif reads, so editing a script changes no archive.
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {BUNDLED_PACKAGE_FIELDS} from '../../scripts/dist/bundle.js'
import {PORTABLE_LIB} from '../../scripts/dist/portable-launcher.js'
import {BUILD, ROOT, builtArchive, findOnPath, manifestPlatform, pathWith, readPluginManifest, runProgram} from './support.js'

const GENERATED = ['plugin.yaml', 'bin/kubectl_complete-audit']

describe('reproducible release', () => {
  it('plugin.yaml and bin/kubectl_complete-audit, as committed, are what `npm run dist` built', async function () {
    const git = findOnPath('git')
    // A source tarball has no commit to compare with.
    if (!git || (await runProgram(git, ['rev-parse', '--is-inside-work-tree'])).code !== 0) this.skip()
    // The release is built on linux/amd64, the one platform whose binary gets a code cache there.
    if (`${process.platform}/${process.arch}` !== 'linux/x64') this.skip()
    for (const file of GENERATED) {
      const committed = await runProgram(git, ['show', `HEAD:${file}`])
      assert.equal(committed.code, 0, committed.stderr)
      const built = readFileSync(join(ROOT, file), 'utf8')
      if (committed.stdout !== built) assert.fail(`${file} in the last commit is not what \`npm run dist\` builds now: commit the regenerated one (\`git diff ${file}\`)`)
    }
  })

  it('gives the same archives and plugin.yaml, byte for byte, when built again in another folder', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kubectl-audit-dist-again-'))
    try {
      const again = await runProgram('node', ['--import', 'tsx', 'scripts/dist.ts', '--out', out], {env: {PATH: pathWith()}})
      assert.equal(again.code, 0, again.stderr)
      for (const file of ['checksums.txt', 'plugin.yaml']) assert.equal(readFileSync(join(out, file), 'utf8'), readFileSync(join(BUILD, file), 'utf8'), file)
    } finally {
      rmSync(out, {recursive: true, force: true})
    }
  })

  it('bundles no package.json script: editing one must not change the archives', async () => {
    const plugin = readPluginManifest()
    const portable = builtArchive(manifestPlatform(plugin, 'darwin', 'arm64'))
    const libPackage = await runProgram('tar', ['-xzOf', portable, `${PORTABLE_LIB}/package.json`])
    assert.equal(libPackage.code, 0, libPackage.stderr)
    assert.deepEqual(Object.keys(JSON.parse(libPackage.stdout) as object).sort(), [...BUNDLED_PACKAGE_FIELDS, 'type'].sort())
    // Every file of lib/, one after the other; and the single executable, which holds its bundle as text.
    const extract = (archive: string, member: string) => execFileSync('tar', ['-xzOf', archive, member], {maxBuffer: 1024 * 1024 * 1024})
    const contents = {'lib/': extract(portable, PORTABLE_LIB), 'the linux/amd64 executable': extract(builtArchive(manifestPlatform(plugin, 'linux', 'amd64')), 'kubectl-audit')}
    const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {scripts: Record<string, string>}
    for (const [what, content] of Object.entries(contents)) {
      const leaked = Object.entries(pjson.scripts).filter(([, command]) => content.includes(command))
      assert.deepEqual(leaked.map(([name]) => name), [], what)
    }
  })
})
