// A scan worker that dies in the middle of its first chunk, once that chunk is the one being
// handed on and it has posted half of the chunk's events: the main thread must scan the chunk
// again and hand on each event once.
import {setTimeout as sleep} from 'node:timers/promises'
import {parentPort, workerData} from 'node:worker_threads'

import type {AuditEvent} from '../../src/audit/event.js'
import {ChunkClaims} from '../../src/reading/chunk-claims.js'
import {chunkLines} from '../../src/reading/chunk-lines.js'
import {keptOfWaitingEvent, type WorkerJob, type WorkerMessage} from '../../src/reading/parallel-scan.js'
import {scanJsonLines} from '../../src/reading/scan-lines.js'
import {FileSource} from '../../src/sources/file.js'

const job = workerData as WorkerJob
const chunk = new ChunkClaims(job.claims, job.window).takeWhenDue()
if (chunk !== null) {
  const events: AuditEvent[] = []
  await scanJsonLines(
    chunkLines(new FileSource(job.path), job.grid, chunk, {}),
    (decoded) => {
      for (const event of decoded) events.push(keptOfWaitingEvent(event, job))
    },
    {...job, continues: true},
  )
  const inTurn = new ChunkClaims(job.claims, 1)
  while (inTurn.tooFarAhead(chunk)) await sleep(5)
  const message: WorkerMessage = {type: 'events', chunk, events: events.slice(0, Math.ceil(events.length / 2))}
  parentPort!.postMessage(message)
  await sleep(100)
}
throw new Error('the scan worker died')
