// Shared helpers of the distribution tests: where `npm run dist` left its output, the manifest it
// wrote, and running programs with a chosen PATH.
import {spawn} from 'node:child_process'
import {accessSync, constants, readFileSync, writeFileSync} from 'node:fs'
import {delimiter, join} from 'node:path'
import {parse} from 'yaml'
import {PARALLEL_MIN_BYTES} from '../../src/reading/parallel-scan.js'
import {ROOT} from '../support/cli.js'
import type {KrewPlatform, KrewPlugin} from './krew-rules.js'

export {ROOT}
export const BUILD = join(ROOT, 'build')
export const PACKAGE_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}).version

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a program to its end and captures everything; never throws for a non-zero exit. */
export function runProgram(file: string, args: readonly string[], options: {env?: NodeJS.ProcessEnv; cwd?: string} = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {cwd: options.cwd ?? ROOT, env: {...process.env, NO_COLOR: '1', ...options.env}, stdio: ['ignore', 'pipe', 'pipe']})
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (data: Buffer) => out.push(data))
    child.stderr.on('data', (data: Buffer) => err.push(data))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString()}))
  })
}

export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK)
      return join(dir, name)
    } catch {}
  }
  return undefined
}

/** A PATH with `first` in front, then the project's node_modules/.bin (so `node` is the project's Node). */
export function pathWith(...first: string[]): string {
  return [...first, join(ROOT, 'node_modules', '.bin'), process.env.PATH ?? ''].join(delimiter)
}

export function readPluginManifest(): KrewPlugin {
  return parse(readFileSync(join(ROOT, 'plugin.yaml'), 'utf8')) as KrewPlugin
}

export function manifestPlatform(plugin: KrewPlugin, os: string, arch: string): KrewPlatform {
  const platform = plugin.spec?.platforms?.find((p) => p.selector?.matchLabels?.os === os && p.selector.matchLabels.arch === arch)
  if (!platform) throw new Error(`plugin.yaml has no ${os}/${arch} platform`)
  return platform
}

/** The archive a platform's uri names, as built in build/. */
export function builtArchive(platform: KrewPlatform): string {
  return join(BUILD, (platform.uri ?? '').split('/').at(-1) ?? '')
}

/** Names inside an archive, read by the system's own tar or unzip (not by our writers). */
export async function archiveListing(archive: string): Promise<string[]> {
  const listing = archive.endsWith('.zip') ? await runProgram('unzip', ['-Z1', archive]) : await runProgram('tar', ['-tzf', archive])
  if (listing.code !== 0) throw new Error(`cannot list ${archive}: ${listing.stderr}`)
  return listing.stdout.split('\n').filter(Boolean).sort()
}

/** Writes, at `file`, the example log repeated until it is big enough to be read on two threads. */
export function writeTwoThreadLog(file: string): void {
  const log = readFileSync(join(ROOT, 'examples', 'audit.log'))
  writeFileSync(file, Buffer.concat(Array.from({length: Math.ceil(PARALLEL_MIN_BYTES / log.length) + 1}, () => log)))
}

/** Makes Node log on stderr (over several lines each) the worker threads it starts, and any that dies of an exception. */
export const WORKER_DEBUG = {NODE_DEBUG: 'worker'}

/** What WORKER_DEBUG logged: how many worker threads started, and whether one died of an exception. */
export function workerLog(stderr: string): {started: number; failed: boolean} {
  return {
    started: stderr.match(/^WORKER \d+: \[[1-9]\d*\] starts worker script /gm)?.length ?? 0,
    failed: /^WORKER \d+: \[[1-9]\d*\] gets uncaught exception/m.test(stderr),
  }
}
