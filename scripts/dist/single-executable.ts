// Turns the bundle into a Node single executable application (SEA) for one platform: write the
// preparation blob with the Node that runs this build, inject it into that platform's Node binary.
import {execFile} from 'node:child_process'
import {chmod, readFile, writeFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {join, relative} from 'node:path'
import {promisify} from 'node:util'
import {SCAN_WORKER_ASSET} from '../../src/reading/parallel-scan.js'
import {withoutAuthenticodeSignature} from './pe-signature.js'

const run = promisify(execFile)

// The fuse Node looks for to know a blob was injected (doc/api/single-executable-applications.md).
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'

export interface SingleExecutableOptions {
  bundle: string
  /** The scan worker's single-file bundle, carried as the asset reading/parallel-scan.ts starts. */
  scanWorker: string
  /** The target platform's Node binary, of the same version as the Node running this build. */
  nodeBinary: string
  outFile: string
  workDir: string
  /** Name for the blob and config files, unique per target. */
  label: string
  /**
   * Compile the bundle into the blob (V8 code cache). Only when the target runs on this machine's
   * platform: the cache is platform-specific. Halves start-up (--version: see README).
   */
  useCodeCache: boolean
}

// V8 seeds the code cache's hashes from a random seed, so each build wrote a different cache. A fixed
// seed makes it the same every time, and V8 leaves --random-seed out of the flag hash that a cache is
// checked against, so the executable still accepts it ("to allow predictable code caching").
const CODE_CACHE_V8_FLAGS = ['--random-seed=1']

export async function buildSingleExecutable(options: SingleExecutableOptions): Promise<void> {
  const blob = join(options.workDir, `${options.label}.blob`)
  const config = join(options.workDir, `${options.label}.sea-config.json`)
  // No snapshot: it needs the bundle written for it (v8.startupSnapshot), and it is platform-specific.
  await writeFile(
    config,
    JSON.stringify({
      // The blob records the main script's path as given: relative, so the folder built in is not in it.
      main: relative(options.workDir, options.bundle),
      output: blob,
      disableExperimentalSEAWarning: true,
      useCodeCache: options.useCodeCache,
      useSnapshot: false,
      // Relative, like main: the blob records it as given.
      assets: {[SCAN_WORKER_ASSET]: relative(options.workDir, options.scanWorker)},
    }),
  )
  await run(process.execPath, [...CODE_CACHE_V8_FLAGS, '--experimental-sea-config', config], {cwd: options.workDir})

  const node = await readFile(options.nodeBinary)
  const isWindows = node.readUInt16LE(0) === 0x5a4d
  await writeFile(options.outFile, isWindows ? withoutAuthenticodeSignature(node) : node)
  await chmod(options.outFile, 0o755)
  // postject's CLI in a child process: its ELF parser prints harmless warnings by the dozen
  // (nodejs/postject#83), which we show only when injection fails.
  const postject = createRequire(import.meta.url).resolve('postject/dist/cli.js')
  await run(process.execPath, [postject, options.outFile, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE], {
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: Error & {stderr?: string}) => {
    throw new Error(`postject failed on ${options.outFile}:\n${error.stderr ?? error.message}`)
  })
}
