// Audit events that kube-apiserver writes to its stdout (--audit-log-path=-), read through the
// pods/log API of its mirror pod. That stream also carries the apiserver's stderr (klog lines,
// flag deprecation notices, panics), which is dropped line by line as the bytes arrive.
//
// Long lines: the container runtime splits a line longer than 16 KiB (containerd's
// max_container_log_line_size) into partial `P` records. The kubelet's pods/log reader
// (pkg/kubelet/kuberuntime/logs, ReadLogs and parseCRILog) strips the newline of each partial
// record and writes the pieces back to back, so an event arrives as one line. With
// timestamps=true, kubelets before 1.26 put a timestamp before every piece, in the middle of the
// line (kubernetes#77603, fixed by #113481): hence timestamps=false. Two limits remain. stdout
// and stderr share the stream, so a stderr line written between the pieces of a long event lands
// inside it (that event is then counted as malformed). And sinceTime filters records, not lines,
// so a long line that straddles it can lose its head (the tail is not an event and is dropped;
// it is older than the window anyway).
import type {IncomingMessage} from 'node:http'

import type {KubeConfig} from '@kubernetes/client-node'

import {apiErrorToUserError, stallIn} from '../cluster/api-errors.js'
import {ApiHttp} from '../cluster/api-http.js'
import type {StdoutAuditLog} from '../cluster/audit-log-targets.js'
import {formatLimit} from '../cluster/wait-limits.js'
import {UserError} from '../errors.js'
import {isLegacyLine} from '../audit/legacy-format.js'
import {ORDER_SLACK_MS} from '../audit/window.js'
import {readSmallSource} from './byte-streams.js'
import type {ByteRange, LogSource} from './source.js'

const NEWLINE = 0x0a
const OPEN_BRACE = 0x7b
/** Enough of a line to tell an event: `{`, or `<RFC3339Nano time> AUDIT: id="` (legacy format). */
const DECIDE_BYTES = 64
/** The reader gets chunks at least this big (the API sends ~16 KiB TLS records). */
const MIN_CHUNK_BYTES = 1024 * 1024
const EMPTY = Buffer.alloc(0)

export class PodLogSource implements LogSource {
  readonly name: string
  /** The container's log has no rotated siblings here: pods/log serves only the current file. */
  readonly rotatedAt = null
  private readonly apiPath: string

  /**
   * `sinceMs`: the window's start; the API is asked only for what was written after it (less
   * slack). `tailLines`: only the last lines of the log (the kubelet counts the runtime's records).
   */
  constructor(
    private readonly http: ApiHttp,
    readonly log: StdoutAuditLog,
    sinceMs: number | null,
    tailLines?: number,
  ) {
    this.name = `pod/${log.namespace}/${log.pod}`
    const query = new URLSearchParams({container: log.container, timestamps: 'false'})
    if (sinceMs !== null) query.set('sinceTime', wholeSeconds(sinceMs - ORDER_SLACK_MS))
    if (tailLines !== undefined) query.set('tailLines', String(tailLines))
    this.apiPath = `/api/v1/namespaces/${encodeURIComponent(log.namespace)}/pods/${encodeURIComponent(log.pod)}/log?${query}`
  }

  /** A log stream: no size, no seeking. */
  async size(): Promise<number | null> {
    return null
  }

  async *read(_range?: ByteRange, signal?: AbortSignal): AsyncIterable<Buffer> {
    const res = await this.call(() => this.http.get(this.apiPath, {}, signal))
    try {
      yield* auditLinesOf(res)
    } catch (error) {
      if ((error as Error | null)?.name === 'AbortError') throw error
      throw podLogError(error, this.log, this.http.server)
    } finally {
      res.destroy()
    }
  }

  /** Asks for one byte, so a refusal (403, a pod that is gone) is reported before reading starts. */
  async probe(): Promise<void> {
    const res = await this.call(() => this.http.get(`${this.apiPath}&limitBytes=1`, {}))
    res.destroy()
  }

  private async call(request: () => Promise<IncomingMessage>): Promise<IncomingMessage> {
    try {
      return await request()
    } catch (error) {
      throw podLogError(error, this.log, this.http.server)
    }
  }
}

/** One line for a refused pods/log read, with the permission it needs. */
function podLogError(error: unknown, log: StdoutAuditLog, server: string): UserError {
  if (error instanceof UserError) return error
  const stall = stallIn(error)
  const pod = `${log.namespace}/${log.pod}`
  if (stall?.phase === 'first-byte') {
    return new UserError(
      `the kubelet on node ${log.node} sent no answer within ${formatLimit(stall.limitMs)} for the log of pod ${pod} (asked through the API server at ${server})`,
      {
        hint: 'the kubelet or the node may be overloaded or unreachable from the API server; to wait longer, give --request-timeout (e.g. 2m)',
        cause: error,
      },
    )
  }
  if (stall?.phase === 'idle')
    return new UserError(`the log of pod ${pod} stopped coming: nothing for ${formatLimit(stall.limitMs)}`, {
      cause: error,
    })
  return apiErrorToUserError(error, {
    verb: 'get',
    resource: 'pods/log',
    namespace: log.namespace,
    server,
    purpose: `read the audit events ${log.namespace}/${log.pod} writes to its stdout`,
  })
}

/**
 * The audit lines of a pods/log stream, re-chunked: at least MIN_CHUNK_BYTES each (the end
 * aside), the first holding a whole line, so the reader tells the format from a whole line.
 */
export async function* auditLinesOf(chunks: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  const filter = new AuditLineFilter()
  let pending: Buffer[] = []
  let size = 0
  let wholeLine = false
  for await (const chunk of chunks) {
    const kept = filter.push(chunk)
    if (kept.length === 0) continue
    pending.push(kept)
    size += kept.length
    wholeLine ||= kept.includes(NEWLINE)
    if (size >= MIN_CHUNK_BYTES && wholeLine) {
      yield Buffer.concat(pending, size)
      pending = []
      size = 0
    }
  }
  const last = filter.end()
  if (last.length > 0) pending.push(last)
  if (pending.length > 0) yield Buffer.concat(pending)
}

/**
 * Keeps the lines an audit backend writes: JSON events (`{"kind":"Event",…`) and legacy-format
 * lines (recognised and reported by the reader). klog lines (`I1124 10:00:00.000000 1 x.go:1] …`),
 * their multi-line values, and whatever else the apiserver prints are dropped, so none of them is
 * counted as malformed. Nothing is held but the first bytes of a line cut by the end of a chunk.
 */
export class AuditLineFilter {
  /** Whether the line being read is kept; undefined at the start of a line. */
  private keep: boolean | undefined
  /** The start of a line cut by the end of the previous chunk, before it could be told. */
  private head = EMPTY

  /** The kept bytes of `chunk` (the chunk itself when all of it is kept); may be empty. */
  push(chunk: Buffer): Buffer {
    let carried = EMPTY
    const ranges: Array<[number, number]> = []
    let pos = 0
    while (pos < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, pos)
      const end = nl === -1 ? chunk.length : nl + 1
      if (this.keep === undefined) {
        const wanted = DECIDE_BYTES - this.head.length
        if (nl === -1 && end - pos < wanted) {
          this.head = Buffer.concat([this.head, chunk.subarray(pos)])
          break
        }
        const start = chunk.subarray(pos, Math.min(end, pos + wanted))
        this.keep = isAuditLine(this.head.length === 0 ? start : Buffer.concat([this.head, start]))
        // Only the first line of a chunk can have started in the previous one.
        if (this.keep && pos === 0) carried = this.head
        this.head = EMPTY
      }
      if (this.keep) {
        const previous = ranges.at(-1)
        if (previous?.[1] === pos) previous[1] = end
        else ranges.push([pos, end])
      }
      pos = end
      if (nl !== -1) this.keep = undefined
    }
    if (carried.length === 0 && ranges.length === 1 && ranges[0]![0] === 0 && ranges[0]![1] === chunk.length)
      return chunk
    return Buffer.concat([carried, ...ranges.map(([start, end]) => chunk.subarray(start, end))])
  }

  /** The start of a last line too short to be told until now, when it is kept. */
  end(): Buffer {
    const head = this.head
    this.head = EMPTY
    this.keep = undefined
    return head.length > 0 && isAuditLine(head) ? head : EMPTY
  }
}

function isAuditLine(start: Buffer): boolean {
  return start[0] === OPEN_BRACE || isLegacyLine(start)
}

/** metav1.Time in a query: RFC3339 in whole seconds (rounded down, so nothing is lost). */
function wholeSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z')
}

/** The audit lines among the last `tailLines` lines of a pod's log, at most their last `tailBytes`. */
export async function readPodLogTail(
  kc: KubeConfig,
  log: StdoutAuditLog,
  opts: {tailLines: number; tailBytes: number; signal?: AbortSignal},
): Promise<Buffer> {
  const source = new PodLogSource(new ApiHttp(kc, opts.signal), log, null, opts.tailLines)
  return readSmallSource(source, {tailBytes: opts.tailBytes, maxBytes: opts.tailBytes})
}
