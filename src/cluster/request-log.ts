// -v / --verbose: one line on stderr per request to the API server, as `kubectl -v=6` prints them:
// method, URL, status and time. Taken from Node's diagnostics channels, which both HTTP stacks in
// use publish to (undici, under client-node's REST calls; node:http, under ApiHttp and WebSockets),
// so no call site has to remember to log. Headers are never printed: they carry the credentials.
// URLs are printed as sent, percent-encoded: no byte of them reaches the terminal raw.
import diagnostics from 'node:diagnostics_channel'
import type {ClientRequest, IncomingMessage} from 'node:http'

interface UndiciRequest {
  method: string
  origin: string
  path: string
}

let logging = false

/** Starts logging requests to `stderr` (once per process: a second call changes nothing). */
export function logRequests(stderr: NodeJS.WritableStream): void {
  if (logging) return
  logging = true
  const started = new WeakMap<object, number>()
  const line = (method: string, url: string, outcome: string, since: number | undefined) => {
    const took = since === undefined ? '' : ` in ${Math.round(performance.now() - since)} ms`
    stderr.write(`request: ${method} ${url} ${outcome}${took}\n`)
  }

  diagnostics.subscribe('undici:request:create', (message) => {
    started.set((message as {request: object}).request, performance.now())
  })
  diagnostics.subscribe('undici:request:headers', (message) => {
    const {request, response} = message as {request: UndiciRequest; response: {statusCode: number}}
    line(request.method, request.origin + request.path, String(response.statusCode), started.get(request))
  })
  diagnostics.subscribe('undici:request:error', (message) => {
    const {request, error} = message as {request: UndiciRequest; error: Error}
    line(request.method, request.origin + request.path, `failed: ${error.message}`, started.get(request))
  })

  diagnostics.subscribe('http.client.request.start', (message) => {
    const request = (message as {request: ClientRequest}).request
    started.set(request, performance.now())
    // A WebSocket (exec) ends its HTTP life at the upgrade, which no channel reports.
    request.once('upgrade', (response: IncomingMessage) =>
      line(request.method, urlOf(request), String(response.statusCode), started.get(request)),
    )
  })
  diagnostics.subscribe('http.client.response.finish', (message) => {
    const {request, response} = message as {request: ClientRequest; response: IncomingMessage}
    line(request.method, urlOf(request), String(response.statusCode), started.get(request))
  })
  diagnostics.subscribe('http.client.request.error', (message) => {
    const {request, error} = message as {request: ClientRequest; error: Error}
    line(request.method, urlOf(request), `failed: ${error.message}`, started.get(request))
  })
}

function urlOf(request: ClientRequest): string {
  // The Host header has the port; request.host does not.
  return `${request.protocol}//${String(request.getHeader('host') ?? request.host)}${request.path}`
}
