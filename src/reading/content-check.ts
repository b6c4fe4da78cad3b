// What a source's first bytes say it is not: another compression than gzip, UTF-16 text, binary
// data. Such a source is given up with one line that says how to read it, instead of being read
// to its end as "N malformed lines" (or forever, from /dev/zero).

import {MAX_LINE_BYTES} from './decode.js'

/** A source given up on because of what it holds, not because reading it failed. */
export class NotAuditText extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NotAuditText'
  }
}

/** How much of a head the checks want to see, when the source has that much. */
export const CONTENT_SAMPLE_BYTES = 4096

/** Read from a pipe after decompressing: the command that does it for a file. */
function pipeHint(tool: string, name: string): string {
  const file = name === '-' ? 'FILE' : name
  return `read it with: ${tool} ${file} | kubectl audit policies -f -`
}

const MAGIC: ReadonlyArray<{bytes: readonly number[]; what: string; tool: string}> = [
  {bytes: [0x42, 0x5a, 0x68], what: 'bzip2-compressed', tool: 'bzcat'},
  {bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed', tool: 'xzcat'},
  {bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed', tool: 'zstdcat'},
  {bytes: [0x04, 0x22, 0x4d, 0x18], what: 'lz4-compressed', tool: 'lz4cat'},
  {bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a zip archive', tool: 'unzip -p'},
]

/** Share of control bytes (other than tab, CR, LF) above which a head is binary: JSON and the legacy text format hold none raw. */
const BINARY_SHARE = 0.05
/** The binary check looks at this much of the head. */
const BINARY_SAMPLE_BYTES = 64 * 1024

const EVENT_MARKS = ['"auditID"', '"verb"', ' AUDIT: '].map((mark) => Buffer.from(mark))

/**
 * Why `head` (the first bytes of a source, after gunzip) cannot be an audit log, or null.
 * `name` goes into the hint.
 */
export function contentProblem(head: Buffer, name: string): NotAuditText | null {
  for (const {bytes, what, tool} of MAGIC) {
    if (head.length >= bytes.length && bytes.every((b, i) => head[i] === b))
      return new NotAuditText(`it is ${what}; ${pipeHint(tool, name)}`)
  }
  const utf16 = utf16Of(head)
  if (utf16) return new NotAuditText(`it is UTF-16 text; ${pipeHint(`iconv -f ${utf16} -t UTF-8`, name)}`)
  const sample = head.subarray(0, BINARY_SAMPLE_BYTES)
  let control = 0
  for (const b of sample) if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f) control++
  // A log with a zeroed block (a crash while writing) is still a log: binary only with no event in sight.
  if (
    sample.length > 0 &&
    control / sample.length >= BINARY_SHARE &&
    !EVENT_MARKS.some((mark) => sample.includes(mark))
  ) {
    const share = Math.round((100 * control) / sample.length)
    return new NotAuditText(
      `it holds binary data, not text (${share}% of its first ${formatSize(sample.length)} are control bytes${sample.includes(0) ? ', NUL among them' : ''})`,
    )
  }
  return null
}

function formatSize(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`
}

/** klog's line header: `I1124 10:00:00.123456       1 server.go:123] …` (the severity, date, time, thread, file:line). */
const KLOG_LINE = /^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d{6} +\d+ [^ \]]+:\d+\] /

/** True when the first line of `head` is a klog line: kube-apiserver's own log, the common mix-up with its audit log. */
export function looksLikeKlog(head: Buffer): boolean {
  const nl = head.indexOf(0x0a)
  return KLOG_LINE.test(head.toString('latin1', 0, Math.min(nl === -1 ? head.length : nl, 512)))
}

/** UTF-16 by its byte-order mark, or (without one) by text whose every other byte is NUL. */
function utf16Of(head: Buffer): string | null {
  // With a byte-order mark, iconv finds the byte order itself.
  if (head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)))
    return 'UTF-16'
  const pairs = Math.floor(Math.min(head.length, CONTENT_SAMPLE_BYTES) / 2)
  if (pairs < 2) return null
  let evenNul = 0
  let oddNul = 0
  for (let i = 0; i < pairs; i++) {
    if (head[2 * i] === 0) evenNul++
    if (head[2 * i + 1] === 0) oddNul++
  }
  // ASCII as UTF-16: one byte of each pair is NUL, the other is not.
  if (oddNul >= pairs * 0.9 && evenNul === 0) return 'UTF-16LE'
  if (evenNul >= pairs * 0.9 && oddNul === 0) return 'UTF-16BE'
  return null
}

const MAX_LINE_MIB = MAX_LINE_BYTES / (1024 * 1024)

/** A source whose first line runs past MAX_LINE_BYTES is not a log of lines. */
export function noLineBreak(): NotAuditText {
  return new NotAuditText(`no line break in its first ${MAX_LINE_MIB} MiB: not a log of JSON lines`)
}

/** A source whose first JSON document runs past MAX_LINE_BYTES without closing. */
export function documentTooLong(): NotAuditText {
  return new NotAuditText(`its first JSON document runs past ${MAX_LINE_MIB} MiB without closing`)
}
