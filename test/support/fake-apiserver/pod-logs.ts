// `GET /api/v1/namespaces/NS/pods/NAME/log` as the kubelet answers it: the container's log file
// in the CRI format (`<RFC3339Nano> <stdout|stderr> <P|F> <bytes>`), partial (P) records joined
// back into lines, stdout and stderr in one stream, filtered by sinceTime/sinceSeconds per
// record, tailLines (the last records of the file, as the kubelet counts them), with
// timestamps=true (once per line) and limitBytes. A container without a log file
// is one that has not started.
import {readFile} from 'node:fs/promises'
import type {ServerResponse} from 'node:http'

import type {ServerState} from './state.js'
import {failureStatus, type StatusDetails} from './status.js'

const POD_LOG_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/
const NEWLINE = 0x0a
const SPACE = 0x20
/** Output is written in pieces of about this size, waiting for the client between them. */
const WRITE_BYTES = 64 * 1024

export function matchPodLog(pathname: string): {namespace: string; pod: string} | undefined {
  const match = POD_LOG_PATH.exec(pathname)
  return match ? {namespace: decodeURIComponent(match[1]!), pod: decodeURIComponent(match[2]!)} : undefined
}

/** Where a container's CRI log file is: `podLogs["NAMESPACE/POD/CONTAINER"]`. */
export function podLogKey(namespace: string, pod: string, container: string): string {
  return `${namespace}/${pod}/${container}`
}

export async function servePodLog(
  state: ServerState,
  target: {namespace: string; pod: string},
  url: URL,
  res: ServerResponse,
): Promise<void> {
  const pod = state.store.get({group: '', version: 'v1', plural: 'pods', namespace: target.namespace, name: target.pod})
  if (!pod) return sendStatus(res, 404, `pods "${target.pod}" not found`, {name: target.pod, kind: 'pods'})
  const containers = ((pod.spec as {containers?: Array<{name: string}>} | undefined)?.containers ?? []).map(
    (c) => c.name,
  )
  let container = url.searchParams.get('container') ?? undefined
  if (container === undefined) {
    if (containers.length !== 1) {
      return sendStatus(
        res,
        400,
        `a container name must be specified for pod ${target.pod}, choose one of: [${containers.join(' ')}]`,
      )
    }
    container = containers[0]!
  } else if (!containers.includes(container)) {
    return sendStatus(res, 400, `container ${container} is not valid for pod ${target.pod}`)
  }
  const file = state.podLogs[podLogKey(target.namespace, target.pod, container)]
  if (file === undefined) {
    return sendStatus(
      res,
      400,
      `container "${container}" in pod "${target.pod}" is waiting to start: ContainerCreating`,
    )
  }
  const options = logOptions(url.searchParams)
  res.writeHead(200, {'Content-Type': 'text/plain'})
  let pending: Buffer[] = []
  let pendingBytes = 0
  const flush = async () => {
    const body = Buffer.concat(pending)
    pending = []
    pendingBytes = 0
    state.countBytes(body.length)
    if (!res.write(body)) await new Promise((resolve) => res.once('drain', resolve))
  }
  for (const piece of kubeletOutput(await readFile(file), options)) {
    if (res.destroyed) return
    pending.push(piece)
    pendingBytes += piece.length
    if (pendingBytes >= WRITE_BYTES) await flush()
  }
  if (pendingBytes > 0) await flush()
  res.end()
}

function sendStatus(res: ServerResponse, code: number, message: string, details?: StatusDetails): void {
  const body = JSON.stringify(failureStatus(code, message, undefined, details))
  res.writeHead(code, {'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body)})
  res.end(body)
}

interface LogOptions {
  sinceMs: number | null
  timestamps: boolean
  limitBytes: number | null
  tailLines: number | null
}

function logOptions(query: URLSearchParams): LogOptions {
  const sinceTime = query.get('sinceTime')
  const sinceSeconds = query.get('sinceSeconds')
  const limitBytes = query.get('limitBytes')
  const tailLines = query.get('tailLines')
  return {
    sinceMs:
      sinceTime !== null
        ? Date.parse(sinceTime)
        : sinceSeconds !== null
          ? Date.now() - Number(sinceSeconds) * 1000
          : null,
    timestamps: query.get('timestamps') === 'true',
    limitBytes: limitBytes === null ? null : Number(limitBytes),
    tailLines: tailLines === null ? null : Number(tailLines),
  }
}

/** What the kubelet's ReadLogs writes for a CRI log file. */
function* kubeletOutput(file: Buffer, options: LogOptions): Generator<Buffer> {
  let left = options.limitBytes ?? Number.POSITIVE_INFINITY
  let atLineStart = true
  for (let start = tailStart(file, options.tailLines); start < file.length && left > 0;) {
    const nl = file.indexOf(NEWLINE, start)
    const end = nl === -1 ? file.length : nl
    const record = parseRecord(file.subarray(start, end))
    start = end + 1
    if (!record || (options.sinceMs !== null && record.timeMs < options.sinceMs)) continue
    let out = record.partial ? record.text : Buffer.concat([record.text, Buffer.from('\n')])
    if (options.timestamps && atLineStart) out = Buffer.concat([Buffer.from(`${record.time} `), out])
    atLineStart = !record.partial
    if (out.length > left) out = out.subarray(0, left)
    left -= out.length
    yield out
  }
}

/** Where the last `lines` records of the file start (the kubelet's tail.FindTailLineStartIndex). */
function tailStart(file: Buffer, lines: number | null): number {
  if (lines === null) return 0
  let start = file.length
  if (file[start - 1] === NEWLINE) start--
  for (let n = 0; n < lines; n++) {
    // A negative offset would count from the end.
    const nl = start === 0 ? -1 : file.lastIndexOf(NEWLINE, start - 1)
    if (nl === -1) return 0
    start = nl
  }
  return start + 1
}

function parseRecord(line: Buffer): {time: string; timeMs: number; partial: boolean; text: Buffer} | undefined {
  const afterTime = line.indexOf(SPACE)
  const afterStream = line.indexOf(SPACE, afterTime + 1)
  const afterTag = line.indexOf(SPACE, afterStream + 1)
  if (afterTime === -1 || afterStream === -1 || afterTag === -1) return undefined
  const time = line.toString('latin1', 0, afterTime)
  return {
    time,
    timeMs: Date.parse(time),
    partial: line.toString('latin1', afterStream + 1, afterTag) === 'P',
    text: line.subarray(afterTag + 1),
  }
}
