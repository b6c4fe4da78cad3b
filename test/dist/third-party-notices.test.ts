// Every archive passes on the licenses of what it bundles: Node.js itself inside a single
// executable, and each package inside the bundle, with its license text.
import assert from 'node:assert/strict'
import {builtArchive, manifestPlatform, readPluginManifest, runProgram} from './support.js'

async function noticesOf(os: string, arch: string): Promise<string> {
  const archive = builtArchive(manifestPlatform(readPluginManifest(), os, arch))
  const result = archive.endsWith('.zip')
    ? await runProgram('unzip', ['-p', archive, 'THIRD-PARTY-NOTICES'])
    : await runProgram('tar', ['-xzOf', archive, 'THIRD-PARTY-NOTICES'])
  assert.equal(result.code, 0, result.stderr)
  return result.stdout
}

describe('THIRD-PARTY-NOTICES', () => {
  for (const [os, arch, hasNode] of [['linux', 'amd64', true], ['windows', 'amd64', true], ['darwin', 'arm64', false]] as const) {
    it(`${os}/${arch}: names the bundled packages${hasNode ? ' and Node.js' : ''}, each with a license text`, async () => {
      const notices = await noticesOf(os, arch)
      const headings = notices.match(/^\S+ \d+\.\d+\.\d+\S* \([^)]+\)$/gm) ?? []
      assert.ok(headings.some((heading) => heading.startsWith('@oclif/core ')))
      assert.ok(headings.some((heading) => heading.startsWith('@kubernetes/client-node ')))
      assert.equal(headings.some((heading) => heading.startsWith(`Node.js ${process.versions.node} `)), hasNode)
      assert.doesNotMatch(notices, /No license file in the package/)
    })
  }
})
