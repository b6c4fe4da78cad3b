// How a file on a node is reached, the one rule both commands follow: through the kubelet's
// /logs/ handler, which serves only /var/log, or through a reader pod. --via auto asks the kubelet
// first and takes a pod when the kubelet refuses (403, 404, 405) or cannot reach the path;
// --via kubelet and --via pod take one way only.
import {statusCodeOf} from '../cluster/api-errors.js'
import {UserError} from '../errors.js'
import {isUnderVarLog} from './kubelet.js'

export type NodeReadVia = 'auto' | 'kubelet' | 'pod'

/** Kubelet answers that mean "try a pod": forbidden, not found (or outside /var/log), disabled. */
const FALLBACK_CODES = new Set([403, 404, 405])

/** Whether the kubelet is asked for `hostPath` at all. */
export function kubeletIsAsked(via: NodeReadVia, hostPath: string): boolean {
  return via !== 'pod' && isUnderVarLog(hostPath)
}

/**
 * Reads `hostPath` the way `via` says. `readerPod` gets the kubelet's refusal when the kubelet was
 * asked first; any other kubelet failure is thrown, as is a path the kubelet cannot serve under
 * --via kubelet.
 */
export async function kubeletOrReaderPod<T>(
  via: NodeReadVia,
  hostPath: string,
  read: {
    kubelet: () => Promise<T>
    readerPod: (kubeletRefusal?: Error) => Promise<T>
  },
): Promise<T> {
  if (!kubeletIsAsked(via, hostPath)) {
    if (via === 'kubelet')
      throw new UserError(
        `${hostPath} is outside /var/log, which is all the kubelet serves; use --via pod or --via auto`,
      )
    return read.readerPod()
  }
  try {
    return await read.kubelet()
  } catch (error) {
    if (via === 'kubelet' || !isKubeletRefusal(error)) throw error
    return read.readerPod(error as Error)
  }
}

function isKubeletRefusal(error: unknown): boolean {
  const code = statusCodeOf(error instanceof UserError ? error.cause : error)
  return code !== undefined && FALLBACK_CODES.has(code)
}
