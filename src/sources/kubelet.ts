// Audit logs read through the API server's node proxy to the kubelet's /logs/ handler, which
// serves the node's /var/log with Go's http.FileServer: HTTP Range for seeks and --since
// bisection, streamed (never buffered whole), and HTML directory listings for rotated siblings.
import type {IncomingMessage} from 'node:http'
import {posix} from 'node:path'

import {apiErrorToUserError, stallIn, statusCodeOf} from '../cluster/api-errors.js'
import {type ApiHttp, readText} from '../cluster/api-http.js'
import {formatLimit} from '../cluster/wait-limits.js'
import {UserError} from '../errors.js'
import {rotationTime} from '../audit/rotation.js'
import type {Followable, FollowedLog, FollowOptions} from './follow.js'
import {followRangedLog} from './follow-ranges.js'
import type {ByteRange, LogSource} from './source.js'

const VAR_LOG = '/var/log/'

/** Only files under /var/log are reachable through the kubelet (facts §5.1). */
export function isUnderVarLog(hostPath: string): boolean {
  const clean = posix.normalize(hostPath)
  return clean.startsWith(VAR_LOG) && clean.length > VAR_LOG.length
}

/** The API path for a host path under /var/log (a directory keeps its trailing slash). */
export function kubeletLogsPath(node: string, hostPath: string): string {
  const relative = posix.normalize(hostPath).slice(VAR_LOG.length)
  const escaped = relative
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/')
  return `/api/v1/nodes/${encodeURIComponent(node)}/proxy/logs/${escaped}${hostPath.endsWith('/') && !escaped.endsWith('/') ? '/' : ''}`
}

export class KubeletLogSource implements LogSource, Followable {
  readonly name: string
  readonly rotatedAt: Date | null
  private readonly apiPath: string

  constructor(
    private readonly http: ApiHttp,
    readonly node: string,
    readonly hostPath: string,
  ) {
    this.name = `node/${node}:${hostPath}`
    this.rotatedAt = rotationTime(posix.basename(hostPath))
    this.apiPath = kubeletLogsPath(node, hostPath)
  }

  /**
   * From the Content-Range of a one-byte Range request (416 for an empty file says `*\/0`).
   * null when the whole file comes back (200): a proxy on the way drops Range, so every read at an
   * offset would stream from byte 0, and bisecting would move the file several times over.
   */
  async size(): Promise<number | null> {
    const res = await this.call(() => this.http.get(this.apiPath, {Range: 'bytes=0-0'}, undefined, [416]))
    res.destroy()
    if (res.statusCode === 200) return null
    const total = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''))
    return total ? Number(total[1]) : null
  }

  async *read(range?: ByteRange, signal?: AbortSignal): AsyncIterable<Buffer> {
    const start = range?.start ?? 0
    const end = range?.end
    if (end !== undefined && end <= start) return
    const headers: Record<string, string> = {}
    if (start > 0 || end !== undefined) headers.Range = `bytes=${start}-${end === undefined ? '' : end - 1}`
    const res = await this.call(() => this.http.get(this.apiPath, headers, signal, [416]))
    try {
      if (res.statusCode === 416) return
      // 200 to a Range request means a proxy dropped the header: skip and cut here instead.
      const skip = res.statusCode === 200 ? start : 0
      const limit = end === undefined ? Number.POSITIVE_INFINITY : end - start
      yield* slice(res, skip, limit)
    } catch (error) {
      // Stopping early (the reader's signal) is not a failure to report.
      if ((error as Error | null)?.name === 'AbortError') throw error
      throw kubeletError(error, this.node, this.hostPath, this.http.server, null)
    } finally {
      res.destroy()
    }
  }

  /** Polled every interval with Range from the last offset (follow-ranges.ts). */
  follow(from: number, options: FollowOptions): FollowedLog {
    const dir = posix.dirname(this.hostPath)
    const log = {
      name: this.name,
      node: this.node,
      hostPath: this.hostPath,
      size: () => this.size(),
      read: (range: ByteRange, signal: AbortSignal) => this.read(range, signal),
      list: () => listKubeletDirectory(this.http, this.node, dir),
      sibling: (name: string) => new KubeletLogSource(this.http, this.node, posix.join(dir, name)),
    }
    return {bytes: followRangedLog(log, from, options), streamed: false}
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request()
    } catch (error) {
      // Warnings about a source start with its name, which already says node and path.
      throw kubeletError(error, this.node, this.hostPath, this.http.server, null)
    }
  }
}

/**
 * One line for a failed kubelet read: the permission, the disabled handler, or the missing file
 * (named by `subject`, unless the line will be shown after the file's name anyway).
 */
export function kubeletError(
  error: unknown,
  node: string,
  hostPath: string,
  server: string,
  subject: string | null = `node/${node}:${hostPath}`,
): UserError {
  if (error instanceof UserError) return error
  const stall = stallIn(error)
  // After the file's name (subject null), the path goes without saying.
  const forPath = subject === null ? '' : ` for ${hostPath}`
  if (stall?.phase === 'first-byte') {
    return new UserError(
      `the kubelet on node ${node} sent no answer within ${formatLimit(stall.limitMs)}${forPath} (asked through the API server at ${server})`,
      {
        hint: 'the kubelet or the node may be overloaded or unreachable from the API server; to wait longer, give --request-timeout (e.g. 2m), or read through a reader pod with --via pod',
        cause: error,
      },
    )
  }
  if (stall?.phase === 'idle') {
    return new UserError(
      `the kubelet on node ${node} stopped sending${subject === null ? '' : ` ${hostPath}`}: nothing for ${formatLimit(stall.limitMs)}`,
      {cause: error},
    )
  }
  const code = statusCodeOf(error)
  if (code === 404)
    return new UserError(`${subject === null ? '' : `${subject}: `}not found through the kubelet /logs/ handler`, {
      cause: error,
    })
  if (code === 405) {
    return new UserError(
      `the kubelet on node ${node} has its /logs/ handler disabled (enableSystemLogHandler or enableDebuggingHandlers is false)`,
      {
        hint: 'read through a reader pod instead with --via pod',
        cause: error,
      },
    )
  }
  return apiErrorToUserError(error, {
    verb: 'get',
    resource: 'nodes/proxy',
    purpose: `read node/${node}:${hostPath} through the kubelet`,
    server,
  })
}

/** Bytes [skip, skip + limit) of a response body, stopping as soon as the limit is reached. */
async function* slice(res: IncomingMessage, skip: number, limit: number): AsyncIterable<Buffer> {
  let toSkip = skip
  let left = limit
  for await (const data of res) {
    let chunk = data as Buffer
    if (toSkip > 0) {
      const dropped = Math.min(toSkip, chunk.length)
      toSkip -= dropped
      chunk = chunk.subarray(dropped)
    }
    if (chunk.length === 0) continue
    if (chunk.length >= left) {
      yield chunk.subarray(0, left)
      return
    }
    left -= chunk.length
    yield chunk
  }
}

/** Names in a kubelet directory listing; subdirectories end with `/`. */
export async function listKubeletDirectory(http: ApiHttp, node: string, hostDir: string): Promise<string[]> {
  const dir = hostDir.endsWith('/') ? hostDir : `${hostDir}/`
  try {
    const res = await http.get(kubeletLogsPath(node, dir), {})
    return parseFileServerListing(await readText(res, 4 * 1024 * 1024))
  } catch (error) {
    throw kubeletError(error, node, dir, http.server)
  }
}

/**
 * Go's http.FileServer listing: `<a href="ESCAPED">TEXT</a>` lines inside <pre>. The href is
 * the URL-escaped name (with `./` before a name holding a colon), so it is decoded, not the text.
 */
export function parseFileServerListing(html: string): string[] {
  const names: string[] = []
  for (const match of html.matchAll(/<a href="([^"]*)">/g)) {
    let href = unescapeHtml(match[1]!)
    if (href.startsWith('./')) href = href.slice(2)
    let name: string
    try {
      name = decodeURIComponent(href)
    } catch {
      continue
    }
    // A listing never links outside the directory; anything else is not an entry.
    if (
      name === '' ||
      name === '.' ||
      name === '..' ||
      name.startsWith('/') ||
      name.includes('://') ||
      name.split('/').filter(Boolean).length !== 1
    )
      continue
    names.push(name)
  }
  return names
}

function unescapeHtml(text: string): string {
  return text.replace(
    /&(amp|lt|gt|quot|#34|#39);/g,
    (_, entity: string) => ({amp: '&', lt: '<', gt: '>', quot: '"', '#34': '"', '#39': "'"})[entity] ?? '',
  )
}
