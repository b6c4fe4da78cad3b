// The chunks of a big file, pulled in order by the threads that scan it, from counters they
// share: whichever thread is free takes the next chunk, so a thread that starts late or runs
// slow (the machine is shared) leaves more to the other, and nobody waits for an even half.

const NEXT = 0
const STOP = 1
const MERGED = 2
/** Events the worker posted, and how many of them were handed on: the difference waits. */
const POSTED = 3
const HANDED = 4

/** How long a thread that ran too far ahead sleeps before it looks at the counters again. */
const WAIT_MS = 50

/**
 * Counters in shared memory: the next chunk to hand out, the chunk count (lowered when a chunk
 * ends the read: an early stop, a failure, disorder), how many chunks were handed on in order, and
 * how many events the worker posted and how many of those were handed on.
 * A chunk is only taken while it is less than `window` chunks ahead of those handed on, so what
 * waits to be handed on in order stays bounded; and the worker starts no chunk but the one in turn
 * while more than `waitingEvents` of its events wait (a log where most lines are changes). It
 * counts them as it posts them, so the bound holds however late the main thread reads its messages.
 */
export class ChunkClaims {
  readonly counters: Int32Array

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly window: number,
    readonly waitingEvents = Number.POSITIVE_INFINITY,
  ) {
    this.counters = new Int32Array(buffer)
  }

  /** For `count` chunks; the first `taken` are already someone's. */
  static create(count: number, taken: number, window: number, waitingEvents?: number): ChunkClaims {
    const claims = new ChunkClaims(new SharedArrayBuffer(5 * Int32Array.BYTES_PER_ELEMENT), window, waitingEvents)
    Atomics.store(claims.counters, NEXT, taken)
    Atomics.store(claims.counters, STOP, count)
    Atomics.store(claims.counters, MERGED, taken)
    return claims
  }

  /** Chunks at or past this are not read. */
  get stop(): number {
    return Atomics.load(this.counters, STOP)
  }

  /** Chunks handed out so far (some may be past the stop). */
  get handedOut(): number {
    return Math.min(Atomics.load(this.counters, NEXT), this.stop)
  }

  /** Takes the next chunk, or null when there is none left. Does not wait. */
  take(): number | null {
    const index = Atomics.add(this.counters, NEXT, 1)
    return index < this.stop ? index : null
  }

  /** True while `index` is too far ahead of what was handed on to be scanned yet. */
  tooFarAhead(index: number): boolean {
    return index >= Atomics.load(this.counters, MERGED) + this.window
  }

  /**
   * Takes the next chunk and, on a thread that may block (a worker), sleeps until it is within
   * the window. Null when there is none left, or the read stopped meanwhile.
   */
  takeWhenDue(): number | null {
    const index = this.take()
    if (index === null) return null
    for (;;) {
      const merged = Atomics.load(this.counters, MERGED)
      if (index >= this.stop) return null
      if (this.due(index, merged)) return index
      Atomics.wait(this.counters, MERGED, merged, WAIT_MS)
    }
  }

  /** May the worker scan chunk `index` now? The chunk in turn always: what waits is before it. */
  due(index: number, merged = Atomics.load(this.counters, MERGED)): boolean {
    return index === merged || (index < merged + this.window && this.waiting() <= this.waitingEvents)
  }

  /** The worker posted `count` events. */
  posted(count: number): void {
    Atomics.add(this.counters, POSTED, count)
  }

  /** `count` of the worker's events were handed on. */
  handed(count: number): void {
    Atomics.add(this.counters, HANDED, count)
  }

  /** The worker's events posted and not yet handed on (counters wrap as 32-bit integers). */
  private waiting(): number {
    return (Atomics.load(this.counters, POSTED) - Atomics.load(this.counters, HANDED)) | 0
  }

  /** No chunk at or past `count` is read: the read ends there. */
  stopAt(count: number): void {
    for (let stop = this.stop; count < stop; stop = this.stop) {
      if (Atomics.compareExchange(this.counters, STOP, stop, count) === stop) break
    }
    Atomics.notify(this.counters, MERGED)
  }

  /** Chunks below `count` were handed on: threads waiting to run ahead may go on. */
  merged(count: number): void {
    Atomics.store(this.counters, MERGED, count)
    Atomics.notify(this.counters, MERGED)
  }
}
