// Which of the sources a watch reads before following, and from where each followed log is
// followed: shared by every command that follows (policies -w, history -w).
import {isFollowable, snapshotToLastLine} from '../sources/follow.js'
import type {LogSource} from '../sources/source.js'
import type {FollowedInput} from './follow.js'

export interface FollowingPlan {
  /** Read as a run without --watch reads them (a followed log up to its last whole line). */
  readFirst: LogSource[]
  /** Followed from where that read ended. */
  followed: FollowedInput[]
}

/**
 * A log being written (not a rotated file) is read up to its last whole line and followed from
 * there; a stream (stdin, a pipe) is only followed, to its end; a rotated file is only read.
 * `say`: a line for the user about a source that is not followed, or not as asked.
 */
export async function planFollowing(
  sources: readonly LogSource[],
  signal: AbortSignal,
  say: (line: string) => void,
): Promise<FollowingPlan> {
  const readFirst: LogSource[] = []
  const followed: FollowedInput[] = []
  for (const source of sources) {
    if (!isFollowable(source)) {
      if (source.rotatedAt === null) say(`${source.name}: read once, not followed (an apiserver's stdout log)`)
      readFirst.push(source)
      continue
    }
    if (source.isStream) {
      followed.push({source, from: 0, readUpToMs: null, format: undefined})
      continue
    }
    if (source.rotatedAt !== null || /\.gz$/i.test(source.name)) {
      readFirst.push(source)
      continue
    }
    let snapshot: Awaited<ReturnType<typeof snapshotToLastLine>>
    try {
      snapshot = await snapshotToLastLine(source, signal)
    } catch (error) {
      signal.throwIfAborted()
      say(
        `${source.name}: cannot be read now (${(error as Error).message.split('\n')[0]}); following it from its start once it can be`,
      )
      followed.push({source, from: 0, readUpToMs: null, format: undefined})
      continue
    }
    if (snapshot === null) {
      say(`${source.name}: read once, not followed: its size cannot be told (a proxy on the way drops HTTP Range)`)
      readFirst.push(source)
      continue
    }
    readFirst.push(snapshot.source)
    followed.push({source, from: snapshot.end, readUpToMs: snapshot.atMs, format: undefined})
  }
  return {readFirst, followed}
}
