// What went wrong or was unusual while reading the sources: one line each, for stderr.
import {GKE_NOT_CARRIED, GKE_RECORD} from '../audit/records/gke.js'
import type {SourceStats} from '../reading/stats.js'

/** What the events mapped from a provider's record lack, said once per run whatever the sources. */
const NOT_CARRIED: Readonly<Record<string, string>> = {[GKE_RECORD]: GKE_NOT_CARRIED}

export function sourceWarnings(stats: readonly SourceStats[]): string[] {
  const lines: string[] = []
  for (const s of stats) {
    if (s.format === 'legacy') {
      lines.push(
        `${s.name}: legacy audit format (${s.events} lines) cannot be summarized: it has no object reference or bodies; run kube-apiserver with --audit-log-format=json`,
      )
    }
    if (s.disordered) {
      lines.push(
        `${s.name}: lines are not in time order (logs concatenated or merged?): read whole instead of seeking to the time window`,
      )
    }
    if (s.truncated > 0) lines.push(truncatedMessage(s))
    if (s.skippedBodies > 0) lines.push(skippedBodiesMessage(s))
    // Cut-short events are counted among the malformed, and said above.
    const malformed = s.malformed - s.truncated
    if (holdsNoEvents(s)) lines.push(`${noEventsMessage(s)}${s.klog ? `: ${KLOG_HINT}` : ''}`)
    else if (malformed > 0) {
      const where =
        s.firstMalformedLine === null
          ? ''
          : ` (first at line ${s.firstMalformedLine}${s.startOffset > 0 ? ` after byte ${s.startOffset}` : ''})`
      lines.push(`${s.name}: skipped ${malformed} malformed ${malformed === 1 ? 'line' : 'lines'}${where}`)
    }
    if (s.error !== null)
      lines.push(
        s.refused
          ? `${s.name}: not read: ${s.error}`
          : `${s.name}: ${s.error}, after ${formatBytes(s.bytesRead)} read; the rest of this source is missing`,
      )
  }
  for (const record of new Set(stats.flatMap((s) => s.mappedFrom))) {
    const lacks = NOT_CARRIED[record]
    if (lacks) lines.push(lacks)
  }
  return lines
}

/** Events CloudWatch cut at its size limit cannot be read: how many, and which (by audit ID). */
function truncatedMessage(s: SourceStats): string {
  const more = s.truncated - s.truncatedIDs.length
  const ids = `${s.truncatedIDs.join(', ')}${more > 0 ? ` and ${more} more` : ''}`
  return `${s.name}: ${s.truncated} ${s.truncated === 1 ? 'event was' : 'events were'} cut short by CloudWatch Logs ([Truncated...]) and cannot be read; audit ${s.truncatedIDs.length === 1 && more === 0 ? 'ID' : 'IDs'} ${ids}`
}

/** Writes whose bodies AKS left out: still changes (who, verb, when), but what changed is not known. */
function skippedBodiesMessage(s: SourceStats): string {
  const more = s.skippedBodies - s.skippedBodyIDs.length
  const ids = `${s.skippedBodyIDs.join(', ')}${more > 0 ? ` and ${more} more` : ''}`
  const n = s.skippedBodies
  return `${s.name}: ${n} ${n === 1 ? 'write has its bodies' : 'writes have their bodies'} replaced by AKS ("skipped-too-big-size-object"): who changed it and when are known, what changed is not; audit ${s.skippedBodyIDs.length === 1 && more === 0 ? 'ID' : 'IDs'} ${ids}`
}

/** What a source whose first line is klog's (kube-apiserver's own log) is taken for, and what to read instead. */
export const KLOG_HINT =
  "it looks like kube-apiserver's own log; the audit log is the file named by its --audit-log-path"

/** Read to its end, with lines, but not one of them an audit event: README.md, random text, klog. */
export function holdsNoEvents(s: SourceStats): boolean {
  return s.error === null && !s.skipped && s.format !== 'legacy' && s.events === 0 && s.malformed > 0
}

export function noEventsMessage(s: SourceStats): string {
  const what =
    s.format === 'documents'
      ? s.malformed === 1
        ? 'JSON document or stretch of text'
        : 'JSON documents or stretches of text'
      : s.format === 'yaml'
        ? s.malformed === 1
          ? 'YAML document'
          : 'YAML documents'
        : s.malformed === 1
          ? 'line'
          : 'lines'
  return `${s.name} holds no audit events (${s.malformed.toLocaleString('en-US')} ${what}, ${s.malformed === 1 ? 'not' : 'none of them'} an audit event)`
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = n / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

/** What time span the input covers, for "nothing in the window", and how many rotated files were not opened. */
export function inputSpan(stats: readonly SourceStats[]): {
  firstMs: number | null
  lastMs: number | null
  skipped: number
} {
  // One pass, no Math.min(...all): a directory of 130,000 files would overflow the call stack.
  let firstMs: number | null = null
  let lastMs: number | null = null
  let skipped = 0
  for (const s of stats) {
    if (s.firstTimeMs !== null && (firstMs === null || s.firstTimeMs < firstMs)) firstMs = s.firstTimeMs
    if (s.lastTimeMs !== null && (lastMs === null || s.lastTimeMs > lastMs)) lastMs = s.lastTimeMs
    if (s.skipped) skipped++
  }
  return {firstMs, lastMs, skipped}
}
