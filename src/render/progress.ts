// A single self-overwriting progress line on stderr, only when stderr is a terminal.
import type {SourceStats} from '../sources/read.js'
import {sanitize} from './sanitize.js'
import {formatBytes} from './sources.js'

export interface Progress {
  update(stats: SourceStats): void
  done(): void
}

const INTERVAL_MS = 200

export function makeProgress(stream: NodeJS.WriteStream | {isTTY?: boolean; write(s: string): unknown}, enabled: boolean): Progress {
  if (!enabled || stream.isTTY !== true) return {update() {}, done() {}}
  let last = 0
  let shown = false
  return {
    update(stats) {
      const now = Date.now()
      if (now - last < INTERVAL_MS) return
      last = now
      shown = true
      const total = stats.size === null ? '' : ` of ${formatBytes(stats.size)}`
      stream.write(`\r\u001b[2Kreading ${sanitize(stats.name)}: ${formatBytes(stats.bytesRead)}${total}`)
    },
    done() {
      if (shown) stream.write('\r\u001b[2K')
    },
  }
}
