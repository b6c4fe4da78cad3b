// A server that accepts connections and never reads from them nor answers: what a hung process,
// or a firewall that completes the TCP handshake and then drops everything, looks like.
import {createServer, type Socket} from 'node:net'

export interface BlackHole {
  /** 127.0.0.1:PORT */
  address: string
  /** How many connections it has accepted. */
  accepted(): number
  close(): Promise<void>
}

export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = createServer((socket) => {
    accepted++
    socket.pause()
    socket.on('error', () => {})
    sockets.add(socket)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  return {
    address: `127.0.0.1:${port}`,
    accepted: () => accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
