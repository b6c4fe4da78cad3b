// Local files, mounted volumes and stdin as LogSources: `-f` takes a file, a directory (an audit
// log and its rotated siblings), a glob, or `-`.

import {constants} from 'node:fs'
import {access, open, readdir, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {rotationTime} from '../audit/rotation.js'
import {UserError} from '../errors.js'
import type {ByteRange, LogSource} from './source.js'

/** Big enough that per-chunk costs vanish, small enough that chunks in flight (two per thread) stay cheap. */
export const FILE_CHUNK_BYTES = 1024 * 1024

export class FileSource implements LogSource {
  readonly rotatedAt: Date | null

  constructor(readonly path: string) {
    this.rotatedAt = rotationTime(path)
  }

  get name(): string {
    return this.path
  }

  get localPath(): string {
    return this.path
  }

  async size(): Promise<number> {
    return (await stat(this.path)).size
  }

  read(range?: ByteRange, signal?: AbortSignal): AsyncIterable<Buffer> {
    return readFileChunks(this.path, range, signal, false)
  }
}

/** Buffers in use at once when reusing: the one being scanned, the one being read, one spare. */
const REUSED_BUFFERS = 3

/**
 * Reads a file in FILE_CHUNK_BYTES chunks, keeping one read in flight while the caller works on
 * the previous chunk. With `reuse`, the same few buffers come back round: far less garbage on a
 * multi-GB file, but each chunk is only valid until the next one is asked for, so only a caller
 * that copies what it keeps (the line scanner) may ask for it.
 */
export async function* readFileChunks(path: string, range: ByteRange | undefined, signal: AbortSignal | undefined, reuse: boolean): AsyncIterable<Buffer> {
  const handle = await open(path, 'r')
  const pool = reuse ? Array.from({length: REUSED_BUFFERS}, () => Buffer.allocUnsafe(FILE_CHUNK_BYTES)) : []
  let turn = 0
  try {
    let position = range?.start ?? 0
    const end = range?.end ?? Number.POSITIVE_INFINITY
    const readAt = async (at: number): Promise<Buffer> => {
      const want = Math.min(FILE_CHUNK_BYTES, end - at)
      if (want <= 0) return Buffer.alloc(0)
      const buffer = reuse ? pool[turn++ % REUSED_BUFFERS] : Buffer.allocUnsafe(want)
      const {bytesRead} = await handle.read(buffer, 0, want, at)
      return bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead)
    }
    let pending = readAt(position)
    while (!signal?.aborted) {
      const chunk = await pending
      if (chunk.length === 0) break
      position += chunk.length
      pending = readAt(position)
      yield chunk
    }
    await pending.catch(() => {})
  } finally {
    await handle.close()
  }
}

export class StdinSource implements LogSource {
  readonly name = '-'
  readonly rotatedAt = null

  constructor(private readonly stream: NodeJS.ReadableStream = process.stdin) {}

  async size(): Promise<null> {
    return null
  }

  async *read(): AsyncIterable<Buffer> {
    for await (const chunk of this.stream) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk
  }
}

const LOG_FILE = /\.(log|jsonl?|gz)$/i

/**
 * Turns the `-f` values into sources, in the order given. A directory contributes its log files,
 * each rotated set oldest first with the active file last; a glob its matches in the same order.
 * Unreadable or missing paths fail here, before any reading starts.
 */
export async function fileSources(paths: readonly string[], stdin?: NodeJS.ReadableStream): Promise<LogSource[]> {
  const sources: LogSource[] = []
  const seen = new Set<string>()
  const add = (source: LogSource) => {
    if (seen.has(source.name)) return
    seen.add(source.name)
    sources.push(source)
  }
  if (paths.filter((p) => p === '-').length > 1) throw new UserError('stdin (-) can be given only once')
  for (const path of paths) {
    if (path === '-') {
      add(new StdinSource(stdin))
      continue
    }
    if (/[*?[\]{}]/.test(path) && !(await exists(path))) {
      const {glob} = await import('tinyglobby')
      const matches = await glob(path, {onlyFiles: true, absolute: false, expandDirectories: false})
      if (matches.length === 0) throw new UserError(`no file matches ${path}`, {hint: 'check the pattern; quote it so the shell does not expand it first'})
      for (const file of orderLogFiles(matches)) add(await readableFile(file))
      continue
    }
    const info = await statOrFail(path)
    if (info.isDirectory()) {
      const names = (await readdir(path, {withFileTypes: true})).filter((d) => d.isFile() && !d.name.startsWith('.') && (LOG_FILE.test(d.name) || rotationTime(d.name)))
      if (names.length === 0) throw new UserError(`no audit log files in directory ${path}`, {hint: 'expected audit.log and rotated audit-<time>.log[.gz] files'})
      for (const file of orderLogFiles(names.map((d) => join(path, d.name)))) add(await readableFile(file))
    } else {
      add(await readableFile(path))
    }
  }
  return sources
}

/** Rotated files by rotation time, oldest first; files without a rotation time after them, by name. */
export function orderLogFiles(files: readonly string[]): string[] {
  return [...files].sort((a, b) => {
    const ta = rotationTime(a)?.getTime() ?? Number.POSITIVE_INFINITY
    const tb = rotationTime(b)?.getTime() ?? Number.POSITIVE_INFINITY
    if (ta !== tb) return ta - tb
    return a < b ? -1 : a > b ? 1 : 0
  })
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

async function statOrFail(path: string) {
  try {
    return await stat(path)
  } catch (error) {
    throw fileError(path, error)
  }
}

async function readableFile(path: string): Promise<FileSource> {
  try {
    await access(path, constants.R_OK)
    const info = await stat(path)
    if (!info.isFile()) throw new UserError(`${path} is not a regular file`)
  } catch (error) {
    if (error instanceof UserError) throw error
    throw fileError(path, error)
  }
  return new FileSource(path)
}

function fileError(path: string, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT') return new UserError(`cannot read ${path}: no such file or directory`)
  if (code === 'EACCES' || code === 'EPERM') {
    return new UserError(`cannot read ${path}: permission denied`, {hint: 'audit logs are usually readable by root only (mode 0600): try sudo, or copy the file'})
  }
  return new UserError(`cannot read ${path}: ${(error as Error).message}`)
}

