// lumberjack's rotated file names (facts §3): `<base>-2006-01-02T15-04-05.000<ext>[.gz]` in UTC,
// the time the file was rotated, i.e. about the time of its newest event.

const ROTATED_NAME = /^(.*)-(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})(\.[^./]+)?(\.gz)?$/

/** The rotation time in a lumberjack file name (UTC), or null. Takes a name or a path. */
export function rotationTime(fileName: string): Date | null {
  const m = ROTATED_NAME.exec(baseName(fileName))
  if (!m) return null
  const [, , date, hh, mm, ss, frac] = m
  const ms = Date.parse(`${date}T${hh}:${mm}:${ss}.${frac}Z`)
  return Number.isNaN(ms) ? null : new Date(ms)
}

/**
 * The name of the log a rotated file was cut from: `…/audit-2026-11-24T10-00-00.000.log.gz` and
 * `…/audit.log` are one stream, so a request whose stages straddle a rotation is one request.
 * Works on paths and on source names such as `node/cp-1:/var/log/…`.
 */
export function logStreamName(name: string): string {
  const slash = name.lastIndexOf('/')
  const dir = name.slice(0, slash + 1)
  const m = ROTATED_NAME.exec(name.slice(slash + 1))
  if (!m || rotationTime(name) === null) return name.replace(/\.gz$/, '')
  return `${dir}${m[1]}${m[7] ?? ''}`
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

/** The active file of an audit log: a name that says audit, with the extension of a JSON log. */
const AUDIT_LOG_NAME = /audit[^/]*\.(log|jsonl?)$/i

/**
 * True for an audit log's file name: the active `<base>.log` (or .json, .jsonl) of a base that
 * says audit (`audit.log`, `tsee-audit.log`, `kube-apiserver-audit.log`), or one of its rotated
 * files, `<base>-<UTC time>.log[.gz]`. A directory's other logs (`kube-apiserver.log`) are not.
 */
export function isAuditLogName(name: string): boolean {
  return AUDIT_LOG_NAME.test(baseName(logStreamName(baseName(name))))
}
