// The release is reproducible: the plugin.yaml and kubectl_complete-audit that are committed are the
// ones `npm run dist` builds (so a change that alters an archive fails here until they are
// regenerated and committed), a second build in another folder gives the same bytes, and the bundle
// holds only the package.json fields oclif reads, so editing a script changes no archive.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {BUNDLE_FILE} from '../../scripts/dist/portable-launcher.js'
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
    const bundle = await runProgram('tar', ['-xzOf', builtArchive(manifestPlatform(readPluginManifest(), 'darwin', 'arm64')), BUNDLE_FILE])
    assert.equal(bundle.code, 0, bundle.stderr)
    const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {scripts: Record<string, string>}
    const leaked = Object.entries(pjson.scripts).filter(([, command]) => bundle.stdout.includes(command))
    assert.deepEqual(leaked.map(([name]) => name), [])
  })
})
