// `npm run bench`'s start-up section times every release install that `npm run dist` has just left
// in build/, not only the compiled CLI (one run each: this checks the harness, not the figures).
import assert from 'node:assert/strict'
import {pathWith, runProgram} from './support.js'

describe('start-up benchmark of the release installs', () => {
  it('times the compiled CLI, the single executable, the launcher and npm install -g', async () => {
    const bench = await runProgram('tsx', ['bench/run.ts', '--startup-only', '--startup-runs', '1'], {env: {PATH: pathWith()}})
    assert.equal(bench.code, 0, bench.stderr)
    const timed = bench.stdout.match(/^\| [^|]+: `--version` \|/gm)?.map((row) => row.slice(2, row.indexOf(':')))
    const expected = ['compiled CLI (`node bin/run.js`)', 'bundle + launcher, Node on PATH (krew, macOS)', 'npm install -g']
    if (`${process.platform}/${process.arch}` === 'linux/x64') expected.splice(1, 0, 'single executable (krew, linux/amd64)')
    assert.deepEqual(timed, expected, bench.stdout)
    assert.doesNotMatch(bench.stdout, /Not timed/)
  })
})
