// Fetches the Node.js binary of one platform from the npm registry (packages `node-<platform>-<arch>`,
// which carry the official builds), through npm's own cache so a second build reads no network.
import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'
import {promisify} from 'node:util'

const run = promisify(execFile)

export interface NodeBinary {
  /** Path of the node (or node.exe) executable. */
  executable: string
  /** Node's LICENSE, which covers Node and everything built into it (the Windows package has none). */
  license: string | null
}

const fetched = new Map<string, Promise<NodeBinary>>()

/** The binary of `nodePackage`@`version`, unpacked under `workDir`; fetched once per build. */
export function fetchNodeBinary(nodePackage: string, version: string, workDir: string): Promise<NodeBinary> {
  const key = `${nodePackage}@${version}`
  if (!fetched.has(key)) fetched.set(key, unpack(nodePackage, version, workDir))
  return fetched.get(key)!
}

async function unpack(nodePackage: string, version: string, workDir: string): Promise<NodeBinary> {
  const into = join(workDir, `${nodePackage}-${version}`)
  await mkdir(into, {recursive: true})
  const {stdout} = await run('npm', ['pack', `${nodePackage}@${version}`, '--prefer-offline', '--silent'], {
    cwd: into,
    maxBuffer: 16 * 1024 * 1024,
  })
  const tarball = stdout.trim().split('\n').at(-1)
  if (!tarball) throw new Error(`npm pack ${nodePackage}@${version} printed no file name`)
  const executable = nodePackage.startsWith('node-win-') ? 'package/bin/node.exe' : 'package/bin/node'
  await run('tar', ['-xzf', tarball], {cwd: into})
  const license = join(into, 'package/LICENSE')
  return {executable: join(into, executable), license: existsSync(license) ? license : null}
}
