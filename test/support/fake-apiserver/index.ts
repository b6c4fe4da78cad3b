// A loopback HTTPS Kubernetes API server for tests: a generic object store behind the real REST
// paths, bearer-token auth, Status errors, the kubelet /logs proxy, pod logs and pod exec over WebSocket.
// Tests talk to it exactly as the CLI talks to a cluster; nothing in client-node is stubbed.
import {randomBytes} from 'node:crypto'
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {createServer, type Server} from 'node:https'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Duplex} from 'node:stream'

import {ExecServer, type ExecSettings, matchExec} from './exec.js'
import {type Impersonation, impersonationOf} from './impersonation.js'
import {writeKubeconfigFile} from './kubeconfig.js'
import {matchNodeLogs, type NodeLogSettings, serveNodeLogs} from './node-logs.js'
import {matchPodLog, servePodLog} from './pod-logs.js'
import {PodLifecycle, type PodSettings} from './pods.js'
import {failureStatus, reasonFor} from './status.js'
import {groupOf, type KubeObject, ObjectStore, pluralOf, type ResourceAddress} from './store.js'
import {testCertificates} from './tls.js'

export interface FakeNode {
  name: string
  /** Folder that plays the node's filesystem root: `/var/log/x` is `<root>/var/log/x`. */
  root: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  providerID?: string
  ready?: boolean
}

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
}

export interface FailRule {
  method?: string
  path: RegExp
  code: number
  reason?: string
  message?: string
  /** Answer this many matching requests, then stop failing; forever when absent. */
  times?: number
}

export interface StallRule {
  method?: string
  path: RegExp
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
  /** Never answer matching requests (they are held until close): an apiserver or a proxy that hangs. */
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
  close(): Promise<void>
}

/** What route handlers get: the store, the nodes, and the counters they update. */
export interface ServerState {
  store: ObjectStore
  nodes: Map<string, FakeNode>
  lifecycle: PodLifecycle
  logs: NodeLogSettings
  podLogs: Record<string, string>
  countBytes(n: number): void
}

export async function startFakeApiserver(opts: FakeApiserverOptions = {}): Promise<FakeApiserver> {
  const certs = testCertificates()
  const token = opts.token ?? randomBytes(16).toString('hex')
  const tempDir = mkdtempSync(join(tmpdir(), 'fake-apiserver-'))
  const store = new ObjectStore()
  const nodes = new Map<string, FakeNode>()
  const failRules: FailRule[] = []
  const stallRules: StallRule[] = []
  const stalled = (req: IncomingMessage, pathname: string) => stallRules.some((r) => (!r.method || r.method === req.method) && r.path.test(pathname))
  /** Upgrade sockets left unanswered: the server no longer tracks them, so close() ends them. */
  const heldSockets = new Set<Duplex>()
  const pods: PodSettings = {startup: 'running', startDelayMs: 50, createAnswerDelayMs: 0, ...opts.pods}
  const lifecycle = new PodLifecycle(store, pods, (name) => nodes.get(name)?.root)
  const containerRoot = join(tempDir, 'container-root')
  mkdirSync(containerRoot)
  const countBytes = (n: number) => { fake.bytesServed += n }
  const logs: NodeLogSettings = {honourRange: true, ...opts.logs}
  const podLogs: Record<string, string> = {...opts.podLogs}
  const execServer = new ExecServer({protocols: ['v5.channel.k8s.io', 'v4.channel.k8s.io'], chunkDelayMs: 0, cutStdout: null, ...opts.exec}, containerRoot, countBytes)
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
    writeKubeconfig: (o = {}) => writeKubeconfigFile(tempDir, `kubeconfig-${randomBytes(4).toString('hex')}.yaml`, {
      server: o.server ?? fake.url, caPem: certs.caPem, token: o.token === undefined ? token : o.token, context: o.context ?? 'fake', proxyUrl: o.proxyUrl,
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
    close: async () => {
      lifecycle.close()
      execServer.close()
      for (const socket of heldSockets) socket.destroy()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
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
    const rule = failRules.find((r) => (!r.method || r.method === req.method) && r.path.test(pathname)
      && (r.times === undefined || r.times > 0))
    if (!rule) return undefined
    if (rule.times !== undefined) rule.times--
    if (matchNodeLogs(pathname) && (rule.code === 404 || rule.code === 405)) {
      const text = rule.message ?? (rule.code === 404 ? '404 page not found' : 'logs endpoint is disabled.')
      return {code: rule.code, contentType: 'text/plain; charset=utf-8', body: `${text}\n`}
    }
    const message = rule.message ?? defaultFailureMessage(rule.code, req.method ?? 'GET', pathname)
    return jsonRefusal(rule.code, failureStatus(rule.code, message, rule.reason ?? reasonFor(rule.code)))
  }

  const server: Server = createServer({cert: certs.certPem, key: certs.keyPem}, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1')
    fake.requests.push({method: req.method ?? 'GET', path: url.pathname, query: url.search.slice(1), headers: {...req.headers}, impersonation: impersonationOf(req)})
    if (stalled(req, url.pathname)) return
    const refusal = refuse(req, url.pathname)
    if (refusal) {
      res.writeHead(refusal.code, {'Content-Type': refusal.contentType, 'Content-Length': Buffer.byteLength(refusal.body)})
      res.end(refusal.body)
      return
    }
    handleRequest(state, version, req, res, url).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, failureStatus(500, String(error)))
      else res.destroy()
    })
  })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1')
    fake.requests.push({method: req.method ?? 'GET', path: url.pathname, query: url.search.slice(1), headers: {...req.headers}, impersonation: impersonationOf(req)})
    const reject = (refusal: Refusal) => {
      socket.end(`HTTP/1.1 ${refusal.code} ${reasonFor(refusal.code)}\r\nContent-Type: ${refusal.contentType}\r\n`
        + `Content-Length: ${Buffer.byteLength(refusal.body)}\r\nConnection: close\r\n\r\n${refusal.body}`)
    }
    if (stalled(req, url.pathname)) {
      heldSockets.add(socket)
      return
    }
    const refusal = refuse(req, url.pathname)
    if (refusal) return reject(refusal)
    const target = matchExec(url.pathname)
    if (!target) return reject(jsonRefusal(404, failureStatus(404, 'the server could not find the requested resource')))
    const pod = store.get({group: '', version: 'v1', plural: 'pods', namespace: target.namespace, name: target.pod})
    if (!pod) return reject(jsonRefusal(404, failureStatus(404, `pods "${target.pod}" not found`, 'NotFound', {name: target.pod, kind: 'pods'})))
    const phase = (pod.status as {phase?: string} | undefined)?.phase
    const container = url.searchParams.get('container')
    const containers = (pod.spec as {containers?: Array<{name: string}>} | undefined)?.containers ?? []
    if (container && !containers.some((c) => c.name === container)) {
      return reject(jsonRefusal(400, failureStatus(400, `container ${container} is not valid for pod ${target.pod}`)))
    }
    if (phase !== 'Running') {
      return reject(jsonRefusal(400, failureStatus(400, `unable to upgrade connection: pod ${target.pod} is not running (phase ${phase ?? 'unknown'})`)))
    }
    const node = nodes.get((pod.spec as {nodeName?: string} | undefined)?.nodeName ?? '')
    if (!node) return reject(jsonRefusal(400, failureStatus(400, `pod ${target.pod} does not have a host assigned`)))
    execServer.upgrade(req, socket, head, pod, node, url)
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('fake apiserver: no port')
  fake.url = `https://127.0.0.1:${address.port}`
  fake.kubeconfigPath = fake.writeKubeconfig()
  return fake
}

interface Refusal {
  code: number
  contentType: string
  body: string
}

function jsonRefusal(code: number, status: object): Refusal {
  return {code, contentType: 'application/json', body: JSON.stringify(status)}
}

async function handleRequest(state: ServerState, version: object, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const {pathname} = url
  if (pathname === '/version') return sendJson(res, 200, version)
  const logs = matchNodeLogs(pathname)
  if (logs && (req.method === 'GET' || req.method === 'HEAD')) {
    const node = state.nodes.get(logs.node)
    if (!node) return sendJson(res, 404, failureStatus(404, `nodes "${logs.node}" not found`, 'NotFound', {name: logs.node, kind: 'nodes'}))
    return serveNodeLogs(node, logs.path, req, res, state.logs, state.countBytes)
  }
  const podLog = matchPodLog(pathname)
  if (podLog && req.method === 'GET') return servePodLog(state, podLog, url, res)
  if (pathname === '/api') return sendJson(res, 200, {kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: []})
  if (pathname === '/apis') return sendJson(res, 200, apiGroupList(state.store))

  const address = parseResourcePath(pathname)
  if (!address) return sendJson(res, 404, failureStatus(404, 'the server could not find the requested resource'))
  return handleResource(state, address, req, res, url)
}

async function handleResource(state: ServerState, address: ResourceAddress, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const {store} = state
  const method = req.method ?? 'GET'
  const apiVersion = address.group ? `${address.group}/${address.version}` : address.version
  const kind = store.kindOf(address.group, address.plural) ?? guessKind(address.plural)
  const notFound = () => sendJson(res, 404, failureStatus(404, `${qualified(address)} "${address.name}" not found`, 'NotFound',
    {name: address.name, group: address.group || undefined, kind: address.plural}))

  if (address.subresource) return sendJson(res, 404, failureStatus(404, 'the server could not find the requested resource'))

  if (method === 'GET' && address.name) {
    const obj = store.get(address)
    return obj ? sendJson(res, 200, obj) : notFound()
  }
  if (method === 'GET') {
    const items = store.list(address, url.searchParams.get('labelSelector') ?? undefined, url.searchParams.get('fieldSelector') ?? undefined)
    return sendJson(res, 200, {apiVersion, kind: `${kind}List`, metadata: {resourceVersion: '1'}, items})
  }
  if (method === 'POST' && !address.name) {
    const body = await readJson(req)
    if (!body) return sendJson(res, 400, failureStatus(400, 'the request body is not a JSON object'))
    const metadata = (body.metadata ??= {name: ''}) as KubeObject['metadata']
    if (!metadata.name && typeof metadata.generateName === 'string') metadata.name = metadata.generateName + randomSuffix()
    if (!metadata.name) return sendJson(res, 422, failureStatus(422, 'metadata.name: Required value: name or generateName is required', 'Invalid'))
    if (address.namespace) metadata.namespace = address.namespace
    body.apiVersion ??= apiVersion
    body.kind ??= kind
    if (store.get({...address, name: metadata.name})) {
      return sendJson(res, 409, failureStatus(409, `${qualified(address)} "${metadata.name}" already exists`, 'AlreadyExists',
        {name: metadata.name, group: address.group || undefined, kind: address.plural}))
    }
    const stored = store.add(body)
    if (stored.kind === 'Pod') {
      state.lifecycle.started(stored)
      const delay = state.lifecycle.settings.createAnswerDelayMs
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay).unref())
      if (res.destroyed) return
    }
    return sendJson(res, 201, stored)
  }
  if (method === 'PUT' && address.name) {
    const body = await readJson(req)
    if (!body) return sendJson(res, 400, failureStatus(400, 'the request body is not a JSON object'))
    if (!store.get(address)) return notFound()
    return sendJson(res, 200, store.add(body))
  }
  if (method === 'DELETE' && address.name) {
    const obj = store.get(address)
    if (!obj) return notFound()
    store.remove(obj.apiVersion, obj.kind, obj.metadata.name, obj.metadata.namespace)
    return sendJson(res, 200, obj)
  }
  return sendJson(res, 405, failureStatus(405, `the server does not allow this method on the requested resource`))
}

/** `/api/v1/...` or `/apis/GROUP/VERSION/...`, namespaced or cluster-scoped. */
export function parseResourcePath(pathname: string): ResourceAddress | undefined {
  const parts = pathname.split('/').filter(Boolean).map((p) => decodeURIComponent(p))
  let group: string
  let version: string
  let rest: string[]
  if (parts[0] === 'api' && parts.length >= 3) {
    group = ''
    version = parts[1]!
    rest = parts.slice(2)
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1]!
    version = parts[2]!
    rest = parts.slice(3)
  } else {
    return undefined
  }
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    return {group, version, namespace: rest[1], plural: rest[2]!, name: rest[3], subresource: rest.slice(4).join('/') || undefined}
  }
  return {group, version, plural: rest[0]!, name: rest[1], subresource: rest.slice(2).join('/') || undefined}
}

function nodeObject(node: FakeNode): object {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {name: node.name, labels: {'kubernetes.io/hostname': node.name, ...node.labels}, annotations: {...node.annotations}},
    spec: node.providerID ? {providerID: node.providerID} : {},
    status: {
      conditions: [{type: 'Ready', status: node.ready === false ? 'False' : 'True', reason: node.ready === false ? 'KubeletNotReady' : 'KubeletReady'}],
      addresses: [{type: 'Hostname', address: node.name}],
      nodeInfo: {kubeletVersion: 'v1.35.0', osImage: 'Fake Linux', containerRuntimeVersion: 'containerd://2.0.0'},
    },
  }
}

function apiGroupList(store: ObjectStore): object {
  const versions = new Map<string, Set<string>>()
  for (const obj of store.all()) {
    const group = groupOf(obj.apiVersion)
    if (!group) continue
    const set = versions.get(group) ?? new Set<string>()
    set.add(obj.apiVersion.slice(group.length + 1))
    versions.set(group, set)
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...versions].map(([name, vs]) => {
      const list = [...vs].map((v) => ({groupVersion: `${name}/${v}`, version: v}))
      return {name, versions: list, preferredVersion: list[0]}
    }),
  }
}

/** The message kube-apiserver's RBAC authorizer gives, so error mapping is tested on real text. */
function defaultFailureMessage(code: number, method: string, pathname: string): string {
  if (code !== 403) return reasonFor(code)
  const address = parseResourcePath(pathname)
  if (!address) return `forbidden: User "fake-user" cannot ${method.toLowerCase()} path "${pathname}"`
  const verb = verbOf(method, address)
  const resource = address.subresource ? `${address.plural}/${address.subresource.split('/')[0]}` : address.plural
  const scope = address.namespace ? `in the namespace "${address.namespace}"` : 'at the cluster scope'
  const subject = address.name ? `${qualified(address)} "${address.name}"` : qualified(address)
  return `${subject} is forbidden: User "fake-user" cannot ${verb} resource "${resource}" in API group "${address.group}" ${scope}`
}

function verbOf(method: string, address: ResourceAddress): string {
  switch (method) {
    case 'POST': return 'create'
    case 'PUT': return 'update'
    case 'PATCH': return 'patch'
    case 'DELETE': return address.name ? 'delete' : 'deletecollection'
    default: return address.name || address.subresource ? 'get' : 'list'
  }
}

function qualified(address: ResourceAddress): string {
  return address.group ? `${address.plural}.${address.group}` : address.plural
}

function guessKind(plural: string): string {
  const singular = plural.endsWith('ies') ? `${plural.slice(0, -3)}y` : plural.replace(/s$/, '')
  const kind = singular.charAt(0).toUpperCase() + singular.slice(1)
  return pluralOf(kind) === plural ? kind : plural
}

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  return Array.from(randomBytes(5), (b) => alphabet[b % alphabet.length]).join('')
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

export function sendJson(res: ServerResponse, code: number, body: object): void {
  const text = JSON.stringify(body)
  res.writeHead(code, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text)})
  res.end(text)
}
