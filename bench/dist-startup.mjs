// `npm run bench:dist`: start-up of kubectl-audit as each install method delivers it, next to a bare
// `node -e 0` on the same machine in the same run. Prints a Markdown table of the median (and the
// fastest) of N runs of `--version` and of `policies -f examples/tiny.log`.
//
//   npm run bench:dist -- [--runs 15]
//
// Needs `npm run dist` first (bench:dist runs it): times the linux/amd64 single executable and the
// macOS launcher (bundle + the Node on PATH), each from its archive, and the npm tarball installed
// with `npm install -g --prefix <tmp>` (whose install time is printed too).

import {execFileSync, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const BUILD = join(ROOT, 'build')
const TINY_LOG = join(ROOT, 'examples', 'tiny.log')
const {values} = parseArgs({options: {runs: {type: 'string', default: '15'}}})
const RUNS = Number(values.runs)

// The launchers find `node` on PATH: make it the Node running this benchmark.
const PATH = [dirname(process.execPath), process.env.PATH].join(delimiter)

function milliseconds(command, args, env = {}) {
  const start = process.hrtime.bigint()
  const result = spawnSync(command, args, {cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: {...process.env, PATH, NO_COLOR: '1', ...env}})
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}: ${result.stderr}`)
  return elapsed
}

function timeRuns(command, args, env) {
  milliseconds(command, args, env) // warm the file cache (and any compile cache); not counted
  const samples = Array.from({length: RUNS}, () => milliseconds(command, args, env)).sort((a, b) => a - b)
  return {median: samples[Math.floor(samples.length / 2)], fastest: samples[0]}
}

const work = mkdtempSync(join(tmpdir(), 'kubectl-audit-bench-dist-'))
try {
  const variants = []
  if (process.platform === 'linux' && process.arch === 'x64') {
    execFileSync('tar', ['-xzf', join(BUILD, 'kubectl-audit_linux_amd64.tar.gz'), '-C', work, 'kubectl-audit'])
    variants.push({name: 'single executable (krew, linux/amd64)', command: join(work, 'kubectl-audit')})
  } else {
    console.error('(not on linux/amd64: the single executable is not timed)')
  }
  const portable = join(work, 'portable')
  mkdirSync(portable)
  execFileSync('tar', ['-xzf', join(BUILD, 'kubectl-audit_darwin_arm64.tar.gz'), '-C', portable])
  variants.push({name: 'bundle + launcher, Node on PATH (krew, macOS)', command: join(portable, 'kubectl-audit')})

  const pack = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {cwd: ROOT, encoding: 'utf8'}))
  const installStart = process.hrtime.bigint()
  execFileSync('npm', ['install', '-g', '--prefix', join(work, 'npm'), join(work, pack[0].filename), '--no-audit', '--no-fund', '--prefer-offline'], {stdio: 'ignore'})
  const installSeconds = Number(process.hrtime.bigint() - installStart) / 1e9
  variants.push({name: 'npm install -g', command: join(work, 'npm', 'bin', 'kubectl-audit')})
  // What bin/run.js would gain from Node's compile cache (module.enableCompileCache()).
  variants.push({name: 'npm install -g, NODE_COMPILE_CACHE set', command: join(work, 'npm', 'bin', 'kubectl-audit'), env: {NODE_COMPILE_CACHE: join(work, 'compile-cache')}})

  const baseline = timeRuns(process.execPath, ['-e', '0'])
  const rows = [`| node -e 0 (baseline, Node ${process.versions.node}) | ${baseline.median.toFixed(0)} (${baseline.fastest.toFixed(0)}) | |`]
  for (const variant of variants) {
    const version = timeRuns(variant.command, ['--version'], variant.env)
    const policies = timeRuns(variant.command, ['policies', '-f', TINY_LOG, '--since', 'all'], variant.env)
    rows.push(`| ${variant.name} | ${version.median.toFixed(0)} (${version.fastest.toFixed(0)}) | ${policies.median.toFixed(0)} (${policies.fastest.toFixed(0)}) |`)
  }
  console.log(`Start-up, median (fastest) of ${RUNS} runs in ms, ${process.platform}/${process.arch}:\n`)
  console.log('| install | `--version` | `policies -f tiny.log` |\n| --- | ---: | ---: |')
  console.log(rows.join('\n'))
  console.log(`\nnpm install -g of the packed tarball (npm cache warm): ${installSeconds.toFixed(1)} s`)
} finally {
  rmSync(work, {recursive: true, force: true})
}
