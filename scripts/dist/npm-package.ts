// Packs the npm package, the file `npm publish` would upload and `npm install -g` installs, from the
// compiled code in dist/ (`npm run dist` has just built it).
import {execFile} from 'node:child_process'
import {join} from 'node:path'
import {promisify} from 'node:util'

const run = promisify(execFile)

export interface NpmPackage {
  file: string
  /** Size of the .tgz, as npm reports it. */
  bytes: number
  /** Size of the package's own files once unpacked, dependencies not counted. */
  unpackedBytes: number
}

export async function packNpmPackage(projectRoot: string, into: string): Promise<NpmPackage> {
  // No scripts: prepack would compile again what the caller has just compiled.
  const {stdout} = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', into], {cwd: projectRoot, maxBuffer: 16 * 1024 * 1024})
  const [packed] = JSON.parse(stdout) as {filename: string; size: number; unpackedSize: number}[]
  if (!packed) throw new Error('npm pack reported no package')
  return {file: join(into, packed.filename), bytes: packed.size, unpackedBytes: packed.unpackedSize}
}
