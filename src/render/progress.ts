// A self-overwriting progress line on stderr, only when stderr is a terminal: for each node (or
// log, when reading files) the bytes read of those it will read, `done` once it is finished, e.g.
// `cp-1 4.1/21 MiB · cp-2 2.0/20 MiB · cp-3 done`, cut to the terminal's width.
import {logStreamName} from '../audit/rotation.js'
import type {SourceStats} from '../reading/stats.js'
import {sanitize} from './sanitize.js'
import {formatBytes} from './source-warnings.js'

export interface Progress {
  update(all: readonly SourceStats[]): void
  done(): void
}

export interface ProgressStream {
  isTTY?: boolean
  columns?: number
  write(s: string): unknown
}

const INTERVAL_MS = 200
const CLEAR_LINE = '\r\u001b[2K'

/** `now` is for tests: the line is redrawn at most every INTERVAL_MS. */
export function makeProgress(stream: ProgressStream, enabled: boolean, now: () => number = Date.now): Progress {
  if (!enabled || stream.isTTY !== true) return {update() {}, done() {}}
  let last = Number.NEGATIVE_INFINITY
  let shown = false
  return {
    update(all) {
      const time = now()
      if (time - last < INTERVAL_MS) return
      last = time
      shown = true
      stream.write(`${CLEAR_LINE}${fitTo(progressLine(all), stream.columns ?? 80)}`)
    },
    done() {
      if (shown) stream.write(CLEAR_LINE)
    },
  }
}

/** One entry per node (or log stream), in the order the sources come. */
export function progressLine(all: readonly SourceStats[]): string {
  const groups = new Map<string, SourceStats[]>()
  for (const stats of all) {
    const label = originOf(stats.name)
    groups.set(label, [...(groups.get(label) ?? []), stats])
  }
  return [...groups].map(([label, members]) => `${sanitize(label)} ${groupState(members)}`).join(' · ')
}

function groupState(members: readonly SourceStats[]): string {
  if (members.every((s) => s.finished)) return 'done'
  // A store's query: its records, of how many it said match.
  const records = members.map((s) => s.records).filter((r) => r !== undefined)
  if (records.length === members.length) {
    const received = records.reduce((n, r) => n + r.received, 0)
    const total = records.every((r) => r.total !== null) ? records.reduce((n, r) => n + r.total!, 0) : null
    return `${received.toLocaleString('en-US')}${total === null ? '' : `/${total.toLocaleString('en-US')}`} hits`
  }
  const read = members.reduce((sum, s) => sum + s.bytesRead, 0)
  // Known only once every unfinished source has been opened (and bisected) and has a size.
  const left = members.filter((s) => !s.finished && !s.skipped)
  if (left.some((s) => s.size === null)) return formatBytes(read)
  const total = members.reduce(
    (sum, s) => sum + (s.skipped ? 0 : s.finished ? s.bytesRead : Math.max(s.bytesRead, (s.size ?? 0) - s.startOffset)),
    0,
  )
  return formatRatio(read, total)
}

/** The node of `node/NAME:PATH`, the pod of `pod/NS/NAME`, else the log (rotated files are one). */
function originOf(name: string): string {
  const node = /^node\/([^:]+):/.exec(name)
  if (node) return node[1]!
  const pod = /^pod\/[^/]+\/(.+)$/.exec(name)
  if (pod) return pod[1]!
  return logStreamName(name)
}

/** `4.1/21 MiB`: both in the unit of the total. */
export function formatRatio(read: number, total: number): string {
  const [, unit] = formatBytes(total).split(' ') as [string, string]
  if (unit === 'B') return `${read}/${total} B`
  const scale = 1024 ** (['KiB', 'MiB', 'GiB', 'TiB'].indexOf(unit) + 1)
  const value = (n: number) => {
    const scaled = n / scale
    return scaled.toFixed(scaled < 10 ? 1 : 0)
  }
  return `${value(read)}/${value(total)} ${unit}`
}

/** Cut to the width, leaving the last column free so the terminal does not wrap. */
function fitTo(line: string, columns: number): string {
  const width = Math.max(10, columns - 1)
  return line.length <= width ? line : `${line.slice(0, width - 1)}…`
}
