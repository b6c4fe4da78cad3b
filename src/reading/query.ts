// Reading a query source: the store has done the scan (the filter was pushed into its query), so
// its records are decoded one by one, like the documents of a file, and handed to the sink.

import {decodeDocument} from '../audit/event.js'
import type {QueryFilter, QuerySource} from '../sources/source.js'
import type {AddEvents} from './scan.js'
import {noteTruncated, type SourceStats, widenSpan} from './stats.js'

export async function readQuery(
  source: QuerySource,
  filter: QueryFilter,
  stats: SourceStats,
  add: AddEvents,
  changed: () => void,
  signal?: AbortSignal,
): Promise<void> {
  stats.format = source.format
  let record = 0
  const records = (stats.records = {received: 0, total: null as number | null})
  for await (const page of source.query(filter, signal)) {
    stats.bytesRead += page.bytes
    records.received += page.records.length
    if (page.total !== undefined) records.total = page.total
    for (const value of page.records) {
      record++
      const decoded = decodeDocument(value)
      if (decoded.cut) noteTruncated(stats, decoded.cut)
      if ('error' in decoded) {
        stats.malformed++
        stats.firstMalformedLine ??= record
        continue
      }
      stats.events += decoded.events.length
      stats.malformed += decoded.notUnderstood ?? 0
      for (const event of decoded.events) widenSpan(stats, event.timeUs / 1000)
      add(decoded.events)
    }
    changed()
  }
}
