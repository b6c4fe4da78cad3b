import assert from 'node:assert/strict'

import {ChangeCollector} from '../../src/audit/changes.js'
import {readSources} from '../../src/reading/read.js'
import {emptyStats, type SourceStats} from '../../src/reading/stats.js'
import {formatRatio, makeProgress, progressLine} from '../../src/render/progress.js'
import {MemorySource} from '../support/memory-source.js'

const MiB = 1024 * 1024

function stats(name: string, over: Partial<SourceStats> = {}): SourceStats {
  return {...emptyStats(name), ...over}
}

/** A terminal as makeProgress sees process.stderr. */
function fakeTty(columns: number) {
  const writes: string[] = []
  return {isTTY: true, columns, writes, write: (s: string) => writes.push(s)}
}

describe('progress', () => {
  const lines: Array<[string, SourceStats[], string]> = [
    [
      'bytes of the total per node, rotated files added up',
      [
        stats('node/cp-1:/var/log/kubernetes/audit/audit-2026-11-24T10-00-00.000.log', {
          size: 11 * MiB,
          bytesRead: 11 * MiB,
          finished: true,
        }),
        stats('node/cp-1:/var/log/kubernetes/audit/audit.log', {size: 10 * MiB, bytesRead: Math.round(0.1 * MiB)}),
        stats('node/cp-2:/var/log/kubernetes/audit/audit.log', {size: 20 * MiB, bytesRead: 2 * MiB}),
        stats('node/cp-3:/var/log/kubernetes/audit/audit.log', {size: 5 * MiB, bytesRead: 5 * MiB, finished: true}),
      ],
      'cp-1 11/21 MiB · cp-2 2.0/20 MiB · cp-3 done',
    ],
    [
      'what is left after bisection, not the whole file',
      [stats('node/cp-1:/var/log/audit.log', {size: 100 * MiB, startOffset: 90 * MiB, bytesRead: 3 * MiB})],
      'cp-1 3.0/10 MiB',
    ],
    [
      'bytes alone while a size is unknown',
      [
        stats('node/cp-1:/var/log/a.log', {size: 4 * MiB, bytesRead: MiB, finished: true}),
        stats('node/cp-1:/var/log/b.log'),
        stats('pod/kube-system/kube-apiserver-cp-2', {bytesRead: 512}),
      ],
      'cp-1 1.0 MiB · kube-apiserver-cp-2 512 B',
    ],
    [
      'skipped files count for nothing',
      [
        stats('/logs/audit-2026-11-24T08-00-00.000.log.gz', {skipped: true, finished: true}),
        stats('/logs/audit.log', {size: 900, bytesRead: 300}),
      ],
      '/logs/audit.log 300/900 B',
    ],
    ['node names as plain text', [stats('node/cp\u001b[31m-1:/var/log/a.log', {finished: true})], 'cp\\x1b[31m-1 done'],
    [
      "a store's hits received of those its query matches, then done",
      [
        stats('elasticsearch:tigera_secure_ee_audit_kube.cluster.*', {
          bytesRead: 3 * MiB,
          records: {received: 12_000, total: 48_210},
        }),
        stats('elasticsearch:tigera_secure_ee_audit_ee.cluster.*', {
          bytesRead: MiB,
          records: {received: 1204, total: 1204},
          finished: true,
        }),
        stats('elasticsearch:logs-kubernetes.audit_logs-*', {records: {received: 0, total: null}}),
      ],
      'elasticsearch:tigera_secure_ee_audit_kube.cluster.* 12,000/48,210 hits · elasticsearch:tigera_secure_ee_audit_ee.cluster.* done · elasticsearch:logs-kubernetes.audit_logs-* 0 hits',
    ],
  ]
  for (const [what, all, expected] of lines) it(what, () => assert.equal(progressLine(all), expected))

  it('puts both numbers in the unit of the total', () => {
    assert.equal(formatRatio(0, 1023), '0/1023 B')
    assert.equal(formatRatio(512, 2048), '0.5/2.0 KiB')
    assert.equal(formatRatio(4.1 * MiB, 21 * MiB), '4.1/21 MiB')
  })

  it('redraws one line at most every 200 ms, cut to the terminal width, and clears it at the end', () => {
    const tty = fakeTty(30)
    let now = 1000
    const progress = makeProgress(tty, true, () => now)
    const all = [
      stats('node/cp-1:/var/log/a.log', {size: 10 * MiB, bytesRead: MiB}),
      stats('node/cp-2:/var/log/a.log', {size: 10 * MiB}),
    ]
    progress.update(all)
    now += 100
    progress.update(all)
    now += 150
    all[0]!.finished = true
    progress.update(all)
    progress.done()
    assert.deepEqual(tty.writes, [
      '\r\u001b[2Kcp-1 1.0/10 MiB · cp-2 0.0/1…',
      '\r\u001b[2Kcp-1 done · cp-2 0.0/10 MiB',
      '\r\u001b[2K',
    ])
  })

  it('draws nothing when stderr is not a terminal, or for -o json|yaml', () => {
    for (const [stream, enabled] of [
      [{...fakeTty(80), isTTY: false}, true],
      [fakeTty(80), false],
    ] as const) {
      const progress = makeProgress(stream, enabled)
      progress.update([stats('node/cp-1:/var/log/a.log')])
      progress.done()
      assert.deepEqual(stream.writes, [])
    }
  })

  it('follows every node while they are read, to done', async () => {
    const tty = fakeTty(200)
    let now = 0
    const progress = makeProgress(tty, true, () => (now += 1000))
    const log = Buffer.from('{"kind":"Event","apiVersion":"audit.k8s.io/v1"}\n'.repeat(20_000))
    const sources = ['cp-1', 'cp-2', 'cp-3'].map(
      (node) => new MemorySource(`node/${node}:/var/log/kubernetes/audit/audit.log`, log),
    )
    await readSources(sources, {
      window: {sinceMs: null, untilMs: null},
      sink: new ChangeCollector({sinceMs: null, untilMs: null, includeDryRun: false, includeSubresources: false}),
      concurrency: 1,
      onProgress: (all) => progress.update(all),
    })
    progress.done()
    const frames = tty.writes.map((w) => w.replace('\r\u001b[2K', ''))
    assert.ok(frames.includes(`cp-1 done · cp-2 ${formatRatio(64 * 1024, log.length)} · cp-3 0 B`), frames.join('\n'))
    assert.equal(frames.at(-2), 'cp-1 done · cp-2 done · cp-3 done')
    assert.equal(frames.at(-1), '')
  })
})
