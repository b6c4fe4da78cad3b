// Installs a plugin archive the way krew does (internal/installation/install.go), for tests that
// cannot run krew itself (it is in neither Debian nor npm): verify the sha256, extract, move files per
// `files`, require `bin` inside the install folder, and link it into krew's bin folder relatively.
import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readdir, readFile, rename, rm, symlink} from 'node:fs/promises'
import {basename, dirname, join, relative, resolve, sep} from 'node:path'
import type {KrewPlatform} from './krew-rules.js'
import {runProgram} from './support.js'

export interface KrewInstallation {
  installDir: string
  /** The kubectl-<name> symlink in <krewRoot>/bin. */
  link: string
}

async function extract(archive: string, into: string): Promise<void> {
  const result = archive.endsWith('.zip')
    ? await runProgram('unzip', ['-q', archive, '-d', into])
    : await runProgram('tar', ['-xzf', archive, '-C', into])
  if (result.code !== 0) throw new Error(`cannot extract ${archive}: ${result.stderr}`)
}

export async function krewInstall(
  platform: KrewPlatform,
  archive: string,
  options: {krewRoot: string; name: string; version: string},
): Promise<KrewInstallation> {
  const digest = createHash('sha256').update(await readFile(archive)).digest('hex')
  if (digest !== platform.sha256) throw new Error(`checksum of ${archive} is ${digest}, the manifest says ${platform.sha256}`)

  await mkdir(options.krewRoot, {recursive: true})
  const staging = await mkdtemp(join(options.krewRoot, 'download-'))
  await extract(archive, staging)
  const installDir = join(options.krewRoot, 'store', options.name, options.version)
  await mkdir(installDir, {recursive: true})
  for (const {from = '', to = '.'} of platform.files ?? [{from: '*', to: '.'}]) {
    const sources = from === '*' ? await readdir(staging) : [from]
    for (const source of sources) {
      if (!existsSync(join(staging, source))) throw new Error(`files: ${source} is not in the archive`)
      await mkdir(join(installDir, to), {recursive: true})
      await rename(join(staging, source), join(installDir, to, basename(source)))
    }
  }
  await rm(staging, {recursive: true, force: true})

  const bin = resolve(installDir, platform.bin ?? '')
  if (!bin.startsWith(installDir + sep)) throw new Error(`bin ${platform.bin} is outside the install folder`)
  if (!existsSync(bin)) throw new Error(`source binary ${platform.bin} cannot be found in extracted archive`)
  const link = join(options.krewRoot, 'bin', `kubectl-${options.name.replaceAll('-', '_')}${bin.endsWith('.exe') ? '.exe' : ''}`)
  await mkdir(dirname(link), {recursive: true})
  await symlink(relative(dirname(link), bin), link)
  return {installDir, link}
}
