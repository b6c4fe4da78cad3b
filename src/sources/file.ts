// Local files, mounted volumes, pipes and stdin as LogSources: `-f` takes a file, a directory (its
// audit logs and their rotated files), a glob, a FIFO, or `-`.

import {constants, createReadStream} from 'node:fs'
import {access, open, readdir, realpath, stat} from 'node:fs/promises'
import {join} from 'node:path'
import type {Readable} from 'node:stream'

import {isAuditLogName, rotationTime} from '../audit/rotation.js'
import {UserError} from '../errors.js'
import type {Followable, FollowedLog, FollowOptions} from './follow.js'
import {followFile} from './follow-file.js'
import type {ByteRange, LogSource, ReadHints} from './source.js'

/** Big enough that per-chunk costs vanish, small enough that chunks in flight (two per thread) stay cheap. */
export const FILE_CHUNK_BYTES = 1024 * 1024

export class FileSource implements LogSource, Followable {
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

  read(range?: ByteRange, signal?: AbortSignal, hints?: ReadHints): AsyncIterable<Buffer> {
    return readFileChunks(this.path, range, signal, hints?.reuseBuffers === true, hints?.buffers)
  }

  follow(from: number, options: FollowOptions): FollowedLog {
    return {bytes: followFile(this.path, from, options), streamed: false}
  }
}

/** Buffers in use at once when reusing: the one being scanned, the one being read, one spare. */
const REUSED_BUFFERS = 3

/**
 * Reads a file in FILE_CHUNK_BYTES chunks, keeping one read in flight while the caller works on
 * the previous chunk. With `reuse` (ReadHints.reuseBuffers), the same few buffers come back round,
 * each chunk valid only until the next one is asked for.
 */
async function* readFileChunks(
  path: string,
  range: ByteRange | undefined,
  signal: AbortSignal | undefined,
  reuse: boolean,
  buffers?: readonly Buffer[],
): AsyncIterable<Buffer> {
  const handle = await open(path, 'r')
  const pool = reuse
    ? (buffers ?? Array.from({length: REUSED_BUFFERS}, () => Buffer.allocUnsafe(FILE_CHUNK_BYTES)))
    : []
  let turn = 0
  try {
    let position = range?.start ?? 0
    const end = range?.end ?? Number.POSITIVE_INFINITY
    const readAt = async (at: number): Promise<Buffer> => {
      const want = Math.min(FILE_CHUNK_BYTES, end - at)
      if (want <= 0) return Buffer.alloc(0)
      const buffer = reuse ? pool[turn++ % pool.length] : Buffer.allocUnsafe(want)
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

/**
 * A source read once, from start to end: stdin, a FIFO, a process substitution (`-f <(zcat …)`),
 * a character device.
 */
export class StreamSource implements LogSource, Followable {
  readonly rotatedAt = null
  readonly isStream = true

  constructor(
    readonly name: string,
    private readonly open: () => NodeJS.ReadableStream,
  ) {}

  async size(): Promise<null> {
    return null
  }

  async *read(): AsyncIterable<Buffer> {
    for await (const chunk of this.open()) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk
  }

  /** A stream is followed to its end (or the signal): there is no offset to start from, and nothing after it. */
  follow(_from: number, {signal}: FollowOptions): FollowedLog {
    return {bytes: streamUntil(this.open(), signal), streamed: true}
  }
}

/** A stream's chunks until it ends or the signal does: a pipe nobody writes to would wait for ever. */
async function* streamUntil(stream: NodeJS.ReadableStream, signal: AbortSignal): AsyncIterable<Buffer> {
  const stop = () => (stream as Partial<Readable>).destroy?.()
  signal.addEventListener('abort', stop, {once: true})
  try {
    for await (const chunk of stream) yield typeof chunk === 'string' ? Buffer.from(chunk) : chunk
  } catch (error) {
    if (!signal.aborted) throw error
  } finally {
    signal.removeEventListener('abort', stop)
  }
}

/** Local policy files and manifests are read whole, and are a few KiB: past this, it is the wrong file. */
export const MAX_LOCAL_TEXT_BYTES = 1024 * 1024

/**
 * A small local file as text (a policy, a manifest), or a pipe (`--manifest <(kubectl get pod …)`):
 * never more than `maxBytes`, so /dev/zero or a log given by mistake cannot fill memory.
 * Throws `TooLarge` past it; other errors are the file system's.
 */
export async function readLocalText(path: string, maxBytes = MAX_LOCAL_TEXT_BYTES): Promise<string> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.allocUnsafe(maxBytes + 1)
    let filled = 0
    for (;;) {
      const {bytesRead} = await handle.read(buffer, filled, buffer.length - filled, null)
      if (bytesRead === 0) break
      filled += bytesRead
      if (filled > maxBytes) throw new TooLarge(path, maxBytes)
    }
    return buffer.toString('utf8', 0, filled)
  } finally {
    await handle.close()
  }
}

export class TooLarge extends Error {
  constructor(
    readonly path: string,
    readonly maxBytes: number,
  ) {
    super(`${path} is larger than ${maxBytes / (1024 * 1024)} MiB`)
    this.name = 'TooLarge'
  }
}

/** What -f names: the sources, and what the user should know about the choice (on stderr). */
export interface FileSources {
  sources: LogSource[]
  notices: string[]
}

const LOG_FILE = /\.(log|jsonl?|gz)$/i

/**
 * Turns the `-f` values into sources, in the order given. A directory contributes its audit logs,
 * each rotated set oldest first with the active file last; a glob its matches in the same order.
 * A file named twice (also through a directory, a glob or a link) is read once. Unreadable or
 * missing paths fail here, before any reading starts.
 */
export async function fileSources(
  paths: readonly string[],
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<FileSources> {
  const sources: LogSource[] = []
  const notices: string[] = []
  const seen = new Map<string, string>()
  const add = async (source: LogSource) => {
    const key = source.name === '-' ? '-' : await realpath(source.name).catch(() => source.name)
    const first = seen.get(key)
    if (first !== undefined) {
      notices.push(`${source.name} is the same file as ${first}: read once`)
      return
    }
    seen.set(key, source.name)
    sources.push(source)
  }
  if (paths.filter((p) => p === '-').length > 1) throw new UserError('stdin (-) can be given only once')
  for (const path of paths) {
    if (path === '-') {
      await add(new StreamSource('-', () => stdin))
      continue
    }
    if (/[*?[\]{}]/.test(path) && !(await exists(path))) {
      const {glob} = await import('tinyglobby')
      const matches = await glob(path, {onlyFiles: true, absolute: false, expandDirectories: false})
      if (matches.length === 0) {
        // `audit[1].log` is more likely a name than a pattern: say first that no such file exists.
        if (!/[*?{}]/.test(path))
          throw new UserError(`cannot read ${path}: no such file or directory`, {
            hint: 'nor does any file match it as a pattern ([…] is a set of characters)',
          })
        throw new UserError(`no file matches ${path}`, {
          hint: 'check the pattern; quote it so the shell does not expand it first',
        })
      }
      for (const file of orderLogFiles(matches)) await add(await readableFile(file))
      continue
    }
    const info = await statOrFail(path)
    if (info.isDirectory()) {
      const {files, notice} = await directoryLogs(path)
      if (notice !== undefined) notices.push(notice)
      for (const file of orderLogFiles(files.map((name) => join(path, name)))) await add(await readableFile(file))
    } else {
      await add(await readableFile(path))
    }
  }
  return {sources, notices}
}

/**
 * The audit logs in a directory, by name (see isAuditLogName): not the apiserver's own log or a
 * config file beside them. Links are followed. A directory with no audit log by name gives its
 * JSON-looking files instead, and says so.
 */
async function directoryLogs(dir: string): Promise<{files: string[]; notice?: string}> {
  const names: string[] = []
  for (const entry of await readdir(dir, {withFileTypes: true})) {
    if (entry.name.startsWith('.')) continue
    if (entry.isFile() || (entry.isSymbolicLink() && (await isFileBehind(join(dir, entry.name)))))
      names.push(entry.name)
  }
  names.sort()
  const audit = names.filter(isAuditLogName)
  if (audit.length > 0) {
    const left = names.filter((name) => !isAuditLogName(name))
    return {
      files: audit,
      notice:
        left.length === 0
          ? undefined
          : `${dir}: left out ${countOf(left.length, 'file')} whose names do not say audit (${briefList(left)}): pass them with -f to read them`,
    }
  }
  const others = names.filter((name) => LOG_FILE.test(name) || rotationTime(name))
  if (others.length === 0)
    throw new UserError(`no audit log files in directory ${dir}`, {
      hint: 'expected audit.log and rotated audit-<time>.log[.gz] files',
    })
  const left = names.length - others.length
  return {
    files: others,
    notice: `${dir}: no audit log by name (audit.log, audit-<time>.log[.gz]); reading ${others.length === 1 ? others[0] : `${countOf(others.length, 'file')} that look like logs (${briefList(others)})`}${left > 0 ? `, leaving out ${countOf(left, 'other')}` : ''}`,
  }
}

/** At most a few names, then how many more: a directory of 1,700 files is not one long line. */
export function briefList(names: readonly string[], shown = 3): string {
  if (names.length <= shown + 1) return names.join(', ')
  return `${names.slice(0, shown).join(', ')} and ${(names.length - shown).toLocaleString('en-US')} more`
}

function countOf(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`
}

async function isFileBehind(link: string): Promise<boolean> {
  try {
    return (await stat(link)).isFile()
  } catch {
    return false
  }
}

/** Rotated files by rotation time, oldest first; files without a rotation time after them, by name. */
export function orderLogFiles(files: readonly string[]): string[] {
  // Each name parsed once, not in every comparison: a directory may hold 130,000 files.
  const keyed = files.map((file) => ({file, time: rotationTime(file)?.getTime() ?? Number.POSITIVE_INFINITY}))
  keyed.sort((a, b) => (a.time !== b.time ? a.time - b.time : a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
  return keyed.map((k) => k.file)
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

/** A regular file, seekable; a FIFO or character device (`-f <(zcat …)`, /dev/stdin), read as a stream. */
async function readableFile(path: string): Promise<LogSource> {
  try {
    await access(path, constants.R_OK)
    const info = await stat(path)
    if (info.isFIFO() || info.isCharacterDevice())
      return new StreamSource(path, () => createReadStream(path, {highWaterMark: FILE_CHUNK_BYTES}))
    if (!info.isFile()) throw new UserError(`${path} is not a file, a pipe or a directory`)
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
    return new UserError(`cannot read ${path}: permission denied`, {
      hint: 'audit logs are usually readable by root only (mode 0600): try sudo, or copy the file',
    })
  }
  return new UserError(`cannot read ${path}: ${(error as Error).message}`)
}
