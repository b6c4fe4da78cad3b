// Large synthetic audit logs for the benchmark: 16 hours of the example cluster at whatever rate
// fills the requested size, with ~0.5% of lines being policy writes. Deterministic, and cached in
// bench/.cache under a name that changes whenever the generator's code does.
//
//   npx tsx bench/generate-log.ts 100M|1G|4G     (prints the path; --gzip also writes FILE.gz)

import {createHash} from 'node:crypto'
import {once} from 'node:events'
import {createReadStream, createWriteStream} from 'node:fs'
import {access, mkdir, readdir, readFile, rename, rm} from 'node:fs/promises'
import path from 'node:path'
import {pipeline} from 'node:stream/promises'
import {fileURLToPath} from 'node:url'
import {createGzip} from 'node:zlib'

import type {ApiRequest} from '../examples/lib/audit-event.js'
import {auditLines} from '../examples/lib/audit-event.js'
import {GenerationContext} from '../examples/lib/context.js'
import {noiseRequests} from '../examples/lib/noise.js'
import {timelineLines} from '../examples/lib/timeline.js'
import {randomPolicyWrite} from './lib/policy-mix.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const CACHE_DIR = path.join(ROOT, 'bench', '.cache')

export const SIZES: Readonly<Record<string, number>> = {'100M': 100 * 2 ** 20, '1G': 2 ** 30, '4G': 4 * 2 ** 30}

const START = Date.parse('2026-11-23T16:00:00Z') * 1000
const SPAN_US = 16 * 3600 * 1_000_000
/** Per burst of traffic; a policy write is 1–5 lines against ~1.3 for a burst of noise. */
const POLICY_WRITE_CHANCE = 0.004
const SEED = 16

function background(ctx: GenerationContext, at: number): ApiRequest[] {
  return ctx.rng.chance(POLICY_WRITE_CHANCE) ? randomPolicyWrite(ctx, at) : noiseRequests(ctx, at)
}

/** Average bytes one burst adds to the file, measured on a sample with another seed. */
function bytesPerBurst(): number {
  const ctx = new GenerationContext(SEED + 1)
  let bytes = 0
  const bursts = 20_000
  for (let i = 0; i < bursts; i++) {
    for (const req of background(ctx, START + i * 1_000_000))
      for (const line of auditLines(req)) bytes += Buffer.byteLength(line.text) + 1
  }
  return bytes / bursts
}

/** A short hash of the generator's sources: a changed generator means a new cache entry. */
async function generatorVersion(): Promise<string> {
  const hash = createHash('sha256')
  const examplesLib = path.join(ROOT, 'examples', 'lib')
  const files = [path.join(ROOT, 'bench', 'generate-log.ts'), path.join(ROOT, 'bench', 'lib', 'policy-mix.ts')]
  for (const f of (await readdir(examplesLib)).sort()) if (f.endsWith('.ts')) files.push(path.join(examplesLib, f))
  for (const f of files) hash.update(await readFile(f))
  return hash.digest('hex').slice(0, 10)
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  )
}

async function writeLines(file: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(file)
  let batch = ''
  for (const line of lines) {
    batch += line + '\n'
    if (batch.length >= 1 << 20) {
      if (!out.write(batch)) await once(out, 'drain')
      batch = ''
    }
  }
  out.end(batch)
  await once(out, 'finish')
}

export interface BenchLogPaths {
  readonly log: string
  readonly gz: string
}

/** Generates (or finds in the cache) the log of the given nominal size, and its .gz when asked. */
export async function ensureBenchLog(
  size: string,
  options: {gzip: boolean; progress?: (message: string) => void},
): Promise<BenchLogPaths> {
  const target = SIZES[size]
  if (target === undefined) throw new Error(`unknown size ${size}: use one of ${Object.keys(SIZES).join(', ')}`)
  await mkdir(CACHE_DIR, {recursive: true})
  const version = await generatorVersion()
  const log = path.join(CACHE_DIR, `audit-${size}-${version}.log`)
  const gz = `${log}.gz`
  if (!(await exists(log))) {
    options.progress?.(`generating ${path.relative(ROOT, log)} (${size}, 16 hours)…`)
    const ctx = new GenerationContext(SEED)
    const meanNoiseGap = SPAN_US / (target / bytesPerBurst())
    const partial = `${log}.partial`
    await writeLines(
      partial,
      timelineLines(ctx, {start: START, end: START + SPAN_US, meanNoiseGap, scheduled: [], background}),
    )
    await rename(partial, log)
  }
  if (options.gzip && !(await exists(gz))) {
    options.progress?.(`compressing ${path.relative(ROOT, gz)}…`)
    const partial = `${gz}.partial`
    await pipeline(createReadStream(log), createGzip(), createWriteStream(partial))
    await rename(partial, gz)
  }
  return {log, gz}
}

/**
 * Removes cached inputs made by other versions of the generators; keeps every size of this one,
 * and what the generators of the `keep` versions made (files and folders named `…-VERSION[.…]`).
 */
export async function pruneCache(keep: readonly string[] = []): Promise<void> {
  if (!(await exists(CACHE_DIR))) return
  const versions = [await generatorVersion(), ...keep]
  for (const f of await readdir(CACHE_DIR)) {
    if (!versions.some((v) => new RegExp(`-${v}(\\.|$)`).test(f)))
      await rm(path.join(CACHE_DIR, f), {recursive: true, force: true})
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const size = process.argv[2] ?? '100M'
  const paths = await ensureBenchLog(size, {
    gzip: process.argv.includes('--gzip'),
    progress: (m) => process.stderr.write(`${m}\n`),
  })
  process.stdout.write(`${paths.log}\n`)
}
