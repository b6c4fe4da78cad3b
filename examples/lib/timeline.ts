// Runs a generation: background traffic at a steady random rate plus scheduled requests, written
// as audit lines in the order they would reach the file.

import type {ApiRequest} from './audit-event.js'
import {auditLines} from './audit-event.js'
import type {GenerationContext} from './context.js'
import {LineQueue} from './line-queue.js'
import {noiseRequests} from './noise.js'

export interface ScheduledRequests {
  /** Microseconds since the epoch. */
  readonly at: number
  readonly build: (ctx: GenerationContext, at: number) => ApiRequest[]
}

export interface Timeline {
  readonly start: number
  readonly end: number
  /** Mean gap between bursts of background traffic, in microseconds. */
  readonly meanNoiseGap: number
  readonly scheduled: readonly ScheduledRequests[]
  /** One burst of background traffic; the noise of noise.ts unless set. */
  readonly background?: (ctx: GenerationContext, at: number) => ApiRequest[]
}

/** Yields the log's lines in file order. */
export function* timelineLines(ctx: GenerationContext, timeline: Timeline): Generator<string> {
  const queue = new LineQueue()
  const background = timeline.background ?? noiseRequests
  const scheduled = [...timeline.scheduled].sort((a, b) => a.at - b.at)
  let next = 0
  let t = timeline.start
  while (t < timeline.end) {
    while (next < scheduled.length && scheduled[next]!.at <= t) {
      const step = scheduled[next++]!
      for (const req of step.build(ctx, step.at)) enqueue(ctx, queue, req)
    }
    for (const req of background(ctx, t)) enqueue(ctx, queue, req)
    yield* queue.drain(t)
    // Exponential gaps: arrivals of independent clients.
    t += Math.max(1, Math.round(-Math.log(1 - ctx.rng.next()) * timeline.meanNoiseGap))
  }
  for (const step of scheduled.slice(next)) for (const req of step.build(ctx, step.at)) enqueue(ctx, queue, req)
  // Requests still running at the end (long watches) have not written their last line yet.
  yield* queue.drain(timeline.end)
}

function enqueue(ctx: GenerationContext, queue: LineQueue, req: ApiRequest): void {
  // Authentication takes from a fraction of a millisecond to tens of milliseconds under load.
  for (const line of auditLines(req, ctx.rng.int(200, 30_000))) queue.push(line)
}
