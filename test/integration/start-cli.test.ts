// How the built CLI starts. `policies` with its flags skips oclif's start (src/cli.ts): every such
// command line must answer exactly as through oclif's full start, which KUBECTL_AUDIT_NO_DIRECT_START
// forces (reports, warnings, errors, hints and exit codes, byte for byte). The compile cache goes to
// the user's own cache folder, and a home where it cannot go changes nothing. The bundle's scan
// worker still runs: dist/ is one folder, and the worker module sits beside every chunk.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {NO_DIRECT_START, startsDirectly} from '../../src/cli.js'
import {PARALLEL_MIN_BYTES} from '../../src/reading/parallel-scan.js'
import {ROOT, runCli} from '../support/cli.js'

const EXAMPLE = 'examples/audit.log'

describe('direct start of policies answers as oclif does', () => {
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-direct-'))
    writeFileSync(join(dir, 'garbage.log'), '{"kind":"Event","verb":"create" this is not json\nnor this\n')
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  const lines: Array<{args: string[]; stdin?: string; env?: NodeJS.ProcessEnv}> = [
    {args: ['policies', '-f', EXAMPLE, '--since', 'all']},
    {args: ['policies', '-f', EXAMPLE, '--since', 'all', '-o', 'wide', '--limit', '0']},
    {args: ['policies', '-f', EXAMPLE, '--since', 'all', '-o', 'json', '--kind', 'gnp', '--outcome', 'failed']},
    {args: ['policies', '--file=examples/audit.log', '--since=all', '-o', 'yaml', '--user', 'alice*']},
    {args: ['policies', '-f', EXAMPLE, '--since', 'all', '--color', 'always']},
    {
      args: ['policies', '-f', '-', '--since', 'all', '-o', 'json'],
      stdin: '{"kind":"Event","apiVersion":"audit.k8s.io/v1"}\n',
    },
    {args: ['policies', '-f', EXAMPLE, '--since-time', '2026-11-24T08:00:00Z', '--until-time', '2026-11-24T09:00:00Z']},
    {args: ['policies', '-f', EXAMPLE, '--since', 'yesterday']},
    {args: ['policies', '-f', EXAMPLE, '--limit', 'many']},
    {args: ['policies', '-f', EXAMPLE, '--output', 'xml']},
    {args: ['policies', '-f', EXAMPLE, '--sinse', '1h']},
    {args: ['policies', '-f', EXAMPLE, '-x']},
    {args: ['policies', '-f', EXAMPLE, '--context', 'prod']},
    {args: ['policies', '-f', EXAMPLE, '-v=6']},
    {args: ['policies', '-', '-f', EXAMPLE]},
    {args: ['policies', '-f']},
    {args: ['policies', '-f', 'no-such-file.log', '--since', 'all']},
    {args: ['policies', '-f', 'PLACEHOLDER/garbage.log', '--since', 'all']},
    {args: ['policies', '-f', EXAMPLE, '--', 'more']},
    {args: ['policies'], env: {KUBECONFIG: 'PLACEHOLDER/missing-kubeconfig', HOME: 'PLACEHOLDER'}},
  ]
  for (const line of lines) {
    it(line.args.join(' '), async () => {
      const args = line.args.map((arg) => arg.replace('PLACEHOLDER', dir))
      const env = Object.fromEntries(
        Object.entries(line.env ?? {}).map(([name, value]) => [name, value?.replace('PLACEHOLDER', dir)]),
      )
      assert.ok(startsDirectly(args, {}), 'a command line the direct start takes')
      const direct = await runCli(args, {stdin: line.stdin, env})
      const throughOclif = await runCli(args, {stdin: line.stdin, env: {...env, [NO_DIRECT_START]: '1'}})
      assert.deepEqual(direct, throughOclif)
    })
  }
})

describe('compile cache', () => {
  let dir: string
  before(() => (dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-cache-'))))
  after(() => rmSync(dir, {recursive: true, force: true}))

  // Node's own variables would choose for us.
  const ours = {NODE_COMPILE_CACHE: undefined, NODE_DISABLE_COMPILE_CACHE: undefined, XDG_CACHE_HOME: undefined}
  const args = ['policies', '-f', EXAMPLE, '--since', 'all', '-o', 'json']

  it("is kept in the cache folder of the user's home, made when first needed", async () => {
    const home = join(dir, 'home')
    const result = await runCli(args, {env: {...ours, HOME: home}})
    assert.equal(result.code, 0, result.stderr)
    const cache = join(home, '.cache', 'kubectl-audit', 'compile-cache')
    assert.ok(existsSync(cache), `${cache} was not made`)
    // Node keeps one folder per Node version inside, with a file per module compiled.
    assert.ok(readdirSync(cache).some((version) => readdirSync(join(cache, version)).length > 0))
  })

  it('changes nothing when it cannot be written: the same report, nothing on stderr', async () => {
    // A home that is a file: no folder can be made under it, whoever runs the test.
    const home = join(dir, 'home-is-a-file')
    writeFileSync(home, '')
    const [cached, uncached] = await Promise.all([runCli(args), runCli(args, {env: {...ours, HOME: home}})])
    assert.deepEqual(uncached, cached)
    assert.equal(uncached.stderr, '')
  })
})

describe('the scan worker of the bundle', () => {
  let dir: string
  before(() => (dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-worker-'))))
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('reads the second half of a big log on a thread of its own, which runs to its end', async () => {
    const log = readFileSync(join(ROOT, EXAMPLE))
    const big = join(dir, 'big.log')
    writeFileSync(big, Buffer.concat(Array.from({length: Math.ceil(PARALLEL_MIN_BYTES / log.length) + 1}, () => log)))
    // Node logs the worker threads it starts, and an exception that kills one.
    const result = await runCli(['policies', '-f', big, '--since', 'all', '-o', 'json'], {env: {NODE_DEBUG: 'worker'}})
    assert.equal(result.code, 0, result.stderr)
    assert.equal(
      result.stderr.match(/^WORKER \d+: \[1\] starts worker script .*\/dist\/scan-worker\.js /gm)?.length,
      1,
      result.stderr,
    )
    assert.doesNotMatch(result.stderr, /uncaught exception/)
    const report = JSON.parse(result.stdout) as {sources: {events: number; bytesRead: number}[]}
    assert.equal(report.sources[0]!.bytesRead, log.length * (Math.ceil(PARALLEL_MIN_BYTES / log.length) + 1))
  })
})
