// `npm run bench:dist`: start-up of kubectl-audit as each install method delivers it, next to a bare
// `node -e 0` on the same machine in the same run. Prints a Markdown table of the median (and the
// fastest) of N runs of `--version` and of `policies -f examples/tiny.log`.
//
//   npm run bench:dist -- [--runs 15]
//
// Needs `npm run dist` first (bench:dist runs it): times the linux/amd64 single executable from its
// archive, the portable bundle with the Node on PATH, and the npm tarball installed with
// `npm install -g --prefix <tmp>` (whose install time is printed too).

import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const BUILD = join(ROOT, 'build')
const TINY_LOG = join(ROOT, 'examples', 'tiny.log')
const {values} = parseArgs({options: {runs: {type: 'string', default: '15'}}})
const RUNS = Number(values.runs)

function milliseconds(command, args) {
  const start = process.hrtime.bigint()
  const result = spawnSync(command, args, {cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: {...process.env, NO_COLOR: '1'}})
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.status}: ${result.stderr}`)
  return elapsed
}

function timeRuns(command, args) {
  milliseconds(command, args) // warm the file cache; not counted
  const samples = Array.from({length: RUNS}, () => milliseconds(command, args)).sort((a, b) => a - b)
  return {median: samples[Math.floor(samples.length / 2)], fastest: samples[0]}
}

const work = mkdtempSync(join(tmpdir(), 'kubectl-audit-bench-dist-'))
try {
  const variants = []
  if (process.platform === 'linux' && process.arch === 'x64') {
    execFileSync('tar', ['-xzf', join(BUILD, 'kubectl-audit_linux_amd64.tar.gz'), '-C', work, 'kubectl-audit'])
    variants.push({name: 'single executable (krew, linux/amd64)', command: join(work, 'kubectl-audit'), prefix: []})
  } else {
    console.error('(not on linux/amd64: the single executable is not timed)')
  }
  variants.push({name: 'bundle + Node on PATH (krew, macOS shape)', command: process.execPath, prefix: [join(BUILD, 'work', 'kubectl-audit.cjs')]})

  const pack = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {cwd: ROOT, encoding: 'utf8'}))
  const installStart = process.hrtime.bigint()
  execFileSync('npm', ['install', '-g', '--prefix', join(work, 'npm'), join(work, pack[0].filename), '--no-audit', '--no-fund', '--prefer-offline'], {stdio: 'ignore'})
  const installSeconds = Number(process.hrtime.bigint() - installStart) / 1e9
  variants.push({name: 'npm install -g', command: join(work, 'npm', 'bin', 'kubectl-audit'), prefix: []})

  const baseline = timeRuns(process.execPath, ['-e', '0'])
  const rows = [`| node -e 0 (baseline, Node ${process.versions.node}) | ${baseline.median.toFixed(0)} (${baseline.fastest.toFixed(0)}) | |`]
  for (const variant of variants) {
    const version = timeRuns(variant.command, [...variant.prefix, '--version'])
    const policies = timeRuns(variant.command, [...variant.prefix, 'policies', '-f', TINY_LOG, '--since', 'all'])
    rows.push(`| ${variant.name} | ${version.median.toFixed(0)} (${version.fastest.toFixed(0)}) | ${policies.median.toFixed(0)} (${policies.fastest.toFixed(0)}) |`)
  }
  console.log(`Start-up, median (fastest) of ${RUNS} runs in ms, ${process.platform}/${process.arch}:\n`)
  console.log('| install | `--version` | `policies -f tiny.log` |\n| --- | ---: | ---: |')
  console.log(rows.join('\n'))
  console.log(`\nnpm install -g of the packed tarball (npm cache warm): ${installSeconds.toFixed(1)} s`)
} finally {
  rmSync(work, {recursive: true, force: true})
}
