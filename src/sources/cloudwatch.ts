// An EKS cluster's audit log where EKS keeps it: the CloudWatch Logs log group
// /aws/eks/<cluster>/cluster, read with FilterLogEvents and the run's filter pushed into it
// (cloudwatch-query.ts), so CloudWatch does the scan. Paged until there is no nextToken, through
// empty pages; at most 5 requests a second (the account's quota for FilterLogEvents), backing off
// when throttled; a query whose token is refused resumes at the last timestamp seen, dropping the
// events it already had by eventId (events sharing a millisecond are neither lost nor doubled).
// Events CloudWatch cut short cannot match a JSON pattern, so a second query asks for them by their
// mark, to count and name those that may be policy writes.
import {WATCHED_RESOURCE_NAMES} from '../audit/catalog.js'
import {clusterOfLogGroup, enableAuditLogCommand} from '../cluster/eks-context.js'
import {UserError} from '../errors.js'
import {
  type AwsAccess,
  awsClientSettings,
  awsErrorKind,
  awsErrorText,
  credentialsError,
  regionError,
} from './aws-client.js'
import {AUDIT_STREAM_PREFIX, filterLogEventsRequest, type FilterLogEventsRequest} from './cloudwatch-query.js'
import type {QueryFilter, QueryPage, QuerySource} from './source.js'

export interface CloudWatchTarget extends AwsAccess {
  readonly logGroup: string
}

export interface CloudWatchPacing {
  /** FilterLogEvents' quota: 5 a second per account and region, not raisable. */
  readonly requestsPerSecond: number
  /** The first wait after a throttled (or failed) request; it doubles each time, with jitter. */
  readonly backoffMs: number
  /** Tries of one request before the query gives up. */
  readonly attempts: number
  /** Times a query may start again at its last timestamp after its token was refused. */
  readonly resumes: number
}

export const DEFAULT_PACING: CloudWatchPacing = {requestsPerSecond: 5, backoffMs: 1000, attempts: 6, resumes: 5}

/** Requests are spaced this much wider than the quota's rate. */
const PACING_MARGIN = 1.1
/** The longest wait between two tries. */
const MAX_BACKOFF_MS = 20_000
const SERVICE = 'CloudWatch Logs'
const PERMISSION = 'logs:FilterLogEvents'

/** One event of a FilterLogEvents answer. */
interface LogEvent {
  readonly logStreamName?: string
  readonly timestamp?: number
  readonly message?: string
  readonly ingestionTime?: number
  readonly eventId?: string
}

interface Answer {
  readonly events: readonly LogEvent[]
  readonly nextToken?: string
  readonly bytes: number
}

type Send = (
  request: FilterLogEventsRequest & {nextToken?: string; limit?: number},
  signal?: AbortSignal,
) => Promise<Answer>

/** What the push-down saved: requests made, events and bytes that came back. */
export interface CloudWatchCounters {
  requests: number
  throttled: number
  resumed: number
  events: number
  bytes: number
}

export class CloudWatchSource implements QuerySource {
  readonly name: string
  readonly format = 'cloudwatch'
  /** FilterLogEvents: 5 requests a second per account and region, shared; EKS delivers "within minutes". */
  readonly pace = {minIntervalMs: 5000, lateMs: 5 * 60_000}
  readonly counters: CloudWatchCounters = {requests: 0, throttled: 0, resumed: 0, events: 0, bytes: 0}
  private sender: Promise<{send: Send; region: string}> | undefined
  private started: {filter: QueryFilter; buffered: QueryPage[]; rest: AsyncIterator<QueryPage>} | undefined
  private lastRequestAt = Number.NEGATIVE_INFINITY

  constructor(
    readonly target: CloudWatchTarget,
    private readonly pacing: CloudWatchPacing = DEFAULT_PACING,
  ) {
    this.name = `cloudwatch:${target.logGroup}`
  }

  /**
   * Asks until the first events come (or the answer is complete), so what stops the run before it
   * has read anything (no credentials, no permission, no log group, nothing in the window) is a
   * UserError: one line and its remedy, exit 2. The rest is read by query(). `windowAhead`: the
   * window is where writes are about to be made, so nothing in it is no sign the log is off.
   */
  async start(
    filter: QueryFilter,
    signal?: AbortSignal,
    {windowAhead = false}: {windowAhead?: boolean} = {},
  ): Promise<void> {
    const pages = this.pages(filter, signal)[Symbol.asyncIterator]()
    const buffered: QueryPage[] = []
    try {
      for (;;) {
        const next = await pages.next()
        if (next.done) break
        buffered.push(next.value)
        if (next.value.records.length > 0) break
      }
      if (
        !windowAhead &&
        buffered.every((p) => p.records.length === 0) &&
        !(await this.windowHoldsEvents(filter, signal))
      )
        throw await this.emptyWindow(filter)
    } catch (error) {
      throw error instanceof UserError ? error : await this.problem(error)
    }
    this.started = {filter, buffered, rest: pages}
  }

  /** The region asked: given, or the one the SDK's own chain found. */
  async region(): Promise<string> {
    return (await this.client()).region
  }

  async *query(filter: QueryFilter, signal?: AbortSignal): AsyncIterable<QueryPage> {
    const started = this.started?.filter === filter ? this.started : undefined
    this.started = undefined
    if (!started) {
      for await (const page of this.pages(filter, signal)) yield page
      return
    }
    for (const page of started.buffered) yield page
    for (;;) {
      const next = await started.rest.next()
      if (next.done) return
      yield next.value
    }
  }

  /** The writes the filter asks for, then the events CloudWatch cut short that may be such writes. */
  private async *pages(filter: QueryFilter, signal?: AbortSignal): AsyncIterable<QueryPage> {
    const request = filterLogEventsRequest(filter, this.target.logGroup)
    for await (const answer of this.filterLogEvents(request, signal))
      yield {records: answer.events, bytes: answer.bytes}
    const cut = {...request, filterPattern: '"[Truncated...]"'}
    for await (const answer of this.filterLogEvents(cut, signal))
      yield {records: answer.events.filter(mayBeWatched), bytes: answer.bytes}
  }

  /**
   * Every page of one FilterLogEvents query, until there is no nextToken. A refused token (they
   * expire) starts the query again at the last timestamp seen; events already had are dropped by
   * eventId, so those sharing that millisecond are neither lost nor doubled.
   */
  private async *filterLogEvents(request: FilterLogEventsRequest, signal?: AbortSignal): AsyncIterable<Answer> {
    let nextToken: string | undefined
    let from = request
    let lastTimestamp: number | null = null
    let seenAtLast = new Set<string>()
    let resumes = 0
    for (;;) {
      let answer: Answer
      try {
        answer = await this.send({...from, ...(nextToken ? {nextToken} : {})}, signal)
      } catch (error) {
        if (nextToken === undefined || !isRefusedToken(error) || resumes >= this.pacing.resumes) throw error
        resumes++
        this.counters.resumed++
        nextToken = undefined
        if (lastTimestamp !== null) from = {...request, startTime: lastTimestamp}
        continue
      }
      const fresh: LogEvent[] = []
      for (const event of answer.events) {
        const time = event.timestamp ?? 0
        const id = event.eventId ?? ''
        if (lastTimestamp !== null && time === lastTimestamp && id !== '' && seenAtLast.has(id)) continue
        if (lastTimestamp === null || time > lastTimestamp) {
          lastTimestamp = time
          seenAtLast = new Set()
        }
        if (time === lastTimestamp && id !== '') seenAtLast.add(id)
        fresh.push(event)
      }
      this.counters.events += fresh.length
      yield {...answer, events: fresh}
      if (!answer.nextToken) return
      nextToken = answer.nextToken
    }
  }

  /** Whether any audit event at all is in the window (when nothing matched the filter). */
  private async windowHoldsEvents(filter: QueryFilter, signal?: AbortSignal): Promise<boolean> {
    const {filterPattern: _all, ...window} = filterLogEventsRequest(filter, this.target.logGroup)
    let nextToken: string | undefined
    // Sparse streams can answer a few empty pages first; a handful is enough to tell.
    for (let i = 0; i < 5; i++) {
      const answer = await this.send(
        {...window, filterPattern: '', limit: 1, ...(nextToken ? {nextToken} : {})},
        signal,
      )
      if (answer.events.length > 0) return true
      if (!answer.nextToken) return false
      nextToken = answer.nextToken
    }
    return true
  }

  /** One request: paced to the quota, tried again when throttled or when the service failed. */
  private async send(request: Parameters<Send>[0], signal?: AbortSignal): Promise<Answer> {
    const {send} = await this.client()
    for (let attempt = 1; ; attempt++) {
      await this.waitForTurn(signal)
      this.counters.requests++
      try {
        const answer = await send(request, signal)
        this.counters.bytes += answer.bytes
        return answer
      } catch (error) {
        signal?.throwIfAborted()
        const kind = awsErrorKind(error)
        if ((kind !== 'throttled' && kind !== 'transient') || attempt >= this.pacing.attempts) throw error
        if (kind === 'throttled') this.counters.throttled++
        const wait = Math.min(MAX_BACKOFF_MS, this.pacing.backoffMs * 2 ** (attempt - 1))
        await sleep(wait * (0.5 + Math.random() / 2), signal)
      }
    }
  }

  /** A little under requestsPerSecond request starts a second: the quota counts arrivals, which jitter. */
  private async waitForTurn(signal?: AbortSignal): Promise<void> {
    const gap = (1000 / this.pacing.requestsPerSecond) * PACING_MARGIN
    const wait = this.lastRequestAt + gap - performance.now()
    if (wait > 0) await sleep(wait, signal)
    this.lastRequestAt = performance.now()
  }

  private client(): Promise<{send: Send; region: string}> {
    this.sender ??= (async () => {
      const {CloudWatchLogsClient, FilterLogEventsCommand} = await import('@aws-sdk/client-cloudwatch-logs')
      const client = new CloudWatchLogsClient(awsClientSettings(this.target))
      let bytes = 0
      // The size of each answer, as received: what the push-down saved.
      client.middlewareStack.add(
        (next) => async (args) => {
          const out = await next(args)
          bytes = Number((out.response as {headers?: Record<string, string>}).headers?.['content-length'] ?? 0)
          return out
        },
        {step: 'deserialize', name: 'answerBytes'},
      )
      const region = await client.config.region().catch((error: unknown) => {
        throw awsErrorKind(error) === 'region' ? regionError(SERVICE) : error
      })
      const send: Send = async (request, signal) => {
        const out = await client.send(new FilterLogEventsCommand(request), {abortSignal: signal})
        return {events: out.events ?? [], nextToken: out.nextToken, bytes}
      }
      return {send, region}
    })()
    this.sender.catch(() => {
      this.sender = undefined
    })
    return this.sender
  }

  /** An AWS error before anything was read, as one line and what fixes it. */
  private async problem(error: unknown): Promise<Error> {
    const {logGroup, profile, roleArn} = this.target
    const region = await this.client().then(
      (c) => c.region,
      () => this.target.region,
    )
    const cluster = clusterOfLogGroup(logGroup)
    const where = `log group ${logGroup}${region ? ` (${region})` : ''}`
    switch (awsErrorKind(error)) {
      case 'credentials':
        return credentialsError(error, this.target, SERVICE)
      case 'region':
        return regionError(SERVICE)
      case 'denied':
        return new UserError(
          `not allowed to read the audit log: ${PERMISSION} on ${where} was refused${profile || roleArn ? ` (as ${roleArn ?? `profile ${profile}`})` : ''}`,
          {
            hint: `ask for an IAM policy that allows ${PERMISSION} on arn:aws:logs:${region ?? 'REGION'}:ACCOUNT:log-group:${logGroup}:*`,
            cause: error,
          },
        )
      case 'not-found':
        return new UserError(
          `${where} does not exist: ${cluster ? `EKS does not send cluster ${cluster}'s audit log to CloudWatch Logs` : 'wrong --log-group or --region?'}`,
          {
            hint: cluster
              ? `turn it on: ${enableAuditLogCommand(cluster, region)}`
              : 'give the log group EKS writes to: --log-group /aws/eks/CLUSTER/cluster, and its --region',
            cause: error,
          },
        )
      default:
        return new UserError(`${SERVICE} failed the query on ${where}: ${awsErrorText(error)}`, {
          hint: 'check --region and --log-group, then try again',
          cause: error,
        })
    }
  }

  private async emptyWindow(filter: QueryFilter): Promise<UserError> {
    const {logGroup} = this.target
    const region = await this.client().then(
      (c) => c.region,
      () => this.target.region,
    )
    const cluster = clusterOfLogGroup(logGroup)
    const span =
      filter.sinceMs === null
        ? 'at all'
        : `from ${iso(filter.sinceMs)}${filter.untilMs === null ? '' : ` to ${iso(filter.untilMs)}`}`
    return new UserError(
      `no EKS audit events in ${logGroup} (streams ${AUDIT_STREAM_PREFIX}*) ${span}: the audit log type was off then, or its events have not arrived yet (CloudWatch gets them within minutes)`,
      {
        hint: cluster
          ? `widen --since, or turn the audit log on: ${enableAuditLogCommand(cluster, region)}`
          : 'widen --since, or check that the cluster sends its audit log to this log group',
      },
    )
  }
}

/** The token of a query that ran too long is refused: the query can resume from its last timestamp. */
function isRefusedToken(error: unknown): boolean {
  const {name = '', message = ''} = (error ?? {}) as {name?: string; message?: string}
  return name === 'InvalidParameterException' && /token/i.test(message)
}

const WATCHED = new RegExp(`"resource"\\s*:\\s*"(?:${WATCHED_RESOURCE_NAMES.join('|')})"`)

/** A cut event whose text still shows a watched resource, or was cut before its objectRef. */
function mayBeWatched(event: LogEvent): boolean {
  const message = event.message ?? ''
  return WATCHED.test(message) || !message.includes('"objectRef"')
}

function iso(ms: number): string {
  return new Date(Math.floor(ms)).toISOString().replace('.000Z', 'Z')
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort)
      resolve()
    }, ms)
    const abort = () => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    signal?.addEventListener('abort', abort, {once: true})
  })
}
