// Every archive passes on the licenses of what it bundles: Node.js itself inside a single
// executable, and each package inside the bundle, with its license text.
import assert from 'node:assert/strict'
import {readmeLicenseSection} from '../../scripts/dist/notices.js'
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

describe("a README's License section, for a package with no license file", () => {
  const MIT = [
    'Permission is hereby granted, free of charge, to any person obtaining a copy of this software and',
    'associated documentation files (the "Software"), to deal in the Software without restriction,',
    'including without limitation the rights to use, copy, modify, merge, publish, distribute,',
    'sublicense, and/or sell copies of the Software, subject to the following conditions: ...',
  ].join('\n')

  it('takes an underlined License section to the next heading, without link definitions', () => {
    const readme = `Usage\n-----\n\nuse it\n\nLicense\n-------\n\n(The MIT License)\n\nCopyright (c) 2014 A &lt;a@example.com&gt;\n\n${MIT}\n\n[rfc]: http://example.com/rfc\n\nThanks\n======\nall`
    assert.equal(readmeLicenseSection(readme), `(The MIT License)\n\nCopyright (c) 2014 A <a@example.com>\n\n${MIT}`)
  })

  it('takes a ## License section to the next heading', () => {
    assert.equal(readmeLicenseSection(`# pkg\n\n## License\n\nCopyright (c) B\n\n${MIT}\n\n## Contributing\n\nPRs`), `Copyright (c) B\n\n${MIT}`)
  })

  it('none for a section that only names the license, or no section', () => {
    assert.equal(readmeLicenseSection('# pkg\n\n## License\n\nMIT © someone\n'), null)
    assert.equal(readmeLicenseSection(`# pkg\n\nThe license is below.\n\n${MIT}\n`), null)
  })
})
