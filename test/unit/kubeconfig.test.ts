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

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubeconfig-test-'))
  })
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
    const kc = await loadKubeConfig(
      {...base, kubeconfig: path, context: 'two', cluster: 'three', kubeUser: 'one'},
      noHome(),
    )
    assert.equal(kc.currentContext, 'two')
    assert.equal(kc.getCurrentCluster()?.server, 'https://three.example:6443')
    assert.equal(kc.getCurrentUser()?.token, 'token-one')
  })

  const failures: Array<[string, Parameters<typeof loadKubeConfig>[0] | 'none', RegExp]> = [
    [
      'a missing --kubeconfig file',
      {...base, kubeconfig: '/nonexistent/kubeconfig'},
      /^kubeconfig file "\/nonexistent\/kubeconfig" does not exist$/,
    ],
    ['no kubeconfig anywhere', 'none', /^no kubeconfig found/],
    ['an unknown context', {...base, context: 'nope'}, /^context "nope" not found in the kubeconfig$/],
    ['an unknown cluster', {...base, cluster: 'nope'}, /^cluster "nope" not found in the kubeconfig$/],
    ['an unknown user', {...base, kubeUser: 'nope'}, /^user "nope" not found in the kubeconfig$/],
    [
      'a missing --certificate-authority file',
      {...base, certificateAuthority: '/nonexistent/ca.pem'},
      /^--certificate-authority file "\/nonexistent\/ca.pem" does not exist$/,
    ],
  ]
  for (const [what, opts, message] of failures) {
    it(`reports ${what} as a UserError`, async () => {
      const path = file('a', kubeconfig(['one']))
      const promise =
        opts === 'none' ? loadKubeConfig(base, noHome()) : loadKubeConfig({kubeconfig: path, ...opts}, noHome())
      await assert.rejects(
        promise,
        (error: unknown) => error instanceof UserError && message.test(error.message) && error.exitCode === 2,
      )
    })
  }

  it('reports an unparsable kubeconfig with its name', async () => {
    const path = file('broken', 'clusters: [unclosed')
    await assert.rejects(
      loadKubeConfig({...base, kubeconfig: path}, noHome()),
      (error: unknown) => error instanceof UserError && error.message.startsWith(`cannot load kubeconfig "${path}"`),
    )
  })

  describe("kubectl's connection flags", () => {
    const CA = Buffer.from('kubeconfig CA').toString('base64')
    /** One cluster with a CA and a user with a token and a client certificate. */
    const full = () =>
      file(
        'full',
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          'current-context': 'c',
          clusters: [{name: 'c', cluster: {server: 'https://c.example:6443', 'certificate-authority-data': CA}}],
          users: [
            {
              name: 'u',
              user: {
                token: 'kubeconfig-token',
                'client-certificate-data': 'Y2VydA==',
                'client-key-data': 'a2V5',
                username: 'basic',
                password: 'pw',
              },
            },
          ],
          contexts: [{name: 'c', context: {cluster: 'c', user: 'u'}}],
        }),
      )

    it('--server replaces the server and keeps the TLS trust', async () => {
      const kc = await loadKubeConfig({...base, kubeconfig: full(), server: 'https://10.0.0.9:6443'}, noHome())
      assert.deepEqual(kc.getCurrentCluster(), {
        name: 'c',
        server: 'https://10.0.0.9:6443',
        skipTLSVerify: false,
        caData: CA,
        caFile: undefined,
        tlsServerName: undefined,
        proxyUrl: undefined,
      })
    })

    it('--certificate-authority replaces the CA data, as an absolute path', async () => {
      const ca = file('ca.pem', 'not checked here')
      const kc = await loadKubeConfig({...base, kubeconfig: full(), certificateAuthority: ca}, noHome())
      const cluster = kc.getCurrentCluster()!
      assert.equal(cluster.caFile, ca)
      assert.equal(cluster.caData, undefined)
      assert.equal(cluster.skipTLSVerify, false)
    })

    it('--insecure-skip-tls-verify drops the CA (kubectl refuses both)', async () => {
      const kc = await loadKubeConfig({...base, kubeconfig: full(), insecureSkipTlsVerify: true}, noHome())
      const cluster = kc.getCurrentCluster()!
      assert.equal(cluster.skipTLSVerify, true)
      assert.equal(cluster.caData, undefined)
    })

    it('--token replaces the credentials but the client certificate', async () => {
      const kc = await loadKubeConfig({...base, kubeconfig: full(), token: 'flag-token'}, noHome())
      assert.deepEqual(kc.getCurrentUser(), {
        name: 'u',
        token: 'flag-token',
        certData: 'Y2VydA==',
        certFile: undefined,
        keyData: 'a2V5',
        keyFile: undefined,
      })
      const opts: {headers?: Record<string, string>} = {}
      await kc.applyToHTTPSOptions(opts)
      assert.equal(opts.headers?.Authorization, 'Bearer flag-token')
    })

    it('--as and --as-group become impersonation headers, one line per group, on raw requests and WebSockets', async () => {
      const kc = await loadKubeConfig(
        {...base, kubeconfig: full(), impersonate: {user: 'alice', groups: ['ops', 'system:masters']}},
        noHome(),
      )
      const opts: {headers?: Record<string, string>} = {}
      await kc.applyToHTTPSOptions(opts)
      assert.equal(opts.headers?.['Impersonate-User'], 'alice')
      assert.deepEqual(opts.headers?.['Impersonate-Group'] as unknown, ['ops', 'system:masters'])
      // client-node's REST requests (fetch) are checked on the wire, in test/e2e/connection-flags.test.ts.
    })

    it('--server alone is a cluster, with no kubeconfig at all', async () => {
      const kc = await loadKubeConfig({...base, server: 'https://10.0.0.9:6443', token: 't'}, noHome())
      assert.equal(kc.getCurrentCluster()?.server, 'https://10.0.0.9:6443')
      assert.equal(kc.getCurrentUser()?.token, 't')
    })
  })

  describe('credentials that cannot be prepared', () => {
    const withUser = (user: object) =>
      file(
        'exec',
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          'current-context': 'c',
          clusters: [{name: 'c', cluster: {server: 'https://c.example:6443'}}],
          users: [{name: 'eks', user}],
          contexts: [{name: 'c', context: {cluster: 'c', user: 'eks'}}],
        }),
      )
    const execUser = (command: string) => ({
      exec: {apiVersion: 'client.authentication.k8s.io/v1beta1', command, args: ['token', '-i', 'prod']},
    })

    const cases: Array<[string, object, RegExp, RegExp]> = [
      [
        'a missing aws-iam-authenticator',
        execUser('aws-iam-authenticator'),
        /^the kubeconfig user "eks" gets its credentials from the command "aws-iam-authenticator", which is not installed \(or not on PATH\)$/,
        /^install aws-iam-authenticator .*aws eks update-kubeconfig/,
      ],
      [
        'a missing gke-gcloud-auth-plugin',
        execUser('gke-gcloud-auth-plugin'),
        /command "gke-gcloud-auth-plugin", which is not installed/,
        /gcloud components install gke-gcloud-auth-plugin/,
      ],
      [
        'a missing kubelogin',
        execUser('kubelogin'),
        /command "kubelogin", which is not installed/,
        /az aks install-cli/,
      ],
      [
        'a missing unknown plugin',
        execUser('my-login-helper'),
        /command "my-login-helper", which is not installed/,
        /^install my-login-helper, or choose another user or context/,
      ],
      [
        'a plugin that fails',
        {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1beta1',
            command: process.execPath,
            args: ['-e', 'process.stderr.write("token expired\\n"); process.exit(1)'],
          },
        },
        /^the credential command of the kubeconfig user "eks" \(".*"\) failed: token expired$/,
        /^run it yourself to see why/,
      ],
      [
        'a client certificate file that is not there',
        {'client-certificate': '/nonexistent/cert.pem', 'client-key': '/nonexistent/key.pem'},
        /^the kubeconfig names the file "\/nonexistent\/cert.pem", which does not exist$/,
        /fix the certificate or key path/,
      ],
    ]
    // client-node runs the plugin with this process's PATH: an empty folder, so that none is found.
    let path: string | undefined
    beforeEach(() => {
      path = process.env.PATH
      process.env.PATH = dir
    })
    afterEach(() => {
      process.env.PATH = path
    })
    for (const [what, user, message, hint] of cases) {
      it(`says what to do about ${what}`, async () => {
        const kc = await loadKubeConfig({...base, kubeconfig: withUser(user)}, noHome())
        await assert.rejects(
          kc.applyToHTTPSOptions({}),
          (error: unknown) => error instanceof UserError && message.test(error.message) && hint.test(error.hint ?? ''),
        )
      })
    }
  })
})
