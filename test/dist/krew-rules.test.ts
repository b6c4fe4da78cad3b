// The manifest checker must itself catch what krew rejects, or a green manifest test means nothing.
import assert from 'node:assert/strict'
import {type KrewPlugin, isLicenseFile, krewManifestErrors, selectorMatches} from './krew-rules.js'

function validPlugin(): KrewPlugin {
  return {
    apiVersion: 'krew.googlecontainertools.github.com/v1alpha2',
    kind: 'Plugin',
    metadata: {name: 'audit'},
    spec: {
      version: 'v1.2.3',
      homepage: 'https://example.org/audit',
      shortDescription: 'Short and to the point',
      description: 'A description\nwrapped at eighty.\n',
      platforms: [
        {selector: {matchLabels: {os: 'linux', arch: 'amd64'}}, uri: 'https://example.org/a.tar.gz', sha256: 'a'.repeat(64), bin: 'kubectl-audit', files: [{from: 'kubectl-audit', to: '.'}]},
        {selector: {matchExpressions: [{key: 'os', operator: 'In', values: ['darwin']}]}, uri: 'https://example.org/b.tar.gz', sha256: 'b'.repeat(64), bin: 'kubectl-audit'},
      ],
    },
  }
}

const BREAKAGES: [string, (plugin: KrewPlugin) => void, RegExp][] = [
  ['another apiVersion', (p) => (p.apiVersion = 'krew.googlecontainertools.github.com/v1alpha1'), /apiVersion/],
  ['another kind', (p) => (p.kind = 'Plugins'), /kind/],
  ['a name with a dot', (p) => (p.metadata = {name: 'au.dit'}), /not a valid plugin name/],
  ['a Windows reserved name', (p) => (p.metadata = {name: 'COM1'}), /not a valid plugin name/],
  ['a name other than the file name', (p) => (p.metadata = {name: 'audits'}), /is not audit/],
  ['a version without v', (p) => (p.spec!.version = '1.2.3'), /semver/],
  ['a version that is not semver', (p) => (p.spec!.version = 'v1.2'), /semver/],
  ['an empty shortDescription', (p) => (p.spec!.shortDescription = ''), /shortDescription is required/],
  ['a two-line shortDescription', (p) => (p.spec!.shortDescription = 'one\ntwo'), /single line/],
  ['a 51-character shortDescription', (p) => (p.spec!.shortDescription = 'x'.repeat(51)), /at most 50/],
  ['no description', (p) => delete p.spec!.description, /description is required/],
  ['an 81-column description line', (p) => (p.spec!.description = 'y'.repeat(81)), /description has 1 line/],
  ['an 81-column caveats line', (p) => (p.spec!.caveats = 'ok\n' + 'z'.repeat(81)), /caveats has 1 line/],
  ['no platforms', (p) => (p.spec!.platforms = []), /platforms must not be empty/],
  ['an uppercase sha256', (p) => (p.spec!.platforms![0]!.sha256 = 'A'.repeat(64)), /sha256/],
  ['a short sha256', (p) => (p.spec!.platforms![0]!.sha256 = 'a'.repeat(63)), /sha256/],
  ['no uri', (p) => delete p.spec!.platforms![0]!.uri, /uri is required/],
  ['no bin', (p) => delete p.spec!.platforms![0]!.bin, /bin is required/],
  ['a bin outside the install folder', (p) => (p.spec!.platforms![0]!.bin = '../kubectl-audit'), /outside the install directory/],
  ['an empty files list', (p) => (p.spec!.platforms![0]!.files = []), /must not be empty/],
  ['a file without to', (p) => (p.spec!.platforms![0]!.files = [{from: 'x'}]), /from and to/],
  ['no selector', (p) => delete p.spec!.platforms![0]!.selector, /selector is required/],
  ['empty matchLabels', (p) => (p.spec!.platforms![0]!.selector = {matchLabels: {}}), /matchLabels is empty/],
  ['a selector on another label', (p) => (p.spec!.platforms![0]!.selector = {matchLabels: {os: 'linux', distro: 'debian'}}), /other than os\/arch/],
  ['a selector no platform satisfies', (p) => (p.spec!.platforms![0]!.selector = {matchLabels: {os: 'plan9'}}), /matches no os\/arch/],
  ['two platforms for linux/amd64', (p) => (p.spec!.platforms![1]!.selector = {matchLabels: {os: 'linux'}}), /linux\/amd64 is matched by 2 platforms/],
]

describe('krew manifest rules (the checker itself)', () => {
  it('accepts a valid manifest', () => {
    assert.deepEqual(krewManifestErrors(validPlugin(), 'audit'), [])
  })

  for (const [what, breakIt, expected] of BREAKAGES) {
    it(`rejects ${what}`, () => {
      const plugin = validPlugin()
      breakIt(plugin)
      const errors = krewManifestErrors(plugin, 'audit')
      assert.ok(errors.some((error) => expected.test(error)), `expected ${expected} among ${JSON.stringify(errors)}`)
    })
  }

  it('matches selectors with label-selector semantics', () => {
    const linux = {os: 'linux', arch: 'arm64'}
    assert.equal(selectorMatches({matchLabels: {os: 'linux'}}, linux), true)
    assert.equal(selectorMatches({matchLabels: {os: 'linux', arch: 'amd64'}}, linux), false)
    assert.equal(selectorMatches({matchExpressions: [{key: 'arch', operator: 'NotIn', values: ['amd64']}]}, linux), true)
    assert.equal(selectorMatches({matchExpressions: [{key: 'os', operator: 'In', values: ['darwin', 'windows']}]}, linux), false)
  })

  it('knows the license file names krew-index CI accepts', () => {
    assert.deepEqual(['LICENSE', 'License.md', 'COPYING', 'licenses.txt', 'THIRD-PARTY-NOTICES', 'LICENSE-MIT'].map(isLicenseFile), [true, true, true, true, false, false])
  })
})
