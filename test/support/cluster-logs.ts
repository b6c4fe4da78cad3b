// Audit logs laid out on fake nodes the way control planes leave them: one file per apiserver in
// HA, rotated (and gzipped) siblings, timestamps moved to "now". Built from examples/audit.log,
// whose policy changes are known (examples/README.md), so reading it from files is the oracle.
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {gzipSync} from 'node:zlib'

export const EXAMPLE_LOG = fileURLToPath(new URL('../../examples/audit.log', import.meta.url))
/** Where kubeadm clusters keep it (facts §4.1). */
export const KUBEADM_LOG = '/var/log/kubernetes/audit/audit.log'
/** Where RKE2 keeps it: outside /var/log, so out of the kubelet's reach (facts §5.1). */
export const RKE2_LOG = '/var/lib/rancher/rke2/server/logs/audit.log'

export function exampleLines(): string[] {
  return readFileSync(EXAMPLE_LOG, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
}

/** Writes `content` at `hostPath` inside the node folder `root`. */
export function writeOnNode(root: string, hostPath: string, content: string | Buffer): string {
  const file = join(root, hostPath)
  mkdirSync(dirname(file), {recursive: true})
  writeFileSync(file, content)
  return file
}

export function auditIDOf(line: string): string {
  return /"auditID":"([^"]*)"/.exec(line)?.[1] ?? ''
}

export function stageTimeOf(line: string): number {
  return Date.parse(/"stageTimestamp":"([^"]*)"/.exec(line)?.[1] ?? '')
}

/** Splits lines between `n` apiservers, each request (auditID) staying on one of them. */
export function splitByRequest(lines: readonly string[], n: number): string[][] {
  const parts: string[][] = Array.from({length: n}, () => [])
  for (const line of lines) {
    const id = auditIDOf(line)
    let hash = 0
    for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0
    parts[hash % n]!.push(line)
  }
  return parts
}

/**
 * Splits lines at rotation times the way lumberjack would, except that a request's stages stay
 * in one file (the file its first line went to), so each file holds whole requests.
 */
export function splitByRotation(lines: readonly string[], rotations: readonly number[]): string[][] {
  const parts: string[][] = Array.from({length: rotations.length + 1}, () => [])
  const fileOf = new Map<string, number>()
  for (const line of lines) {
    const id = auditIDOf(line)
    let index = fileOf.get(id)
    if (index === undefined) {
      const time = stageTimeOf(line)
      index = rotations.filter((r) => time >= r).length
      fileOf.set(id, index)
    }
    parts[index]!.push(line)
  }
  return parts
}

/** lumberjack's name for a file rotated at `time`: `audit-2006-01-02T15-04-05.000.log`. */
export function rotatedName(activeName: string, time: number): string {
  const stamp = new Date(time).toISOString().replace(/:/g, '-').replace('Z', '')
  const dot = activeName.lastIndexOf('.')
  return `${activeName.slice(0, dot)}-${stamp}${activeName.slice(dot)}`
}

/** Moves every RFC3339 timestamp by whole seconds, keeping the microseconds as written. */
export function shiftTimestamps(text: string, deltaSeconds: number): string {
  return text.replace(
    /"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?Z"/g,
    (_, base: string, fraction = '') =>
      `"${new Date(Date.parse(`${base}Z`) + deltaSeconds * 1000).toISOString().slice(0, 19)}${fraction}Z"`,
  )
}

/**
 * `copies` back-to-back copies of the three-hour example log, each with its own auditIDs, moved
 * so that the last line is `endsAgoMs` before now: a log long enough for --since to bisect.
 */
export function recentLog(copies: number, endsAgoMs: number): string {
  const text = readFileSync(EXAMPLE_LOG, 'utf8')
  const span = 3 * 3600
  const end = Date.parse('2026-11-24T10:00:00Z')
  const shift = Math.round((Date.now() - endsAgoMs - end) / 1000)
  const parts: string[] = []
  for (let copy = 0; copy < copies; copy++) {
    const unique = text.replace(/"auditID":"(..)/g, `"auditID":"${copy.toString(16).padStart(2, '0')}`)
    parts.push(shiftTimestamps(unique, shift - (copies - 1 - copy) * span))
  }
  return parts.join('')
}

export function gzipLines(lines: readonly string[]): Buffer {
  return gzipSync(lines.map((l) => `${l}\n`).join(''))
}

export function joinLines(lines: readonly string[]): string {
  return lines.map((l) => `${l}\n`).join('')
}
