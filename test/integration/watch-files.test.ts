// `policies --watch` on local files, the CLI as a child process: a log appended to, rotated the
// way kube-apiserver rotates it (renamed to audit-<time>.log, a new audit.log) and truncated while
// it is followed; several logs at once; stdin to its end; JSON lines; and how it ends.
import assert from 'node:assert/strict'
import {appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {PolicyChangeSummary} from '../../src/commands/policies.js'
import {runCli} from '../support/cli.js'
import {namesListed, noiseNow, policyWriteNow, startWatch, type WatchRun} from '../support/watch.js'

describe('policies --watch on files', function () {
  this.timeout(60_000)
  let dir: string
  let running: WatchRun | undefined

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'watch-files-'))
  })
  afterEach(async () => {
    if (running?.child.exitCode === null) await running.stop('SIGKILL')
    running = undefined
    rmSync(dir, {recursive: true, force: true})
  })

  it('prints each change once, in order, as the log is appended to, rotated and truncated; the summary on Ctrl-C, exit 0', async () => {
    const log = join(dir, 'audit.log')
    writeFileSync(log, noiseNow(3) + policyWriteNow('before-1') + noiseNow(2) + policyWriteNow('before-2'))
    running = startWatch(['-f', dir])
    await running.waitFor('for new changes; Ctrl-C to stop', {stream: 'stderr'})
    await running.waitFor('before-2')
    assert.deepEqual(namesListed(running.stdout()), ['before-1', 'before-2'])
    assert.match(
      running.stdout(),
      /^2 changes since \S+, then new ones as they land:\nTIME +USER +VERB +KIND +NAMESPACE +NAME +TIER +RESULT\n/,
    )

    appendFileSync(log, noiseNow(2) + policyWriteNow('appended'))
    await running.waitFor('appended')

    // kube-apiserver's rotation: the last lines go to the old file, which is renamed; a new file takes its name.
    appendFileSync(log, policyWriteNow('last-before-rotation'))
    renameSync(log, join(dir, 'audit-2026-12-07T10-00-00.000.log'))
    writeFileSync(log, noiseNow(4) + policyWriteNow('first-after-rotation'))
    await running.waitFor('first-after-rotation')
    await running.waitFor('was rotated', {stream: 'stderr'})

    // Truncated (logrotate's copytruncate), then written again from its start.
    truncateSync(log, 0)
    appendFileSync(log, policyWriteNow('after-truncation'))
    await running.waitFor('after-truncation')
    await running.waitFor('was truncated', {stream: 'stderr'})

    const {code, stdout, stderr} = await running.stop('SIGINT')
    assert.equal(code, 0, stderr)
    assert.deepEqual(namesListed(stdout), [
      'before-1',
      'before-2',
      'appended',
      'last-before-rotation',
      'first-after-rotation',
      'after-truncation',
    ])
    assert.match(
      stdout,
      /\nPolicy changes since \S+, until the watch ended {2}· {2}1 source, \d+ events read, 6 changes\n/,
    )
    assert.match(stdout, /\nUSER +PATCH +FAILED +TOTAL\nalice +6 +0 +6\n$/)
  })

  it('follows several logs at once, printing their changes in time order; JSON lines then the summary; SIGTERM exits 143', async () => {
    const a = join(dir, 'a', 'audit.log')
    const b = join(dir, 'b', 'audit.log')
    mkdirSync(join(dir, 'a'))
    mkdirSync(join(dir, 'b'))
    writeFileSync(a, policyWriteNow('a-before'))
    writeFileSync(b, '')
    running = startWatch(['-f', a, '-f', b, '-o', 'json'])
    await running.waitFor('following 2 logs', {stream: 'stderr'})
    const order = ['b-1', 'a-1', 'b-2', 'a-2']
    for (const name of order) {
      appendFileSync(name.startsWith('a') ? a : b, policyWriteNow(name))
      await new Promise((resolve) => setTimeout(resolve, 30))
    }
    await running.waitFor('"a-2"')
    const {code, stdout, stderr} = await running.stop('SIGTERM')
    assert.equal(code, 143, stderr)
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    assert.deepEqual(
      lines.slice(0, -1).map((c) => [c.name, c.source]),
      [['a-before', a], ...order.map((name) => [name, name.startsWith('a') ? a : b])],
    )
    const summary = lines.at(-1) as unknown as PolicyChangeSummary
    assert.equal(summary.kind, 'PolicyChangeSummary')
    assert.equal(summary.apiVersion, 'kubectl-audit/v1')
    assert.deepEqual(summary.summary, [{user: 'alice', verb: 'patch', succeeded: 5, failed: 0, unknown: 0}])
    assert.deepEqual(
      summary.sources.map((s) => [s.name, s.events, s.complete]),
      [
        [a, 3, true],
        [b, 2, true],
      ],
    )
  })

  it('follows stdin to its end, then prints the summary and exits 0', async () => {
    const pieces = [
      policyWriteNow('piped-1') + noiseNow(2),
      policyWriteNow('piped-2'),
      policyWriteNow('piped-3', {code: 403}),
    ]
    const result = await runCli(['policies', '--watch', '-f', '-'], {stdin: pieces})
    assert.equal(result.code, 0, result.stderr)
    assert.deepEqual(namesListed(result.stdout), ['piped-1', 'piped-2', 'piped-3'])
    assert.match(result.stdout, /piped-3 +default +403 Forbidden\n/)
    assert.match(result.stdout, /\nalice +3 +1 +3\n$/)
  })

  it('refuses what a watch cannot do, before reading', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--watch-interval', '5s'], /^error: --watch-interval is for --watch\n/],
      [
        ['--watch', '--watch-interval', '500ms'],
        /^error: --watch-interval 500ms is too short: each followed log is looked at once a second at most\n/,
      ],
      [
        ['--watch', '--until-time', '2026-12-07T10:00:00Z'],
        /^error: --watch follows the log from now on, so it has no --until-time\n/,
      ],
    ]
    for (const [args, stderr] of cases) {
      const result = await runCli(['policies', '-f', join(dir, 'nope.log'), ...args])
      assert.equal(result.code, 2, args.join(' '))
      assert.match(result.stderr, stderr)
    }
  })
})
