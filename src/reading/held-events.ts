// Events held back from the sink while a read that skips lines on the strength of the log's time
// order is not over (plan.ts: a broken order drops them and reads the source again, whole).
// Beyond what memory should hold they wait in a temporary file, in the order read, so a window
// of a million changes costs disk, not heap.

import type {AuditEvent} from '../audit/event.js'
import {ExternalSort} from '../spill/external-sort.js'
import type {AddEvents} from './scan.js'

interface Held {
  readonly seq: number
  readonly event: AuditEvent
}

/** Events in memory before they go to the file; each is about a kilobyte there. */
const HELD_IN_MEMORY = 16_384
/** The same, for events that keep their bodies: tens of kilobytes each, some of them. */
export const HELD_WITH_BODIES = 1024
/** Events handed on at a time when released. */
const RELEASE_BATCH = 4096

export class HeldEvents {
  private seq = 0
  // A sort by the order of arrival: each run is written as it came, and the merge reads them back in turn.
  private readonly queue: ExternalSort<Held>

  constructor(options: {inMemory?: number; directory?: string} = {}) {
    this.queue = new ExternalSort<Held>(
      {
        encode: (held) => JSON.stringify([held.seq, held.event]),
        decode: (line) => {
          const [seq, event] = JSON.parse(line) as [number, AuditEvent]
          return {seq, event}
        },
        compare: (a, b) => a.seq - b.seq,
      },
      {
        bufferItems: options.inMemory ?? HELD_IN_MEMORY,
        items: 'events of the window read',
        ...(options.directory === undefined ? {} : {directory: options.directory}),
      },
    )
  }

  add(event: AuditEvent): void {
    this.queue.add({seq: this.seq++, event})
  }

  /** Hands every event held on, in the order they came, then lets them go. */
  release(add: AddEvents): void {
    let batch: AuditEvent[] = []
    try {
      for (const {event} of this.queue.sorted()) {
        batch.push(event)
        if (batch.length >= RELEASE_BATCH) {
          add(batch)
          batch = []
        }
      }
      if (batch.length > 0) add(batch)
    } finally {
      this.drop()
    }
  }

  /** Lets the events go unseen (and the temporary file with them). */
  drop(): void {
    this.queue.dispose()
  }
}
