// The chunks of a big file, pulled in order by the threads that scan it, from counters they
// share: whichever thread is free takes the next chunk, so a thread that starts late or runs
// slow (the machine is shared) leaves more to the other, and nobody waits for an even half.

const NEXT = 0
const STOP = 1
const MERGED = 2

/** How long a thread that ran too far ahead sleeps before it looks at the counters again. */
const WAIT_MS = 50

/**
 * Counters in shared memory: the next chunk to hand out, the chunk count (lowered when a chunk
 * ends the read: an early stop, a failure, disorder), and how many chunks were handed on in order.
 * A chunk is only taken while it is less than `window` chunks ahead of those handed on, so what
 * waits to be handed on in order stays bounded.
 */
export class ChunkClaims {
  readonly counters: Int32Array

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly window: number,
  ) {
    this.counters = new Int32Array(buffer)
  }

  /** For `count` chunks; the first `taken` are already someone's. */
  static create(count: number, taken: number, window: number): ChunkClaims {
    const claims = new ChunkClaims(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT), window)
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
      if (index < merged + this.window) return index
      Atomics.wait(this.counters, MERGED, merged, WAIT_MS)
    }
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
