// The installs users get from a release, set up in a temporary folder from what `npm run dist` left
// in build/, so the start-up benchmark can time each one: the linux/amd64 single executable (krew),
// the bundle and its launcher with the Node.js on PATH (krew on macOS), and `npm install -g` of the
// npm package. What build/ lacks is reported, with how to get it.

import {execFileSync} from 'node:child_process'
import {existsSync, statSync} from 'node:fs'
import {mkdir, mkdtemp, readdir, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

export interface Install {
  readonly name: string
  /** The command up to its arguments. */
  readonly command: readonly string[]
}

export interface ReleaseInstalls {
  readonly installs: readonly Install[]
  /** One line per install that could not be set up, saying why. */
  readonly missing: readonly string[]
  /** When build/ was written, for the report. */
  readonly builtAt?: Date
  /** Seconds `npm install -g` of the package took (npm's cache warm). */
  readonly npmInstallSeconds?: number
  close(): Promise<void>
}

export const HOW_TO_BUILD = 'run `npm run dist` first, or `npm run bench -- --dist`'

export async function releaseInstalls(root: string, progress: (message: string) => void): Promise<ReleaseInstalls> {
  const build = path.join(root, 'build')
  const work = await mkdtemp(path.join(os.tmpdir(), 'kubectl-audit-bench-installs-'))
  const installs: Install[] = []
  const missing: string[] = []
  let npmInstallSeconds: number | undefined

  const singleExecutable = path.join(build, 'kubectl-audit_linux_amd64.tar.gz')
  if (`${process.platform}/${process.arch}` !== 'linux/x64') {
    missing.push('single executable: built for linux/amd64 only, and this machine is not one')
  } else if (existsSync(singleExecutable)) {
    const into = path.join(work, 'krew-linux')
    await mkdir(into)
    execFileSync('tar', ['-xzf', singleExecutable, '-C', into])
    installs.push({name: 'single executable (krew, linux/amd64)', command: [path.join(into, 'kubectl-audit')]})
  } else {
    missing.push(`single executable: no ${path.relative(root, singleExecutable)} (${HOW_TO_BUILD})`)
  }

  const portable = path.join(build, 'kubectl-audit_darwin_arm64.tar.gz')
  if (existsSync(portable)) {
    const into = path.join(work, 'krew-portable')
    await mkdir(into)
    execFileSync('tar', ['-xzf', portable, '-C', into])
    // The launcher runs the `node` on PATH: `npm run bench` puts the project's first.
    installs.push({name: 'bundle + launcher, Node on PATH (krew, macOS)', command: [path.join(into, 'kubectl-audit')]})
  } else {
    missing.push(`bundle + launcher: no ${path.relative(root, portable)} (${HOW_TO_BUILD})`)
  }

  const tarball = existsSync(build)
    ? (await readdir(build)).find((file) => /^kubectl-audit-.+\.tgz$/.test(file))
    : undefined
  if (tarball) {
    progress(`  start-up: npm install -g ${path.join('build', tarball)}`)
    const prefix = path.join(work, 'npm')
    const started = process.hrtime.bigint()
    execFileSync(
      'npm',
      ['install', '-g', '--prefix', prefix, path.join(build, tarball), '--no-audit', '--no-fund', '--prefer-offline'],
      {stdio: 'ignore'},
    )
    npmInstallSeconds = Number(process.hrtime.bigint() - started) / 1e9
    installs.push({name: 'npm install -g', command: [path.join(prefix, 'bin', 'kubectl-audit')]})
  } else {
    missing.push(`npm install -g: no build/kubectl-audit-<version>.tgz (${HOW_TO_BUILD})`)
  }

  const checksums = path.join(build, 'checksums.txt')
  return {
    installs,
    missing,
    builtAt: existsSync(checksums) ? statSync(checksums).mtime : undefined,
    npmInstallSeconds,
    close: () => rm(work, {recursive: true, force: true}),
  }
}
