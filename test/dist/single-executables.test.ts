// The single executables inside the archives, checked as files: the right machine type, Node's SEA
// fuse flipped, our bundle inside, and (Windows) no leftover corrupted signature. The linux/amd64
// one is also run by the install tests; linux/arm64 runs here when qemu can emulate it.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {runCli} from '../support/cli.js'
import {PACKAGE_VERSION, builtArchive, findOnPath, manifestPlatform, readPluginManifest, runProgram} from './support.js'

const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'
// The bundle's first statement (its banner): proof that the blob holds our script.
const BUNDLE_MARK = "process.env.OCLIF_DISABLE_ENGINE_WARNING??='1'"

const EXECUTABLES = [
  {os: 'linux', arch: 'amd64', format: 'elf', machine: 0x3e},
  {os: 'linux', arch: 'arm64', format: 'elf', machine: 0xb7},
  {os: 'windows', arch: 'amd64', format: 'pe', machine: 0x8664},
] as const

function machineOf(exe: Buffer, format: 'elf' | 'pe'): number {
  if (format === 'elf') {
    assert.deepEqual([...exe.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], 'ELF magic')
    return exe.readUInt16LE(18)
  }
  assert.equal(exe.toString('latin1', 0, 2), 'MZ')
  const pe = exe.readUInt32LE(0x3c)
  assert.equal(exe.toString('latin1', pe, pe + 4), 'PE\0\0')
  return exe.readUInt16LE(pe + 4)
}

function peCertificateTableSize(exe: Buffer): number {
  const optionalHeader = exe.readUInt32LE(0x3c) + 24
  assert.equal(exe.readUInt16LE(optionalHeader), 0x20b, 'PE32+')
  return exe.readUInt32LE(optionalHeader + 112 + 4 * 8 + 4)
}

describe('single executables', () => {
  const plugin = readPluginManifest()
  let dir: string
  before(() => (dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-sea-'))))
  after(() => rmSync(dir, {recursive: true, force: true}))

  async function extractExecutable(os: string, arch: string): Promise<{file: string; data: Buffer}> {
    const platform = manifestPlatform(plugin, os, arch)
    const into = join(dir, `${os}_${arch}`)
    const archive = builtArchive(platform)
    const result = archive.endsWith('.zip')
      ? await runProgram('unzip', ['-q', '-o', archive, platform.bin!, '-d', into])
      : await runProgram('sh', ['-c', `mkdir -p "$2" && tar -xzf "$1" -C "$2" "$3"`, 'sh', archive, into, platform.bin!])
    assert.equal(result.code, 0, result.stderr)
    const file = join(into, platform.bin!)
    return {file, data: readFileSync(file)}
  }

  for (const {os, arch, format, machine} of EXECUTABLES) {
    it(`${os}/${arch}: a ${format.toUpperCase()} executable for the right machine with our bundle injected`, async () => {
      const {data} = await extractExecutable(os, arch)
      assert.equal(machineOf(data, format), machine)
      assert.ok(data.includes(`${FUSE}:1`), 'the SEA fuse is flipped')
      assert.ok(!data.includes(`${FUSE}:0`), 'no unflipped fuse left')
      assert.ok(data.includes(BUNDLE_MARK), 'the bundle is inside')
      if (format === 'pe') assert.equal(peCertificateTableSize(data), 0, 'no Authenticode signature left')
    })
  }

  it('linux/arm64 runs under qemu, as the compiled CLI does, when qemu and an arm64 libc are installed', async function () {
    const qemu = findOnPath('qemu-aarch64-static') ?? findOnPath('qemu-aarch64')
    // The binary is dynamically linked: qemu needs an arm64 sysroot (Debian: libc6-arm64-cross,
    // libstdc++6-arm64-cross).
    const sysroot = process.env.QEMU_LD_PREFIX ?? (existsSync('/usr/aarch64-linux-gnu/lib') ? '/usr/aarch64-linux-gnu' : undefined)
    if (!qemu || !sysroot) {
      console.log('      (no qemu-aarch64 or arm64 libc here: the arm64 executable was checked as a file only)')
      this.skip()
    }
    const {file} = await extractExecutable('linux', 'arm64')
    const env = {QEMU_LD_PREFIX: sysroot}
    const version = await runProgram(qemu, [file, '--version'], {env})
    assert.equal(version.code, 0, version.stderr)
    assert.match(version.stdout, new RegExp(`^kubectl-audit/${PACKAGE_VERSION} linux-arm64 node-v`))
    const args = ['policies', '-f', 'examples/tiny.log', '--since', 'all', '-o', 'json']
    const emulated = await runProgram(qemu, [file, ...args], {env})
    assert.equal(emulated.code, 0, emulated.stderr)
    assert.deepEqual(JSON.parse(emulated.stdout), JSON.parse((await runCli(args)).stdout))
  })
})
