// One TCP connection into a pod's port, made by the API server (pods/portforward over WebSocket,
// as `kubectl port-forward` does), as a byte stream: nothing listens on this machine, and nothing
// is left running when the stream ends. Each stream is one WebSocket and one connection in the pod.
import {Duplex, PassThrough, Writable} from 'node:stream'

import type {KubeConfig} from '@kubernetes/client-node'

export interface PortForwardTarget {
  readonly namespace: string
  readonly pod: string
  readonly port: number
}

/** Kubelet's words on the error channel are at most a line or two. */
const ERROR_TEXT_LIMIT = 4096

/**
 * Opens the WebSocket and resolves with the stream once it is open. The stream ends when the pod
 * side closes the connection, and fails with the kubelet's words when it could not connect.
 */
export async function openPortForward(
  kc: KubeConfig,
  target: PortForwardTarget,
  signal?: AbortSignal,
): Promise<Duplex> {
  signal?.throwIfAborted()
  const {PortForward} = await import('@kubernetes/client-node')
  const toPod = new PassThrough()
  const fromPod = new PassThrough()
  let errorText = ''
  const errors = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (errorText.length < ERROR_TEXT_LIMIT) errorText += chunk.toString('utf8')
      done()
    },
  })
  // disconnectOnErr false: a frame on a channel we did not ask for is ignored, not a hang-up.
  const socket = await new PortForward(kc, false)
    .portForward(target.namespace, target.pod, [target.port], fromPod, errors, toPod)
    .catch((error: unknown) => {
      // A refused upgrade comes as ws's ErrorEvent: `Unexpected server response: 403`.
      throw error instanceof Error
        ? error
        : new Error(String((error as {message?: unknown} | null)?.message ?? error), {cause: error})
    })
  if (typeof socket === 'function') throw new Error('port-forward: no WebSocket')
  const stream = new Duplex({
    read() {
      fromPod.resume()
    },
    write(chunk: Buffer, _encoding, done) {
      toPod.write(chunk, done)
    },
    // The channel protocol cannot half-close (ending the input closes the WebSocket): the stream
    // goes on until the pod's side hangs up or it is destroyed.
    final(done) {
      done()
    },
    destroy(error, done) {
      signal?.removeEventListener('abort', onAbort)
      if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close()
      done(error)
    },
  })
  fromPod.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) fromPod.pause()
  })
  const where = `${target.namespace}/${target.pod}:${target.port}`
  socket.on('close', () => {
    signal?.removeEventListener('abort', onAbort)
    const said = errorText.trim()
    if (said !== '') stream.destroy(new Error(`port-forward to ${where}: ${said.split('\n')[0]}`))
    else stream.push(null)
  })
  socket.on('error', (error: Error) => stream.destroy(new Error(`port-forward to ${where}: ${error.message}`)))
  const onAbort = () => stream.destroy(signal!.reason as Error)
  signal?.addEventListener('abort', onAbort, {once: true})
  return stream
}
