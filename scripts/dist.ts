// `npm run dist`: builds every release artifact from the compiled project (run `npm run build`
// first): the bundle, single executables, archives with checksums, the krew manifest plugin.yaml,
// and the shell completion executable bin/kubectl_complete-audit.
import {createHash} from 'node:crypto'
import {execFileSync} from 'node:child_process'
import {mkdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {ArchiveEntry} from './dist/archive-entry.js'
import {bundleCli} from './dist/bundle.js'
import {COMPLETION_FILE, writeCompletionExecutable} from './dist/completion.js'
import {type ManifestPlatform, renderKrewManifest} from './dist/krew-manifest.js'
import {type NodeBinary, fetchNodeBinary} from './dist/node-binary.js'
import {bundledPackageNotices, renderNotices} from './dist/notices.js'
import {BUNDLE_FILE, PORTABLE_LAUNCHER} from './dist/portable-launcher.js'
import {buildSingleExecutable} from './dist/single-executable.js'
import {tarGzip} from './dist/tar.js'
import {RELEASE_TARGETS, type ReleaseTarget, archiveName, executableName} from './dist/targets.js'
import {zip} from './dist/zip.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const buildDir = join(root, 'build')
const workDir = join(buildDir, 'work')

interface PackageJson {
  version: string
  homepage?: string
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

/** The time of the commit being built, so archives of one commit are byte-identical. */
function sourceDateEpoch(): number {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH)
  try {
    return Number(execFileSync('git', ['log', '-1', '--format=%ct'], {cwd: root, encoding: 'utf8'}).trim())
  } catch {
    return 0
  }
}

async function main(): Promise<void> {
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as PackageJson
  if (!pkg.homepage) throw new Error('package.json has no homepage: the krew manifest needs it, and release URLs derive from it')
  const releaseBase = `${pkg.homepage}/releases/download/v${pkg.version}`
  const nodeVersion = process.versions.node

  await rm(buildDir, {recursive: true, force: true})
  await mkdir(workDir, {recursive: true})

  const completion = await writeCompletionExecutable(root)
  const bundle = await bundleCli(root, join(workDir, BUNDLE_FILE))
  const bundleNotices = await bundledPackageNotices(bundle.packages)
  const bundleData = await readFile(bundle.file)
  const license = await readFile(join(root, 'LICENSE'))
  const mtime = sourceDateEpoch()

  const nodeBinaries = new Map<ReleaseTarget, NodeBinary>()
  for (const target of RELEASE_TARGETS) {
    if (target.build.kind !== 'single-executable') continue
    nodeBinaries.set(target, await fetchNodeBinary(target.build.nodePackage, nodeVersion, join(workDir, 'node')))
  }
  // One Node version, one license text; not every platform's package carries it.
  const nodeLicense = [...nodeBinaries.values()].find((binary) => binary.license)?.license
  const nodeNotice = nodeLicense && {name: 'Node.js', version: nodeVersion, license: 'MIT', text: await readFile(nodeLicense, 'utf8')}

  const platforms: ManifestPlatform[] = []
  const summary: string[] = []
  for (const target of RELEASE_TARGETS) {
    const label = `${target.os}_${target.arch}`
    const entries: ArchiveEntry[] = [{name: 'LICENSE', data: license, mode: 0o644}]
    if (target.os !== 'windows') entries.push({name: COMPLETION_FILE, data: completion, mode: 0o755})
    let executableSize: number
    const node = nodeBinaries.get(target)
    if (node) {
      if (!nodeNotice) throw new Error(`no Node.js ${nodeVersion} package carried Node's LICENSE`)
      const executable = join(workDir, label, executableName(target))
      await mkdir(dirname(executable), {recursive: true})
      await buildSingleExecutable({bundle: bundle.file, nodeBinary: node.executable, outFile: executable, workDir, label})
      const data = await readFile(executable)
      executableSize = data.length
      entries.push(
        {name: executableName(target), data, mode: 0o755},
        {name: 'THIRD-PARTY-NOTICES', data: Buffer.from(renderNotices([nodeNotice, ...bundleNotices])), mode: 0o644},
      )
    } else {
      executableSize = bundleData.length
      entries.push(
        {name: executableName(target), data: Buffer.from(PORTABLE_LAUNCHER), mode: 0o755},
        {name: BUNDLE_FILE, data: bundleData, mode: 0o644},
        {name: 'THIRD-PARTY-NOTICES', data: Buffer.from(renderNotices(bundleNotices)), mode: 0o644},
      )
    }
    const archive = archiveName(target)
    const archiveData = target.os === 'windows' ? zip(entries, mtime) : tarGzip(entries, mtime)
    await writeFile(join(buildDir, archive), archiveData)
    platforms.push({
      target,
      uri: `${releaseBase}/${archive}`,
      sha256: sha256(archiveData),
      bin: executableName(target),
      files: entries.map((entry) => entry.name).sort(),
    })
    summary.push(describe(target, archive, archiveData.length, executableSize))
  }

  await writeFile(
    join(buildDir, 'checksums.txt'),
    platforms.map((platform) => `${platform.sha256}  ${archiveName(platform.target)}\n`).join(''),
  )
  await writeFile(join(root, 'plugin.yaml'), renderKrewManifest({version: pkg.version, homepage: pkg.homepage, platforms}))
  const bundleSize = (await stat(bundle.file)).size
  process.stdout.write(
    [`bundle ${BUNDLE_FILE}: ${mebibytes(bundleSize)} (Node ${nodeVersion})`, ...summary, 'wrote build/checksums.txt, plugin.yaml, bin/' + COMPLETION_FILE].join('\n') + '\n',
  )
}

function describe(target: ReleaseTarget, archive: string, archiveSize: number, executableSize: number): string {
  const kind = target.build.kind === 'single-executable' ? 'single executable' : 'portable, Node on PATH'
  return `${archive}: ${mebibytes(archiveSize)} (${kind}; executable ${mebibytes(executableSize)})`
}

await main()
