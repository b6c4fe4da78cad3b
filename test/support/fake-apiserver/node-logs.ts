// The kubelet's /logs/ handler as seen through `GET /api/v1/nodes/NODE/proxy/logs/PATH`:
// Go's http.FileServer over the node's /var/log, with Range, 301 for a directory without its
// slash, and the HTML directory listing. Kubelet errors are plain text, as the proxy relays them.
import {createReadStream} from 'node:fs'
import {readdir, stat} from 'node:fs/promises'
import type {IncomingMessage, ServerResponse} from 'node:http'
import {join, posix} from 'node:path'

import type {FakeNode} from './state.js'

const LOGS_PATH = /^\/api\/v1\/nodes\/([^/]+)\/proxy\/logs(\/.*)?$/

export function matchNodeLogs(pathname: string): {node: string; path: string} | undefined {
  const match = LOGS_PATH.exec(pathname)
  if (!match) return undefined
  return {node: decodeURIComponent(match[1]!), path: match[2] ?? ''}
}

export interface NodeLogSettings {
  /** false plays a proxy on the way that drops the Range header. */
  honourRange: boolean
}

export async function serveNodeLogs(
  node: FakeNode,
  logPath: string,
  req: IncomingMessage,
  res: ServerResponse,
  settings: NodeLogSettings,
  countBytes: (n: number) => void,
): Promise<void> {
  // The kubelet mounts the handler at /logs/; /logs itself is redirected there.
  if (logPath === '') return redirect(res, 'logs/')
  const clean = posix.normalize(decodeURIComponent(logPath))
  const file = join(node.root, 'var', 'log', clean)
  const info = await stat(file).catch(() => undefined)
  if (!info) return sendText(res, 404, '404 page not found\n')
  if (info.isDirectory()) {
    if (!logPath.endsWith('/')) return redirect(res, `${posix.basename(clean)}/`)
    return sendListing(res, file)
  }
  const size = info.size
  const headers: Record<string, string | number> = {
    'Accept-Ranges': 'bytes',
    'Content-Type': clean.endsWith('.gz') ? 'application/gzip' : 'text/plain; charset=utf-8',
    'Last-Modified': info.mtime.toUTCString(),
  }
  const range = settings.honourRange ? parseRange(req.headers.range, size) : undefined
  if (range === 'unsatisfiable') {
    res.writeHead(416, {'Content-Range': `bytes */${size}`, 'Content-Type': 'text/plain; charset=utf-8'})
    res.end('invalid range: failed to overlap\n')
    return
  }
  let start = 0
  let end = size - 1
  if (range) {
    ;({start, end} = range)
    headers['Content-Range'] = `bytes ${start}-${end}/${size}`
  }
  headers['Content-Length'] = size === 0 ? 0 : end - start + 1
  res.writeHead(range ? 206 : 200, headers)
  if (req.method === 'HEAD' || size === 0) {
    res.end()
    return
  }
  const stream = createReadStream(file, {start, end})
  stream.on('data', (chunk) => countBytes(chunk.length))
  await new Promise<void>((resolve) => {
    stream.on('error', () => {
      res.destroy()
      resolve()
    })
    res.on('close', () => {
      stream.destroy()
      resolve()
    })
    stream.pipe(res)
  })
}

/** One `bytes=` range, as Go's ServeContent reads it; several ranges are served whole. */
function parseRange(
  header: string | undefined,
  size: number,
): {start: number; end: number} | 'unsatisfiable' | undefined {
  if (!header?.startsWith('bytes=') || header.includes(',')) return undefined
  const [first, last] = header.slice('bytes='.length).split('-') as [string, string | undefined]
  if (first === '') {
    const suffix = Number(last)
    if (!Number.isInteger(suffix) || suffix <= 0) return 'unsatisfiable'
    return size === 0 ? 'unsatisfiable' : {start: Math.max(0, size - suffix), end: size - 1}
  }
  const start = Number(first)
  if (!Number.isInteger(start) || start >= size) return 'unsatisfiable'
  const end = last ? Math.min(Number(last), size - 1) : size - 1
  return end < start ? 'unsatisfiable' : {start, end}
}

async function sendListing(res: ServerResponse, dir: string): Promise<void> {
  const entries = await readdir(dir, {withFileTypes: true})
  const names = entries.map((e) => (e.isDirectory() ? `${e.name}/` : e.name)).sort()
  const lines = names.map((name) => `<a href="${escapeHtml(goUrlPath(name))}">${escapeHtml(name)}</a>`)
  const body = [
    '<!doctype html>',
    '<meta name="viewport" content="width=device-width">',
    '<pre>',
    ...lines,
    '</pre>',
    '',
  ].join('\n')
  res.writeHead(200, {'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(body)})
  res.end(body)
}

/** Go's `url.URL{Path: name}.String()`: a few characters escaped, `./` before a colon-bearing name. */
function goUrlPath(name: string): string {
  const escaped = name.replace(
    /[%?# "<>\\^`{|}]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  )
  const firstSegment = escaped.split('/')[0]!
  return firstSegment.includes(':') ? `./${escaped}` : escaped
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&#34;')
    .replaceAll("'", '&#39;')
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(301, {Location: location, 'Content-Type': 'text/html; charset=utf-8'})
  res.end(`<a href="${escapeHtml(location)}">Moved Permanently</a>.\n\n`)
}

function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, {'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff'})
  res.end(text)
}
