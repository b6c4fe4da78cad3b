// Worker thread entry: scans one byte range of a local file (JSON lines), so a big file is read
// on both cores. Posts the LinesResult, the decoded events and the bytes it read.
import {parentPort, workerData} from 'node:worker_threads'

import {slimEvent} from '../audit/changes.js'
import type {AuditEvent} from '../audit/event.js'
import {FileSource} from '../sources/file.js'
import type {ScanJob, ScanJobResult} from './parallel-scan.js'
import {scanJsonLines} from './scan-lines.js'

const job = workerData as ScanJob
const events: AuditEvent[] = []
let bytesRead = 0
async function* counted(chunks: AsyncIterable<Buffer>) {
  for await (const chunk of chunks) {
    bytesRead += chunk.length
    yield chunk
  }
}
// The line scanner copies what it keeps: the file may reuse its buffers.
const bytes = new FileSource(job.path).read({start: job.start, end: job.end}, undefined, {reuseBuffers: true})
// Bodies can be large; only the fields changes read cross back to the main thread.
const result = await scanJsonLines(counted(bytes), (e) => events.push(...e.map(slimEvent)), job)
const failure = result.failure === undefined ? undefined : (result.failure as Error).message
const message: ScanJobResult = {result: {...result, failure}, events, bytesRead}
parentPort!.postMessage(message)
