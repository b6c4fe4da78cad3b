// Scans a big local file of JSON lines on this thread and a worker thread at once: both take
// chunks from shared counters (chunk-claims.ts), the worker streams each chunk's events back as it
// goes, and the chunks are handed on in file order, as if one thread had read them all. Falls back
// to this thread alone (start returns null) wherever a worker cannot load our code; a worker that
// dies leaves its chunks to this thread.
import {existsSync} from 'node:fs'
import {createRequire} from 'node:module'
import {getAsset, isSea} from 'node:sea'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {Worker} from 'node:worker_threads'

import type {AuditEvent} from '../audit/event.js'
import {type BodyKeeping, keptOfEvent} from '../audit/write-bodies.js'
import {tap} from '../sources/byte-streams.js'
import {FILE_CHUNK_BYTES} from '../sources/file.js'
import type {LogSource} from '../sources/source.js'
import {ChunkClaims} from './chunk-claims.js'
import {chunkCount, type ChunkGrid, chunkLines} from './chunk-lines.js'
import {endsRead, type LinesResult, scanJsonLines} from './scan-lines.js'

/**
 * Files (or what is left of them after a window's start) smaller than this are read on one
 * thread: starting a worker costs about what scanning this much on a second core saves.
 * chunkBytes: what a thread takes at a time. window: how far (in chunks) a thread may run ahead
 * of the chunks handed on in order, which bounds the events waiting to be handed on.
 * waitingEvents: past this many of the worker's waiting (about a kilobyte each: a log where most
 * lines are changes), it starts no chunk but the one in turn.
 * denseEventsPerMiB: once the chunks the worker scanned hold more events than this per MiB, it
 * stops, and this thread reads the rest. Where a good part of the lines are changes, this
 * thread's work on each event (the collector) is the bottleneck, and every event the worker
 * decodes crosses as a structured clone that both threads pay for: on 800 MB of nothing but
 * changes, two threads took as long as one, with 1.6 times the CPU and 2.3 times the peak RSS.
 * A plain log holds a few events per MiB.
 */
export const PARALLEL_SCAN = {
  minBytes: 128 * 1024 * 1024,
  chunkBytes: 8 * 1024 * 1024,
  window: 8,
  waitingEvents: 32_768,
  denseEventsPerMiB: 128,
}

/** Files at least this big are scanned on two threads. */
export const PARALLEL_MIN_BYTES = PARALLEL_SCAN.minBytes

/**
 * The young generation of the worker's heap: 1 MiB semi-spaces. What the scan leaves behind dies
 * young; 4 MiB ones measured no faster, only bigger.
 */
const WORKER_YOUNG_GENERATION_MB = 3

export interface ParallelJob {
  readonly path: string
  readonly grid: ChunkGrid
  readonly stopAfter: number | null
  readonly watchOrder: boolean
  /** Which writes keep their bodies (keptOfWaitingEvent). */
  readonly bodies?: BodyKeeping
}

/** What the worker is given. */
export interface WorkerJob extends ParallelJob {
  readonly claims: SharedArrayBuffer
  readonly window: number
  readonly waitingEvents: number
  readonly denseEventsPerMiB: number
}

/**
 * What the worker posts: a chunk's events (in order, in batches), then its counts; `dense` before
 * it stops because the log is dense in changes (denseEventsPerMiB).
 */
export type WorkerMessage =
  | {type: 'events'; chunk: number; events: AuditEvent[]}
  | {type: 'done'; chunk: number; result: LinesResult; bytes: number}
  | {type: 'dense'}

/** What the caller is handed, in file order: each chunk's events, then its counts (lines numbered from 1). */
export interface ChunkHandlers {
  events(events: AuditEvent[]): void
  /** Returns false to read no further (the time order broke between chunks). */
  chunk(result: LinesResult, bytes: number): boolean
}

/**
 * What is kept of an event that waits to be handed on, or crosses from the worker: bodies can be
 * large, and changes read only a few fields (slimEvent); only the writes the job says keep theirs
 * (a run that shows what changed).
 */
export function keptOfWaitingEvent(event: AuditEvent, job: Pick<ParallelJob, 'bodies'>): AuditEvent {
  return keptOfEvent(event, job.bodies)
}

/** Events handed to ChunkHandlers.events at most at a time. */
const HAND_ON_BATCH = 4096

/** A chunk not yet handed on in full. */
interface ChunkState {
  /** Its events that arrived and wait their turn. */
  waiting: AuditEvent[]
  /** Its events already handed on (it was next in line while being scanned). */
  handed: number
  end?: {result: LinesResult; bytes: number}
}

/**
 * The read buffers of one thread, for all the chunks it reads: a fresh set per chunk is garbage
 * outside the heap that V8 answers with full collections.
 */
export function readBuffers(): Buffer[] {
  return Array.from({length: 3}, () => Buffer.allocUnsafe(FILE_CHUNK_BYTES))
}

/** The module a worker runs, and the arguments it needs to load it. */
export interface WorkerEntry {
  url: URL
  execArgv: string[]
}

/** The worker's code inside a single executable, which has no files beside it. */
export const SCAN_WORKER_ASSET = 'scan-worker.js'

/**
 * How a worker runs the module at `url` (scan-worker beside this module unless told otherwise):
 * compiled JavaScript as it is; TypeScript (tests, bin/dev.js) through tsx, which a worker's entry
 * only gets from a small bootstrap that registers it, since `--import tsx` alone does not reach a
 * worker's first module; in a single executable, the code it carries as an asset. Null when the
 * module is not a file beside us.
 */
export function workerEntry(url?: URL): WorkerEntry | null {
  if (url === undefined && isSea()) return singleExecutableEntry()
  url ??= new URL(import.meta.url.endsWith('.ts') ? './scan-worker.ts' : './scan-worker.js', import.meta.url)
  if (url.protocol !== 'file:' || !existsSync(fileURLToPath(url))) return null
  if (!url.pathname.endsWith('.ts')) return {url, execArgv: []}
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href
  const bootstrap = `import {register} from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(url.href)})`
  return {url: new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), execArgv: ['--import', 'tsx']}
}

function singleExecutableEntry(): WorkerEntry | null {
  let code: string
  try {
    code = getAsset(SCAN_WORKER_ASSET, 'utf8')
  } catch {
    return null
  }
  return {url: new URL(`data:text/javascript,${encodeURIComponent(code)}`), execArgv: []}
}

export class ParallelScan {
  private readonly claims: ChunkClaims
  private readonly worker: Worker
  private readonly chunks = new Map<number, ChunkState>()
  /** Chunks this thread took or inherited from a dead worker, and has yet to scan, lowest first. */
  private readonly todo: number[] = []
  private readonly mine = new Set<number>()
  private readonly buffers = readBuffers()
  /** The chunk whose events are handed on now: all before it were. */
  private handedOn = 1
  /** Events in `chunks` not yet handed on. */
  private waitingEvents = 0
  private mostWaiting = 0
  private workerGone = false
  private workerRetired = false
  private wake: (() => void) | null = null

  /**
   * Starts the worker (scan-worker.ts unless told otherwise); null when none can start here.
   * Chunk 0 is the caller's (firstChunk).
   */
  static start(source: LogSource, job: ParallelJob, entry: WorkerEntry | null = workerEntry()): ParallelScan | null {
    if (!entry) return null
    const claims = ChunkClaims.create(chunkCount(job.grid), 1, PARALLEL_SCAN.window, PARALLEL_SCAN.waitingEvents)
    const workerJob: WorkerJob = {
      ...job,
      claims: claims.buffer,
      window: claims.window,
      waitingEvents: claims.waitingEvents,
      denseEventsPerMiB: PARALLEL_SCAN.denseEventsPerMiB,
    }
    let worker: Worker
    try {
      worker = new Worker(entry.url, {
        workerData: workerJob,
        execArgv: entry.execArgv,
        resourceLimits: {maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB},
      })
    } catch {
      return null
    }
    return new ParallelScan(source, job, claims, worker)
  }

  private constructor(
    private readonly source: LogSource,
    private readonly job: ParallelJob,
    claims: ChunkClaims,
    worker: Worker,
  ) {
    this.claims = claims
    this.worker = worker
    worker.on('message', (message: WorkerMessage) => this.receive(message))
    worker.once('error', () => this.lose())
    worker.once('exit', () => this.lose())
  }

  /** The most events that waited to be handed on at once. */
  get peakWaitingEvents(): number {
    return this.mostWaiting
  }

  /** The log turned out dense in changes, and this thread read on alone (denseEventsPerMiB). */
  get retiredWorker(): boolean {
    return this.workerRetired
  }

  /** Chunks this thread scanned (chunk 0 aside): the rest were the worker's. */
  get scannedHere(): number {
    return this.mine.size
  }

  /** The bytes of chunk 0, for the caller to scan as the start of the read (it drops a partial first line). */
  firstChunk(signal?: AbortSignal): AsyncIterable<Buffer> {
    return chunkLines(this.source, this.job.grid, 0, {reuseBuffers: true, buffers: this.buffers}, signal)
  }

  /**
   * Scans chunks 1 and on, here and on the worker, handing each on in file order: its events as
   * soon as all before it were handed on, then its counts. Ends after the last chunk, after one
   * that ends the read (an early stop, disorder, a failure), or when `chunk` says so; stops the
   * worker then.
   */
  async scanRest(handlers: ChunkHandlers, signal?: AbortSignal): Promise<void> {
    const abort = () => void this.cancel()
    signal?.addEventListener('abort', abort)
    try {
      while (this.handedOn < this.claims.stop) {
        const current = this.chunks.get(this.handedOn)
        if (current && current.waiting.length > 0) {
          if (!this.mine.has(this.handedOn)) this.claims.handed(current.waiting.length)
          this.handOn(current, handlers)
        }
        if (current?.end) {
          this.chunks.delete(this.handedOn)
          this.claims.merged(++this.handedOn)
          if (!handlers.chunk(current.end.result, current.end.bytes) || endsRead(current.end.result)) return
          continue
        }
        if (this.todo.length === 0) {
          const taken = this.claims.take()
          if (taken !== null) this.keep(taken)
        }
        const next = this.todo[0]
        if (next !== undefined && (next >= this.claims.stop || !this.claims.tooFarAhead(next))) {
          this.todo.shift()
          if (next < this.claims.stop) await this.scanHere(next, handlers, signal)
          continue
        }
        // What is handed on next is the worker's: wait for it (or for the worker to die).
        await new Promise<void>((resolve) => {
          this.wake = resolve
        })
      }
    } finally {
      signal?.removeEventListener('abort', abort)
      await this.cancel()
    }
  }

  /** Stops the worker; nothing more is read. */
  async cancel(): Promise<void> {
    this.claims.stopAt(0)
    await this.worker.terminate()
  }

  private stateOf(index: number): ChunkState {
    let state = this.chunks.get(index)
    if (!state) {
      state = {waiting: [], handed: 0}
      this.chunks.set(index, state)
    }
    return state
  }

  private handOn(state: ChunkState, handlers: ChunkHandlers): void {
    const {waiting} = state
    state.waiting = []
    state.handed += waiting.length
    this.countWaiting(-waiting.length)
    // A chunk of small lines can hold tens of thousands: handed on in batches of bounded size.
    if (waiting.length <= HAND_ON_BATCH) handlers.events(waiting)
    else for (let i = 0; i < waiting.length; i += HAND_ON_BATCH) handlers.events(waiting.slice(i, i + HAND_ON_BATCH))
  }

  private countWaiting(change: number): void {
    this.waitingEvents += change
    this.mostWaiting = Math.max(this.mostWaiting, this.waitingEvents)
  }

  private keep(index: number): void {
    this.mine.add(index)
    this.todo.push(index)
    this.todo.sort((a, b) => a - b)
  }

  /** Scans a chunk here. Next in line, its events are handed on as they are found; else they wait, slimmed. */
  private async scanHere(index: number, handlers: ChunkHandlers, signal?: AbortSignal): Promise<void> {
    const state = this.stateOf(index)
    const inTurn = index === this.handedOn
    // Events a dead worker handed on before it died come again: skip them.
    let skip = state.handed
    this.countWaiting(-state.waiting.length)
    state.waiting = []
    let bytes = 0
    const owned = tap(
      chunkLines(this.source, this.job.grid, index, {reuseBuffers: true, buffers: this.buffers}, signal),
      (chunk) => {
        bytes += chunk.length
      },
    )
    const result = await scanJsonLines(
      owned,
      (events) => {
        const before = state.waiting.length
        for (const event of events) {
          if (skip > 0) skip--
          else state.waiting.push(inTurn ? event : keptOfWaitingEvent(event, this.job))
        }
        this.countWaiting(state.waiting.length - before)
        if (inTurn) this.handOn(state, handlers)
      },
      {...this.job, continues: true},
    )
    if (endsRead(result)) this.claims.stopAt(index + 1)
    state.end = {result: {...result, failure: failureMessage(result.failure)}, bytes}
  }

  private receive(message: WorkerMessage): void {
    if (message.type === 'dense') {
      this.workerRetired = true
      return
    }
    const state = this.stateOf(message.chunk)
    if (message.type === 'events') {
      for (const event of message.events) state.waiting.push(event)
      this.countWaiting(message.events.length)
    } else state.end = {result: message.result, bytes: message.bytes}
    this.poke()
  }

  /** The worker is gone (it finished, failed to load, or died): what it took and did not finish is this thread's now. */
  private lose(): void {
    if (this.workerGone) return
    this.workerGone = true
    for (let index = this.handedOn; index < this.claims.handedOut; index++) {
      if (this.mine.has(index) || this.chunks.get(index)?.end) continue
      this.keep(index)
    }
    this.poke()
  }

  private poke(): void {
    const wake = this.wake
    this.wake = null
    wake?.()
  }
}

/** What a scan's failure says, as it crosses from the worker. */
export function failureMessage(failure: unknown): string | undefined {
  return failure === undefined ? undefined : failure instanceof Error ? failure.message : String(failure)
}
