// A loopback HTTPS Kubernetes API server for tests: a generic object store behind the real REST
// paths (rest.ts), bearer-token auth, Status errors, the kubelet /logs proxy, pod logs and pod
// exec and port-forward over WebSocket. Tests talk to it exactly as the CLI talks to a cluster;
// nothing in client-node is stubbed. This module starts the server, checks auth and the scripted
// failures and stalls, and routes each request. As Go's net/http does, it answers a plain-HTTP
// request on its TLS port with a 400 rather than a TLS alert.
import {randomBytes} from 'node:crypto'
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {createServer, type Server} from 'node:https'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {connect as connectTcp, createServer as createTcpServer, type Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Duplex} from 'node:stream'

import {FakeAudit, type FakeAuditSettings} from './audit-log.js'
import {ExecServer, type ExecSettings, matchExec} from './exec.js'
import {type Impersonation, impersonationOf} from './impersonation.js'
import {writeKubeconfigFile} from './kubeconfig.js'
import {matchNodeLogs, type NodeLogSettings} from './node-logs.js'
import {PodLifecycle, type PodSettings} from './pods.js'
import {matchPortForward, type PortForwardSettings, PortForwardServer} from './port-forward.js'
import {defaultFailureMessage, handleRequest, sendJson} from './rest.js'
import type {FakeNode, ServerState} from './state.js'
import {failureStatus, reasonFor} from './status.js'
import {ObjectStore} from './store.js'
import {testCertificates} from './tls.js'

export type {FakeAuditLog, FakeAuditPolicy, FakeAuditSettings} from './audit-log.js'
export type {FakeNode} from './state.js'

export interface FakeApiserverOptions {
  /** Any Kubernetes objects ({apiVersion, kind, metadata: {name, namespace?}}). */
  objects?: object[]
  /** Also become Node objects. */
  nodes?: FakeNode[]
  version?: {gitVersion: string; major?: string; minor?: string}
  /** Bearer token required on every request (generated if absent). */
  token?: string
  /** How new pods start (default: Running after 50 ms; creates answered at once). */
  pods?: Partial<PodSettings>
  /** Exec subprotocols and speed (default: v5 then v4, no delay). */
  exec?: Partial<ExecSettings>
  /** Kubelet /logs/ behaviour (default: Range honoured). */
  logs?: Partial<NodeLogSettings>
  /**
   * Container log files in the CRI format, served by pods/log, by `NAMESPACE/POD/CONTAINER`
   * (podLogKey). The pod itself must be in the store.
   */
  podLogs?: Record<string, string>
  /** Who the token is, the Audit-ID echo, and the audit logs written (default: no log). */
  audit?: Partial<FakeAuditSettings>
}

export interface FailRule {
  method?: string
  path: RegExp
  code: number
  reason?: string
  message?: string
  /** Answer this many matching requests, then stop failing; forever when absent. */
  times?: number
  /** A Retry-After header (seconds or an HTTP date), as an overloaded server sends with 429 or 503. */
  retryAfter?: string
}

export interface StallRule {
  method?: string
  path: RegExp
  /**
   * How matching requests stall: never answered at all (the default); answered with 200 and
   * headers, then nothing; or served as usual until this many body bytes are out, then nothing.
   */
  after?: 'headers' | {bodyBytes: number}
  /** Stall this many matching requests, then serve them; forever when absent. */
  times?: number
}

export interface RecordedRequest {
  method: string
  path: string
  query: string
  headers: Record<string, string | string[] | undefined>
  /** Impersonate-User and every Impersonate-Group sent, when any was. */
  impersonation?: Impersonation
}

export interface FakeApiserver {
  /** https://127.0.0.1:PORT */
  url: string
  token: string
  caPem: string
  /** A temp kubeconfig (context "fake") pointing at the server with CA + token. */
  kubeconfigPath: string
  /**
   * Another kubeconfig, e.g. with a bad token (null: none), another context name, another server
   * (a proxy in front of this one), or a proxy-url.
   */
  writeKubeconfig(opts?: {token?: string | null; context?: string; server?: string; proxyUrl?: string}): string
  add(obj: object): void
  remove(apiVersion: string, kind: string, name: string, namespace?: string): void
  /** Answer matching requests with a Status error: e.g. fail({method:'GET', path:/\/pods$/, code:403}). */
  fail(rule: FailRule): void
  /**
   * Stop answering matching requests (they are held until close): an apiserver, kubelet or proxy
   * that hangs before its answer, after its headers, or mid-body (StallRule.after).
   */
  stall(rule: StallRule): void
  requests: RecordedRequest[]
  /** Body bytes sent for /proxy/logs/ and pods/log requests (and exec stdout). */
  bytesServed: number
  /** Pod startup behaviour; change it between requests to script a scenario. */
  pods: PodSettings
  /** Exec protocols and speed; changeable too. */
  exec: ExecSettings
  /** Kubelet /logs/ behaviour; changeable too. */
  logs: NodeLogSettings
  /** Container log files by `NAMESPACE/POD/CONTAINER`; changeable too. */
  podLogs: Record<string, string>
  /** Audit: the user, the echo, the logs; changeable too. */
  audit: FakeAuditSettings
  /** What plays the pods' ports for pods/portforward; changeable. */
  portForward: PortForwardSettings
  close(): Promise<void>
}

export async function startFakeApiserver(opts: FakeApiserverOptions = {}): Promise<FakeApiserver> {
  const certs = testCertificates()
  const token = opts.token ?? randomBytes(16).toString('hex')
  const tempDir = mkdtempSync(join(tmpdir(), 'fake-apiserver-'))
  const store = new ObjectStore()
  const nodes = new Map<string, FakeNode>()
  const failRules: FailRule[] = []
  const stallRules: StallRule[] = []
  /** The stall rule for a request, counting it against the rule's `times`. */
  const stalled = (req: IncomingMessage, pathname: string): StallRule | undefined => {
    const rule = stallRules.find(
      (r) => (!r.method || r.method === req.method) && r.path.test(pathname) && (r.times === undefined || r.times > 0),
    )
    if (rule?.times !== undefined) rule.times--
    return rule
  }
  /** Upgrade sockets left unanswered: the server no longer tracks them, so close() ends them. */
  const heldSockets = new Set<Duplex>()
  const pods: PodSettings = {startup: 'running', startDelayMs: 50, createAnswerDelayMs: 0, ...opts.pods}
  const endPod = (pod: {metadata: {name: string; namespace?: string}}) =>
    execServer.endPod(pod.metadata.namespace ?? 'default', pod.metadata.name)
  const lifecycle = new PodLifecycle(store, pods, (name) => nodes.get(name)?.root, endPod)
  store.onRemove = (obj) => {
    if (obj.kind === 'Pod') endPod(obj)
  }
  const containerRoot = join(tempDir, 'container-root')
  mkdirSync(containerRoot)
  const countBytes = (n: number) => {
    fake.bytesServed += n
  }
  const logs: NodeLogSettings = {honourRange: true, ...opts.logs}
  const podLogs: Record<string, string> = {...opts.podLogs}
  const audit = new FakeAudit(
    {user: {username: 'fake-user', groups: ['system:authenticated']}, echo: true, logs: [], ...opts.audit},
    nodes,
  )
  const portForwardServer = new PortForwardServer({targets: {}}, countBytes)
  const execServer = new ExecServer(
    {protocols: ['v5.channel.k8s.io', 'v4.channel.k8s.io'], chunkDelayMs: 0, cutStdout: null, ...opts.exec},
    containerRoot,
    countBytes,
  )
  const version = {
    major: opts.version?.major ?? '1',
    minor: opts.version?.minor ?? '35',
    gitVersion: opts.version?.gitVersion ?? 'v1.35.0',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.25.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  }

  for (const node of opts.nodes ?? []) {
    nodes.set(node.name, node)
    store.add(nodeObject(node))
  }
  for (const obj of opts.objects ?? []) store.add(obj)

  const fake: FakeApiserver = {
    url: '',
    token,
    caPem: certs.caPem,
    kubeconfigPath: '',
    writeKubeconfig: (o = {}) =>
      writeKubeconfigFile(tempDir, `kubeconfig-${randomBytes(4).toString('hex')}.yaml`, {
        server: o.server ?? fake.url,
        caPem: certs.caPem,
        token: o.token === undefined ? token : o.token,
        context: o.context ?? 'fake',
        proxyUrl: o.proxyUrl,
      }),
    add: (obj) => {
      store.add(obj)
    },
    remove: (apiVersion, kind, name, namespace) => {
      store.remove(apiVersion, kind, name, namespace)
      if (kind === 'Node') nodes.delete(name)
    },
    fail: (rule) => failRules.push({...rule}),
    stall: (rule) => stallRules.push({...rule}),
    requests: [],
    bytesServed: 0,
    pods,
    exec: execServer.settings,
    logs,
    podLogs,
    audit: audit.settings,
    portForward: portForwardServer.settings,
    close: async () => {
      audit.close()
      lifecycle.close()
      execServer.close()
      portForwardServer.close()
      for (const socket of heldSockets) socket.destroy()
      for (const socket of frontSockets) socket.destroy()
      await Promise.all([
        new Promise<void>((resolve) => front.close(() => resolve())),
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        }),
      ])
      rmSync(tempDir, {recursive: true, force: true})
    },
  }
  const state: ServerState = {store, nodes, lifecycle, logs, podLogs, countBytes}

  /**
   * Auth and configured failures, shared by plain requests and WebSocket upgrades. The kubelet's
   * own refusals (404, 405 on /proxy/logs/) come back as its plain text, relayed by the proxy.
   */
  const refuse = (req: IncomingMessage, pathname: string): Refusal | undefined => {
    if (req.headers.authorization !== `Bearer ${token}`) return jsonRefusal(401, failureStatus(401, 'Unauthorized'))
    const rule = failRules.find(
      (r) => (!r.method || r.method === req.method) && r.path.test(pathname) && (r.times === undefined || r.times > 0),
    )
    if (!rule) return undefined
    if (rule.times !== undefined) rule.times--
    if (matchNodeLogs(pathname) && (rule.code === 404 || rule.code === 405)) {
      const text = rule.message ?? (rule.code === 404 ? '404 page not found' : 'logs endpoint is disabled.')
      return {code: rule.code, contentType: 'text/plain; charset=utf-8', body: `${text}\n`}
    }
    const message = rule.message ?? defaultFailureMessage(rule.code, req.method ?? 'GET', pathname)
    return {
      ...jsonRefusal(rule.code, failureStatus(rule.code, message, rule.reason ?? reasonFor(rule.code))),
      retryAfter: rule.retryAfter,
    }
  }

  const server: Server = createServer({cert: certs.certPem, key: certs.keyPem}, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1')
    fake.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.slice(1),
      headers: {...req.headers},
      impersonation: impersonationOf(req),
    })
    const stall = stalled(req, url.pathname)
    if (stall?.after === undefined && stall) return
    if (stall?.after === 'headers') {
      res.writeHead(200, {'Content-Type': 'text/plain; charset=utf-8'})
      res.flushHeaders()
      return
    }
    if (stall?.after) holdBodyAfter(res, stall.after.bodyBytes)
    const refusal = refuse(req, url.pathname)
    if (refusal) {
      res.writeHead(refusal.code, {
        'Content-Type': refusal.contentType,
        'Content-Length': Buffer.byteLength(refusal.body),
        ...(refusal.retryAfter === undefined ? {} : {'Retry-After': refusal.retryAfter}),
      })
      res.end(refusal.body)
      return
    }
    audit
      .serve(req, res, url, () => handleRequest(state, version, req, res, url))
      .catch((error: unknown) => {
        if (!res.headersSent) sendJson(res, 500, failureStatus(500, String(error)))
        else res.destroy()
      })
  })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1')
    fake.requests.push({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search.slice(1),
      headers: {...req.headers},
      impersonation: impersonationOf(req),
    })
    const reject = (refusal: Refusal) => {
      socket.end(
        `HTTP/1.1 ${refusal.code} ${reasonFor(refusal.code)}\r\nContent-Type: ${refusal.contentType}\r\n${refusal.retryAfter === undefined ? '' : `Retry-After: ${refusal.retryAfter}\r\n`}` +
          `Content-Length: ${Buffer.byteLength(refusal.body)}\r\nConnection: close\r\n\r\n${refusal.body}`,
      )
    }
    if (stalled(req, url.pathname)) {
      heldSockets.add(socket)
      return
    }
    const refusal = refuse(req, url.pathname)
    if (refusal) return reject(refusal)
    const forward = matchPortForward(url.pathname)
    const target = forward ?? matchExec(url.pathname)
    if (!target) return reject(jsonRefusal(404, failureStatus(404, 'the server could not find the requested resource')))
    const pod = store.get({group: '', version: 'v1', plural: 'pods', namespace: target.namespace, name: target.pod})
    if (!pod)
      return reject(
        jsonRefusal(
          404,
          failureStatus(404, `pods "${target.pod}" not found`, 'NotFound', {name: target.pod, kind: 'pods'}),
        ),
      )
    const phase = (pod.status as {phase?: string} | undefined)?.phase
    const container = url.searchParams.get('container')
    const containers = (pod.spec as {containers?: Array<{name: string}>} | undefined)?.containers ?? []
    if (forward) {
      if (phase !== 'Running')
        return reject(
          jsonRefusal(
            400,
            failureStatus(
              400,
              `unable to upgrade connection: pod ${target.pod} is not running (phase ${phase ?? 'unknown'})`,
            ),
          ),
        )
      return portForwardServer.upgrade(req, socket, head, pod, url)
    }
    if (container && !containers.some((c) => c.name === container)) {
      return reject(jsonRefusal(400, failureStatus(400, `container ${container} is not valid for pod ${target.pod}`)))
    }
    if (phase !== 'Running') {
      return reject(
        jsonRefusal(
          400,
          failureStatus(
            400,
            `unable to upgrade connection: pod ${target.pod} is not running (phase ${phase ?? 'unknown'})`,
          ),
        ),
      )
    }
    const node = nodes.get((pod.spec as {nodeName?: string} | undefined)?.nodeName ?? '')
    if (!node) return reject(jsonRefusal(400, failureStatus(400, `pod ${target.pod} does not have a host assigned`)))
    execServer.upgrade(req, socket, head, pod, node, url)
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const tlsPort = (server.address() as {port: number}).port
  // The port clients use: TLS is passed on to the server; anything else gets Go's answer to plain
  // HTTP on a TLS port.
  const frontSockets = new Set<Socket>()
  const track = (socket: Socket) => {
    frontSockets.add(socket)
    socket.on('close', () => frontSockets.delete(socket))
    socket.on('error', () => socket.destroy())
  }
  const front = createTcpServer((client: Socket) => {
    track(client)
    client.once('data', (first: Buffer) => {
      if (first[0] !== TLS_HANDSHAKE) {
        client.end('HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n')
        return
      }
      client.pause()
      const upstream = connectTcp(tlsPort, '127.0.0.1')
      track(upstream)
      // The server's end reaches the client through pipe() once what it sent is flushed: destroying
      // the client here instead drops what is still queued (a body cut short, as a reset, under load).
      upstream.on('close', () => {
        if (!client.writableEnded) client.end()
      })
      upstream.on('error', () => client.destroy())
      client.on('close', () => upstream.destroy())
      upstream.write(first)
      client.pipe(upstream).pipe(client)
    })
  })
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve))
  const address = front.address()
  if (!address || typeof address === 'string') throw new Error('fake apiserver: no port')
  fake.url = `https://127.0.0.1:${address.port}`
  fake.kubeconfigPath = fake.writeKubeconfig()
  return fake
}

interface Refusal {
  code: number
  contentType: string
  body: string
  retryAfter?: string
}

/** The first byte of a TLS connection: a handshake record. */
const TLS_HANDSHAKE = 0x16

/** Lets the first `bodyBytes` of the body out, then holds the rest (and the end) back for good. */
function holdBodyAfter(res: ServerResponse, bodyBytes: number): void {
  let left = bodyBytes
  const write = res.write.bind(res) as (chunk: Buffer) => boolean
  const pass = (chunk: unknown): void => {
    if (chunk === undefined || chunk === null || left <= 0) return
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk))
    const out = bytes.subarray(0, left)
    left -= out.length
    if (out.length > 0) write(out)
  }
  res.write = ((chunk: unknown) => {
    pass(chunk)
    return true
  }) as typeof res.write
  res.end = ((chunk?: unknown) => {
    if (typeof chunk !== 'function') pass(chunk)
    // Headers go out even when the held body is all there is.
    if (!res.headersSent) res.flushHeaders()
    return res
  }) as typeof res.end
}

function jsonRefusal(code: number, status: object): Refusal {
  return {code, contentType: 'application/json', body: JSON.stringify(status)}
}

function nodeObject(node: FakeNode): object {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels: {'kubernetes.io/hostname': node.name, ...node.labels},
      annotations: {...node.annotations},
    },
    spec: node.providerID ? {providerID: node.providerID} : {},
    status: {
      conditions: [
        {
          type: 'Ready',
          status: node.ready === false ? 'False' : 'True',
          reason: node.ready === false ? 'KubeletNotReady' : 'KubeletReady',
        },
      ],
      addresses: [{type: 'Hostname', address: node.name}],
      nodeInfo: {kubeletVersion: 'v1.35.0', osImage: 'Fake Linux', containerRuntimeVersion: 'containerd://2.0.0'},
    },
  }
}
