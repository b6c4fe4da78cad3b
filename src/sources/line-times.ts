// Times of raw, undecoded lines: for bisecting to a window's start, stopping after its end, and
// saying what time span the input covers.
import {lineTime, type TimeProbe} from '../audit/window.js'
import {readRange} from './byte-streams.js'
import type {LogSource} from './source.js'

/** How much a bisection probe reads at first. */
export const PROBE_BYTES = 64 * 1024

/** The time of the first whole line after `offset` (bisection probe). Reads a little more when lines are long. */
export async function timeAfter(source: LogSource, offset: number, size: number, signal?: AbortSignal): Promise<number | undefined> {
  for (let span = PROBE_BYTES; span <= 16 * PROBE_BYTES; span *= 4) {
    const buf = await readRange(source, offset, Math.min(size, offset + span), signal)
    const nl = buf.indexOf(0x0a)
    if (nl === -1) {
      if (offset + span >= size) return undefined
      continue
    }
    const end = buf.indexOf(0x0a, nl + 1)
    if (end === -1 && offset + span < size) continue
    return lineTime(buf.subarray(nl + 1, end === -1 ? buf.length : end))
  }
  return undefined
}

/** Probes read at once: over HTTP a round trip costs more than the bytes. */
const PROBES_IN_FLIGHT = 8

/** The times after `count` evenly spaced offsets of a seekable source, in offset order. */
export async function probeTimes(source: LogSource, size: number, count: number, signal?: AbortSignal): Promise<TimeProbe[]> {
  const offsets = Array.from({length: count}, (_, i) => Math.floor((size * i) / count))
  const probes: TimeProbe[] = []
  for (let i = 0; i < offsets.length; i += PROBES_IN_FLIGHT) {
    const batch = offsets.slice(i, i + PROBES_IN_FLIGHT)
    const times = await Promise.all(batch.map((offset) => timeAfter(source, offset, size, signal)))
    batch.forEach((offset, j) => probes.push({offset, timeMs: times[j]}))
  }
  return probes
}

export function firstLineTime(chunk: Buffer): number | null {
  const nl = chunk.indexOf(0x0a)
  return lineTime(chunk.subarray(0, nl === -1 ? chunk.length : nl)) ?? null
}

export function lastLineTime(chunk: Buffer): number | undefined {
  const last = chunk.lastIndexOf(0x0a)
  if (last <= 0) return undefined
  const before = chunk.lastIndexOf(0x0a, last - 1)
  return lineTime(chunk.subarray(before + 1, last))
}

/**
 * The newest event time among the lines of a log's last bytes, and how many lines carry one.
 * Lines are only roughly in time order (facts §1.5), hence the maximum rather than the last. A
 * line cut at the start of the tail still counts: stageTimestamp sits near the end of a line,
 * after the bodies, so the tail of one huge event still tells its time.
 */
export function newestLineTime(tail: Buffer): {newestMs: number | null; events: number} {
  let newestMs: number | null = null
  let events = 0
  for (let start = 0; start < tail.length;) {
    const nl = tail.indexOf(0x0a, start)
    const end = nl === -1 ? tail.length : nl
    const time = lineTime(tail.subarray(start, end))
    if (time !== undefined) {
      events++
      if (newestMs === null || time > newestMs) newestMs = time
    }
    start = end + 1
  }
  return {newestMs, events}
}
