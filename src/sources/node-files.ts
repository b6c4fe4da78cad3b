// One small file from a node (the audit policy file, the tail of an audit log), read the same way
// as the logs: through the kubelet when the path is under /var/log, else through a reader pod
// that is deleted before this returns.
import {posix} from 'node:path'

import type {KubeConfig} from '@kubernetes/client-node'

import {statusCodeOf} from '../cluster/api-errors.js'
import {ApiHttp} from '../cluster/api-http.js'
import {UserError} from '../errors.js'
import {ReaderPodFileSource} from './reader-pod-files.js'
import {type ReaderPod, ReaderPods, type ReaderPodSettings} from './reader-pods.js'
import {readSmallSource, type SmallReadLimits} from './byte-streams.js'
import {isUnderVarLog, KubeletLogSource} from './kubelet.js'

export interface NodeFileOptions extends ReaderPodSettings, SmallReadLimits {
  via: 'auto' | 'kubelet' | 'pod'
  /** Where notices go (leftover or undeletable reader pods). */
  warn?: (line: string) => void
  /**
   * The reader pods of the whole run, when it reads several files: one leftover check, one
   * signal handler, and the caller's close() as the last cleanup. The pod is deleted after the
   * read either way.
   */
  readers?: ReaderPods
}

export async function readNodeFile(kc: KubeConfig, node: string, hostPath: string, opts: NodeFileOptions): Promise<Buffer> {
  if (opts.via !== 'pod' && isUnderVarLog(hostPath)) {
    try {
      return await readSmallSource(new KubeletLogSource(new ApiHttp(kc, opts.requestTimeoutMs), node, hostPath), opts)
    } catch (error) {
      const code = statusCodeOf(error instanceof UserError ? error.cause : error)
      if (opts.via === 'kubelet' || code === undefined || ![403, 404, 405].includes(code)) throw error
    }
  } else if (opts.via === 'kubelet') {
    throw new UserError(`${hostPath} is outside /var/log, which is all the kubelet serves`, {hint: 'read it through a reader pod (--via pod or auto)'})
  }
  const readers = opts.readers ?? new ReaderPods(kc, opts, opts.warn ?? (() => undefined))
  let pod: ReaderPod | undefined
  try {
    pod = await readers.open(node, [posix.dirname(hostPath)])
    return await readSmallSource(new ReaderPodFileSource(pod, hostPath), opts)
  } finally {
    if (!opts.readers) await readers.close()
    else if (pod) await readers.release(pod)
  }
}
