// pods/portforward over WebSocket, as the kubelet serves it behind the API server
// (v4.channel.k8s.io, binary): channel 0 carries the connection's bytes both ways, channel 1 the
// kubelet's error text; the first frame on each is the port, two bytes little-endian. Each
// WebSocket is one TCP connection, made here to whatever the test says plays the pod's port.
import type {IncomingMessage} from 'node:http'
import {connect, type Socket} from 'node:net'
import type {Duplex} from 'node:stream'

import {type WebSocket, WebSocketServer} from 'ws'

import type {KubeObject} from './store.js'

const PORT_FORWARD_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/portforward$/
/** The kubelet's protocols for port-forward over WebSocket; "" is a client that names none. */
const PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io']
const DATA = 0
const ERROR = 1

export interface PortForwardSettings {
  /** What plays each pod's ports: `NAMESPACE/POD:PORT` → a loopback address. Others refuse the connection. */
  targets: Record<string, {host: string; port: number}>
}

export function matchPortForward(pathname: string): {namespace: string; pod: string} | undefined {
  const match = PORT_FORWARD_PATH.exec(pathname)
  return match ? {namespace: decodeURIComponent(match[1]!), pod: decodeURIComponent(match[2]!)} : undefined
}

export class PortForwardServer {
  private readonly wss: WebSocketServer
  private readonly connections = new Set<Socket>()

  constructor(
    readonly settings: PortForwardSettings,
    private readonly countBytes: (n: number) => void,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      handleProtocols: (offered) => [...offered].find((p) => PROTOCOLS.includes(p)) ?? false,
    })
  }

  /** Upgrades the request and connects; the caller has checked auth and that the pod runs. `?ports=` names one port. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, pod: KubeObject, url: URL): void {
    const ports = url.searchParams.getAll('ports').flatMap((p) => p.split(','))
    this.wss.handleUpgrade(req, socket, head, (ws) => this.forward(ws, pod, Number(ports[0])))
  }

  close(): void {
    for (const connection of this.connections) connection.destroy()
    for (const client of this.wss.clients) client.terminate()
    this.wss.close()
  }

  private forward(ws: WebSocket, pod: KubeObject, port: number): void {
    const base64 = ws.protocol === 'v4.base64.channel.k8s.io'
    const send = (channel: number, data: Buffer) => {
      if (ws.readyState !== ws.OPEN) return
      if (base64) ws.send(`${channel}${data.toString('base64')}`)
      else ws.send(Buffer.concat([Buffer.of(channel), data]))
    }
    const portBytes = Buffer.alloc(2)
    portBytes.writeUInt16LE(port)
    send(DATA, portBytes)
    send(ERROR, portBytes)
    const target = this.settings.targets[`${pod.metadata.namespace}/${pod.metadata.name}:${port}`]
    const uid = String((pod.metadata as {uid?: string}).uid ?? pod.metadata.name)
    const refuse = () => {
      send(
        ERROR,
        Buffer.from(
          `error forwarding port ${port} to pod ${uid}, uid : failed to connect to localhost:${port} inside namespace "${uid}", IPv4: dial tcp 127.0.0.1:${port}: connect: connection refused `,
        ),
      )
      ws.close(1000)
    }
    if (!target) return refuse()
    const connection = connect(target.port, target.host)
    this.connections.add(connection)
    let connected = false
    connection.on('connect', () => {
      connected = true
    })
    connection.on('data', (data: Buffer) => {
      this.countBytes(data.length)
      send(DATA, data)
    })
    connection.on('error', () => {
      if (!connected) refuse()
    })
    connection.on('close', () => {
      this.connections.delete(connection)
      if (connected && ws.readyState === ws.OPEN) ws.close(1000)
    })
    ws.on('message', (message: Buffer, isBinary: boolean) => {
      const frame = isBinary ? message : Buffer.from(message.toString('utf8').slice(1), 'base64')
      const channel = isBinary ? frame[0] : Number(message.toString('utf8')[0])
      if (channel !== DATA) return
      connection.write(isBinary ? frame.subarray(1) : frame)
    })
    ws.on('close', () => connection.destroy())
  }
}
