// The third-party notices that ship with every archive: the licenses of the packages inside the
// bundle (and of Node.js inside a single executable), which their licenses require us to pass on.
import {readdir, readFile} from 'node:fs/promises'
import {join} from 'node:path'

export interface NoticeSource {
  name: string
  version: string
  license: string
  text: string | null
}

const LICENSE_FILE = /^((un)?licen[cs]e|copying|notice)([.-][\w.-]+)?$/i

/**
 * Standard license texts by SPDX id, for a package that names its license but ships no file of it
 * (a few @aws-sdk packages): Apache-2.0 is the text of our own LICENSE.
 */
export type StandardLicenseTexts = Readonly<Record<string, string>>

async function packageNotice(name: string, folder: string, standard: StandardLicenseTexts): Promise<NoticeSource> {
  const pjson = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as {version?: string; license?: string}
  const files = (await readdir(folder)).filter((file) => LICENSE_FILE.test(file)).sort()
  const texts = await Promise.all(files.map((file) => readFile(join(folder, file), 'utf8')))
  const license = pjson.license ?? 'unknown'
  const standardText = standard[license]
  return {
    name,
    version: pjson.version ?? 'unknown',
    license,
    text:
      texts.length > 0
        ? texts.map((text) => text.trim()).join('\n\n')
        : standardText === undefined
          ? null
          : `The package ships no license file; its package.json names ${license}, whose text follows.\n\n${standardText.trim()}`,
  }
}

export async function bundledPackageNotices(packages: ReadonlyMap<string, string>, standard: StandardLicenseTexts = {}): Promise<NoticeSource[]> {
  const names = [...packages.keys()].sort()
  return Promise.all(names.map((name) => packageNotice(name, packages.get(name)!, standard)))
}

export function renderNotices(sources: readonly NoticeSource[]): string {
  const sections = sources.map((source) =>
    [
      `${source.name} ${source.version} (${source.license})`,
      '-'.repeat(78),
      source.text ?? `No license file in the package; its package.json declares ${source.license}.`,
    ].join('\n'),
  )
  return ['kubectl-audit includes the following third-party software.', ...sections].join('\n\n' + '='.repeat(78) + '\n\n') + '\n'
}
