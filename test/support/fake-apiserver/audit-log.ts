// kube-apiserver's audit, as the fake apiserver plays it. Its Audit-ID handling (audit_init.go):
// a client's Audit-ID is kept when valid (at most 256 characters, alphanumerics separated by
// hyphens), refused with a 400 when not, a fresh UUID is made when none is sent, and the ID is
// echoed in the answer's Audit-ID header. Its log backend: each resource request a log's policy
// records becomes one JSON Event per stage, appended to a file on a node after an optional delay
// (a buffered backend, a slow disk). Also who the token authenticates as: the events' user, and
// the answer to a SelfSubjectReview (`kubectl auth whoami`).
import {randomUUID} from 'node:crypto'
import {appendFileSync, mkdirSync} from 'node:fs'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {dirname, join} from 'node:path'

import {matchNodeLogs} from './node-logs.js'
import {matchPodLog} from './pod-logs.js'
import {parseResourcePath, sendJson} from './rest.js'
import type {FakeNode} from './state.js'
import {failureStatus} from './status.js'

export type FakeAuditLevel = 'None' | 'Metadata' | 'Request' | 'RequestResponse'

/** A policy in audit.k8s.io/v1's shape; only verbs and resources select (first matching rule wins). */
export interface FakeAuditPolicy {
  omitStages?: string[]
  rules: Array<{
    level: FakeAuditLevel
    verbs?: string[]
    /** An omitted group is the core group, as in a real policy. */
    resources?: Array<{group?: string; resources?: string[]}>
    omitStages?: string[]
  }>
}

/** One server's audit log: a file on a node, or what a log shipper takes (a managed provider's log service). */
export type FakeAuditLog = FakeAuditLogSettings & ({node: string; path: string} | {deliver: (lines: string[]) => void})

export interface FakeAuditLogSettings {
  policy: FakeAuditPolicy
  /** Events reach the file this long after the request ends. */
  delayMs?: number
  /** Groups this server only proxies: recorded at Metadata at most, as kube-apiserver records an aggregated API. */
  aggregatedGroups?: string[]
}

export interface FakeAuditSettings {
  /** Who the token authenticates as. */
  user: {username: string; groups: string[]}
  /** false plays something on the way that drops the Audit-ID header from answers. */
  echo: boolean
  /** Where events are written; none: nowhere. */
  logs: FakeAuditLog[]
}

const AUDIT_ID = /^[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]+$/
const MAX_AUDIT_ID = 256
const LEVELS: readonly FakeAuditLevel[] = ['None', 'Metadata', 'Request', 'RequestResponse']

export class FakeAudit {
  private readonly timers = new Set<NodeJS.Timeout>()

  constructor(
    readonly settings: FakeAuditSettings,
    private readonly nodes: ReadonlyMap<string, FakeNode>,
  ) {}

  /** Runs `next` (the request's handler) inside the audit: ID, echo, and the events of what it answered. */
  async serve(req: IncomingMessage, res: ServerResponse, url: URL, next: () => Promise<void>): Promise<void> {
    const given = req.headers['audit-id']
    const sent = Array.isArray(given) ? given[0] : given
    if (sent !== undefined && sent !== '' && (sent.length > MAX_AUDIT_ID || !AUDIT_ID.test(sent))) {
      return sendJson(
        res,
        400,
        failureStatus(
          400,
          "provided Audit-ID is invalid. Must be less than 256 characters in length and only contain alphanumeric characters separated by hyphens ('-').",
        ),
      )
    }
    const auditID = sent || randomUUID()
    if (this.settings.echo) res.setHeader('Audit-ID', auditID)
    if (req.method === 'POST' && url.pathname === '/apis/authentication.k8s.io/v1/selfsubjectreviews') {
      const {username, groups} = this.settings.user
      return sendJson(res, 201, {
        kind: 'SelfSubjectReview',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: {creationTimestamp: null},
        status: {userInfo: {username, groups}},
      })
    }
    const address =
      matchNodeLogs(url.pathname) || matchPodLog(url.pathname) ? undefined : parseResourcePath(url.pathname)
    const verb = address ? verbOf(req, url, address.name) : undefined
    const decisions =
      address && verb
        ? this.settings.logs
            .map((log) => ({log, ...decide(log, verb, address.group, address.plural)}))
            .filter((d) => d.level !== 'None')
        : []
    if (!address || !verb || decisions.length === 0) return next()

    const receivedAt = microTime()
    const requestBody =
      req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH' ? await bufferBody(req) : undefined
    const responseBody = captureBody(res)
    res.once('finish', () => {
      const request = parseObject(requestBody)
      const response = parseObject(Buffer.concat(responseBody).toString('utf8'))
      const name = address.name ?? nameOf(request)
      const objectRef = {
        resource: address.plural,
        ...(address.namespace ? {namespace: address.namespace} : {}),
        ...(name ? {name} : {}),
        apiGroup: address.group,
        apiVersion: address.version,
        ...(address.subresource ? {subresource: address.subresource} : {}),
      }
      const common = {
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        auditID,
        requestURI: `${url.pathname}${url.search}`,
        verb,
        user: this.settings.user,
        sourceIPs: ['127.0.0.1'],
        userAgent: req.headers['user-agent'] ?? '',
      }
      const completedAt = microTime()
      for (const {log, level, omitStages} of decisions) {
        const lines: string[] = []
        if (!omitStages.includes('RequestReceived')) {
          // Before the body is decoded: no name yet on a create, no bodies, no status.
          const {name: _name, ...received} = objectRef as typeof objectRef & {name?: string}
          lines.push(
            JSON.stringify({
              ...common,
              level,
              stage: 'RequestReceived',
              objectRef: received,
              requestReceivedTimestamp: receivedAt,
              stageTimestamp: receivedAt,
            }),
          )
        }
        if (!omitStages.includes('ResponseComplete')) {
          lines.push(
            JSON.stringify({
              ...common,
              level,
              stage: 'ResponseComplete',
              objectRef,
              responseStatus: {metadata: {}, code: res.statusCode},
              ...(level !== 'Metadata' && request !== undefined ? {requestObject: request} : {}),
              ...(level === 'RequestResponse' && response !== undefined ? {responseObject: response} : {}),
              requestReceivedTimestamp: receivedAt,
              stageTimestamp: completedAt,
            }),
          )
        }
        if (lines.length > 0) this.append(log, `${lines.join('\n')}\n`)
      }
    })
    return next()
  }

  /** Stops the writes still waiting for their delay. */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
  }

  private append(log: FakeAuditLog, text: string): void {
    const write = () => {
      if ('deliver' in log) return log.deliver(text.split('\n').filter(Boolean))
      const node = this.nodes.get(log.node)
      if (!node) return
      const file = join(node.root, log.path)
      mkdirSync(dirname(file), {recursive: true})
      appendFileSync(file, text)
    }
    if (!log.delayMs) return write()
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      write()
    }, log.delayMs)
    this.timers.add(timer)
  }
}

function decide(
  log: FakeAuditLog,
  verb: string,
  group: string,
  resource: string,
): {level: FakeAuditLevel; omitStages: string[]} {
  const rule = log.policy.rules.find(
    (r) =>
      (!r.verbs || r.verbs.includes(verb)) &&
      (!r.resources ||
        r.resources.some((gr) => (gr.group ?? '') === group && (!gr.resources || gr.resources.includes(resource)))),
  )
  if (!rule) return {level: 'None', omitStages: []}
  const capped =
    log.aggregatedGroups?.includes(group) && LEVELS.indexOf(rule.level) > LEVELS.indexOf('Metadata')
      ? 'Metadata'
      : rule.level
  return {level: capped, omitStages: [...(log.policy.omitStages ?? []), ...(rule.omitStages ?? [])]}
}

function verbOf(req: IncomingMessage, url: URL, name: string | undefined): string | undefined {
  switch (req.method) {
    case 'POST':
      return 'create'
    case 'PUT':
      return 'update'
    case 'PATCH':
      return 'patch'
    case 'DELETE':
      return name ? 'delete' : 'deletecollection'
    case 'GET':
      return url.searchParams.get('watch') === 'true' ? 'watch' : name ? 'get' : 'list'
    default:
      return undefined
  }
}

/** Reads the body, and lets the handler read it again: its iterator gives the same bytes. */
async function bufferBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const body = Buffer.concat(chunks)
  Object.defineProperty(req, Symbol.asyncIterator, {
    value: async function* () {
      yield body
    },
  })
  return body.toString('utf8')
}

/** Collects what is written as the answer's body. */
function captureBody(res: ServerResponse): Buffer[] {
  const chunks: Buffer[] = []
  const keep = (chunk: unknown) => {
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function')
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)))
  }
  const write = res.write.bind(res) as (...args: unknown[]) => boolean
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    keep(chunk)
    return write(chunk, ...rest)
  }) as typeof res.write
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    keep(chunk)
    return end(chunk, ...rest)
  }) as typeof res.end
  return chunks
}

function parseObject(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null ? value : undefined
  } catch {
    return undefined
  }
}

function nameOf(object: unknown): string | undefined {
  const name = (object as {metadata?: {name?: unknown}} | undefined)?.metadata?.name
  return typeof name === 'string' && name !== '' ? name : undefined
}

/** RFC 3339 with microseconds, UTC, as the apiserver's MicroTime. */
function microTime(): string {
  return new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
}
