import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'

import {stringify} from 'yaml'

import {loadKubeConfig} from '../../src/cluster/kubeconfig.js'
import {UserError} from '../../src/errors.js'

/** A kubeconfig with one cluster/user/context per name, the first one current. */
function kubeconfig(names: string[], current = names[0]): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: names.map((n) => ({name: n, cluster: {server: `https://${n}.example:6443`}})),
    users: names.map((n) => ({name: n, user: {token: `token-${n}`}})),
    contexts: names.map((n) => ({name: n, context: {cluster: n, user: n}})),
    'current-context': current,
  })
}

describe('loadKubeConfig', () => {
  let dir: string
  const file = (name: string, content: string) => {
    const path = join(dir, name)
    writeFileSync(path, content)
    return path
  }
  const base = {requestTimeoutMs: 0}
  const noHome = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({HOME: join(dir, 'no-home'), ...extra})

  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'kubeconfig-test-')) })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))

  it('prefers --kubeconfig over $KUBECONFIG', async () => {
    const a = file('a', kubeconfig(['a']))
    const b = file('b', kubeconfig(['b']))
    const kc = await loadKubeConfig({...base, kubeconfig: a}, noHome({KUBECONFIG: b}))
    assert.equal(kc.getCurrentCluster()?.server, 'https://a.example:6443')
  })

  it('merges a $KUBECONFIG list, skipping missing files; the first file wins', async () => {
    const a = file('a', kubeconfig(['shared', 'only-a']))
    const b = file('b', kubeconfig(['shared', 'only-b'], 'only-b'))
    const kc = await loadKubeConfig(base, noHome({KUBECONFIG: [join(dir, 'missing'), a, b].join(delimiter)}))
    assert.equal(kc.currentContext, 'shared')
    assert.deepEqual(kc.contexts.map((c) => c.name).sort(), ['only-a', 'only-b', 'shared'])
    assert.equal(kc.getUser('shared')?.token, 'token-shared')
  })

  it('falls back to ~/.kube/config', async () => {
    const home = join(dir, 'home')
    mkdirSync(join(home, '.kube'), {recursive: true})
    writeFileSync(join(home, '.kube', 'config'), kubeconfig(['home']))
    const kc = await loadKubeConfig(base, {HOME: home})
    assert.equal(kc.currentContext, 'home')
  })

  it('switches context and overrides cluster and user like kubectl', async () => {
    const path = file('a', kubeconfig(['one', 'two', 'three']))
    const kc = await loadKubeConfig({...base, kubeconfig: path, context: 'two', cluster: 'three', user: 'one'}, noHome())
    assert.equal(kc.currentContext, 'two')
    assert.equal(kc.getCurrentCluster()?.server, 'https://three.example:6443')
    assert.equal(kc.getCurrentUser()?.token, 'token-one')
  })

  const failures: Array<[string, Parameters<typeof loadKubeConfig>[0] | 'none', RegExp]> = [
    ['a missing --kubeconfig file', {...base, kubeconfig: '/nonexistent/kubeconfig'}, /^kubeconfig file "\/nonexistent\/kubeconfig" does not exist$/],
    ['no kubeconfig anywhere', 'none', /^no kubeconfig found/],
    ['an unknown context', {...base, context: 'nope'}, /^context "nope" not found in the kubeconfig$/],
    ['an unknown cluster', {...base, cluster: 'nope'}, /^cluster "nope" not found in the kubeconfig$/],
    ['an unknown user', {...base, user: 'nope'}, /^user "nope" not found in the kubeconfig$/],
  ]
  for (const [what, opts, message] of failures) {
    it(`reports ${what} as a UserError`, async () => {
      const path = file('a', kubeconfig(['one']))
      const promise = opts === 'none' ? loadKubeConfig(base, noHome()) : loadKubeConfig({kubeconfig: path, ...opts}, noHome())
      await assert.rejects(promise, (error: unknown) => error instanceof UserError && message.test(error.message) && error.exitCode === 2)
    })
  }

  it('reports an unparsable kubeconfig with its name', async () => {
    const path = file('broken', 'clusters: [unclosed')
    await assert.rejects(loadKubeConfig({...base, kubeconfig: path}, noHome()),
      (error: unknown) => error instanceof UserError && error.message.startsWith(`cannot load kubeconfig "${path}"`))
  })
})
