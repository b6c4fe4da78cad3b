// Where table output goes: how wide the screen is when it is one, and writing output as it is drawn.
import {once} from 'node:events'

/** Narrower than this, nothing is worth fitting; lines may then wrap. */
const NARROWEST = 20

/**
 * The columns table output must fit: the terminal's, or COLUMNS when it is set. Undefined when
 * stdout is not a terminal: a pipe or a file gets every value whole, as kubectl gives it.
 */
export function terminalWidth(stream: {isTTY?: boolean; columns?: number}, env: NodeJS.ProcessEnv): number | undefined {
  if (stream.isTTY !== true) return undefined
  const fromEnv = /^\s*\d+\s*$/.test(env.COLUMNS ?? '') ? Number(env.COLUMNS) : 0
  const columns = fromEnv > 0 ? fromEnv : (stream.columns ?? 0) > 0 ? stream.columns! : 80
  return Math.max(NARROWEST, columns)
}

/** Writes chunks as they come, in pieces of about 64 KiB, waiting when the reader is slower. */
export async function writeChunks(out: NodeJS.WritableStream, chunks: Iterable<string>): Promise<void> {
  let pending = ''
  for (const chunk of chunks) {
    pending += chunk
    if (pending.length < 64 * 1024) continue
    const flushed = out.write(pending)
    pending = ''
    if (!flushed) await once(out, 'drain')
  }
  if (pending !== '') out.write(pending)
}
