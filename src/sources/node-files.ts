// Small files from nodes (the audit policy file, the tail of an audit log), read the same way as
// the logs (kubelet-or-pod.ts): through the kubelet when it serves the path, else through a reader
// pod that is deleted once the file is read.
import {posix} from 'node:path'

import type {KubeConfig} from '@kubernetes/client-node'

import {ApiHttp} from '../cluster/api-http.js'
import {readSmallSource, type SmallReadLimits} from './byte-streams.js'
import {KubeletLogSource} from './kubelet.js'
import {kubeletOrReaderPod, type NodeReadVia} from './kubelet-or-pod.js'
import {ReaderPodFileSource} from './reader-pod-files.js'
import type {ReaderPods} from './reader-pods.js'

/** Reads a small file (or the end of one) from a node. */
export type NodeFileReader = (node: string, hostPath: string, limits?: SmallReadLimits) => Promise<Buffer>

/**
 * The node file reader of a run: every file it reads through a pod goes through `readers`, the
 * run's reader pods (one leftover check; whatever is left is deleted when they close). `signal`:
 * the run's, which ends the kubelet's reads too.
 */
export function nodeFileReader(
  kc: KubeConfig,
  via: NodeReadVia,
  readers: ReaderPods,
  signal?: AbortSignal,
): NodeFileReader {
  const http = new ApiHttp(kc, signal)
  return (node, hostPath, limits = {}) =>
    kubeletOrReaderPod(via, hostPath, {
      kubelet: () => readSmallSource(new KubeletLogSource(http, node, hostPath), limits),
      readerPod: async () => {
        const pod = await readers.open(node, [posix.dirname(hostPath)])
        try {
          return await readSmallSource(new ReaderPodFileSource(pod, hostPath), limits)
        } finally {
          await readers.release(pod)
        }
      },
    })
}
