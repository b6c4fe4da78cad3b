// Turns one synthetic API request into the audit lines kube-apiserver's log backend would write
// for it: compact JSON, one Event per line, fields in the order the Go encoder emits them.

export type Level = 'Metadata' | 'Request' | 'RequestResponse'
export type Stage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete'

export interface UserInfo {
  readonly username: string
  readonly uid?: string
  readonly groups: readonly string[]
  readonly extra?: Readonly<Record<string, readonly string[]>>
}

/** Who sends a request, and from where. */
export interface Actor {
  readonly user: UserInfo
  readonly sourceIPs: readonly string[]
  readonly userAgent: string
  /** authorization.k8s.io/reason when the request is allowed. */
  readonly allowedBy: string
}

export interface ObjectRef {
  readonly resource: string
  readonly namespace?: string
  readonly name?: string
  readonly uid?: string
  /** Omitted for the core group, as the apiserver does. */
  readonly apiGroup?: string
  readonly apiVersion: string
  readonly resourceVersion?: string
  readonly subresource?: string
}

export interface Failure {
  readonly reason: string
  readonly message: string
  readonly details?: Readonly<Record<string, unknown>>
}

export interface ApiRequest {
  readonly auditID: string
  readonly actor: Actor
  readonly impersonatedUser?: UserInfo
  readonly verb: string
  readonly requestURI: string
  readonly objectRef?: ObjectRef
  readonly level: Level
  /** Microseconds since the epoch. */
  readonly receivedAt: number
  readonly completedAt: number
  readonly code: number
  readonly failure?: Failure
  /** Logged at Request and above, in the ResponseComplete stage only. */
  readonly requestObject?: unknown
  /** Logged at RequestResponse only. */
  readonly responseObject?: unknown
  readonly stages: readonly Stage[]
  readonly annotations?: Readonly<Record<string, string>>
  readonly eventVersion?: 'audit.k8s.io/v1' | 'audit.k8s.io/v1beta1'
}

/** One line of the log, with the moment it reached the file (which decides its position). */
export interface AuditLine {
  readonly writtenAt: number
  readonly text: string
}

/** RFC3339 with microseconds in UTC, as metav1.MicroTime marshals. */
export function microTime(us: number): string {
  const ms = Math.floor(us / 1000)
  return `${new Date(ms).toISOString().slice(0, 23)}${String(us - ms * 1000).padStart(3, '0')}Z`
}

/** RFC3339 with whole seconds, as metav1.Time marshals (v1beta1's timestamp fields). */
export function secondsTime(us: number): string {
  return `${new Date(Math.floor(us / 1e6) * 1000).toISOString().slice(0, 19)}Z`
}

/** Long-running requests report ResponseStarted a few milliseconds after they arrive. */
const RESPONSE_STARTED_DELAY_US = 3_000

/**
 * `receivedLineDelay`: how long after arrival the RequestReceived line reaches the file. Its
 * timestamp is taken before authentication, so it often lands after lines with later timestamps:
 * the small disorder real logs have (facts §1.5).
 */
export function auditLines(req: ApiRequest, receivedLineDelay = 1_500): AuditLine[] {
  return req.stages.map((stage) => {
    const stageAt =
      stage === 'RequestReceived'
        ? req.receivedAt
        : stage === 'ResponseStarted'
          ? req.receivedAt + RESPONSE_STARTED_DELAY_US
          : req.completedAt
    const writtenAt = stage === 'RequestReceived' ? stageAt + receivedLineDelay : stageAt
    return {writtenAt, text: JSON.stringify(eventObject(req, stage, stageAt))}
  })
}

function eventObject(req: ApiRequest, stage: Stage, stageAt: number): Record<string, unknown> {
  const v1beta1 = req.eventVersion === 'audit.k8s.io/v1beta1'
  const event: Record<string, unknown> = {kind: 'Event', apiVersion: req.eventVersion ?? 'audit.k8s.io/v1'}
  if (v1beta1) event.metadata = {creationTimestamp: secondsTime(stageAt)}
  event.level = req.level
  if (v1beta1) event.timestamp = secondsTime(req.receivedAt)
  event.auditID = req.auditID
  event.stage = stage
  event.requestURI = req.requestURI
  event.verb = req.verb
  event.user = req.actor.user
  if (req.impersonatedUser) event.impersonatedUser = req.impersonatedUser
  event.sourceIPs = req.actor.sourceIPs
  event.userAgent = req.actor.userAgent
  if (req.objectRef) event.objectRef = req.objectRef
  if (stage !== 'RequestReceived') {
    event.responseStatus = req.failure
      ? {metadata: {}, status: 'Failure', message: req.failure.message, reason: req.failure.reason, details: req.failure.details ?? {}, code: req.code}
      : {metadata: {}, code: req.code}
  }
  if (stage === 'ResponseComplete') {
    if (req.requestObject !== undefined && req.level !== 'Metadata') event.requestObject = req.requestObject
    if (req.responseObject !== undefined && req.level === 'RequestResponse') event.responseObject = req.responseObject
  }
  event.requestReceivedTimestamp = microTime(req.receivedAt)
  event.stageTimestamp = microTime(stageAt)
  // Authorization runs after the RequestReceived event is emitted, so only later stages carry it.
  if (stage !== 'RequestReceived') {
    event.annotations = {
      'authorization.k8s.io/decision': req.code === 403 ? 'forbid' : 'allow',
      'authorization.k8s.io/reason': req.code === 403 ? '' : req.actor.allowedBy,
      ...req.annotations,
    }
  }
  return event
}
