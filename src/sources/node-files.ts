// One small file from a node (the audit policy file, the tail of an audit log), read the same way
// as the logs: through the kubelet when the path is under /var/log, else through a reader pod
// that is deleted before this returns.
import {posix} from 'node:path'

import type {KubeConfig} from '@kubernetes/client-node'

import {statusCodeOf} from '../cluster/api-errors.js'
import {ApiHttp} from '../cluster/api-http.js'
import {UserError} from '../errors.js'
import {PodFileSource, ReaderPods, type ReaderPodSettings} from './debug-pod.js'
import {isUnderVarLog, KubeletLogSource} from './kubelet.js'
import type {LogSource} from './source.js'

export interface NodeFileOptions extends ReaderPodSettings {
  via: 'auto' | 'kubelet' | 'pod'
  /** Refuse files larger than this (default 1 MiB): a policy file is a few KiB. */
  maxBytes?: number
  /** Read only the last bytes instead (for the newest events of a log). */
  tailBytes?: number
  /** Where notices go (leftover or undeletable reader pods). */
  warn?: (line: string) => void
}

const DEFAULT_MAX_BYTES = 1024 * 1024

export async function readNodeFile(kc: KubeConfig, node: string, hostPath: string, opts: NodeFileOptions): Promise<Buffer> {
  if (opts.via !== 'pod' && isUnderVarLog(hostPath)) {
    try {
      return await readSmall(new KubeletLogSource(new ApiHttp(kc, opts.requestTimeoutMs), node, hostPath), opts)
    } catch (error) {
      const code = statusCodeOf(error instanceof UserError ? error.cause : error)
      if (opts.via === 'kubelet' || code === undefined || ![403, 404, 405].includes(code)) throw error
    }
  } else if (opts.via === 'kubelet') {
    throw new UserError(`${hostPath} is outside /var/log, which is all the kubelet serves`, {hint: 'read it through a reader pod (--via pod or auto)'})
  }
  const readers = new ReaderPods(kc, opts, opts.warn ?? (() => undefined))
  try {
    const pod = await readers.open(node, [posix.dirname(hostPath)])
    return await readSmall(new PodFileSource(pod, hostPath), opts)
  } finally {
    await readers.close()
  }
}

async function readSmall(source: LogSource, opts: NodeFileOptions): Promise<Buffer> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES
  const size = await source.size()
  if (size === null) return readFromStart(source, maxBytes, opts.tailBytes)
  const start = opts.tailBytes === undefined ? 0 : Math.max(0, size - opts.tailBytes)
  if (size - start > maxBytes) throw new UserError(`${source.name} is ${size} bytes, more than the ${maxBytes} expected`)
  const chunks: Buffer[] = []
  for await (const chunk of source.read({start, end: size})) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** A source that cannot seek (a proxy dropped Range): read from byte 0, keeping only the tail when one is asked for. */
async function readFromStart(source: LogSource, maxBytes: number, tailBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const chunks: Buffer[] = []
  let kept = 0
  let total = 0
  for await (const chunk of source.read()) {
    chunks.push(chunk)
    kept += chunk.length
    total += chunk.length
    while (kept - chunks[0]!.length >= tailBytes) kept -= chunks.shift()!.length
    if (Math.min(total, tailBytes) > maxBytes) throw new UserError(`${source.name} is more than the ${maxBytes} bytes expected`)
  }
  const bytes = Buffer.concat(chunks)
  return bytes.subarray(Math.max(0, bytes.length - tailBytes))
}
