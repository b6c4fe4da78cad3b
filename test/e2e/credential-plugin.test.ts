// The kubeconfig user's credential command (exec plugin), as real scripts against the fake
// apiserver: its token is used and it runs once for requests made together; one that never
// answers is stopped at the limit together with what it started; Ctrl-C and SIGTERM stop it too.
// A process still alive is waited for until it is gone: a leak shows as mocha's timeout.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {stringify} from 'yaml'

import {loadKubeConfig} from '../../src/cluster/kubeconfig.js'
import {UserError} from '../../src/errors.js'
import {ROOT, RUN} from '../support/cli.js'
import {type FakeApiserver, startFakeApiserver} from '../support/fake-apiserver/index.js'

/** Whether a process is still there (a zombie is not: its parent has not reaped it, but it runs nothing). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : ''
  return !/^\d+ \(.*\) Z /.test(stat)
}

async function untilGone(pid: number): Promise<void> {
  while (alive(pid)) await sleep(50)
}

async function untilFile(path: string): Promise<string> {
  while (!existsSync(path) || readFileSync(path, 'utf8').trim() === '') await sleep(20)
  return readFileSync(path, 'utf8').trim()
}

describe('credential plugins (exec) against the fake apiserver', function () {
  this.timeout(60_000)
  let fake: FakeApiserver
  let dir: string

  beforeEach(async () => {
    fake = await startFakeApiserver({nodes: [{name: 'cp-1', root: tmpdir()}]})
    dir = mkdtempSync(join(tmpdir(), 'credential-plugin-'))
  })
  afterEach(async () => {
    await fake.close()
    rmSync(dir, {recursive: true, force: true})
  })

  const script = (name: string, body: string) => {
    const path = join(dir, name)
    writeFileSync(path, `#!/bin/sh\n${body}\n`)
    chmodSync(path, 0o755)
    return path
  }
  const kubeconfig = (command: string) => {
    const path = join(dir, 'kubeconfig')
    writeFileSync(
      path,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'fake',
        clusters: [
          {
            name: 'fake',
            cluster: {server: fake.url, 'certificate-authority-data': Buffer.from(fake.caPem).toString('base64')},
          },
        ],
        users: [
          {
            name: 'ops',
            user: {
              exec: {
                apiVersion: 'client.authentication.k8s.io/v1',
                command,
                args: ['--cluster', 'fake'],
                interactiveMode: 'Never',
                env: [
                  {name: 'STATE', value: dir},
                  {name: 'TOKEN', value: fake.token},
                ],
              },
            },
          },
        ],
        contexts: [{name: 'fake', context: {cluster: 'fake', user: 'ops'}}],
      }),
    )
    return path
  }
  /** Starts itself and a child that never ends, writing both pids, and waits. */
  const hanging = () =>
    script('hang.sh', 'echo $$ > "$STATE/plugin.pid"\nsleep 300 &\necho $! > "$STATE/child.pid"\nwait')

  it('sends the token it prints, runs once for requests made together, and tells it nobody can answer a prompt', async () => {
    const plugin = script(
      'ok.sh',
      'echo run >> "$STATE/runs"\necho "$KUBERNETES_EXEC_INFO" > "$STATE/info"\n' +
        'printf \'{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}\' "$TOKEN"',
    )
    const kc = await loadKubeConfig({kubeconfig: kubeconfig(plugin), requestTimeoutMs: 0})
    const {VersionApi} = await import('@kubernetes/client-node')
    const versions = await Promise.all([1, 2, 3].map(() => kc.makeApiClient(VersionApi).getCode()))
    assert.deepEqual(
      versions.map((v) => v.gitVersion),
      ['v1.35.0', 'v1.35.0', 'v1.35.0'],
    )
    assert.equal(readFileSync(join(dir, 'runs'), 'utf8'), 'run\n')
    assert.deepEqual(JSON.parse(readFileSync(join(dir, 'info'), 'utf8')), {
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: {interactive: false},
    })
  })

  it('stops a plugin that does not answer within the limit, and what it started, and names it', async () => {
    const plugin = hanging()
    const kc = await loadKubeConfig({kubeconfig: kubeconfig(plugin), requestTimeoutMs: 0, limits: {credentialMs: 500}})
    const {VersionApi} = await import('@kubernetes/client-node')
    await assert.rejects(
      kc.makeApiClient(VersionApi).getCode(),
      (error: unknown) =>
        error instanceof UserError &&
        error.message ===
          `the kubeconfig user "ops" gets its credentials from the command "${plugin}", which did not answer within 500ms; it was stopped` &&
        error.hint ===
          `run it yourself to see what it waits for (a login, a prompt, the network): ${plugin} --cluster fake`,
    )
    await untilGone(Number(await untilFile(join(dir, 'plugin.pid'))))
    await untilGone(Number(await untilFile(join(dir, 'child.pid'))))
  })

  it('stops a running plugin when the run is interrupted', async () => {
    const plugin = hanging()
    const controller = new AbortController()
    const kc = await loadKubeConfig(
      {kubeconfig: kubeconfig(plugin), requestTimeoutMs: 0},
      process.env,
      process.stderr,
      controller.signal,
    )
    const {VersionApi} = await import('@kubernetes/client-node')
    const asking = kc.makeApiClient(VersionApi).getCode()
    asking.catch(() => {})
    const child = Number(await untilFile(join(dir, 'child.pid')))
    controller.abort(new Error('interrupted by SIGINT'))
    await assert.rejects(asking)
    await untilGone(Number(await untilFile(join(dir, 'plugin.pid'))))
    await untilGone(child)
  })

  for (const [signal, exitCode] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`ends on ${signal} while the plugin runs (exit ${exitCode}), and the plugin with it`, async () => {
      const plugin = hanging()
      const cli = spawn(process.execPath, [RUN, 'policies', '--kubeconfig', kubeconfig(plugin), '--since', 'all'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stderr = ''
      cli.stderr.on('data', (d: Buffer) => {
        stderr += d.toString()
      })
      const exited = new Promise<number | null>((resolve) => cli.on('close', resolve))
      const child = Number(await untilFile(join(dir, 'child.pid')))
      cli.kill(signal)
      assert.equal(await exited, exitCode, stderr)
      await untilGone(Number(await untilFile(join(dir, 'plugin.pid'))))
      await untilGone(child)
    })
  }
})
