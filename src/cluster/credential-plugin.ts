// The kubeconfig user's credential command (an exec plugin: aws eks get-token, kubelogin,
// gke-gcloud-auth-plugin, ...) run in place of client-node's runner, which waits for it without
// end and leaves it running on Ctrl-C. Here it must answer within a limit; it runs in a process
// group of its own, which is ended (with whatever it started) when it does not answer, when the
// run is interrupted, and when the process exits. Its stdin is closed, as a plugin that waits for
// typing could not be seen asking (its stderr is kept for the message when it fails). One run per
// user at a time; the credential is kept until its expirationTimestamp, as kubectl does.
import {type ChildProcess, spawn} from 'node:child_process'
import type https from 'node:https'

import type {KubeConfig, User} from '@kubernetes/client-node'

import {UserError} from '../errors.js'
import {credentialError} from './credential-errors.js'
import {formatLimit} from './wait-limits.js'

/** The kubeconfig's `users[].user.exec`. */
interface ExecConfig {
  command: string
  args?: string[]
  env?: Array<{name: string; value: string}>
  apiVersion?: string
}

/** What a plugin prints: a client.authentication.k8s.io ExecCredential. */
interface ExecCredential {
  status?: {token?: string; clientCertificateData?: string; clientKeyData?: string; expirationTimestamp?: string}
}

const STDERR_KEPT = 4096
/** After SIGTERM, how long a plugin's group has before SIGKILL. */
const KILL_GRACE_MS = 2000

/**
 * Makes `kc` get its current user's exec credentials through a CredentialPlugin: the user is
 * shown to client-node without its `exec` (so client-node's runner never starts), and the plugin
 * is registered as the authenticator for that user.
 */
export function boundCredentialPlugin(kc: KubeConfig, limitMs: number, signal?: AbortSignal): void {
  const user = kc.getCurrentUser()
  const exec = execOf(user)
  if (!user || !exec) return
  const {exec: _exec, authProvider, ...rest} = user
  const stripped: User = {
    ...rest,
    ...(authProvider && !(authProvider as {config?: {exec?: unknown}}).config?.exec ? {authProvider} : {}),
  }
  kc.loadFromOptions({
    clusters: kc.clusters,
    users: kc.users.map((u) => (u === user ? stripped : u)),
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  })
  kc.addAuthenticator(new CredentialPlugin(user, exec, limitMs, signal))
}

function execOf(user: User | null): ExecConfig | undefined {
  const exec = (user?.exec ?? (user?.authProvider as {config?: {exec?: unknown}} | undefined)?.config?.exec) as
    ExecConfig | undefined
  return typeof exec?.command === 'string' && exec.command !== '' ? exec : undefined
}

export class CredentialPlugin {
  private cached?: ExecCredential
  private running?: Promise<ExecCredential>

  /** `user`: as the kubeconfig has it, exec included (for messages). */
  constructor(
    private readonly user: User,
    private readonly exec: ExecConfig,
    private readonly limitMs: number,
    private readonly signal?: AbortSignal,
  ) {}

  isAuthProvider(user: User): boolean {
    return user.name === this.user.name
  }

  async applyAuthentication(_user: User, opts: https.RequestOptions): Promise<void> {
    const status = (await this.credential()).status ?? {}
    if (status.clientCertificateData) opts.cert = status.clientCertificateData
    if (status.clientKeyData) opts.key = status.clientKeyData
    if (status.token) opts.headers = {...opts.headers, Authorization: `Bearer ${status.token}`}
  }

  private credential(): Promise<ExecCredential> {
    if (this.cached && !expired(this.cached)) return Promise.resolve(this.cached)
    this.running ??= runPlugin(this.user, this.exec, this.limitMs, this.signal)
      .then((credential) => {
        this.cached = credential
        return credential
      })
      .finally(() => {
        this.running = undefined
      })
    return this.running
  }
}

function expired(credential: ExecCredential): boolean {
  const at = credential.status?.expirationTimestamp
  return at !== undefined && !(Date.parse(at) > Date.now())
}

/** Plugins still running: ended if the process exits first. */
const live = new Set<ChildProcess>()
let endOnExit = false

function runPlugin(user: User, exec: ExecConfig, limitMs: number, signal?: AbortSignal): Promise<ExecCredential> {
  signal?.throwIfAborted()
  const env: NodeJS.ProcessEnv = {...process.env}
  for (const {name, value} of exec.env ?? []) env[name] = value
  // What kubectl tells a plugin: which ExecCredential version to print, and that nobody can answer a prompt.
  if (exec.apiVersion)
    env.KUBERNETES_EXEC_INFO = JSON.stringify({
      apiVersion: exec.apiVersion,
      kind: 'ExecCredential',
      spec: {interactive: false},
    })
  const commandLine = [exec.command, ...(exec.args ?? [])].join(' ')
  return new Promise<ExecCredential>((resolve, reject) => {
    const child = spawn(exec.command, exec.args ?? [], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    })
    live.add(child)
    if (!endOnExit) {
      endOnExit = true
      process.once('exit', () => {
        for (const running of live) endGroup(running, 'SIGKILL')
      })
    }
    let stdout = ''
    let stderr = ''
    let settled = false
    const settle = (outcome: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      outcome()
    }
    const stop = (error: unknown) =>
      settle(() => {
        endGroup(child, 'SIGTERM')
        reject(error)
      })
    const timer = setTimeout(
      () =>
        stop(
          new UserError(
            `the kubeconfig user "${user.name}" gets its credentials from the command "${exec.command}", which did not answer within ${formatLimit(limitMs)}; it was stopped`,
            {
              hint: `run it yourself to see what it waits for (a login, a prompt, the network): ${commandLine}`,
            },
          ),
        ),
      limitMs,
    )
    const onAbort = () => stop(signal!.reason)
    signal?.addEventListener('abort', onAbort, {once: true})
    child.stdout!.setEncoding('utf8').on('data', (data: string) => {
      stdout += data
    })
    child.stderr!.setEncoding('utf8').on('data', (data: string) => {
      if (stderr.length < STDERR_KEPT) stderr += data
    })
    child.on('error', (error) =>
      settle(() => {
        live.delete(child)
        reject(credentialError(error, user) ?? error)
      }),
    )
    child.on('exit', () => live.delete(child))
    // 'close': the plugin exited and its output is all in (unless something it started holds the pipes: the limit ends that).
    child.on('close', (code) =>
      settle(() => {
        if (code !== 0) {
          reject(credentialError(new Error(stderr || `exit status ${code}`), user) ?? new Error(stderr))
          return
        }
        try {
          resolve(JSON.parse(stdout) as ExecCredential)
        } catch (error) {
          reject(credentialError(new Error(`it printed no ExecCredential (${(error as Error).message})`), user))
        }
      }),
    )
  })
}

/** Ends the plugin and whatever it started: its process group, where there is one. */
function endGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  const kill = (sig: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, sig)
      else child.kill(sig)
    } catch {
      // already gone
    }
  }
  kill(signal)
  if (signal === 'SIGTERM') setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS).unref()
}
