// The REST side of the fake apiserver: /version, discovery (/api, /apis), and get, list, create,
// update and delete on the object store at the real resource paths, with Status errors; the
// kubelet /logs proxy and pods/log are routed to their own modules.
import {randomBytes, randomUUID} from 'node:crypto'
import type {IncomingMessage, ServerResponse} from 'node:http'

import {matchNodeLogs, serveNodeLogs} from './node-logs.js'
import {matchPodLog, servePodLog} from './pod-logs.js'
import type {ServerState} from './state.js'
import {failureStatus, reasonFor} from './status.js'
import {groupOf, type KubeObject, type ObjectStore, pluralOf, type ResourceAddress} from './store.js'

export async function handleRequest(
  state: ServerState,
  version: object,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const {pathname} = url
  if (pathname === '/version') return sendJson(res, 200, version)
  const logs = matchNodeLogs(pathname)
  if (logs && (req.method === 'GET' || req.method === 'HEAD')) {
    const node = state.nodes.get(logs.node)
    if (!node)
      return sendJson(
        res,
        404,
        failureStatus(404, `nodes "${logs.node}" not found`, 'NotFound', {name: logs.node, kind: 'nodes'}),
      )
    return serveNodeLogs(node, logs.path, req, res, state.logs, state.countBytes)
  }
  const podLog = matchPodLog(pathname)
  if (podLog && req.method === 'GET') return servePodLog(state, podLog, url, res)
  if (pathname === '/api')
    return sendJson(res, 200, {kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: []})
  if (pathname === '/apis') return sendJson(res, 200, apiGroupList(state.store))

  const address = parseResourcePath(pathname)
  if (!address) return sendJson(res, 404, failureStatus(404, 'the server could not find the requested resource'))
  return handleResource(state, address, req, res, url)
}

async function handleResource(
  state: ServerState,
  address: ResourceAddress,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const {store} = state
  const method = req.method ?? 'GET'
  const apiVersion = address.group ? `${address.group}/${address.version}` : address.version
  const kind = store.kindOf(address.group, address.plural) ?? guessKind(address.plural)
  const notFound = () =>
    sendJson(
      res,
      404,
      failureStatus(404, `${qualified(address)} "${address.name}" not found`, 'NotFound', {
        name: address.name,
        group: address.group || undefined,
        kind: address.plural,
      }),
    )

  if (address.subresource)
    return sendJson(res, 404, failureStatus(404, 'the server could not find the requested resource'))

  if (method === 'GET' && address.name) {
    const obj = store.get(address)
    return obj ? sendJson(res, 200, obj) : notFound()
  }
  if (method === 'GET') {
    const items = store.list(
      address,
      url.searchParams.get('labelSelector') ?? undefined,
      url.searchParams.get('fieldSelector') ?? undefined,
    )
    return sendJson(res, 200, {apiVersion, kind: `${kind}List`, metadata: {resourceVersion: '1'}, items})
  }
  if (method === 'POST' && !address.name) {
    const body = await readJson(req)
    if (!body) return sendJson(res, 400, failureStatus(400, 'the request body is not a JSON object'))
    const metadata = (body.metadata ??= {name: ''}) as KubeObject['metadata']
    if (!metadata.name && typeof metadata.generateName === 'string')
      metadata.name = metadata.generateName + randomSuffix()
    if (!metadata.name)
      return sendJson(
        res,
        422,
        failureStatus(422, 'metadata.name: Required value: name or generateName is required', 'Invalid'),
      )
    if (address.namespace && metadata.namespace !== undefined && metadata.namespace !== address.namespace) {
      return sendJson(
        res,
        400,
        failureStatus(400, 'the namespace of the provided object does not match the namespace sent on the request'),
      )
    }
    if (address.namespace) metadata.namespace = address.namespace
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersion) {
      return sendJson(
        res,
        400,
        failureStatus(
          400,
          `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersion})`,
        ),
      )
    }
    body.apiVersion ??= apiVersion
    body.kind ??= kind
    if (store.get({...address, name: metadata.name})) {
      return sendJson(
        res,
        409,
        failureStatus(409, `${qualified(address)} "${metadata.name}" already exists`, 'AlreadyExists', {
          name: metadata.name,
          group: address.group || undefined,
          kind: address.plural,
        }),
      )
    }
    const dryRun = url.searchParams.getAll('dryRun')
    if (dryRun.length > 0) {
      // As the apiserver: checked and answered like a real create, never stored.
      if (dryRun.some((value) => value !== 'All'))
        return sendJson(
          res,
          400,
          failureStatus(400, `Invalid value: "${dryRun.join(',')}": supported values: "All"`, 'Invalid'),
        )
      return sendJson(res, 201, dryRunObject(body as KubeObject))
    }
    const stored = store.add(body)
    if (stored.kind === 'Pod') {
      state.lifecycle.started(stored)
      const delay = state.lifecycle.settings.createAnswerDelayMs
      // Stored, and never answered: the request is held until the server closes.
      if (delay === 'never') return
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

/** What a dry-run create answers: the object with what the server fills in, but no resourceVersion (nothing was stored). */
function dryRunObject(body: KubeObject): KubeObject {
  const object = structuredClone(body)
  object.metadata.uid ??= randomUUID()
  object.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  return object
}

/** `/api/v1/...` or `/apis/GROUP/VERSION/...`, namespaced or cluster-scoped. */
export function parseResourcePath(pathname: string): ResourceAddress | undefined {
  const parts = pathname
    .split('/')
    .filter(Boolean)
    .map((p) => decodeURIComponent(p))
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
    return {
      group,
      version,
      namespace: rest[1],
      plural: rest[2]!,
      name: rest[3],
      subresource: rest.slice(4).join('/') || undefined,
    }
  }
  return {group, version, plural: rest[0]!, name: rest[1], subresource: rest.slice(2).join('/') || undefined}
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
export function defaultFailureMessage(code: number, method: string, pathname: string): string {
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
    case 'POST':
      return 'create'
    case 'PUT':
      return 'update'
    case 'PATCH':
      return 'patch'
    case 'DELETE':
      return address.name ? 'delete' : 'deletecollection'
    default:
      return address.name || address.subresource ? 'get' : 'list'
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
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

export function sendJson(res: ServerResponse, code: number, body: object): void {
  const text = JSON.stringify(body)
  res.writeHead(code, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text)})
  res.end(text)
}
