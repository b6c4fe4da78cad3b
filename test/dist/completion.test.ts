// kubectl_complete-audit against the commands and flags oclif.manifest.json describes, run as
// kubectl runs it (the words after `kubectl audit`, last one being completed), and through the
// real kubectl's __complete when kubectl is installed.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {ROOT, findOnPath, pathWith, runProgram} from './support.js'

const SCRIPT = join(ROOT, 'bin', 'kubectl_complete-audit')
// The flags whose value is a file on this machine, the only ones after which the shell may offer
// file names (directive :0); after any other free-form value it offers nothing (:4).
const FILE_FLAGS: Record<string, string[]> = {
  policies: ['file', 'es-ca', 'loki-ca', 'kubeconfig', 'certificate-authority'],
  history: ['file', 'es-ca', 'loki-ca', 'kubeconfig', 'certificate-authority'],
  doctor: ['kubeconfig', 'certificate-authority', 'manifest', 'policy-file', 'es-ca', 'loki-ca'],
}

interface Flag {
  name: string
  char?: string
  type: 'boolean' | 'option'
  hidden?: boolean
  options?: string[]
}
interface Command {
  id: string
  hidden?: boolean
  args?: Record<string, unknown>
  flags?: Record<string, Flag>
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, Command>}
const commands = Object.values(manifest.commands).filter((command) => !command.hidden)

interface Completion {
  words: string[]
  directive: string
}

async function complete(...words: string[]): Promise<Completion> {
  const result = await runProgram(SCRIPT, words)
  assert.equal(result.code, 0, result.stderr)
  assert.equal(result.stderr, '')
  const lines = result.stdout.split('\n').filter(Boolean)
  return {words: lines.slice(0, -1).map((line) => line.split('\t')[0]!), directive: lines.at(-1)!}
}

describe('kubectl_complete-audit', () => {
  it('is a POSIX shell script that parses', async () => {
    assert.match(readFileSync(SCRIPT, 'utf8'), /^#!\/bin\/sh\n/)
    const result = await runProgram('sh', ['-n', SCRIPT])
    assert.equal(result.code, 0, result.stderr)
  })

  it('offers every command, and no file names, for the first word', async () => {
    assert.deepEqual(await complete(''), {words: commands.map((command) => command.id).sort(), directive: ':4'})
  })

  it('offers only what starts with the word typed so far', async () => {
    for (const command of commands) {
      const prefix = command.id.slice(0, 2)
      const expected = commands.map((c) => c.id).filter((id) => id.startsWith(prefix)).sort()
      assert.deepEqual((await complete(prefix)).words, expected)
    }
  })

  it('offers --help and --version before a command', async () => {
    assert.deepEqual(await complete('--'), {words: ['--help', '--version'], directive: ':4'})
  })

  for (const command of commands) {
    const flags = Object.values(command.flags ?? {}).filter((flag) => !flag.hidden)

    it(`${command.id}: offers each of its flags, and --help`, async () => {
      const expected = [...new Set([...flags.map((flag) => `--${flag.name}`), '--help'])].sort()
      const {words, directive} = await complete(command.id, '--')
      assert.deepEqual({words: words.sort(), directive}, {words: expected, directive: ':4'})
    })

    it(`${command.id}: completes flag values`, async () => {
      for (const flag of flags.filter((f) => f.type === 'option')) {
        const takesFile = (FILE_FLAGS[command.id] ?? []).includes(flag.name)
        const expected = flag.options ? {words: flag.options, directive: ':4'} : {words: [], directive: takesFile ? ':0' : ':4'}
        assert.deepEqual(await complete(command.id, `--${flag.name}`, ''), expected, `--${flag.name}`)
        if (flag.char) assert.deepEqual(await complete(command.id, `-${flag.char}`, ''), expected, `-${flag.char}`)
        if (flag.options) {
          assert.deepEqual(await complete(command.id, `--${flag.name}=`), {words: flag.options.map((o) => `--${flag.name}=${o}`), directive: ':4'})
        }
      }
    })

    it(`${command.id}: offers no value after a boolean flag, which takes none`, async () => {
      const booleanFlag = flags.find((flag) => flag.type === 'boolean')
      const words = booleanFlag ? [command.id, `--${booleanFlag.name}`, ''] : [command.id, '']
      const takesArguments = Object.keys(command.args ?? {}).length > 0
      assert.deepEqual(await complete(...words), {words: [], directive: takesArguments ? ':0' : ':4'})
    })
  }

  it('offers file names after -f and --kubeconfig, and nothing after --since, -n or --context', async () => {
    for (const words of [['policies', '-f', ''], ['policies', '--file', 'ex'], ['doctor', '--kubeconfig', '']]) {
      assert.deepEqual(await complete(...words), {words: [], directive: ':0'}, words.join(' '))
    }
    for (const words of [['policies', '--since', ''], ['policies', '-n', ''], ['policies', '--namespace', 'kube'], ['doctor', '--context', '']]) {
      assert.deepEqual(await complete(...words), {words: [], directive: ':4'}, words.join(' '))
    }
  })

  it('offers nothing for an unknown command, and survives quotes and globs in words', async () => {
    assert.deepEqual(await complete('nope', ''), {words: [], directive: ':4'})
    assert.deepEqual(await complete("it's", '*'), {words: [], directive: ':4'})
    assert.deepEqual(await complete('*'), {words: [], directive: ':4'})
  })

  it('is what the real kubectl runs for `kubectl audit <TAB>` when kubectl is installed', async function () {
    const kubectl = findOnPath('kubectl')
    if (!kubectl) {
      console.log('      (kubectl is not installed here: plugin completion through kubectl not exercised)')
      this.skip()
    }
    const bin = mkdtempSync(join(tmpdir(), 'kubectl-audit-completion-'))
    try {
      symlinkSync(join(ROOT, 'bin', 'run.js'), join(bin, 'kubectl-audit'))
      symlinkSync(SCRIPT, join(bin, 'kubectl_complete-audit'))
      const env = {PATH: pathWith(bin)}
      const first = await runProgram(kubectl, ['__complete', 'audit', ''], {env})
      assert.deepEqual(first.stdout.split('\n').filter(Boolean).map((line) => line.split('\t')[0]), [...commands.map((c) => c.id).sort(), ':4'])
      const policies = commands.find((c) => c.id === 'policies')
      const output = Object.values(policies?.flags ?? {}).find((flag) => flag.name === 'output')
      if (output?.options) {
        const values = await runProgram(kubectl, ['__complete', 'audit', 'policies', '-o', ''], {env})
        assert.deepEqual(values.stdout.split('\n').filter(Boolean), [...output.options, ':4'])
      }
    } finally {
      rmSync(bin, {recursive: true, force: true})
    }
  })
})
