// Runs the scan of the second half of a big local file on a worker thread. Falls back to the
// calling thread (returns null) wherever workers cannot load our code.
import {existsSync} from 'node:fs'
import {getAsset, isSea} from 'node:sea'
import {fileURLToPath} from 'node:url'
import {Worker} from 'node:worker_threads'

import type {AuditEvent} from '../audit/event.js'
import type {LinesResult} from './scan-lines.js'

export interface ScanJob {
  path: string
  start: number
  end: number
  stopAfter: number | null
  watchOrder: boolean
}

export interface ScanJobResult {
  result: LinesResult
  events: AuditEvent[]
  bytesRead: number
}

export interface RunningScan {
  readonly result: Promise<ScanJobResult>
  terminate(): Promise<void>
}

/** Files at least this big are split in two and scanned on two threads. */
export const PARALLEL_MIN_BYTES = 64 * 1024 * 1024

/** The worker's code inside a single executable, which has no files beside it. */
export const SCAN_WORKER_ASSET = 'scan-worker.js'

function workerEntry(): {url: URL; execArgv: string[]} | null {
  if (isSea()) {
    let code: string
    try {
      code = getAsset(SCAN_WORKER_ASSET, 'utf8')
    } catch {
      return null
    }
    return {url: new URL(`data:text/javascript,${encodeURIComponent(code)}`), execArgv: []}
  }
  // Bundled or compiled: scan-worker.js beside this file. From TypeScript sources (tests, bin/dev.js): tsx loads the .ts.
  const fromSources = import.meta.url.endsWith('.ts')
  const url = new URL(fromSources ? './scan-worker.ts' : './scan-worker.js', import.meta.url)
  if (url.protocol !== 'file:' || !existsSync(fileURLToPath(url))) return null
  return {url, execArgv: fromSources ? ['--import', 'tsx'] : []}
}

export function startScanWorker(job: ScanJob): RunningScan | null {
  const entry = workerEntry()
  if (!entry) return null
  let worker: Worker
  try {
    // Like the main thread (src/runtime.ts): a small young generation keeps peak memory down.
    worker = new Worker(entry.url, {workerData: job, execArgv: entry.execArgv, resourceLimits: {maxYoungGenerationSizeMb: 3}})
  } catch {
    return null
  }
  const result = new Promise<ScanJobResult>((resolve, reject) => {
    worker.once('message', (message: ScanJobResult) => resolve(message))
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`scan worker exited with code ${code}`)))
  })
  result.catch(() => {})
  return {result, terminate: async () => void (await worker.terminate())}
}
