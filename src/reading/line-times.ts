// Times of raw, undecoded lines, found with a byte search: for probing a log's order, bisecting to
// a window's start, stopping after its end, saying what span the input covers, and how fresh a
// log's tail is.

import {parseTimestamp, TIME_FIELDS} from '../audit/event.js'
import {readRange} from '../sources/byte-streams.js'
import type {LogSource} from '../sources/source.js'

const TIME_KEYS = TIME_FIELDS.map((field) => Buffer.from(`"${field}"`))

const LEGACY_MARK = Buffer.from(' AUDIT: ')

/**
 * The time of an undecoded line: the first of the fields an event's time is taken from (see
 * TIME_FIELDS), else the time that starts a legacy-format line (`<time> AUDIT: id="…" …`).
 */
export function lineTime(line: Buffer): number | undefined {
  const json = jsonLineTime(line)
  if (json !== undefined) return json
  const space = line.indexOf(0x20)
  if (space <= 0 || space > 64 || space + LEGACY_MARK.length > line.length) return undefined
  if (line.compare(LEGACY_MARK, 0, LEGACY_MARK.length, space, space + LEGACY_MARK.length) !== 0) return undefined
  return parseTimestamp(line.toString('latin1', 0, space))?.ms
}

function jsonLineTime(line: Buffer): number | undefined {
  for (const key of TIME_KEYS) {
    const at = line.indexOf(key)
    if (at === -1) continue
    const colon = line.indexOf(0x3a, at + key.length)
    const open = colon === -1 ? -1 : line.indexOf(0x22, colon + 1)
    if (open === -1 || open - colon > 8) continue
    const close = line.indexOf(0x22, open + 1)
    if (close === -1 || close - open > 64) continue
    const ms = parseTimestamp(line.toString('latin1', open + 1, close))?.ms
    if (ms !== undefined) return ms
  }
  return undefined
}

export function firstLineTime(chunk: Buffer): number | null {
  const nl = chunk.indexOf(0x0a)
  return lineTime(chunk.subarray(0, nl === -1 ? chunk.length : nl)) ?? null
}

/** The time of the last whole line of a chunk. */
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

/** The time of the first whole line after a byte offset (undefined: no line or no time there). */
export interface TimeProbe {
  readonly offset: number
  readonly timeMs: number | undefined
}

/** How much a probe reads at first. */
export const PROBE_BYTES = 64 * 1024

/** The time of the first whole line after `offset` (a probe). Reads a little more when lines are long. */
export async function timeAfter(
  source: LogSource,
  offset: number,
  size: number,
  signal?: AbortSignal,
): Promise<number | undefined> {
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
export async function probeTimes(
  source: LogSource,
  size: number,
  count: number,
  signal?: AbortSignal,
): Promise<TimeProbe[]> {
  const offsets = Array.from({length: count}, (_, i) => Math.floor((size * i) / count))
  const probes: TimeProbe[] = []
  for (let i = 0; i < offsets.length; i += PROBES_IN_FLIGHT) {
    const batch = offsets.slice(i, i + PROBES_IN_FLIGHT)
    const times = await Promise.all(batch.map((offset) => timeAfter(source, offset, size, signal)))
    batch.forEach((offset, j) => probes.push({offset, timeMs: times[j]}))
  }
  return probes
}
