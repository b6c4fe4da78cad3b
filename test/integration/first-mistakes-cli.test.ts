// The first ten minutes, through the real CLI: an old Node, asking for help, and the first wrong
// guesses each get the tool's own answer (`error:` and `hint:`, exit 2), never a stack trace or
// oclif's own error form.
import assert from 'node:assert/strict'
import {execFileSync, spawn} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {olderThan, REQUIRED_NODE} from '../../src/node-version.js'
import {type CliResult, ROOT, RUN, runCli} from '../support/cli.js'

const EXAMPLE = 'examples/audit.log'

/** No stack trace, no oclif error mark, exit 2, and exactly the two lines expected. */
function assertUserError(result: CliResult, error: RegExp, hint: RegExp): void {
  assert.equal(result.code, 2, result.stderr)
  assert.equal(result.stdout, '')
  const lines = result.stderr.split('\n')
  assert.equal(lines.length, 3, result.stderr)
  assert.match(lines[0]!, /^error: /)
  assert.match(lines[0]!.slice('error: '.length), error)
  assert.match(lines[1]!, /^hint: /)
  assert.match(lines[1]!.slice('hint: '.length), hint)
  assert.equal(lines[2], '')
  assert.doesNotMatch(result.stderr, /\n\s+at |›|Warning:/)
}

function run(node: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, {
      cwd: ROOT,
      env: {...process.env, NO_COLOR: '1', ...env},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stdout, stderr}))
  })
}

/**
 * A Node older than the one required: the machine's own when it has one (most do: Node 20), else
 * this Node told at start-up to report an old version, which is what the launcher reads.
 */
function oldNode(): {node: string; version: string; preload: string[]} {
  for (const node of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(node)) continue
    const version = execFileSync(node, ['-p', 'process.versions.node'], {encoding: 'utf8'}).trim()
    if (olderThan(version, REQUIRED_NODE)) return {node, version, preload: []}
  }
  const version = '20.20.2'
  return {
    node: process.execPath,
    version,
    preload: ['--import', `data:text/javascript,Object.defineProperty(process.versions,'node',{value:'${version}'})`],
  }
}

describe('the CLI on a Node older than it needs', () => {
  it(`says which Node it needs (>= ${REQUIRED_NODE}) and how to get it, and exits 2 before loading anything else`, async () => {
    const {node, version, preload} = oldNode()
    for (const args of [['policies', '-f', EXAMPLE], ['doctor'], ['--help']]) {
      const result = await run(node, [...preload, RUN, ...args])
      assertUserError(
        result,
        new RegExp(
          `^kubectl-audit needs Node >= ${REQUIRED_NODE.replaceAll('.', '\\.')}; this is Node ${version.replaceAll('.', '\\.')}$`,
        ),
        /^install the self-contained build with krew, which brings its own Node \(https:\/\/github\.com\/kubectl-audit\/kubectl-audit#with-krew\), or a current Node \(https:\/\/nodejs\.org/,
      )
    }
  })

  it("checks the version package.json's engines names", () => {
    const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {engines: {node: string}}).engines
      .node
    assert.equal(engines, `>=${REQUIRED_NODE}`)
  })
})

describe('help wherever it is asked for', () => {
  const asks: Array<[string[], RegExp]> = [
    [['-h'], /^USAGE\n {2}\$ kubectl audit \[COMMAND\]/m],
    [['--help'], /^COMMANDS\n {2}doctor +Check that the control plane/m],
    [['help'], /^COMMANDS\n(.*\n)* {2}help +Show help/m],
    [['policies', '-h'], /^USAGE\n {2}\$ kubectl audit policies /m],
    [['policies', '-f', EXAMPLE, '-h'], /^USAGE\n {2}\$ kubectl audit policies /m],
    [['doctor', '-h'], /^USAGE\n {2}\$ kubectl audit doctor /m],
    [['help', 'policies'], /^USAGE\n {2}\$ kubectl audit policies /m],
    [['help', 'doctor'], /^USAGE\n {2}\$ kubectl audit doctor /m],
  ]
  for (const [args, usage] of asks) {
    it(args.join(' '), async () => {
      const result = await runCli(args)
      assert.equal(result.code, 0, result.stderr)
      assert.match(result.stdout, usage)
      assert.equal(result.stderr, '')
    })
  }

  it('the kubeconfig user is --kube-user in both commands, and --user is only the policies filter', async () => {
    const [policies, doctor] = await Promise.all([runCli(['policies', '-h']), runCli(['doctor', '-h'])])
    for (const help of [policies.stdout, doctor.stdout])
      assert.match(help, /--kube-user=<value> +The name of the kubeconfig user to use/)
    assert.match(policies.stdout, /--user=<value>\.\.\. +Only changes by this user/)
    assert.doesNotMatch(doctor.stdout, /^ +--user=/m)
  })

  it("doctor's --image help says what its reader pod runs", async () => {
    const result = await runCli(['doctor', '-h'])
    assert.match(
      result.stdout.replace(/\s+/g, ' '),
      /--image=<value> Image of the reader pod; it runs sleep, sh, stat, head, tail\. \[default: docker\.io\/library\/busybox:1\.37\]/,
    )
  })

  it('help into a pipe closed early exits 0', async () => {
    const child = spawn(process.execPath, [RUN, 'policies', '--help'], {stdio: ['ignore', 'pipe', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.stdout.once('data', () => child.stdout.destroy())
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    assert.deepEqual([code, stderr], [0, ''])
  })
})

describe('the first wrong guesses', () => {
  const mistakes: Array<[string, string[], RegExp, RegExp]> = [
    [
      'a file without -f',
      ['policies', EXAMPLE],
      /^unexpected argument "examples\/audit\.log"$/,
      /^did you mean -f examples\/audit\.log\?$/,
    ],
    [
      'a stray word after flags',
      ['policies', '--since', 'all', 'stray'],
      /^unexpected argument "stray"$/,
      /^policies takes flags only; see kubectl audit policies --help$/,
    ],
    [
      'a file after flags',
      ['policies', '--since', 'all', './audit.log'],
      /^unexpected argument "\.\/audit\.log"$/,
      /^did you mean -f \.\/audit\.log\?$/,
    ],
    [
      'a word after doctor',
      ['doctor', 'cluster'],
      /^unexpected argument "cluster"$/,
      /^doctor takes flags only; see kubectl audit doctor --help$/,
    ],
    ['a misspelt command', ['polices'], /^unknown command "polices"$/, /^did you mean kubectl audit policies\?$/],
    [
      'a misspelt command with flags',
      ['docter', '-o', 'json'],
      /^unknown command "docter"$/,
      /^did you mean kubectl audit doctor\?$/,
    ],
    [
      'help for a misspelt command',
      ['help', 'polices'],
      /^unknown command "polices"$/,
      /^did you mean kubectl audit policies\?$/,
    ],
    [
      'an unknown command',
      ['frobnicate'],
      /^unknown command "frobnicate"$/,
      /^the commands are doctor, help, history, policies; see kubectl audit --help$/,
    ],
    [
      'a flag before the command',
      ['--since', '1h', 'policies'],
      /^--since comes before any command$/,
      /^the command comes first: kubectl audit policies --since 1h$/,
    ],
    [
      'a flag and no command',
      ['-o', 'json'],
      /^-o comes before any command$/,
      /^the command comes first: kubectl audit policies -o json \(commands: doctor, help, history, policies\)$/,
    ],
    [
      'a misspelt flag',
      ['policies', '-f', EXAMPLE, '--namspace', 'prod'],
      /^unknown flag: --namspace$/,
      /^did you mean --namespace\? \(see kubectl audit policies --help\)$/,
    ],
    [
      'a time given to --since',
      ['policies', '-f', EXAMPLE, '--since', '2026-11-24T09:00:00Z'],
      /^--since "2026-11-24T09:00:00Z" is not a duration$/,
      /^--since counts back from now \(30s, 5m, 1h, 2d, or all\); for a point in time, use --since-time 2026-11-24T09:00:00Z$/,
    ],
    [
      '--since ending after --until-time',
      ['policies', '-f', EXAMPLE, '--since', '1d', '--until-time', '2026-01-01T00:00:00Z'],
      /^--until-time 2026-01-01T00:00:00Z is before the start of the window: --since 1d counts back from now, to \S+$/,
      /--since-time 2025-12-31T00:00:00Z --until-time 2026-01-01T00:00:00Z/,
    ],
    [
      'bad cluster flags with -f',
      ['policies', '-f', EXAMPLE, '--pod-timeout', '5s', '--request-timeout', 'soon', '--image', ''],
      /^--request-timeout "soon" is not a duration$/,
      /0 for no overall limit$/,
    ],
    [
      'a cluster flag with -f',
      ['policies', '-f', EXAMPLE, '--context', 'prod'],
      /^--context is for reading the logs from the cluster, which -f replaces$/,
      /^drop --context, or drop -f/,
    ],
    [
      "doctor's old --user",
      ['doctor', '--user', 'alice'],
      /^doctor has no --user: it could mean two things$/,
      /--kube-user alice; .*--policy-user alice$/,
    ],
    [
      'a connection flag offline',
      ['doctor', '--offline', '--policy-file', 'examples/audit-policy.yaml', '--kube-user', 'alice'],
      /^--kube-user is for checking a cluster, which --offline does not contact$/,
      /^drop --kube-user/,
    ],
    ['--as-group without --as', ['doctor', '--as-group', 'ops'], /^--as-group needs --as/, /--as alice --as-group ops/],
    [
      'a server without a scheme',
      ['doctor', '--server', '10.0.0.1:6443'],
      /^--server "10\.0\.0\.1:6443" is not an http\(s\) URL$/,
      /https:\/\/10\.0\.0\.1:6443/,
    ],
    [
      "kubectl's -v=6 with -f",
      ['policies', '-f', EXAMPLE, '-v=6'],
      /^--verbose is for reading the logs from the cluster/,
      /^drop --verbose/,
    ],
  ]
  for (const [what, args, error, hint] of mistakes) {
    it(`${what}: ${args.join(' ')}`, async () => assertUserError(await runCli(args), error, hint))
  }
})

describe('-f - at a terminal', () => {
  it('says once on stderr that it reads standard input and how to end it', async function () {
    // A terminal for stdin: util-linux script(1) runs the CLI on a pseudo-terminal that our pipe feeds.
    const child = spawn(
      'script',
      ['-q', '-e', '-c', `'${process.execPath}' '${RUN}' policies -f - --since all --color never`, '/dev/null'],
      {cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'}},
    )
    let seen = ''
    let ended = false
    child.stdout.on('data', (d: Buffer) => {
      seen += d.toString()
      // Ctrl-D at the start of a line ends the input, as it would for a person at the terminal.
      if (!ended && seen.includes('Ctrl-D')) {
        ended = true
        child.stdin.write('\u0004')
      }
    })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    const notice =
      'reading audit events from standard input (the terminal); end with Ctrl-D, or pass a file with -f FILE'
    assert.equal(seen.split(notice).length - 1, 1, seen)
    assert.ok(seen.startsWith(notice), seen)
    assert.match(seen, /No network policy or tier changes/)
    assert.equal(code, 0)
  })

  it('says nothing when stdin is a pipe', async () => {
    const result = await runCli(['policies', '-f', '-', '--since', 'all'], {stdin: ''})
    assert.equal(result.code, 0, result.stderr)
    assert.doesNotMatch(result.stderr, /standard input/)
  })
})
