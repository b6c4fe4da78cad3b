// Container logs as the kubelet keeps them for kube-apiserver started with --audit-log-path=-:
// audit events on stdout, its own klog lines on stderr, in the CRI format that containerd writes
// (`<RFC3339Nano> <stream> <P|F> <bytes>`), lines over 16 KiB split into partial records.

/** containerd's default max_container_log_line_size. */
export const CRI_MAX_LINE_BYTES = 16 * 1024

export interface OutputLine {
  /** When the runtime read it (epoch ms). */
  timeMs: number
  stream: 'stdout' | 'stderr'
  text: string
}

/** The CRI log file for these lines, split as containerd splits long lines (by bytes). */
export function criLog(lines: readonly OutputLine[], maxLineBytes = CRI_MAX_LINE_BYTES): Buffer {
  const records: Buffer[] = []
  for (const {timeMs, stream, text} of lines) {
    const bytes = Buffer.from(text)
    const time = criTime(timeMs)
    for (let start = 0; start === 0 || start < bytes.length; start += maxLineBytes) {
      const end = Math.min(bytes.length, start + maxLineBytes)
      records.push(
        Buffer.from(`${time} ${stream} ${end < bytes.length ? 'P' : 'F'} `),
        bytes.subarray(start, end),
        Buffer.from('\n'),
      )
    }
  }
  return Buffer.concat(records)
}

/** RFC3339 with nanoseconds, as containerd stamps records. */
function criTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000000Z')
}

/** A klog header line: `I1124 10:00:00.123456       1 file.go:123] message`. */
export function klogLine(timeMs: number, severity: 'I' | 'W' | 'E' | 'F', where: string, message: string): string {
  const iso = new Date(timeMs).toISOString()
  return `${severity}${iso.slice(5, 7)}${iso.slice(8, 10)} ${iso.slice(11, 23)}000       1 ${where}] ${message}`
}

/**
 * What kube-apiserver prints on stderr besides klog headers: a pflag deprecation notice, and a
 * structured value klog spreads over several lines (`key=<` … ` >`).
 */
export function apiserverStderrNoise(timeMs: number): string[] {
  return [
    'Flag --insecure-port has been deprecated, This flag has no effect now and will be removed in v1.24.',
    klogLine(timeMs, 'I', 'options.go:228', 'external host was not specified, using 10.0.0.1'),
    klogLine(timeMs, 'I', 'server.go:144', 'Version: v1.34.2'),
    klogLine(timeMs, 'E', 'authentication.go:73', '"Unable to authenticate the request" err=<'),
    '\tverifying certificate SN=4242, SKID=, AKID= failed: x509: certificate signed by unknown authority',
    '\t(possibly because of "crypto/rsa: verification error" while trying to verify candidate authority certificate "kubernetes")',
    ' >',
    klogLine(timeMs, 'W', 'lease.go:265', 'Resetting endpoints for master service "kubernetes" to [10.0.0.1]'),
  ]
}
