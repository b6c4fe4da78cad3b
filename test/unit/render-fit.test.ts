// What gives way when a table is wider than the terminal: pure functions of src/render, row by row.
import assert from 'node:assert/strict'

import {Chalk} from 'chalk'

import {fitTables, type Column, type Layout} from '../../src/render/fit.js'
import {terminalWidth} from '../../src/render/output.js'
import {ELLIPSIS, narrowestDistinctWidth, shortenDistinct, shortenMiddle} from '../../src/render/shorten.js'
import {renderTable, tableSpec, tableText} from '../../src/render/table.js'
import {textWidth} from '../../src/render/text-width.js'
import {wrapText} from '../../src/render/wrap.js'

const ARGOCD = 'system:serviceaccount:argocd:argocd-application-controller'
const NAMESPACE_CONTROLLER = 'system:serviceaccount:kube-system:namespace-controller'
const ANSI = /\u001b\[[0-9;]*m/g

/** Every value the short text could be read as: it starts with what is kept of the start, ends with what is kept of the end. */
function readableAs(short: string, values: readonly string[]): string[] {
  if (!short.includes(ELLIPSIS)) return values.filter((v) => v === short)
  const [head, tail] = short.split(ELLIPSIS) as [string, string]
  return values.filter((v) => v.startsWith(head) && v.endsWith(tail) && v.length > head.length + tail.length)
}

function lines(text: string): string[] {
  return text.replace(/\n$/, '').split('\n')
}

describe('shortenMiddle', () => {
  const cases: Array<[string, string, number, string]> = [
    ['fits: unchanged', 'alice', 10, 'alice'],
    ['exactly fits: unchanged', 'kubernetes-admin', 16, 'kubernetes-admin'],
    [
      'a service account keeps its namespace and the end of its name, cut between words',
      ARGOCD,
      41,
      'system:serviceaccount:argocd:…-controller',
    ],
    ['near the middle when no cut between words is close', 'abcdefghijklmnopqrstuvwxyz', 11, 'abcde…vwxyz'],
    ['wide characters count two columns', '日本語のユーザー名です', 9, '日本…です'],
  ]
  for (const [title, text, width, expected] of cases) {
    it(title, () => {
      const short = shortenMiddle(text, width)
      assert.equal(short, expected)
      assert.ok(textWidth(short) <= width)
    })
  }
})

describe('shortenDistinct', () => {
  it('keeps two service accounts that end alike apart, each readable as itself only', () => {
    const users = [ARGOCD, NAMESPACE_CONTROLLER, 'alice', 'kubernetes-admin']
    const shortened = shortenDistinct(users, 16)!
    assert.ok(shortened)
    for (const user of users) {
      const short = shortened.get(user) ?? user
      assert.ok(textWidth(short) <= 16, short)
      assert.deepEqual(readableAs(short, users), [user], short)
    }
    assert.notEqual(shortened.get(ARGOCD), shortened.get(NAMESPACE_CONTROLLER))
  })

  it('leaves values that fit as they are', () => {
    assert.equal(shortenDistinct(['alice', 'bob'], 10)!.size, 0)
  })

  it('moves the cut away from one that would read as another value', () => {
    const values = ['globalnetworkpolicies.projectcalico.org', 'globalnetworksets.projectcalico.org']
    const shortened = shortenDistinct(values, 30)!
    for (const value of values) assert.deepEqual(readableAs(shortened.get(value) ?? value, values), [value])
  })

  it('never shortens to a text that is another value (one holding an ellipsis)', () => {
    const values = ['abcdef…uvwxyz', 'abcdefghijklmnopqrstuvwxyz']
    const shortened = shortenDistinct(values, 13)!
    assert.notEqual(shortened.get('abcdefghijklmnopqrstuvwxyz'), 'abcdef…uvwxyz')
  })

  it('says when a width is too narrow to tell values apart', () => {
    // What tells them apart is the ninth character: a head of 9 and the ellipsis need 11 columns.
    assert.equal(shortenDistinct(['aaaaaaaaXaaaaaaaa', 'aaaaaaaaYaaaaaaaa'], 10), undefined)
    assert.equal(narrowestDistinctWidth(['aaaaaaaaXaaaaaaaa', 'aaaaaaaaYaaaaaaaa'], 5), 11)
    assert.deepEqual(
      [...shortenDistinct(['aaaaaaaaXaaaaaaaa', 'aaaaaaaaYaaaaaaaa'], 11)!.values()],
      ['aaaaaaaaX…a', 'aaaaaaaaY…a'],
    )
  })

  it('finds the narrowest width that tells a set apart', () => {
    const width = narrowestDistinctWidth([ARGOCD, NAMESPACE_CONTROLLER], 12)
    assert.ok(shortenDistinct([ARGOCD, NAMESPACE_CONTROLLER], width))
    assert.equal(shortenDistinct([ARGOCD, NAMESPACE_CONTROLLER], width - 1), undefined)
  })

  it('holds for many generated names at many widths', () => {
    let seed = 7
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648
      return seed % n
    }
    const parts = ['allow', 'deny', 'ingress', 'egress', 'from', 'to', 'monitoring', 'prometheus', 'dns', 'kube-system']
    const names = Array.from({length: 300}, () =>
      Array.from({length: 2 + random(5)}, () => parts[random(parts.length)]).join('-'),
    )
    const unique = [...new Set(names)]
    for (const width of [12, 16, 24, 40]) {
      const shortened = shortenDistinct(unique, width)
      if (!shortened) {
        assert.ok(narrowestDistinctWidth(unique, width) > width)
        continue
      }
      for (const name of unique) {
        const short: string = shortened.get(name) ?? name
        assert.ok(textWidth(short) <= width, short)
        assert.deepEqual(readableAs(short, unique), [name], `${name} → ${short}`)
      }
    }
  })
})

describe('wrapText', () => {
  const cases: Array<[string, string, number, string[]]> = [
    ['fits', 'one line', 20, ['one line']],
    ['at spaces', 'the quick brown fox jumps', 10, ['the quick', 'brown fox', 'jumps']],
    [
      'a word wider than the line is broken',
      'see /var/log/kubernetes/audit/audit.log now',
      12,
      ['see', '/var/log/kub', 'ernetes/audi', 't/audit.log', 'now'],
    ],
    ['wide characters count two columns', '日本語 日本語', 6, ['日本語', '日本語']],
  ]
  for (const [title, text, width, expected] of cases) {
    it(title, () => {
      assert.deepEqual(wrapText(text, width), expected)
      for (const line of wrapText(text, width)) assert.ok(textWidth(line) <= width)
    })
  }
})

describe('terminalWidth', () => {
  const cases: Array<[string, {isTTY?: boolean; columns?: number}, NodeJS.ProcessEnv, number | undefined]> = [
    ['a pipe: no width, whatever COLUMNS says', {isTTY: false, columns: 80}, {COLUMNS: '80'}, undefined],
    ['a file', {}, {}, undefined],
    ['a terminal: its columns', {isTTY: true, columns: 132}, {}, 132],
    ['COLUMNS when set', {isTTY: true, columns: 132}, {COLUMNS: '100'}, 100],
    ['COLUMNS that is not a number is ignored', {isTTY: true, columns: 132}, {COLUMNS: 'wide'}, 132],
    ['a terminal that does not say: 80', {isTTY: true}, {}, 80],
    ['never narrower than 20', {isTTY: true, columns: 5}, {}, 20],
  ]
  for (const [title, stream, env, expected] of cases)
    it(title, () => assert.equal(terminalWidth(stream, env), expected))
})

describe('fitTables: what gives way, in order', () => {
  const summaryColumns: Column[] = [
    {header: 'USER', shorten: 'user'},
    {header: 'CREATE', align: 'right', droppable: true},
    {header: 'DELETECOLLECTION', align: 'right', droppable: true},
    {header: 'TOTAL', align: 'right'},
  ]
  const summary = tableSpec(summaryColumns, [
    [ARGOCD, 2, 0, 2],
    [NAMESPACE_CONTROLLER, 1, 0, 1],
    ['alice', 4, 0, 4],
  ])
  // USER 58, CREATE 6, DELETECOLLECTION 16, TOTAL 5: 94 wide with gaps of three; 75 without
  // DELETECOLLECTION; 73 with gaps of two.
  const table = (layout: Layout) => {
    assert.equal(layout.kind, 'table')
    return layout as Extract<Layout, {kind: 'table'}>
  }

  const rows: Array<
    [string, number, (layout: Extract<Layout, {kind: 'table'}>, users: ReadonlyMap<string, string> | undefined) => void]
  > = [
    [
      'room enough: every column, whole, gaps of three',
      94,
      (l, users) => {
        assert.deepEqual(l.columns, [0, 1, 2, 3])
        assert.equal(l.gap, 3)
        assert.equal(users?.size ?? 0, 0)
      },
    ],
    [
      'first, a verb column that is zero for every row',
      93,
      (l, users) => {
        assert.deepEqual(l.columns, [0, 1, 3])
        assert.equal(l.gap, 3)
        assert.equal(users?.size ?? 0, 0)
      },
    ],
    [
      '… for as long as that is enough',
      75,
      (l, users) => {
        assert.deepEqual(l.columns, [0, 1, 3])
        assert.equal(l.gap, 3)
        assert.equal(users?.size ?? 0, 0)
      },
    ],
    [
      'then, gaps of two',
      73,
      (l, users) => {
        assert.deepEqual(l.columns, [0, 1, 3])
        assert.equal(l.gap, 2)
        assert.equal(users?.size ?? 0, 0)
      },
    ],
    [
      'then, the users, cut in the middle',
      50,
      (l, users) => {
        assert.deepEqual(l.columns, [0, 1, 3])
        assert.equal(l.gap, 2)
        assert.ok(users && users.size === 2)
        assert.ok(l.widths[0]! <= 50 - 6 - 5 - 4)
      },
    ],
  ]
  for (const [title, width, check] of rows) {
    it(title, () => {
      const {layouts, shortenings} = fitTables([summary], width)
      const layout = table(layouts[0]!)
      check(layout, shortenings.get('user'))
      for (const line of lines(tableText(summary, {layout, shortenings})))
        assert.ok(textWidth(line) <= width, `${line} (${width})`)
    })
  }

  it('the widest free text gives way first', () => {
    const spec = tableSpec(
      [
        {header: 'USER', shorten: 'user'},
        {header: 'NAME', shorten: 'name'},
      ],
      [[ARGOCD, 'allow-prometheus-scrape-from-monitoring']],
    )
    const {layouts} = fitTables([spec], 80)
    // 58 + 2 + 39 = 99: the user (58) is cut to the name's width, 19 columns are found there.
    assert.deepEqual(table(layouts[0]!).widths, [39, 39])
  })

  it('then prose wraps inside its column', () => {
    const detail =
      'the apiserver writes its audit log to /var/log/kubernetes/audit.log, which is on the node at the same path'
    const spec = tableSpec(
      [{header: 'CHECK'}, {header: 'STATUS'}, {header: 'DETAIL', wrap: true}],
      [['audit-log-mount', '✓ pass', detail]],
    )
    const {layouts, shortenings} = fitTables([spec], 60)
    const layout = table(layouts[0]!)
    const drawn = lines(tableText(spec, {layout, shortenings}))
    assert.ok(drawn.length > 2, 'the detail takes several lines')
    for (const line of drawn) assert.ok(textWidth(line) <= 60, line)
    assert.equal(
      drawn
        .slice(1)
        .map((l) => l.slice(layout.widths[0]! + layout.widths[1]! + 2 * layout.gap))
        .join(' '),
      detail,
    )
  })

  it('last, one row per block of key: value lines, when even cut values do not fit', () => {
    const spec = tableSpec(
      [
        {header: 'TIME'},
        {header: 'USER', shorten: 'user'},
        {header: 'VERB'},
        {header: 'KIND'},
        {header: 'NAMESPACE', shorten: 'namespace', droppable: true},
        {header: 'RESULT'},
      ],
      [
        ['2026-11-24T07:15:31Z', ARGOCD, 'deletecollection', 'StagedGlobalNetworkPolicy', '', '403 Forbidden'],
        ['2026-11-24T07:16:00Z', 'alice', 'create', 'NetworkPolicy (k8s)', 'shop', 'ok'],
      ],
    )
    const {layouts, shortenings} = fitTables([spec], 60)
    assert.equal(layouts[0]!.kind, 'blocks')
    const text = tableText(spec, {layout: layouts[0], shortenings})
    // 60 columns less the keys' 11 leave 49 for a value: the service account is cut to fit.
    const user = shortenings.get('user')!.get(ARGOCD)!
    assert.ok(textWidth(user) <= 49 && readableAs(user, [ARGOCD, 'alice']).length === 1, user)
    assert.equal(
      text,
      [
        `time:      2026-11-24T07:15:31Z`,
        `user:      ${user}`,
        'verb:      deletecollection',
        'kind:      StagedGlobalNetworkPolicy',
        'result:    403 Forbidden',
        '',
        'time:      2026-11-24T07:16:00Z',
        'user:      alice',
        'verb:      create',
        'kind:      NetworkPolicy (k8s)',
        'namespace: shop',
        'result:    ok',
        '',
      ].join('\n'),
    )
  })

  it('in blocks, a row with nothing in its first column continues the block above', () => {
    const spec = tableSpec(
      [{header: 'CHECK'}, {header: 'STATUS'}, {header: 'DETAIL', wrap: true}],
      [
        ['audit-log-fresh', '- skip', 'offline: the log is not on this machine'],
        ['', '', '→ on the node: sudo tail -n 1 /var/log/kubernetes/audit/audit.log'],
        ['policy-valid', '✓ pass', '6 rules, valid'],
      ],
    )
    const {layouts, shortenings} = fitTables([spec], 36)
    assert.equal(layouts[0]!.kind, 'blocks')
    assert.equal(
      tableText(spec, {layout: layouts[0], shortenings}),
      [
        'check:  audit-log-fresh',
        'status: - skip',
        'detail: offline: the log is not on',
        '        this machine',
        'detail: → on the node: sudo tail -n',
        '        1',
        '        /var/log/kubernetes/audit/au',
        '        dit.log',
        '',
        'check:  policy-valid',
        'status: ✓ pass',
        'detail: 6 rules, valid',
        '',
      ].join('\n'),
    )
  })

  it('cuts a user one way in every table of an output, at the narrowest room any leaves', () => {
    const list = tableSpec(
      [{header: 'TIME'}, {header: 'USER', shorten: 'user'}, {header: 'VERB'}],
      [
        ['2026-11-24T07:15:31Z', ARGOCD, 'patch'],
        ['2026-11-24T07:16:00Z', NAMESPACE_CONTROLLER, 'deletecollection'],
      ],
    )
    const {layouts, shortenings} = fitTables([summary, list], 64)
    const users = shortenings.get('user')!
    const short = users.get(ARGOCD)!
    assert.ok(short.includes(ELLIPSIS))
    for (const [i, spec] of [summary, list].entries()) {
      const text = tableText(spec, {layout: layouts[i], shortenings})
      assert.ok(text.includes(short), text)
      assert.ok(!text.includes(ARGOCD))
      for (const line of lines(text)) assert.ok(textWidth(line) <= 64, line)
    }
  })

  it('colour codes take no room; escape markers take theirs', () => {
    const spec = tableSpec(
      [{header: 'USER', shorten: 'user'}, {header: 'RESULT'}],
      [
        ['mallory\u001b[2Jx', '403 Forbidden'],
        [ARGOCD, 'ok'],
      ],
    )
    // The marker is what is shown: `mallory\x1b[2Jx`, 15 columns.
    assert.equal(spec.rows[0]![0], 'mallory\\x1b[2Jx')
    const chalk = new Chalk({level: 1})
    const {layouts, shortenings} = fitTables([spec], 40)
    const text = tableText(spec, {
      layout: layouts[0],
      shortenings,
      style: (_r, c, t) => (c === 1 ? chalk.red(t) : chalk.bold(t)),
    })
    assert.match(text, /\u001b\[31m403 Forbidden\u001b\[39m/)
    for (const line of lines(text)) assert.ok(line.replace(ANSI, '').length <= 40, line)
    const plain = lines(text.replace(ANSI, ''))
    // Columns line up: RESULT starts at the same place on every line.
    const at = plain.map((l) => l.search(/(RESULT|403|ok)/))
    assert.equal(new Set(at).size, 1, plain.join('\n'))
  })
})

describe('renderTable', () => {
  it('without a layout: every value whole, kubectl-style', () => {
    const spec = tableSpec(
      [{header: 'USER'}, {header: 'COUNT', align: 'right'}],
      [
        [ARGOCD, 2],
        ['alice', 10],
      ],
    )
    assert.equal(
      tableText(spec),
      [`USER${' '.repeat(57)}COUNT`, `${ARGOCD}       2`, `alice${' '.repeat(59)}10`, ''].join('\n'),
    )
  })

  it('streams: chunks of whole lines, the header once', () => {
    const spec = tableSpec(
      [{header: 'N', align: 'right'}],
      Array.from({length: 250}, (_, i) => [i]),
    )
    const chunks = [...renderTable(spec)]
    assert.ok(chunks.length > 1)
    for (const chunk of chunks) assert.ok(chunk.endsWith('\n'))
    const all = lines(chunks.join(''))
    assert.equal(all.length, 251)
    assert.equal(all.filter((l) => l.trim() === 'N').length, 1)
    assert.equal(all[250], '249')
  })
})
