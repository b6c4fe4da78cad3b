// The probe's reads: a growing log is read whole from the window once, then only what was added
// since (less a margin for a line being written), a log that shrank (rotated) from its start, and
// an event read twice counts once per stage.
import assert from 'node:assert/strict'

import type {ProbeRecord} from '../../src/doctor/probe-facts.js'
import {watchForAuditIDs} from '../../src/doctor/probe-watch.js'
import type {ByteRange, LogSource} from '../../src/sources/source.js'
import {auditLine} from '../support/events.js'

const SOURCE = 'node/cp-1:/var/log/kubernetes/audit/audit.log'

/** A log file that grows (or is replaced) between reads, counting the bytes read. */
class GrowingLog implements LogSource {
  readonly name = SOURCE
  readonly rotatedAt = null
  bytes = Buffer.alloc(0)
  readBytes = 0

  async size(): Promise<number> {
    return this.bytes.length
  }

  async *read(range?: ByteRange): AsyncIterable<Buffer> {
    const chunk = this.bytes.subarray(range?.start ?? 0, range?.end ?? this.bytes.length)
    this.readBytes += chunk.length
    yield Buffer.from(chunk)
  }

  append(lines: readonly string[]): void {
    this.bytes = Buffer.concat([this.bytes, Buffer.from(lines.map((l) => `${l}\n`).join(''))])
  }
}

const now = () => new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
const noise = (bytes: number): string[] => {
  const line = auditLine({
    time: now(),
    verb: 'update',
    resource: 'leases',
    name: 'kube-controller-manager',
    namespace: 'kube-system',
  })
  return Array.from({length: Math.ceil(bytes / (line.length + 1))}, () => line)
}
const probeEvents = (auditID: string): string[] =>
  (['RequestReceived', 'ResponseComplete'] as const).map((stage) =>
    auditLine({
      auditID,
      stage,
      time: now(),
      verb: 'create',
      apiGroup: 'networking.k8s.io',
      resource: 'networkpolicies',
      namespace: 'default',
      name: 'kubectl-audit-probe-0a1b',
      level: 'RequestResponse',
      code: 201,
      requestURI: '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies?dryRun=All',
      requestObject: {kind: 'NetworkPolicy'},
      responseObject: {kind: 'NetworkPolicy'},
    }),
  )

/** Watches for `id` in `log`; `afterRead(n)` runs after the n-th read (from 1), before the next. */
async function watch(
  log: GrowingLog,
  id: string,
  afterRead: (n: number) => void,
  found = (records: readonly ProbeRecord[]) => records.length > 0,
): Promise<{records: ProbeRecord[]; reads: number}> {
  let reads = 0
  const enough = (records: readonly ProbeRecord[]) => {
    reads++
    if (found(records)) return true
    afterRead(reads)
    return false
  }
  const sentAt = Date.now()
  const result = await watchForAuditIDs({
    sources: [log],
    concurrency: 1,
    window: {sinceMs: sentAt - 60_000, untilMs: null},
    query: {sinceMs: sentAt - 60_000, untilMs: null, resources: [], verbs: ['create'], users: [], namespaces: []},
    sentAtMs: new Map([[id, sentAt]]),
    enough,
    timeoutMs: 10_000,
    intervalMs: 10,
  })
  return {records: result.records, reads}
}

describe('probe reads', () => {
  it('after the first read, only what was added since (and a margin) is read again', async () => {
    const log = new GrowingLog()
    log.append(noise(2 * 1024 * 1024))
    const before = log.bytes.length
    let firstRead = 0
    const {records, reads} = await watch(log, 'probe-1', (n) => {
      if (n === 1) firstRead = log.readBytes
      // Written between the first and second look, with more noise after it.
      if (n === 1) log.append([...noise(64 * 1024), ...probeEvents('probe-1'), ...noise(64 * 1024)])
    })
    assert.equal(reads, 2)
    assert.ok(
      firstRead >= before / 2,
      `the first read looks at the log's recent part (${firstRead} of ${before} bytes)`,
    )
    const second = log.readBytes - firstRead
    assert.ok(second <= 256 * 1024 + (log.bytes.length - before) + 64 * 1024, `the second read took ${second} bytes`)
    assert.equal(records.length, 1)
    assert.deepEqual(
      [records[0]!.source, records[0]!.level, records[0]!.stages, records[0]!.requestBody, records[0]!.responseBody],
      [SOURCE, 'RequestResponse', ['RequestReceived', 'ResponseComplete'], true, true],
    )
  })

  it('a log that shrank (rotated) is read from its start', async () => {
    const log = new GrowingLog()
    log.append(noise(512 * 1024))
    const {records} = await watch(log, 'probe-2', (n) => {
      if (n === 1) {
        log.bytes = Buffer.alloc(0)
        log.append(probeEvents('probe-2'))
      }
    })
    assert.deepEqual(
      records.map((r) => r.stages),
      [['RequestReceived', 'ResponseComplete']],
    )
  })

  it('an event read again in the margin counts once per stage', async () => {
    const log = new GrowingLog()
    log.append([...noise(1024), probeEvents('probe-3')[0]!])
    // The second stage lands after the first read: the margin reads the first stage again.
    const complete = (records: readonly ProbeRecord[]) => records.some((r) => r.stages?.includes('ResponseComplete'))
    const {records, reads} = await watch(
      log,
      'probe-3',
      (n) => {
        if (n === 1) log.append([probeEvents('probe-3')[1]!])
      },
      complete,
    )
    assert.equal(reads, 2)
    assert.equal(records.length, 1)
    assert.deepEqual(records[0]!.stages, ['RequestReceived', 'ResponseComplete'])
  })
})
