// history's argument and flags compiled into its options, row by row, parsed by oclif with the
// command's own definitions; and the flags that show what changed, for policies.
import assert from 'node:assert/strict'

import {Parser} from '@oclif/core'

import {WRITE_VERBS} from '../../src/audit/catalog.js'
import {objectKey} from '../../src/audit/what-changed/history.js'
import History from '../../src/commands/history.js'
import {UserError} from '../../src/errors.js'
import {type HistoryFlagValues, type HistoryOptions, historyOptions} from '../../src/flags/history.js'
import {whatChangedOptions} from '../../src/flags/what-changed.js'

const NOW = Date.parse('2026-11-25T12:00:00Z')

async function compile(argv: string[]): Promise<HistoryOptions> {
  const {args, flags} = await Parser.parse(argv, {flags: History.flags, args: History.args, strict: true})
  return historyOptions(args.object as string | undefined, flags as HistoryFlagValues, NOW)
}

describe('history options', () => {
  it('the whole log by default, every change of the kind asked of a store, only the object keeping its bodies', async () => {
    const o = await compile(['gnp/security.allow-dns', '-f', 'audit.log'])
    assert.deepEqual(o.window, {sinceMs: null, untilMs: null})
    assert.deepEqual(o.input, {from: 'files', files: ['audit.log']})
    assert.deepEqual(o.query.verbs, [...WRITE_VERBS])
    assert.deepEqual(o.query.resources, [
      {apiGroup: 'projectcalico.org', resource: 'globalnetworkpolicies'},
      {apiGroup: 'crd.projectcalico.org', resource: 'globalnetworkpolicies'},
    ])
    const key = objectKey({
      apiGroup: 'projectcalico.org',
      resource: 'globalnetworkpolicies',
      namespace: null,
      name: 'security.allow-dns',
    })
    assert.deepEqual(o.bodies, {objects: [key]})
    assert.deepEqual(
      [o.object.kind, o.object.name, o.object.namespace, o.object.namespaced],
      ['GlobalNetworkPolicy', 'security.allow-dns', null, false],
    )
  })

  it('a window, when asked for', async () => {
    assert.deepEqual((await compile(['tier/security', '-f', 'a.log', '--since', '1h'])).window, {
      sinceMs: NOW - 3_600_000,
      untilMs: null,
    })
    assert.deepEqual((await compile(['tier/security', '-f', 'a.log', '--until-time', '2026-11-24T00:00:00Z'])).window, {
      sinceMs: null,
      untilMs: Date.parse('2026-11-24T00:00:00Z'),
    })
  })

  it('--user, --verb and --outcome choose what is shown, not what is asked of a store', async () => {
    const o = await compile([
      'knp/allow-web',
      '-n',
      'shop',
      '-f',
      'a.log',
      '--user',
      'bob',
      '--verb',
      'patch,update',
      '--outcome',
      'succeeded',
    ])
    assert.deepEqual(
      [o.selection.users, o.selection.verbs, o.selection.outcome, o.selection.resources, o.selection.namespaces],
      [['bob'], ['patch', 'update'], 'succeeded', null, []],
    )
    assert.deepEqual([o.query.users, o.query.verbs, o.query.namespaces], [[], [...WRITE_VERBS], ['shop']])
    assert.deepEqual(o.selectionFlags, ['--user bob', '--verb patch,update', '--outcome succeeded'])
  })

  it('a namespaced kind without -n keeps the bodies of the name in any namespace', async () => {
    const o = await compile(['knp/allow-web', '-f', 'a.log'])
    assert.equal(o.object.namespace, null)
    assert.ok(
      o.bodies.objects!.every((key) => key.includes('|*|allow-web')),
      String(o.bodies.objects),
    )
  })

  it('a file after the object or before it: -f takes one value at a time', async () => {
    assert.deepEqual((await compile(['-f', 'a.log', 'tier/security'])).input, {from: 'files', files: ['a.log']})
    assert.deepEqual((await compile(['-f', 'a.log', '-f', 'b.log', 'tier/security'])).input, {
      from: 'files',
      files: ['a.log', 'b.log'],
    })
  })

  const mistakes: Array<[string, string[], RegExp]> = [
    ['no object', ['-f', 'a.log'], /^history needs the object, as KIND\/NAME$/],
    ['no name', ['gnp/', '-f', 'a.log'], /^"gnp\/" is not KIND\/NAME$/],
    ['a namespace in the name', ['knp/shop/allow-web', '-f', 'a.log'], /^"knp\/shop\/allow-web" is not KIND\/NAME$/],
    ['an unknown kind', ['pods/web', '-f', 'a.log'], /^pods is not a watched kind$/],
    ['-n for a cluster-scoped kind', ['tier/security', '-n', 'x', '-f', 'a.log'], /^-n x: Tier is not namespaced$/],
    ['a bad --verb', ['tier/security', '--verb', 'get', '-f', 'a.log'], /^--verb get is not a write verb$/],
    [
      'a cluster flag with -f',
      ['tier/security', '-f', 'a.log', '--context', 'prod'],
      /^--context is for reading the logs from the cluster, which -f replaces$/,
    ],
  ]
  for (const [what, argv, message] of mistakes) {
    it(`refuses ${what}`, async () => {
      await assert.rejects(compile(argv), (error: unknown) => error instanceof UserError && message.test(error.message))
    })
  }
})

describe('what-changed options', () => {
  it('nothing asked: no body is kept', () => assert.equal(whatChangedOptions({}), null))
  it('--diff, --opens', () => {
    assert.deepEqual(whatChangedOptions({diff: true}), {diff: true, opens: false, showAllFields: false})
    assert.deepEqual(whatChangedOptions({opens: true}), {diff: false, opens: true, showAllFields: false})
    assert.deepEqual(whatChangedOptions({diff: true, 'show-all-fields': true}), {
      diff: true,
      opens: false,
      showAllFields: true,
    })
  })
  it('--show-all-fields alone is a mistake', () => {
    assert.throws(() => whatChangedOptions({'show-all-fields': true}), /--show-all-fields is for the diffs of --diff/)
  })
})
