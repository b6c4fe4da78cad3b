// Following a node's log through a reader pod: `tail -c +N -F` over exec streams it from the
// offset on, by name through rotation (tail says so on stderr, and the bytes then start the new
// file). A stream that stops (the node or the pod went away, the pod reached --pod-timeout and
// Kubernetes ended it) is said once and started again from the same offset, through a new reader
// pod when the old one no longer answers; a stream quiet for the idle limit is started again
// without a word.
import {type FollowOptions, pause} from './follow.js'
import {containerPath, type ReaderPod, type ReaderPods} from './reader-pods.js'

/** What tail prints on stderr when the name is another file now, or the file shrank (GNU and busybox tail). */
const NEW_FILE = /has been replaced|has appeared|file truncated/
const NEWLINE = 0x0a
const LINE_BREAK = Buffer.of(NEWLINE)

/**
 * The reader pod a node's logs are followed through: the same while it answers, a new one (with
 * the same host directories) once it does not. Shared by the logs of one node.
 */
export class FollowingPod {
  private renewing: Promise<ReaderPod> | undefined

  /** Without `readers`, a pod that no longer answers is not replaced. */
  constructor(
    private pod: ReaderPod,
    private readonly readers: ReaderPods | undefined,
    private readonly dirs: readonly string[],
  ) {}

  get current(): ReaderPod {
    return this.pod
  }

  /** After a failed stream: the pod if it still runs commands, else a new one (the old one deleted). */
  renew(signal: AbortSignal): Promise<ReaderPod> {
    this.renewing ??= (async () => {
      try {
        await this.pod.run(['true'], signal)
        return this.pod
      } catch {
        signal.throwIfAborted()
        if (!this.readers) throw new Error(`reader pod ${this.pod.namespace}/${this.pod.name} no longer answers`)
        await this.readers.release(this.pod)
        this.pod = await this.readers.open(this.pod.node, [...this.dirs])
        return this.pod
      }
    })().finally(() => {
      this.renewing = undefined
    })
    return this.renewing
  }
}

export async function* followThroughPod(
  following: FollowingPod,
  name: string,
  hostPath: string,
  from: number,
  options: FollowOptions,
): AsyncIterable<Buffer> {
  const {signal} = options
  const path = containerPath(hostPath)
  let offset = from
  let lastByte = NEWLINE
  let failed: string | undefined
  while (!signal.aborted) {
    let pod = following.current
    let newFile = false
    try {
      if (failed !== undefined) {
        const before = pod.name
        pod = await following.renew(signal)
        if (pod.name !== before)
          options.notice(
            `${name}: reader pod ${pod.namespace}/${before} has ended (a reader pod lives at most --pod-timeout): following through ${pod.name}`,
          )
      }
      const stream = pod.exec(['tail', '-c', `+${offset + 1}`, '-F', path], signal, {
        quietIdle: true,
        onStderr: (text) => {
          if (NEW_FILE.test(text)) newFile = true
        },
      })
      for await (const chunk of stream) {
        if (failed !== undefined) {
          failed = undefined
          options.reachable(true)
          options.notice(`${name}: following again`)
        }
        if (newFile) {
          newFile = false
          offset = 0
          options.notice(`${name} was rotated or truncated: following the new file from its start`)
          if (lastByte !== NEWLINE) yield LINE_BREAK
        }
        offset += chunk.length
        lastByte = chunk[chunk.length - 1]!
        yield chunk
      }
      // Quiet for the idle limit: started again from the offset.
    } catch (error) {
      if (signal.aborted) return
      if (failed === undefined) {
        options.reachable(false)
        options.notice(
          `${name}: following stopped (${firstLine(error)}); trying again every ${options.intervalMs / 1000}s`,
        )
      }
      failed = firstLine(error)
      if (!(await pause(options.intervalMs, signal))) return
    }
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!
}
