// A command run in a pod over the exec WebSocket, its stdout handed on as a stream of Buffers:
// the socket is paused while too much output waits for the reader, the command's exit status
// decides success, and a stream cut before that status is an error, not an early end. The socket
// must open within the kubeconfig's limits (an interrupted run stops waiting for it at once), and
// a stream that sends nothing for the idle limit while the reader waits is cut off.
import type https from 'node:https'
import {Writable} from 'node:stream'

import type {KubeConfig, V1Status} from '@kubernetes/client-node'

import {apiErrorToUserError} from '../cluster/api-errors.js'
import {handshakeMs, limitsOf} from '../cluster/kubeconfig.js'
import {formatLimit, RequestStall} from '../cluster/wait-limits.js'
import {UserError} from '../errors.js'

/** Exec subprotocols with a status channel (older ones end with the socket alone). */
const STATUS_PROTOCOLS = new Set(['v4.channel.k8s.io', 'v5.channel.k8s.io'])
/** Pause the socket when this much output waits for the reader; resume under a quarter of it. */
const HIGH_WATER = 8 * 1024 * 1024
/** Of the command's stderr, enough to say why it failed. */
const STDERR_KEPT = 4096

export interface ExecTarget {
  readonly namespace: string
  readonly pod: string
  readonly container: string
  readonly node: string
  /** The pod as messages name it: `the reader pod on node cp-1`. */
  readonly description: string
  /** API server URL, for network errors. */
  readonly server: string
}

export interface ExecOptions {
  /** What the command reads, as messages name it when its stream is cut: a path on the node. */
  readonly subject: string
  readonly signal?: AbortSignal
  /** A stream that may be quiet for long (`tail -F`): the idle limit ends it as if it had ended, not as a failure. */
  readonly quietIdle?: boolean
  /** The command's stderr as it comes (`tail -F` says there that the file was replaced). */
  readonly onStderr?: (text: string) => void
}

/** A command that ran in the pod and failed: its exit status, or -1 when the stream broke. */
export class ExecFailure extends UserError {
  constructor(
    message: string,
    readonly commandExitStatus: number,
  ) {
    super(message)
  }
}

/** The command's stdout, streamed; a non-zero exit rejects with its stderr. Leaving early stops the command. */
export async function* execStdout(
  kc: KubeConfig,
  target: ExecTarget,
  command: readonly string[],
  opts: ExecOptions,
): AsyncIterable<Buffer> {
  const {Exec} = await import('@kubernetes/client-node')
  const {signal} = opts
  signal?.throwIfAborted()
  const limits = limitsOf(kc)
  const queue: Buffer[] = []
  let queued = 0
  let stderr = ''
  let status: V1Status | undefined
  let ended = false
  let wake: (() => void) | undefined
  const notify = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      queue.push(chunk)
      queued += chunk.length
      notify()
      callback()
    },
  })
  const stderrSink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (stderr.length < STDERR_KEPT) stderr += chunk.toString('utf8')
      opts.onStderr?.(chunk.toString('utf8'))
      callback()
    },
  })
  let ws: Awaited<ReturnType<InstanceType<typeof Exec>['exec']>>
  try {
    ws = await new Exec(openedOn(kc, signal)).exec(
      target.namespace,
      target.pod,
      target.container,
      [...command],
      stdout,
      stderrSink,
      null,
      false,
      (s) => {
        status = s
        ended = true
        notify()
      },
    )
  } catch (error) {
    signal?.throwIfAborted()
    // ws's handshakeTimeout (set by the kubeconfig) ends the wait with only these words.
    const stall =
      (error as {message?: unknown; error?: {message?: unknown}} | null)?.error?.message ===
        'Opening handshake has timed out' ||
      (error as {message?: unknown} | null)?.message === 'Opening handshake has timed out'
    throw apiErrorToUserError(stall ? new RequestStall('first-byte', handshakeMs(limits), {cause: error}) : error, {
      verb: 'get,create',
      resource: 'pods/exec',
      namespace: target.namespace,
      purpose: `run ${command[0]} in ${target.description}`,
      server: target.server,
    })
  }
  let closeCode: number | undefined
  ws.on('close', (code: number) => {
    closeCode = code
    ended = true
    notify()
  })
  const abort = () => ws.close()
  signal?.addEventListener('abort', abort, {once: true})
  // Aborted while the socket opened: the listener came too late to hear it.
  if (signal?.aborted) ws.close()
  let paused = false
  let stalled = false
  let idleTimer: NodeJS.Timeout | undefined
  try {
    for (;;) {
      const chunk = queue.shift()
      if (chunk) {
        queued -= chunk.length
        if (paused && queued < HIGH_WATER / 4) {
          paused = false
          ws.resume()
        }
        yield chunk
        continue
      }
      if (ended) break
      if (!paused && queued >= HIGH_WATER) {
        paused = true
        ws.pause()
      }
      // Waiting for the server (not for our reader): that wait is bounded.
      if (!paused) {
        idleTimer = setTimeout(() => {
          stalled = true
          ws.terminate()
        }, limits.idleMs)
      }
      await new Promise<void>((resolve) => {
        wake = resolve
      })
      clearTimeout(idleTimer)
    }
    signal?.throwIfAborted()
    if (stalled && opts.quietIdle) return
    if (stalled) {
      throw new ExecFailure(
        `reading ${opts.subject} on node ${target.node} stalled: ${target.description} sent nothing for ${formatLimit(limits.idleMs)}`,
        -1,
      )
    }
    // v4 and v5 always send the exit status before closing: a close without it is a stream cut on the way.
    if (!status && closeCode === 1000 && STATUS_PROTOCOLS.has(ws.protocol)) {
      throw new ExecFailure(
        `reading ${opts.subject} on node ${target.node} was cut short: the exec stream closed without the command's exit status`,
        -1,
      )
    }
    if (status ? status.status !== 'Success' : closeCode !== 1000) {
      const exitCode = status?.details?.causes?.find((c) => c.reason === 'ExitCode')?.message
      const cause = stderr.trim().split('\n')[0] || status?.message || `connection closed (${closeCode ?? 'no status'})`
      throw new ExecFailure(
        `${command[0]} failed on node ${target.node}${exitCode ? ` (exit ${exitCode})` : ''}: ${cause}`,
        Number(exitCode ?? -1),
      )
    }
  } finally {
    clearTimeout(idleTimer)
    signal?.removeEventListener('abort', abort)
    // Stops the command on the node when the reader leaves early.
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close()
  }
}

/** `kc` for one exec: `signal` also ends the socket while it opens (ws hands it to the HTTP request). */
function openedOn(kc: KubeConfig, signal: AbortSignal | undefined): KubeConfig {
  if (!signal) return kc
  const view = Object.create(kc) as KubeConfig
  view.applyToHTTPSOptions = async (options: https.RequestOptions) => {
    await kc.applyToHTTPSOptions(options)
    options.signal = signal
  }
  return view
}
