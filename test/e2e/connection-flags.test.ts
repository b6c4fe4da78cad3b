// kubectl's connection flags, through the CLI against the fake apiserver: what they put on the
// wire (bearer token, impersonation headers, TLS trust), which kubeconfig entries they pick, -v's
// request log, and how an unreachable server or a missing credential plugin is reported.
import assert from 'node:assert/strict'
import {createServer} from 'node:net'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {stringify} from 'yaml'

import type {PolicyChangeReport} from '../../src/commands/policies.js'
import {type CliResult, runCli} from '../support/cli.js'
import {EXAMPLE_LOG, exampleLines, joinLines, KUBEADM_LOG, RKE2_LOG, writeOnNode} from '../support/cluster-logs.js'
import {type FakeApiserver, startFakeApiserver} from '../support/fake-apiserver/index.js'

/** No stack trace, exit 2, and exactly an error line and a hint line. */
function assertUserError(result: CliResult, error: RegExp, hint: RegExp): void {
  assert.equal(result.code, 2, result.stderr)
  const [first, second, rest] = result.stderr.split('\n')
  assert.match(first ?? '', error, result.stderr)
  assert.match(second ?? '', hint, result.stderr)
  assert.equal(rest, '', result.stderr)
  assert.doesNotMatch(result.stderr, /\n\s+at /)
}

describe('connection flags against the fake apiserver', function () {
  this.timeout(60_000)
  let fake: FakeApiserver
  let dir: string
  let expected: number
  /** No kubeconfig anywhere unless a test names one. */
  let env: NodeJS.ProcessEnv

  before(async () => {
    const result = await runCli(['policies', '-f', EXAMPLE_LOG, '--since', 'all', '-o', 'json'])
    expected = (JSON.parse(result.stdout) as PolicyChangeReport).changes.length
  })
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'connection-flags-'))
    const root = join(dir, 'node')
    writeOnNode(root, KUBEADM_LOG, joinLines(exampleLines()))
    writeOnNode(root, RKE2_LOG, joinLines(exampleLines()))
    fake = await startFakeApiserver({
      nodes: [{name: 'cp-1', root, labels: {'node-role.kubernetes.io/control-plane': ''}}],
    })
    env = {KUBECONFIG: '', HOME: dir}
  })
  afterEach(async () => {
    await fake.close()
    rmSync(dir, {recursive: true, force: true})
  })

  const file = (name: string, text: string) => {
    const path = join(dir, name)
    writeFileSync(path, text)
    return path
  }
  /** Reads the node's log (through the kubelet, or a reader pod for RKE2's path) and checks the answer. */
  async function policies(args: string[], logPath = KUBEADM_LOG): Promise<CliResult> {
    const result = await runCli(
      ['policies', '--node', 'cp-1', '--log-path', logPath, '--since', 'all', '-o', 'json', ...args],
      {env},
    )
    assert.equal(result.code, 0, result.stderr)
    assert.equal((JSON.parse(result.stdout) as PolicyChangeReport).changes.length, expected)
    return result
  }

  it('--server, --certificate-authority and --token make a cluster without any kubeconfig', async () => {
    const ca = file('ca.pem', fake.caPem)
    await policies(['--server', fake.url, '--certificate-authority', ca, '--token', fake.token])
    assert.ok(
      fake.requests.length > 0 && fake.requests.every((r) => r.headers.authorization === `Bearer ${fake.token}`),
    )
  })

  it('--token replaces the kubeconfig credentials; a wrong one is refused as such', async () => {
    await policies(['--kubeconfig', fake.writeKubeconfig({token: null}), '--token', fake.token])
    const result = await runCli(
      [
        'policies',
        '--kubeconfig',
        fake.kubeconfigPath,
        '--token',
        'wrong',
        '--node',
        'cp-1',
        '--log-path',
        KUBEADM_LOG,
      ],
      {env},
    )
    assertUserError(
      result,
      /^error: the API server at https:\/\/127\.0\.0\.1:\d+ rejected the credentials \(401 Unauthorized\)$/,
      /^hint: log in again/,
    )
  })

  it("without the server's CA, TLS fails and says so; --insecure-skip-tls-verify goes on without it", async () => {
    const args = ['--server', fake.url, '--token', fake.token]
    const refused = await runCli(['policies', ...args, '--node', 'cp-1', '--log-path', KUBEADM_LOG], {env})
    assertUserError(
      refused,
      /^error: the API server at https:\/\/127\.0\.0\.1:\d+ cannot be reached: TLS verification failed \([A-Z_]+: .+\)$/,
      /^hint: the kubeconfig's certificate-authority \(or --certificate-authority\) does not match/,
    )
    await policies([...args, '--insecure-skip-tls-verify'])
  })

  it('--as and --as-group impersonate on every request: REST, the kubelet proxy, and exec', async () => {
    const impersonating = [
      '--kubeconfig',
      fake.kubeconfigPath,
      '--as',
      'alice',
      '--as-group',
      'ops',
      '--as-group',
      'system:masters',
    ]
    await policies(impersonating)
    await policies(impersonating, RKE2_LOG)
    const paths = new Set(fake.requests.map((r) => r.path))
    assert.ok(
      [...paths].some((p) => p.startsWith('/api/v1/nodes/cp-1/proxy/logs/')) &&
        [...paths].some((p) => p.endsWith('/exec')) &&
        paths.has('/api/v1/namespaces/kube-system/pods'),
      [...paths].join('\n'),
    )
    for (const request of fake.requests)
      assert.deepEqual(
        request.impersonation,
        {user: 'alice', groups: ['ops', 'system:masters']},
        `${request.method} ${request.path}`,
      )
  })

  it('--context, --cluster and --kube-user pick kubeconfig entries as kubectl does', async () => {
    const kubeconfig = file(
      'kubeconfig',
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'elsewhere',
        clusters: [
          {
            name: 'fake',
            cluster: {server: fake.url, 'certificate-authority-data': Buffer.from(fake.caPem).toString('base64')},
          },
          {name: 'nowhere', cluster: {server: 'https://127.0.0.1:9'}},
        ],
        users: [
          {name: 'admin', user: {token: fake.token}},
          {name: 'stranger', user: {token: 'not-this-one'}},
        ],
        contexts: [
          {name: 'fake', context: {cluster: 'fake', user: 'admin'}},
          {name: 'elsewhere', context: {cluster: 'nowhere', user: 'stranger'}},
        ],
      }),
    )
    await policies(['--kubeconfig', kubeconfig, '--context', 'fake'])
    await policies(['--kubeconfig', kubeconfig, '--cluster', 'fake', '--kube-user', 'admin'])
    const result = await runCli(
      ['policies', '--kubeconfig', kubeconfig, '--context', 'fake', '--kube-user', 'nobody'],
      {env},
    )
    assertUserError(
      result,
      /^error: user "nobody" not found in the kubeconfig$/,
      /^hint: known users: admin, stranger \(--kube-user picks one\)$/,
    )
  })

  it('-v logs every request on stderr, and stdout stays the report', async () => {
    const result = await policies(['--kubeconfig', fake.kubeconfigPath, '-v'], RKE2_LOG)
    const lines = result.stderr.split('\n').filter((line) => line.startsWith('request: '))
    const origin = fake.url.replaceAll('.', '\\.')
    assert.ok(
      lines.some((l) => new RegExp(`^request: GET ${origin}/api/v1/nodes 200 in \\d+ ms$`).test(l)),
      lines.join('\n'),
    )
    assert.ok(
      lines.some((l) =>
        new RegExp(`^request: POST ${origin}/api/v1/namespaces/kube-system/pods 201 in \\d+ ms$`).test(l),
      ),
      lines.join('\n'),
    )
    assert.ok(
      lines.some((l) =>
        new RegExp(`^request: GET ${origin}/api/v1/namespaces/kube-system/pods/[^/]+/exec\\?\\S+ 101 in \\d+ ms$`).test(
          l,
        ),
      ),
      lines.join('\n'),
    )
    assert.doesNotMatch(result.stderr, new RegExp(fake.token))
    // Raw requests (the kubelet's /logs/ through the API server) too.
    const kubelet = await policies(['--kubeconfig', fake.kubeconfigPath, '-v'])
    assert.match(
      kubelet.stderr,
      new RegExp(
        `^request: GET ${origin}/api/v1/nodes/cp-1/proxy/logs/kubernetes/audit/audit\\.log (200|206) in \\d+ ms$`,
        'm',
      ),
    )
  })

  it("kubectl's -v=6 works too, and doctor takes the same flags", async () => {
    const result = await runCli(
      [
        'doctor',
        '--kubeconfig',
        fake.writeKubeconfig({token: null}),
        '--token',
        fake.token,
        '--as',
        'alice',
        '--no-node-access',
        '-o',
        'json',
        '-v=6',
      ],
      {env},
    )
    assert.ok(result.code === 0 || result.code === 1, result.stderr)
    assert.equal(JSON.parse(result.stdout).kind, 'DoctorReport')
    assert.match(result.stderr, /^request: GET https:\/\/127\.0\.0\.1:\d+\/version 200 in \d+ ms$/m)
    assert.ok(fake.requests.length > 0 && fake.requests.every((r) => r.impersonation?.user === 'alice'))
  })
})

describe('a server that cannot be reached, through the CLI', function () {
  this.timeout(30_000)
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'unreachable-'))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))
  const env = () => ({KUBECONFIG: '', HOME: dir})

  /** A port nothing listens on: one that was just free. */
  async function closedPort(): Promise<number> {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const {port} = server.address() as {port: number}
    await new Promise<void>((resolve) => server.close(() => resolve()))
    return port
  }

  for (const command of ['policies', 'doctor']) {
    it(`${command}: a port fetch refuses to use (6000)`, async () => {
      const result = await runCli([command, '--server', 'https://127.0.0.1:6000', '--token', 't'], {env: env()})
      assertUserError(
        result,
        /^error: the API server at https:\/\/127\.0\.0\.1:6000 cannot be reached: port 6000 is one that fetch refuses to connect to \(a "bad port"\)$/,
        /^hint: serve or forward the API server on another port/,
      )
    })

    it(`${command}: connection refused`, async () => {
      const port = await closedPort()
      const result = await runCli([command, '--server', `https://127.0.0.1:${port}`, '--token', 't'], {env: env()})
      assertUserError(
        result,
        new RegExp(`^error: the API server at https://127\\.0\\.0\\.1:${port} cannot be reached: connection refused$`),
        /^hint: is the cluster running/,
      )
    })
  }

  it('a host name that does not resolve', async () => {
    const result = await runCli(['policies', '--server', 'https://kubectl-audit-test.invalid:6443', '--token', 't'], {
      env: env(),
    })
    assertUserError(
      result,
      /^error: the API server at https:\/\/kubectl-audit-test\.invalid:6443 cannot be reached: cannot resolve the host kubectl-audit-test\.invalid$/,
      /^hint: check the server address/,
    )
  })

  it('a credential plugin that is not installed', async () => {
    const kubeconfig = join(dir, 'kubeconfig')
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'eks',
        clusters: [{name: 'eks', cluster: {server: 'https://127.0.0.1:9'}}],
        users: [
          {
            name: 'eks',
            user: {
              exec: {
                apiVersion: 'client.authentication.k8s.io/v1beta1',
                command: 'aws-iam-authenticator',
                args: ['token', '-i', 'prod'],
              },
            },
          },
        ],
        contexts: [{name: 'eks', context: {cluster: 'eks', user: 'eks'}}],
      }),
    )
    // An empty PATH: the plugin is found nowhere, whatever this machine has installed.
    for (const command of ['policies', 'doctor']) {
      const result = await runCli([command, '--kubeconfig', kubeconfig], {env: {...env(), PATH: dir}})
      assertUserError(
        result,
        /^error: the kubeconfig user "eks" gets its credentials from the command "aws-iam-authenticator", which is not installed \(or not on PATH\)$/,
        /^hint: install aws-iam-authenticator \(https:\/\/github\.com\/kubernetes-sigs\/aws-iam-authenticator\), or rewrite the entry for the AWS CLI/,
      )
    }
  })
})
