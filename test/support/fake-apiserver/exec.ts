// Pod exec over WebSocket (v5.channel.k8s.io / v4.channel.k8s.io), running the requested command
// for real against the node folder mounted into the pod: absolute paths under a hostPath mount
// are rewritten to the node's folder, other paths point into an empty container filesystem.
import {type ChildProcess, spawn} from 'node:child_process'
import type {IncomingMessage} from 'node:http'
import {join, posix} from 'node:path'
import type {Duplex} from 'node:stream'

import {type WebSocket, WebSocketServer} from 'ws'

import type {FakeNode} from './state.js'
import {parsePipeline, type Stage} from './shell.js'
import type {KubeObject} from './store.js'

const EXEC_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/exec$/
const COMMANDS = new Set([
  'cat',
  'tail',
  'head',
  'zcat',
  'gzip',
  'grep',
  'ls',
  'stat',
  'wc',
  'sleep',
  'true',
  'false',
  'echo',
  'test',
  'dd',
])
const STDOUT = 1
const STDERR = 2
const STATUS = 3
/** Stop reading the command's output while this much is queued on the socket. */
const HIGH_WATER = 4 * 1024 * 1024

export interface ExecSettings {
  /** Subprotocols the server accepts, in preference order. */
  protocols: string[]
  /** Pause between stdout chunks, to make a read slow enough to interrupt. */
  chunkDelayMs: number
  /**
   * Close the socket normally (1000) once this many stdout bytes are sent, with no status message:
   * a stream ended early on the way (on the pods of `nodes` only, when given). With `stall`, send
   * nothing more instead and keep the socket open: a stream that stopped. A command whose output
   * is shorter ends as usual.
   */
  cutStdout: {afterBytes: number; nodes?: string[]; stall?: boolean} | null
}

export function matchExec(pathname: string): {namespace: string; pod: string} | undefined {
  const match = EXEC_PATH.exec(pathname)
  return match ? {namespace: decodeURIComponent(match[1]!), pod: decodeURIComponent(match[2]!)} : undefined
}

interface Mount {
  containerPath: string
  hostPath: string
}

export class ExecServer {
  private readonly wss: WebSocketServer
  private readonly running = new Set<ChildProcess>()
  /** The commands running in each pod (`namespace/name`): the kubelet kills them with the container. */
  private readonly byPod = new Map<string, Set<ChildProcess>>()

  constructor(
    readonly settings: ExecSettings,
    private readonly containerRoot: string,
    private readonly countBytes: (n: number) => void,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      handleProtocols: (offered) => this.settings.protocols.find((p) => offered.has(p)) ?? false,
    })
  }

  /** Upgrades the request and runs the command; the caller has checked auth and the pod. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, pod: KubeObject, node: FakeNode, url: URL): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.run(ws, pod, node, url.searchParams.getAll('command')))
  }

  /** The pod's container is gone (deleted, or past its deadline): its commands die, and their exec streams end with it. */
  endPod(namespace: string, name: string): void {
    for (const child of this.byPod.get(`${namespace}/${name}`) ?? []) child.kill('SIGKILL')
  }

  close(): void {
    for (const child of this.running) child.kill('SIGKILL')
    for (const client of this.wss.clients) client.terminate()
    this.wss.close()
  }

  private run(ws: WebSocket, pod: KubeObject, node: FakeNode, command: string[]): void {
    const send = (channel: number, data: Buffer | string, done?: () => void) => {
      ws.send(Buffer.concat([Buffer.of(channel), Buffer.from(data)]), done)
    }
    const finish = (exitCode: number) => {
      const status =
        exitCode === 0
          ? {metadata: {}, status: 'Success'}
          : {
              metadata: {},
              status: 'Failure',
              message: `command terminated with non-zero exit code: exit status ${exitCode}`,
              reason: 'NonZeroExitCode',
              details: {causes: [{reason: 'ExitCode', message: String(exitCode)}]},
            }
      send(STATUS, JSON.stringify(status), () => ws.close(1000))
    }

    let stages: Stage[]
    try {
      stages =
        command[0] === 'sh' && command[1] === '-c'
          ? parsePipeline(command[2] ?? '', command.slice(3))
          : [{argv: command, discardStderr: false}]
    } catch (error) {
      send(STDERR, `${(error as Error).message}\n`)
      return finish(2)
    }
    const unknown = stages.find((s) => !COMMANDS.has(s.argv[0]!))
    if (unknown) {
      send(STDERR, `sh: ${unknown.argv[0]}: not found\n`)
      return finish(127)
    }

    const mounts = mountsOf(pod, node)
    const podKey = `${pod.metadata.namespace}/${pod.metadata.name}`
    const inPod = this.byPod.get(podKey) ?? this.byPod.set(podKey, new Set()).get(podKey)!
    const children = stages.map((stage) => {
      const [name, ...args] = stage.argv
      const child = spawn(
        name!,
        args.map((arg) => this.hostPath(arg, mounts)),
        {stdio: ['pipe', 'pipe', 'pipe']},
      )
      this.running.add(child)
      inPod.add(child)
      child.on('exit', () => {
        this.running.delete(child)
        inPod.delete(child)
      })
      child.on('error', () => undefined)
      if (!stage.discardStderr) child.stderr!.on('data', (chunk: Buffer) => send(STDERR, chunk))
      else child.stderr!.resume()
      return child
    })
    children[0]!.stdin!.end()
    for (let i = 1; i < children.length; i++) {
      children[i - 1]!.stdout!.pipe(children[i]!.stdin!)
      children[i]!.stdin!.on('error', () => undefined)
    }
    ws.on('close', () => {
      for (const child of children) child.kill('SIGKILL')
    })

    const last = children.at(-1)!
    const cut = this.settings.cutStdout
    let cutLeft = cut && (!cut.nodes || cut.nodes.includes(node.name)) ? cut.afterBytes : Number.POSITIVE_INFINITY
    let queued = 0
    last.stdout!.on('data', (data: Buffer) => {
      if (cutLeft <= 0) return
      const chunk = data.subarray(0, cutLeft)
      cutLeft -= chunk.length
      if (cutLeft <= 0) {
        this.countBytes(chunk.length)
        // A stall sends nothing more, the exit status included, and keeps the socket open.
        send(STDOUT, chunk, () => (cut!.stall ? undefined : ws.close(1000)))
        return
      }
      this.countBytes(chunk.length)
      queued += chunk.length
      if (queued > HIGH_WATER || this.settings.chunkDelayMs > 0) last.stdout!.pause()
      send(STDOUT, chunk, () => {
        queued -= chunk.length
        if (queued <= HIGH_WATER && last.stdout!.isPaused()) {
          setTimeout(() => last.stdout!.resume(), this.settings.chunkDelayMs)
        }
      })
    })
    const exited = new Promise<number>((resolve) =>
      last.on('close', (code, signal) => resolve(code ?? (signal ? 128 + 9 : 1))),
    )
    void exited.then((code) => {
      if (ws.readyState === ws.OPEN && cutLeft > 0) finish(code)
    })
  }

  /** An absolute container path as the node folder (mounted) or the empty container fs (not). */
  private hostPath(arg: string, mounts: Mount[]): string {
    if (!arg.startsWith('/') || arg === '/dev/null') return arg
    const path = posix.normalize(arg)
    const mount = mounts
      .filter((m) => path === m.containerPath || path.startsWith(`${m.containerPath}/`))
      .sort((a, b) => b.containerPath.length - a.containerPath.length)[0]
    if (!mount) return join(this.containerRoot, path)
    return join(mount.hostPath, path.slice(mount.containerPath.length))
  }
}

/** The pod's hostPath volume mounts, resolved against the node's folder. */
function mountsOf(pod: KubeObject, node: FakeNode): Mount[] {
  const spec = pod.spec as {
    volumes?: Array<{name: string; hostPath?: {path: string}}>
    containers?: Array<{volumeMounts?: Array<{name: string; mountPath: string}>}>
  }
  const hostPaths = new Map((spec.volumes ?? []).filter((v) => v.hostPath).map((v) => [v.name, v.hostPath!.path]))
  return (spec.containers ?? [])
    .flatMap((c) => c.volumeMounts ?? [])
    .filter((m) => hostPaths.has(m.name))
    .map((m) => ({
      containerPath: posix.normalize(m.mountPath).replace(/\/$/, ''),
      hostPath: join(node.root, hostPaths.get(m.name)!),
    }))
}
