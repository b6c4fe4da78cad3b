// Worker thread entry: scans chunks of a big local file of JSON lines, taking each from the
// counters it shares with the main thread (src/reading/parallel-scan.ts), and posts each chunk's
// events in batches as it goes, then the chunk's counts.
import {parentPort, workerData} from 'node:worker_threads'

import type {AuditEvent} from '../audit/event.js'
import {tap} from '../sources/byte-streams.js'
import {FileSource} from '../sources/file.js'
import {ChunkClaims} from './chunk-claims.js'
import {chunkLines} from './chunk-lines.js'
import {failureMessage, keptOfWaitingEvent, readBuffers, type WorkerJob, type WorkerMessage} from './parallel-scan.js'
import {endsRead, scanJsonLines} from './scan-lines.js'

/** Events per message: each structured clone stays small, and the main thread gets them early. */
const BATCH_EVENTS = 512

const job = workerData as WorkerJob
const claims = new ChunkClaims(job.claims, job.window, job.waitingEvents)
const file = new FileSource(job.path)
const buffers = readBuffers()
const post = (message: WorkerMessage) => parentPort!.postMessage(message)
// Events posted and bytes scanned so far: past job.denseEventsPerMiB, the main thread reads on alone.
let postedEvents = 0
let scannedBytes = 0

for (let chunk = claims.takeWhenDue(); chunk !== null; chunk = claims.takeWhenDue()) {
  let batch: AuditEvent[] = []
  const send = () => {
    if (batch.length > 0) {
      postedEvents += batch.length
      claims.posted(batch.length)
      post({type: 'events', chunk, events: batch})
    }
    batch = []
  }
  let bytes = 0
  // The line scanner copies what it keeps: the file may reuse its buffers.
  const owned = tap(chunkLines(file, job.grid, chunk, {reuseBuffers: true, buffers}), (piece) => {
    bytes += piece.length
  })
  const result = await scanJsonLines(
    owned,
    (events) => {
      for (const event of events) {
        batch.push(keptOfWaitingEvent(event, job))
        if (batch.length >= BATCH_EVENTS) send()
      }
    },
    {...job, continues: true},
  )
  send()
  if (endsRead(result)) claims.stopAt(chunk + 1)
  post({type: 'done', chunk, result: {...result, failure: failureMessage(result.failure)}, bytes})
  scannedBytes += bytes
  if (postedEvents * 1024 * 1024 > job.denseEventsPerMiB * scannedBytes) {
    post({type: 'dense'})
    break
  }
}
