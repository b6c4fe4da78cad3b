// Fronts for the fake apiserver, as users meet them in front of real clusters: a reverse proxy that
// serves the API under a path prefix (Rancher's /k8s/clusters/ID, over HTTPS), `kubectl proxy`
// (plain HTTP, credentials added by the proxy), and a forward proxy for a kubeconfig `proxy-url`
// (HTTP CONNECT). Plain requests, streamed bodies and WebSocket upgrades (exec) all go through.
import {createServer as createHttpServer, type IncomingMessage, type Server} from 'node:http'
import {createServer as createHttpsServer, request as httpsRequest} from 'node:https'
import {connect as netConnect, type Socket} from 'node:net'
import type {Duplex} from 'node:stream'
import {connect as tlsConnect} from 'node:tls'

import type {FakeApiserver} from './fake-apiserver/index.js'
import {testCertificates} from './fake-apiserver/tls.js'

export interface ApiFront {
  /** Where clients point: `https://127.0.0.1:PORT/k8s/clusters/c-1`, `http://127.0.0.1:PORT`. */
  url: string
  /** Requests seen, as `METHOD PATH` (CONNECT targets for the forward proxy). */
  seen: string[]
  close(): Promise<void>
}

export interface ReverseProxyOptions {
  /** Path the API is served under; requests outside it get 404, as from Rancher. */
  prefix: string
  /** 'https' (Rancher, a load balancer) or 'http' (kubectl proxy). */
  protocol: 'http' | 'https'
  /** Add the fake's bearer token to every request, as kubectl proxy does. */
  addCredentials?: boolean
}

export async function startReverseProxy(fake: FakeApiserver, opts: ReverseProxyOptions): Promise<ApiFront> {
  const upstream = new URL(fake.url)
  const seen: string[] = []
  const sockets = new Set<Duplex>()
  /** The upstream path, or undefined when the request is outside the prefix. */
  const strip = (url: string): string | undefined => {
    if (opts.prefix === '') return url
    if (url.startsWith(`${opts.prefix}/`) || url.startsWith(`${opts.prefix}?`)) return url.slice(opts.prefix.length)
    return undefined
  }
  const headersFor = (req: IncomingMessage): Record<string, string | string[] | undefined> => ({
    ...req.headers,
    host: upstream.host,
    ...(opts.addCredentials ? {authorization: `Bearer ${fake.token}`} : {}),
  })

  const handler = (req: IncomingMessage, res: import('node:http').ServerResponse) => {
    seen.push(`${req.method} ${req.url}`)
    const path = strip(req.url ?? '/')
    if (path === undefined) {
      res.writeHead(404, {'Content-Type': 'text/plain'})
      res.end('404 page not found\n')
      return
    }
    const forward = httpsRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path,
        headers: headersFor(req),
        ca: fake.caPem,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
        res.on('close', () => answer.destroy())
      },
    )
    forward.on('error', () => res.destroy())
    req.pipe(forward)
  }
  const certs = testCertificates()
  const server: Server =
    opts.protocol === 'https'
      ? createHttpsServer({cert: certs.certPem, key: certs.keyPem}, handler)
      : createHttpServer(handler)
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    seen.push(`${req.method} ${req.url}`)
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    const path = strip(req.url ?? '/')
    if (path === undefined) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
      return
    }
    const tls = tlsConnect({host: upstream.hostname, port: Number(upstream.port), ca: fake.caPem}, () => {
      const lines = [`${req.method} ${path} HTTP/1.1`]
      for (const [name, value] of Object.entries(headersFor(req))) {
        for (const v of [value].flat()) if (v !== undefined) lines.push(`${name}: ${v}`)
      }
      tls.write(`${lines.join('\r\n')}\r\n\r\n`)
      if (head.length > 0) tls.write(head)
      socket.pipe(tls).pipe(socket)
    })
    sockets.add(tls)
    tls.on('close', () => {
      sockets.delete(tls)
      socket.destroy()
    })
    tls.on('error', () => socket.destroy())
    socket.on('error', () => tls.destroy())
  })
  return listen(server, (port) => `${opts.protocol}://127.0.0.1:${port}${opts.prefix}`, seen, sockets)
}

/** An HTTP forward proxy that only tunnels (CONNECT), as a kubeconfig `proxy-url` points at. */
export async function startConnectProxy(): Promise<ApiFront> {
  const seen: string[] = []
  const sockets = new Set<Duplex>()
  const server = createHttpServer((req, res) => {
    seen.push(`${req.method} ${req.url}`)
    res.writeHead(405)
    res.end()
  })
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`)
    const [host, port] = (req.url ?? '').split(':')
    const target = netConnect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) target.write(head)
      client.pipe(target).pipe(client)
    })
    for (const s of [client, target]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    }
    target.on('error', () => client.destroy())
    client.on('error', () => target.destroy())
  })
  return listen(server, (port) => `http://127.0.0.1:${port}`, seen, sockets)
}

async function listen(
  server: Server,
  urlOf: (port: number) => string,
  seen: string[],
  sockets: Set<Duplex>,
): Promise<ApiFront> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (!address || typeof address === 'string') throw new Error('api proxy: no port')
  return {
    url: urlOf(address.port),
    seen,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
