// A loopback CloudWatch Logs speaking the wire protocol the SDK sends (AWS JSON 1.1, `POST /` with
// `X-Amz-Target: Logs_20140328.FilterLogEvents` or `.DescribeLogGroups`), with EKS DescribeCluster
// (REST-JSON, `GET /clusters/NAME`) and STS AssumeRole (query protocol, XML) beside it. Clients
// reach it through AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_CLOUDWATCH_LOGS); signatures are not
// checked, but which access key signed is recorded. It evaluates the JSON filter patterns it is
// sent (=, !=, &&, ||, parentheses; a quoted phrase), scans a bounded number of events per page,
// so a selective pattern over a large group answers empty pages with a token, as CloudWatch does,
// and it can throttle, refuse tokens, deny access and count what it sent.
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

export interface StoredEvent {
  readonly timestamp: number
  readonly logStreamName: string
  readonly eventId: string
  /** The message as sent; made on demand (a bench group holds a million). */
  message(): string
  /** The value at a JSON path of the message (`objectRef.resource`), undefined when the message is no JSON. */
  field(path: string): unknown
  /** The message is a JSON object (a cut one is not). */
  isJson(): boolean
}

export interface FakeLogGroup {
  readonly events: StoredEvent[]
  retentionInDays?: number
}

export interface FakeCluster {
  /** The log types EKS sends to CloudWatch Logs, enabled or not. */
  logging: Array<{types: string[]; enabled: boolean}>
}

export interface RecordedRequest {
  /** `FilterLogEvents`, `DescribeLogGroups`, `DescribeCluster`, `AssumeRole`. */
  readonly action: string
  readonly body: Record<string, unknown>
  /** The access key that signed it (from the Authorization header). */
  readonly accessKey: string | null
  /** When it arrived (performance.now()). */
  readonly at: number
  /** Events in the answer (FilterLogEvents). */
  events?: number
}

export interface FakeCloudWatchOptions {
  /** Most events in one page (CloudWatch: 10,000). */
  pageEvents?: number
  /** Most stored events looked at for one page: beyond it, the page ends, empty or not, with a token. */
  scanEvents?: number
  /** FilterLogEvents requests allowed in any second before ThrottlingException (the quota: 5). */
  perSecond?: number
}

let nextId = 0

/** A stored event from a message given whole. */
export function storedEvent(event: {
  timestamp: number
  message: string
  logStreamName: string
  eventId?: string
}): StoredEvent {
  let parsed: unknown
  let tried = false
  return {
    timestamp: event.timestamp,
    logStreamName: event.logStreamName,
    eventId: event.eventId ?? `${String(event.timestamp).padStart(20, '0')}${String(++nextId).padStart(36, '0')}`,
    message: () => event.message,
    field(path) {
      return pathValue(parse(), path)
    },
    isJson: () => typeof parse() === 'object' && parse() !== null,
  }
  function parse(): unknown {
    if (!tried) {
      tried = true
      try {
        parsed = JSON.parse(event.message)
      } catch {
        parsed = undefined
      }
    }
    return parsed
  }
}

export function pathValue(value: unknown, path: string): unknown {
  let at = value
  for (const key of path.split('.')) {
    if (typeof at !== 'object' || at === null) return undefined
    at = (at as Record<string, unknown>)[key]
  }
  return at
}

export class FakeCloudWatch {
  readonly groups = new Map<string, FakeLogGroup>()
  readonly clusters = new Map<string, FakeCluster>()
  readonly requests: RecordedRequest[] = []
  /** Bytes of FilterLogEvents answers sent. */
  bytesSent = 0
  /** Events sent in FilterLogEvents answers. */
  eventsSent = 0
  /** The next n FilterLogEvents requests are throttled. */
  throttleNext = 0
  /** Leading empty pages (with a token) each new FilterLogEvents query gets before its first events. */
  emptyPagesFirst = 0
  /** The n-th token handed out (1-based) is refused once, as an expired one is. */
  readonly refuseTokens = new Set<number>()
  /** Refuse FilterLogEvents / DescribeLogGroups (AccessDeniedException). */
  denyLogs = false
  /** Refuse DescribeCluster (AccessDeniedException). */
  denyEks = false
  private tokens = 0
  private readonly refused = new Set<number>()
  private server: Server | undefined

  constructor(private readonly options: FakeCloudWatchOptions = {}) {}

  get url(): string {
    const address = this.server?.address() as AddressInfo | null
    if (!address) throw new Error('the fake CloudWatch is not listening')
    return `http://127.0.0.1:${address.port}`
  }

  /** Environment for a client (the CLI, or the SDK in this process) to use the fake and nothing else. */
  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      AWS_ENDPOINT_URL: this.url,
      AWS_ACCESS_KEY_ID: 'AKIAFAKEDEFAULT00000',
      AWS_SECRET_ACCESS_KEY: 'fake-secret',
      AWS_REGION: undefined,
      AWS_DEFAULT_REGION: undefined,
      AWS_PROFILE: undefined,
      // Never the developer's own files, and never the instance metadata service.
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      ...extra,
    }
  }

  group(name: string): FakeLogGroup {
    let group = this.groups.get(name)
    if (!group) this.groups.set(name, (group = {events: []}))
    return group
  }

  /** Adds events to a group, keeping it in time order (ties in the order given). */
  addEvents(name: string, events: readonly StoredEvent[]): void {
    const group = this.group(name)
    for (const event of events) group.events.push(event)
    group.events.sort((a, b) => a.timestamp - b.timestamp)
  }

  filterRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.action === 'FilterLogEvents')
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) =>
        reply(res, 500, {__type: 'InternalFailure', message: String(error)}),
      )
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    return this
  }

  async close(): Promise<void> {
    if (!this.server) return
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server!.close(() => resolve()))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    const accessKey = /Credential=([A-Z0-9]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? null
    const at = performance.now()
    const eks = /^\/clusters\/([^/?]+)/.exec(req.url ?? '')
    if (req.method === 'GET' && eks) {
      const name = decodeURIComponent(eks[1]!)
      this.requests.push({action: 'DescribeCluster', body: {name}, accessKey, at})
      return this.describeCluster(name, res)
    }
    if (String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
      const form = Object.fromEntries(new URLSearchParams(text))
      this.requests.push({action: String(form.Action), body: form, accessKey, at})
      return this.assumeRole(form, res)
    }
    const target = String(req.headers['x-amz-target'] ?? '')
    const body = JSON.parse(text || '{}') as Record<string, unknown>
    const action = target.replace(/^Logs_20140328\./, '')
    const record: RecordedRequest = {action, body, accessKey, at}
    this.requests.push(record)
    if (req.headers['content-type'] !== 'application/x-amz-json-1.1')
      return reply(res, 400, {__type: 'SerializationException', message: `content type ${req.headers['content-type']}`})
    if (action === 'FilterLogEvents') return this.filterLogEvents(body, res, record)
    if (action === 'DescribeLogGroups') return this.describeLogGroups(body, res)
    return reply(res, 400, {__type: 'UnknownOperationException', message: target})
  }

  private filterLogEvents(body: Record<string, unknown>, res: ServerResponse, record: RecordedRequest): unknown {
    if (this.throttleNext > 0 || this.overQuota()) {
      this.throttleNext = Math.max(0, this.throttleNext - 1)
      return reply(res, 400, {__type: 'ThrottlingException', message: 'Rate exceeded'})
    }
    if (this.denyLogs) {
      return reply(res, 400, {
        __type: 'AccessDeniedException',
        message: `User: arn:aws:iam::123456789012:user/alice is not authorized to perform: logs:FilterLogEvents on resource: arn:aws:logs:eu-west-1:123456789012:log-group:${String(body.logGroupName)}:log-stream: because no identity-based policy allows the logs:FilterLogEvents action`,
      })
    }
    const group = this.groups.get(String(body.logGroupName))
    if (!group)
      return reply(res, 400, {__type: 'ResourceNotFoundException', message: 'The specified log group does not exist.'})
    if (body.logStreamNamePrefix !== undefined && body.logStreamNames !== undefined) {
      return reply(res, 400, {
        __type: 'InvalidParameterException',
        message: 'logStreamNamePrefix and logStreamNames cannot both be given',
      })
    }
    const pattern = typeof body.filterPattern === 'string' ? body.filterPattern : ''
    if (pattern.length > 1024)
      return reply(res, 400, {__type: 'InvalidParameterException', message: 'filterPattern is longer than 1024'})
    let matches: (event: StoredEvent) => boolean
    try {
      matches = compileFilterPattern(pattern)
    } catch (error) {
      return reply(res, 400, {
        __type: 'InvalidParameterException',
        message: `Invalid filter pattern: ${(error as Error).message}`,
      })
    }
    let cursor = {pos: 0, empty: this.emptyPagesFirst}
    if (typeof body.nextToken === 'string') {
      const token = JSON.parse(Buffer.from(body.nextToken, 'base64').toString('utf8')) as {
        pos: number
        empty: number
        n: number
      }
      if (this.refuseTokens.has(token.n) && !this.refused.has(token.n)) {
        this.refused.add(token.n)
        return reply(res, 400, {__type: 'InvalidParameterException', message: 'The specified nextToken has expired.'})
      }
      cursor = token
    }
    if (cursor.empty > 0) return this.page(res, record, [], {pos: cursor.pos, empty: cursor.empty - 1})
    const prefix = typeof body.logStreamNamePrefix === 'string' ? body.logStreamNamePrefix : ''
    const start = typeof body.startTime === 'number' ? body.startTime : Number.NEGATIVE_INFINITY
    const end = typeof body.endTime === 'number' ? body.endTime : Number.POSITIVE_INFINITY
    const limit = Math.min(typeof body.limit === 'number' ? body.limit : Infinity, this.options.pageEvents ?? 10_000)
    const scan = this.options.scanEvents ?? Number.POSITIVE_INFINITY
    const {events} = group
    let pos = cursor.pos === 0 ? firstAtOrAfter(events, start) : cursor.pos
    const found: StoredEvent[] = []
    let bytes = 0
    let scanned = 0
    while (
      pos < events.length &&
      events[pos]!.timestamp <= end &&
      found.length < limit &&
      scanned < scan &&
      bytes < 1024 * 1024
    ) {
      const event = events[pos++]!
      scanned++
      if (!event.logStreamName.startsWith(prefix) || !matches(event)) continue
      found.push(event)
      bytes += event.message().length + 200
    }
    const more = pos < events.length && events[pos]!.timestamp <= end
    return this.page(res, record, found, more ? {pos, empty: 0} : undefined)
  }

  private page(
    res: ServerResponse,
    record: RecordedRequest,
    events: readonly StoredEvent[],
    next: {pos: number; empty: number} | undefined,
  ): void {
    record.events = events.length
    const answer: Record<string, unknown> = {
      events: events.map((e) => ({
        logStreamName: e.logStreamName,
        timestamp: e.timestamp,
        message: e.message(),
        ingestionTime: e.timestamp + 1500,
        eventId: e.eventId,
      })),
      searchedLogStreams: [],
    }
    if (next) answer.nextToken = Buffer.from(JSON.stringify({...next, n: ++this.tokens})).toString('base64')
    this.eventsSent += events.length
    this.bytesSent += reply(res, 200, answer)
  }

  /** More than the quota's FilterLogEvents in the last second (the one being answered included). */
  private overQuota(): boolean {
    const perSecond = this.options.perSecond
    if (perSecond === undefined) return false
    const recent = this.filterRequests().filter((r) => r.at > performance.now() - 1000)
    return recent.length > perSecond
  }

  private describeLogGroups(body: Record<string, unknown>, res: ServerResponse): unknown {
    if (this.denyLogs)
      return reply(res, 400, {
        __type: 'AccessDeniedException',
        message: 'User: arn:aws:iam::123456789012:user/alice is not authorized to perform: logs:DescribeLogGroups',
      })
    const prefix = typeof body.logGroupNamePrefix === 'string' ? body.logGroupNamePrefix : ''
    const logGroups = [...this.groups]
      .filter(([name]) => name.startsWith(prefix))
      .map(([name, group]) => ({
        logGroupName: name,
        creationTime: Date.parse('2026-01-01T00:00:00Z'),
        ...(group.retentionInDays === undefined ? {} : {retentionInDays: group.retentionInDays}),
        metricFilterCount: 0,
        arn: `arn:aws:logs:eu-west-1:123456789012:log-group:${name}:*`,
        storedBytes: group.events.length * 1000,
      }))
    reply(res, 200, {logGroups})
  }

  private describeCluster(name: string, res: ServerResponse): void {
    if (this.denyEks) {
      return replyRest(res, 403, 'AccessDeniedException', {
        message: `User: arn:aws:iam::123456789012:user/alice is not authorized to perform: eks:DescribeCluster on resource: arn:aws:eks:eu-west-1:123456789012:cluster/${name}`,
      })
    }
    const cluster = this.clusters.get(name)
    if (!cluster)
      return replyRest(res, 404, 'ResourceNotFoundException', {message: `No cluster found for name: ${name}.`})
    replyRest(res, 200, undefined, {
      cluster: {
        name,
        arn: `arn:aws:eks:eu-west-1:123456789012:cluster/${name}`,
        version: '1.31',
        status: 'ACTIVE',
        logging: {clusterLogging: cluster.logging},
      },
    })
  }

  private assumeRole(form: Record<string, string>, res: ServerResponse): void {
    const xml = `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleResult>
    <Credentials>
      <AccessKeyId>ASIAFAKEASSUMED00000</AccessKeyId>
      <SecretAccessKey>fake-assumed-secret</SecretAccessKey>
      <SessionToken>fake-session-token</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
    <AssumedRoleUser>
      <AssumedRoleId>AROAFAKE:${form.RoleSessionName}</AssumedRoleId>
      <Arn>${form.RoleArn}/${form.RoleSessionName}</Arn>
    </AssumedRoleUser>
  </AssumeRoleResult>
  <ResponseMetadata><RequestId>fake-request</RequestId></ResponseMetadata>
</AssumeRoleResponse>`
    res.writeHead(200, {'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml)})
    res.end(xml)
  }
}

/** Index of the first event at or after `time` (events are in time order). */
function firstAtOrAfter(events: readonly StoredEvent[], time: number): number {
  let low = 0
  let high = events.length
  while (low < high) {
    const mid = (low + high) >> 1
    if (events[mid]!.timestamp < time) low = mid + 1
    else high = mid
  }
  return low
}

function reply(res: ServerResponse, status: number, body: unknown): number {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': 'fake',
  })
  res.end(text)
  return Buffer.byteLength(text)
}

function replyRest(res: ServerResponse, status: number, errorType: string | undefined, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(errorType ? {'x-amzn-errortype': errorType} : {}),
  })
  res.end(text)
}

/**
 * A CloudWatch Logs filter pattern as a predicate: empty (everything), a quoted phrase (the
 * message holds it), or a JSON pattern `{ … }` of `$.a.b = "x"` / `!=` terms joined by && and ||
 * with parentheses. A message that is no JSON matches no JSON pattern.
 */
export function compileFilterPattern(pattern: string): (event: StoredEvent) => boolean {
  const text = pattern.trim()
  if (text === '') return () => true
  if (/^"[^"]*"$/.test(text)) {
    const phrase = text.slice(1, -1)
    return (event) => event.message().includes(phrase)
  }
  if (!text.startsWith('{') || !text.endsWith('}')) throw new Error(`unsupported pattern ${text}`)
  const tokens = text.slice(1, -1).match(/\s*(\(|\)|&&|\|\||!=|=|\$(?:\.[\w-]+)+|"[^"]*"|-?\d+(?:\.\d+)?)\s*/gy)
  if (tokens === null || tokens.join('').length !== text.length - 2) throw new Error(`cannot parse ${text}`)
  const list = tokens.map((t) => t.trim())
  let at = 0
  type Node = (event: StoredEvent) => boolean
  const expect = (token: string) => {
    if (list[at] !== token) throw new Error(`expected ${token} at ${list[at] ?? 'the end'}`)
    at++
  }
  const primary = (): Node => {
    if (list[at] === '(') {
      at++
      const inner = or()
      expect(')')
      return inner
    }
    const selector = list[at++]
    const op = list[at++]
    const literal = list[at++]
    if (!selector?.startsWith('$.') || (op !== '=' && op !== '!=') || literal === undefined)
      throw new Error(`bad term near ${selector}`)
    const path = selector.slice(2)
    const value: unknown = literal.startsWith('"') ? literal.slice(1, -1) : Number(literal)
    // A JSON pattern never matches a message that is no JSON.
    return op === '=' ? (e) => e.field(path) === value : (e) => e.field(path) !== undefined && e.field(path) !== value
  }
  const and = (): Node => {
    const terms = [primary()]
    while (list[at] === '&&') {
      at++
      terms.push(primary())
    }
    return terms.length === 1 ? terms[0]! : (e) => terms.every((t) => t(e))
  }
  const or = (): Node => {
    const terms = [and()]
    while (list[at] === '||') {
      at++
      terms.push(and())
    }
    return terms.length === 1 ? terms[0]! : (e) => terms.some((t) => t(e))
  }
  const node = or()
  if (at !== list.length) throw new Error(`unexpected ${list[at]}`)
  return (event) => event.isJson() && node(event)
}

export async function startFakeCloudWatch(options: FakeCloudWatchOptions = {}): Promise<FakeCloudWatch> {
  return new FakeCloudWatch(options).start()
}
