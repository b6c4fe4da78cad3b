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

// Some packages (several of the AWS SDK's) declare Apache-2.0 but ship no license file. Its
// standard text is the one this project's own LICENSE holds, so that text is passed on for them;
// a package under any other license without a file passes on its README's License section, or
// else is named as such (and fails the check).
const STANDARD_TEXTS: Readonly<Record<string, string>> = {'Apache-2.0': 'LICENSE'}

async function standardText(license: string, root: string): Promise<string | null> {
  const file = STANDARD_TEXTS[license]
  if (file === undefined) return null
  const text = (await readFile(join(root, file), 'utf8')).trim()
  return `The package ships no license file; its package.json declares ${license}, whose text follows.\n\n${text}`
}

// Shorter than this, a README's License section only names the license ("MIT © someone").
const MIN_README_LICENSE = 300

/**
 * The License section of a package's README, for a package that ships no license file but
 * prints its license there in full (data-uri-to-buffer, inside google-auth-library): the text from
 * a heading `License` (ATX or underlined) to the next heading, without link definitions. Null when
 * there is no such section or it only names the license.
 */
export function readmeLicenseSection(markdown: string): string | null {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n')
  const isUnderline = (line: string | undefined) => line !== undefined && /^(=+|-+)\s*$/.test(line)
  const headingAt = (i: number) => /^#{1,6}\s/.test(lines[i]!) || (lines[i]!.trim() !== '' && isUnderline(lines[i + 1]))
  const start = lines.findIndex((line, i) => /^(#{1,6}\s*)?licen[cs]e\s*#*\s*$/i.test(line.trim()) && (line.startsWith('#') || isUnderline(lines[i + 1])))
  if (start === -1) return null
  const body: string[] = []
  for (let i = start + (lines[start]!.startsWith('#') ? 1 : 2); i < lines.length && !headingAt(i); i++) {
    if (!/^\[[^\]]+\]:\s/.test(lines[i]!)) body.push(lines[i]!)
  }
  const text = body.join('\n').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').trim()
  return text.length >= MIN_README_LICENSE ? text : null
}

async function readmeText(folder: string, license: string): Promise<string | null> {
  const readme = (await readdir(folder)).filter((file) => /^readme(\.(md|markdown|txt))?$/i.test(file)).sort()[0]
  if (readme === undefined) return null
  const section = readmeLicenseSection(await readFile(join(folder, readme), 'utf8'))
  return section === null ? null : `The package ships no license file; its package.json declares ${license}, and its ${readme} says:\n\n${section}`
}

async function packageNotice(name: string, folder: string, root: string): Promise<NoticeSource> {
  const pjson = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as {version?: string; license?: string}
  const files = (await readdir(folder)).filter((file) => LICENSE_FILE.test(file)).sort()
  const texts = await Promise.all(files.map((file) => readFile(join(folder, file), 'utf8')))
  const license = pjson.license ?? 'unknown'
  return {
    name,
    version: pjson.version ?? 'unknown',
    license,
    text: texts.length > 0 ? texts.map((text) => text.trim()).join('\n\n') : ((await standardText(license, root)) ?? (await readmeText(folder, license))),
  }
}

/** `root` is this project's folder, whose LICENSE is the standard Apache-2.0 text. */
export async function bundledPackageNotices(packages: ReadonlyMap<string, string>, root: string): Promise<NoticeSource[]> {
  const names = [...packages.keys()].sort()
  return Promise.all(names.map((name) => packageNotice(name, packages.get(name)!, root)))
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
