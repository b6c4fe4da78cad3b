// The built CLI in a real terminal: tmux gives it a terminal of 80, 110 and 200 columns, and the
// screen is read back with the lines the terminal wrapped joined again (capture-pane -J), so any
// line that did not fit shows as a line longer than the width. Colour is on, as on any terminal.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type {DoctorReport} from '../../src/commands/doctor.js'
import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {ELLIPSIS} from '../../src/render/shorten.js'
import {textWidth} from '../../src/render/text-width.js'
import {ROOT, RUN, runCli} from '../support/cli.js'

const POLICIES = ['policies', '-f', 'examples/audit.log', '--since', 'all']
const DOCTOR = [
  'doctor',
  '--offline',
  '--manifest',
  'examples/manifests/kube-apiserver.yaml',
  '--policy-file',
  'examples/policies/recommended.yaml',
]
const WIDTHS = [80, 110, 200]

const tmuxFound = spawnSync('tmux', ['-V'], {encoding: 'utf8'}).status === 0

/** `'…'` for sh: the command tmux runs in its terminal. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`
}

let sessions = 0

/** Runs a shell command in a fresh tmux server with a terminal `width` columns wide; returns the screen, every line. */
async function inTerminal(width: number, command: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kubectl-audit-tmux-'))
  const socket = `kubectl-audit-test-${process.pid}-${sessions++}`
  const config = join(dir, 'tmux.conf')
  // The whole output, however long; the terminal kept once the command ends, to be read.
  writeFileSync(config, 'set -g history-limit 100000\nset -g remain-on-exit on\n')
  const base: NodeJS.ProcessEnv = {...process.env, ...env}
  for (const name of ['TMUX', 'COLUMNS', 'LINES', 'NO_COLOR', 'FORCE_COLOR']) if (!(name in env)) delete base[name]
  const tmux = (...args: string[]) => {
    const result = spawnSync('tmux', ['-L', socket, '-f', config, ...args], {encoding: 'utf8', env: base})
    assert.equal(result.status, 0, `tmux ${args.join(' ')}: ${result.stderr}`)
    return result.stdout
  }
  try {
    tmux('new-session', '-d', '-x', String(width), '-y', '50', '-c', ROOT, command)
    while (tmux('list-panes', '-F', '#{pane_dead}').trim() !== '1') await sleep(100)
    const screen = tmux('capture-pane', '-p', '-J', '-S', '-', '-E', '-')
    const lines = screen
      .split('\n')
      .map((line) => line.trimEnd())
      .filter((line) => !line.startsWith('Pane is dead'))
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
    return lines
  } finally {
    spawnSync('tmux', ['-L', socket, '-f', config, 'kill-server'], {env: base})
    rmSync(dir, {recursive: true, force: true})
  }
}

function cli(args: readonly string[]): string {
  return [process.execPath, RUN, ...args].map(shellQuote).join(' ')
}

/** The cells of a screen: table cells (two spaces or more apart) and block values (after `key:`). */
function cells(lines: readonly string[]): string[] {
  return lines
    .flatMap((line) => line.replace(/^[a-z-]+:\s+/, '').split(/\s{2,}/))
    .map((cell) => cell.trim())
    .filter((cell) => cell !== '')
}

/** The values a cell can be read as: itself, or, cut with `…`, every value with that start and that end. */
function readableAs(cell: string, values: readonly string[]): string[] {
  if (!cell.includes(ELLIPSIS)) return values.filter((v) => v === cell)
  const [head, tail] = cell.split(ELLIPSIS) as [string, string]
  return values.filter((v) => v.startsWith(head) && v.endsWith(tail) && v.length > head.length + tail.length)
}

/**
 * Every value of `values` is on the screen, whole or cut so that it reads as itself only; and
 * every cut cell on the screen reads as exactly one of `all` (the free text the screen may show).
 */
function assertToldApart(
  screen: readonly string[],
  values: readonly string[],
  all: readonly string[],
  what: string,
): void {
  const shown = cells(screen)
  for (const cell of shown.filter((c) => c.includes(ELLIPSIS))) {
    assert.equal(readableAs(cell, all).length, 1, `"${cell}" reads as ${readableAs(cell, all).join(', ') || 'nothing'}`)
  }
  for (const value of values) {
    assert.ok(
      shown.some((cell) => readableAs(cell, all).length === 1 && readableAs(cell, all)[0] === value),
      `${what}: ${value} is not on the screen\n${screen.join('\n')}`,
    )
  }
}

function assertFits(screen: readonly string[], width: number): void {
  assert.ok(screen.length > 5, screen.join('\n'))
  for (const line of screen) assert.ok(textWidth(line) <= width, `${textWidth(line)} > ${width} columns: ${line}`)
}

describe('tables that fit the terminal (tmux)', function () {
  this.timeout(120_000)

  before(function () {
    if (tmuxFound) return
    // On CI a missing tmux is a broken test machine, not a reason to pass.
    if (process.env.CI === 'true')
      throw new Error(
        'tmux is not installed, and the terminal tests need it: install tmux (apt-get install tmux, brew install tmux)',
      )
    console.log('      (tmux is not installed here: the terminal tests are not run)')
    this.skip()
  })

  let policies: PolicyChangeReport
  let doctor: DoctorReport
  before(async () => {
    policies = JSON.parse((await runCli([...POLICIES, '-o', 'json'])).stdout) as PolicyChangeReport
    doctor = JSON.parse((await runCli([...DOCTOR, '-o', 'json'])).stdout) as DoctorReport
  })

  /** Every free text the policies screen may show, whole or cut: users (as themselves or acting as another), namespaces, names, tiers. */
  const freeText = () => {
    const users = policies.summary.map((r) => r.user)
    const changes = policies.changes.flatMap((c) => [
      c.user,
      c.impersonatedUser ? `${c.user} as ${c.impersonatedUser}` : c.user,
      c.namespace ?? '',
      c.name ?? '',
      c.tier ?? '',
    ])
    return [...new Set([...users, ...changes])].filter((v) => v !== '')
  }

  for (const width of WIDTHS) {
    it(`policies at ${width} columns: nothing wraps; every user and object can be told apart`, async () => {
      const screen = await inTerminal(width, cli(POLICIES))
      assertFits(screen, width)
      const all = freeText()
      assertToldApart(screen, [...new Set(policies.summary.map((r) => r.user))], all, 'users')
      const listed = Number(/Most recent (\d+) of/.exec(screen.join('\n'))?.[1] ?? policies.changes.length)
      const names = [
        ...new Set(
          policies.changes
            .slice(-listed)
            .map((c) => c.name)
            .filter((n): n is string => n !== null),
        ),
      ]
      assert.ok(names.length > 5)
      assertToldApart(screen, names, all, 'names')
    })

    it(`doctor at ${width} columns: nothing wraps; every check and resource can be told apart`, async () => {
      const screen = await inTerminal(width, cli(DOCTOR))
      assertFits(screen, width)
      for (const check of doctor.checks)
        assert.ok(
          screen.some((line) => line.startsWith(check.id) || new RegExp(`^check:\\s+${check.id}$`).test(line)),
          `${check.id} is not on the screen`,
        )
      const resources = [
        ...new Set(doctor.coverage.map((r) => `${r.resource}${r.apiGroup === '' ? '' : `.${r.apiGroup}`}`)),
      ]
      // The coverage matrix, as a table (the first cell of each row) or as blocks (`resource:` lines).
      const from = screen.findIndex((line) => line.startsWith('Coverage:'))
      const to = screen.findIndex((line) => line.startsWith('RR RequestResponse'))
      const section = screen.slice(from + 1, to)
      const rows = section[0]!.startsWith('RESOURCE')
        ? section.slice(1).map((line) => line.split(/\s{2,}/)[0]!)
        : cells(section.filter((line) => line.startsWith('resource:')))
      assert.ok(rows.length > 10, section.join('\n'))
      for (const row of rows)
        assert.equal(readableAs(row, resources).length, 1, `"${row}" reads as ${readableAs(row, resources).join(', ')}`)
      assert.equal(new Set(rows.map((row) => readableAs(row, resources)[0])).size, rows.length, 'one row per resource')
    })
  }

  it('matches --user globs against full names, whatever the screen shows of them', async () => {
    const screen = await inTerminal(80, cli([...POLICIES, '--user', 'system:serviceaccount:*:*-controller']))
    assertFits(screen, 80)
    const users = [...new Set(policies.summary.map((r) => r.user))]
    const accounts = users.filter((u) => /^system:serviceaccount:.*-controller$/.test(u))
    assert.ok(accounts.length >= 2)
    assertToldApart(screen, accounts, users, 'service accounts')
    for (const person of users.filter((u) => !accounts.includes(u)))
      assert.ok(!cells(screen).includes(person), `${person} is not selected`)
  })

  it('takes its width from COLUMNS when it is set', async () => {
    const screen = await inTerminal(200, cli(POLICIES), {COLUMNS: '100'})
    assertFits(screen, 100)
    assert.ok(
      screen.some((line) => line.includes(ELLIPSIS)),
      'something was cut to fit 100 columns',
    )
  })

  it('gives a pipe, and -o wide, every value whole', async () => {
    for (const command of [`${cli(POLICIES)} | cat`, cli([...POLICIES, '-o', 'wide'])]) {
      const screen = await inTerminal(80, command)
      const text = screen.join('\n')
      assert.ok(!text.includes(ELLIPSIS), command)
      for (const user of policies.summary.map((r) => r.user)) assert.ok(text.includes(user), `${command}: ${user}`)
      assert.ok(
        screen.some((line) => textWidth(line) > 80),
        'whole values run past the width (and wrap), as in kubectl',
      )
    }
  })
})
