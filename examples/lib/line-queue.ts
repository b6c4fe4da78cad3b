// Orders generated lines by the moment they reach the file. Requests are generated in order of
// arrival, but their lines land later (a watch's ResponseComplete minutes later), so lines wait
// here until nothing generated afterwards can come before them.

import type {AuditLine} from './audit-event.js'

interface Entry {
  readonly line: AuditLine
  readonly seq: number
}

export class LineQueue {
  private readonly heap: Entry[] = []
  private seq = 0

  get size(): number {
    return this.heap.length
  }

  push(line: AuditLine): void {
    this.heap.push({line, seq: this.seq++})
    let i = this.heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(this.heap[i]!, this.heap[parent]!)) break
      this.swap(i, parent)
      i = parent
    }
  }

  /** Removes and returns, in order, every line written before `until` (microseconds). */
  *drain(until = Number.POSITIVE_INFINITY): Generator<string> {
    while (this.heap.length > 0 && this.heap[0]!.line.writtenAt < until) yield this.pop().line.text
  }

  private pop(): Entry {
    const top = this.heap[0]!
    const last = this.heap.pop()!
    if (this.heap.length > 0) {
      this.heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < this.heap.length && this.before(this.heap[l]!, this.heap[m]!)) m = l
        if (r < this.heap.length && this.before(this.heap[r]!, this.heap[m]!)) m = r
        if (m === i) break
        this.swap(i, m)
        i = m
      }
    }
    return top
  }

  private before(a: Entry, b: Entry): boolean {
    return a.line.writtenAt < b.line.writtenAt || (a.line.writtenAt === b.line.writtenAt && a.seq < b.seq)
  }

  private swap(i: number, j: number): void {
    const t = this.heap[i]!
    this.heap[i] = this.heap[j]!
    this.heap[j] = t
  }
}
