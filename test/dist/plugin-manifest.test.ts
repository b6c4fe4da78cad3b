// plugin.yaml, as `npm run dist` just wrote it, against krew's rules and against the archives
// themselves (read with the system's tar and unzip, not with the code that wrote them).
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {MIN_NODE_VERSION} from '../../scripts/dist/targets.js'
import {isLicenseFile, krewManifestErrors, SUPPORTED_PLATFORMS, selectorMatches} from './krew-rules.js'
import {BUILD, PACKAGE_VERSION, ROOT, archiveListing, builtArchive, findOnPath, readPluginManifest, runProgram} from './support.js'

// The platforms the README promises; each needs exactly one entry.
const PROMISED = ['linux/amd64', 'linux/arm64', 'windows/amd64', 'darwin/amd64', 'darwin/arm64']

describe('plugin.yaml (krew manifest)', () => {
  const plugin = readPluginManifest()
  const platforms = plugin.spec?.platforms ?? []

  it('passes krew\'s validation rules as the plugin `audit`', () => {
    assert.deepEqual(krewManifestErrors(plugin, 'audit'), [])
  })

  it('is for the package version being built', () => {
    assert.equal(plugin.spec?.version, `v${PACKAGE_VERSION}`)
    for (const platform of platforms) assert.match(platform.uri ?? '', new RegExp(`^https://.+/v${PACKAGE_VERSION.replaceAll('.', '\\.')}/kubectl-audit_\\w+_\\w+\\.(tar\\.gz|zip)$`))
  })

  it('covers each promised os/arch exactly once', () => {
    const covered = SUPPORTED_PLATFORMS.filter((labels) => platforms.some((p) => p.selector && selectorMatches(p.selector, labels))).map(
      ({os, arch}) => `${os}/${arch}`,
    )
    assert.deepEqual(covered.sort(), [...PROMISED].sort())
  })

  it('carries the sha256 of each archive in build/, as checksums.txt does', () => {
    const checksums = new Map(
      readFileSync(join(BUILD, 'checksums.txt'), 'utf8').trim().split('\n').map((line) => line.split(/\s+/).reverse() as [string, string]),
    )
    for (const platform of platforms) {
      const archive = builtArchive(platform)
      const digest = createHash('sha256').update(readFileSync(archive)).digest('hex')
      assert.equal(platform.sha256, digest, archive)
      assert.equal(checksums.get(archive.split('/').at(-1)!), digest)
    }
  })

  it('has a checksums.txt that sha256sum verifies', async function () {
    const sha256sum = findOnPath('sha256sum')
    if (!sha256sum) {
      console.log('      (no sha256sum here: checked by the test above only)')
      this.skip()
    }
    const result = await runProgram(sha256sum, ['--check', 'checksums.txt'], {cwd: BUILD})
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.equal(result.stdout.match(/: OK$/gm)?.length, platforms.length)
  })

  it('lists in `files` exactly what each archive holds (a folder as one), bin and a license among them', async () => {
    for (const platform of platforms) {
      const listing = [...new Set((await archiveListing(builtArchive(platform))).map((name) => name.split('/')[0]!))].sort()
      const from = (platform.files ?? []).map((file) => file.from ?? '').sort()
      assert.deepEqual(listing, from, platform.uri)
      assert.ok(from.includes(platform.bin ?? ''), `${platform.bin} is not among ${from.join(', ')}`)
      assert.ok(from.some(isLicenseFile), `no license file in ${platform.uri}`)
      assert.ok(from.includes('THIRD-PARTY-NOTICES'), `no third-party notices in ${platform.uri}`)
    }
  })

  it('ships the completion executable wherever kubectl can run it (not Windows)', () => {
    for (const platform of platforms) {
      const hasCompletion = (platform.files ?? []).some((file) => file.from === 'kubectl_complete-audit')
      assert.equal(hasCompletion, platform.selector?.matchLabels?.os !== 'windows', platform.uri)
    }
  })

  it('tells macOS users in caveats the oldest Node.js they can use, the one package.json\'s engines names', () => {
    const {engines} = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {engines: {node: string}}
    assert.equal(engines.node, `>=${MIN_NODE_VERSION}`)
    const caveats = (plugin.spec?.caveats ?? '').replace(/\s+/g, ' ')
    assert.ok(
      caveats.includes(`darwin/amd64 and darwin/arm64, this plugin runs with the Node.js found on PATH, which must be version ${MIN_NODE_VERSION} or newer`),
      caveats,
    )
  })
})
