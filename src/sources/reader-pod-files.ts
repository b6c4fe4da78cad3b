// Files on a node read through a reader pod: a LogSource over one file (stat for the size,
// tail/head for ranges) and the names in a directory.
import {posix} from 'node:path'

import {rotationTime} from '../audit/rotation.js'
import {UserError} from '../errors.js'
import type {Followable, FollowedLog, FollowOptions} from './follow.js'
import {FollowingPod, followThroughPod} from './follow-pod.js'
import {containerPath, type ReaderPod} from './reader-pods.js'
import type {ByteRange, LogSource} from './source.js'

export class ReaderPodFileSource implements LogSource, Followable {
  readonly name: string
  readonly rotatedAt: Date | null
  private readonly path: string

  /** `following`: the node's pod for --watch, replaced when it ends; without it, this one pod only. */
  constructor(
    private readonly pod: ReaderPod,
    readonly hostPath: string,
    private readonly following?: FollowingPod,
  ) {
    this.name = `node/${pod.node}:${hostPath}`
    this.rotatedAt = rotationTime(posix.basename(hostPath))
    this.path = containerPath(hostPath)
  }

  async size(): Promise<number> {
    const out = (await this.pod.run(['stat', '-L', '-c', '%s', this.path])).toString('utf8').trim()
    const size = Number(out)
    if (!/^\d+$/.test(out) || !Number.isSafeInteger(size))
      throw new UserError(`unexpected size "${out.slice(0, 40)}" for ${this.name}`)
    return size
  }

  read(range?: ByteRange, signal?: AbortSignal): AsyncIterable<Buffer> {
    return this.pod.exec(readCommand(this.path, range), signal)
  }

  /** `tail -F` over exec (follow-pod.ts). */
  follow(from: number, options: FollowOptions): FollowedLog {
    const following = this.following ?? new FollowingPod(this.pod, undefined, [])
    return {bytes: followThroughPod(following, this.name, this.hostPath, from, options), streamed: true}
  }
}

/** cat, tail -c +N, head -c N, or both through sh, with the path passed as an argument (no quoting). */
export function readCommand(path: string, range?: ByteRange): string[] {
  const start = range?.start ?? 0
  const end = range?.end
  if (end === undefined) return start === 0 ? ['cat', path] : ['tail', '-c', `+${start + 1}`, path]
  const length = Math.max(0, end - start)
  if (start === 0) return ['head', '-c', String(length), path]
  return ['sh', '-c', 'tail -c +"$1" "$3" | head -c "$2"', 'sh', String(start + 1), String(length), path]
}

/** Names in a directory on the node, as `ls -1` prints them (directories get no slash). */
export async function listReaderPodDirectory(pod: ReaderPod, hostDir: string): Promise<string[]> {
  const out = await pod.run(['ls', '-1', containerPath(hostDir)])
  return out
    .toString('utf8')
    .split('\n')
    .filter((name) => name !== '')
}
