// The kube-apiserver audit flags: policy file, backend, log format, retention (CIS 1.2.x).
import {isAtLeast, type KubernetesVersion} from '../../audit/policy/kubernetes-version.js'
import {parseIntFlag} from '../../cluster/apiserver-flags.js'
import type {ApiserverInstance} from '../../cluster/apiservers.js'
import {type Check, fail, pass, perApiserver, skip, type Verdict, warn} from '../check.js'

const LOG_PATH_EXAMPLE = '--audit-log-path=/var/log/kubernetes/audit/audit.log'
const RETENTION_FLAGS = '--audit-log-maxage=30 --audit-log-maxbackup=10 --audit-log-maxsize=100'

/** The malformed-flag report that concerns one of these flags, if any. */
export function flagProblem(apiserver: ApiserverInstance, names: readonly string[]): string | undefined {
  return apiserver.flagProblems.find((p) => names.some((n) => new RegExp(`--${n}(?![\\w-])`).test(p)))
}

function malformed(problem: string): Verdict {
  return fail(
    `malformed flag: ${problem}`,
    'fix the flag in the kube-apiserver manifest: kube-apiserver reads it differently than intended, or not at all',
  )
}

export const auditPolicyFile: Check = {
  id: 'audit-policy-file',
  title: 'Audit policy configured',
  run: (facts) =>
    perApiserver(facts, (apiserver) => {
      const problem = flagProblem(apiserver, ['audit-policy-file'])
      if (problem) return malformed(problem)
      const path = apiserver.flags['audit-policy-file']
      if (!path) {
        return fail(
          '--audit-policy-file is not set: kube-apiserver records no audit events at all',
          'write a policy (kubectl audit doctor --print-policy > /etc/kubernetes/audit-policy.yaml), then add --audit-policy-file=/etc/kubernetes/audit-policy.yaml and mount it',
        )
      }
      return pass(`--audit-policy-file=${path}`)
    }),
}

export const auditBackend: Check = {
  id: 'audit-backend',
  title: 'Audit backend',
  run: (facts) =>
    perApiserver(facts, (apiserver) => {
      const problem = flagProblem(apiserver, ['audit-log-path', 'audit-webhook-config-file'])
      if (problem) return malformed(problem)
      const logPath = apiserver.flags['audit-log-path']
      const webhook = apiserver.flags['audit-webhook-config-file']
      const alsoWebhook = webhook ? `, and a webhook (${webhook})` : ''
      if (logPath === '-') {
        return warn(
          `--audit-log-path=- : events go to kube-apiserver's stdout, mixed with its own log lines${alsoWebhook}`,
          `write them to a file on a host directory: ${LOG_PATH_EXAMPLE}`,
        )
      }
      if (logPath) return pass(`log file ${logPath}${alsoWebhook}`)
      if (webhook) {
        return warn(
          `events go only to a webhook (${webhook}): there is no log file on the nodes to read`,
          `add a log file as well: ${LOG_PATH_EXAMPLE}`,
        )
      }
      return fail(
        'no audit backend: neither --audit-log-path nor --audit-webhook-config-file is set, so events are written nowhere',
        `add ${LOG_PATH_EXAMPLE} and mount /var/log/kubernetes/audit from the host`,
      )
    }),
}

function hasLogFile(apiserver: ApiserverInstance): boolean {
  const path = apiserver.flags['audit-log-path']
  return path !== undefined && path !== '' && path !== '-'
}

export const auditLogFormat: Check = {
  id: 'audit-log-format',
  title: 'Audit log format',
  run: (facts) =>
    perApiserver(facts, (apiserver) => {
      const problem = flagProblem(apiserver, ['audit-log-format'])
      if (problem) return malformed(problem)
      if (!hasLogFile(apiserver) && apiserver.flags['audit-log-path'] !== '-') return skip('no log backend')
      const format = apiserver.flags['audit-log-format'] ?? 'json'
      if (format === 'json')
        return pass(`json${apiserver.flags['audit-log-format'] ? '' : ' (the default)'}: one event per line`)
      if (format === 'legacy') {
        return fail(
          'legacy: one text line per event, without resource, name, API group or bodies; policy changes cannot be read from it',
          'set --audit-log-format=json (the default)',
        )
      }
      return fail(
        `--audit-log-format=${format} is not a format: kube-apiserver does not start`,
        'set --audit-log-format=json',
      )
    }),
}

interface RetentionValue {
  readonly value: number
  readonly fromDefault: boolean
}

/** Retention defaults changed in 1.36 (apiserver options/audit.go, commit 385343a). */
function retentionDefaults(version: KubernetesVersion | undefined): {
  maxage: number
  maxbackup: number
  maxsize: number
} {
  return isAtLeast(version, 1, 36) ? {maxage: 366, maxbackup: 100, maxsize: 100} : {maxage: 0, maxbackup: 0, maxsize: 0}
}

export const auditLogRetention: Check = {
  id: 'audit-log-retention',
  title: 'Audit log retention',
  run: (facts) =>
    perApiserver(facts, (apiserver) => {
      if (!hasLogFile(apiserver)) return skip('no log file')
      const names = ['audit-log-maxage', 'audit-log-maxbackup', 'audit-log-maxsize'] as const
      const problem = flagProblem(apiserver, [...names])
      if (problem) return malformed(problem)
      const defaults = retentionDefaults(facts.kubernetesVersion)
      const values: Partial<Record<(typeof names)[number], RetentionValue>> = {}
      for (const name of names) {
        const raw = apiserver.flags[name]
        const key = name.replace('audit-log-', '') as keyof typeof defaults
        const parsed = raw === undefined ? undefined : parseIntFlag(raw)
        if (raw === undefined) {
          values[name] = {value: defaults[key], fromDefault: true}
        } else if (parsed === undefined) {
          return fail(
            `--${name}="${raw}" is not a whole number: kube-apiserver does not start`,
            `use whole numbers: ${RETENTION_FLAGS}`,
          )
        } else if (parsed < 0) {
          return fail(
            `--${name}=${raw} is negative: kube-apiserver does not start`,
            `use whole numbers: ${RETENTION_FLAGS}`,
          )
        } else {
          values[name] = {value: parsed, fromDefault: false}
        }
      }
      return retentionVerdict(
        values['audit-log-maxage']!,
        values['audit-log-maxbackup']!,
        values['audit-log-maxsize']!,
        facts.kubernetesVersion,
      )
    }),
}

function retentionVerdict(
  maxage: RetentionValue,
  maxbackup: RetentionValue,
  maxsize: RetentionValue,
  version: KubernetesVersion | undefined,
): Verdict {
  const newest = isAtLeast(version, 1, 36)
  const gaps: string[] = []
  const mark = (v: RetentionValue) => (v.fromDefault ? ' (default)' : '')
  // CIS 1.2.x asks for maxage >= 30 and maxbackup >= 10, as benchmark scanners read them: 0 (no
  // removal by age, or no limit on the count, the defaults before 1.36) does not meet it.
  if (maxage.value === 0 && maxbackup.value === 0) {
    gaps.push(
      `maxage and maxbackup are 0${mark(maxage)}: rotated files are never deleted and fill the disk (CIS: maxage at least 30, maxbackup at least 10)`,
    )
  } else {
    if (maxage.value === 0)
      gaps.push(
        `maxage 0${mark(maxage)}: rotated files are never deleted by age, only by count (CIS: --audit-log-maxage of at least 30)`,
      )
    else if (maxage.value < 30)
      gaps.push(`rotated files are kept ${maxage.value} days${mark(maxage)} (CIS: at least 30)`)
    if (maxbackup.value === 0)
      gaps.push(
        `maxbackup 0${mark(maxbackup)}: no limit on the number of rotated files, only on their age (CIS: --audit-log-maxbackup of at least 10)`,
      )
    else if (maxbackup.value < 10)
      gaps.push(`only ${maxbackup.value} rotated files are kept${mark(maxbackup)} (CIS: at least 10)`)
  }
  // lumberjack reads maxsize 0 as 100 MB; from 1.36 kube-apiserver reads it as "never rotate".
  const size = maxsize.value === 0 && !newest ? 100 : maxsize.value
  if (maxsize.value === 0 && newest)
    gaps.push(`maxsize 0${mark(maxsize)} means no rotation from Kubernetes 1.36: one file grows without bound`)
  else if (size < 100) gaps.push(`files rotate at ${size} MB${mark(maxsize)} (CIS: at least 100)`)

  const versionNote =
    !version && [maxage, maxbackup, maxsize].some((v) => v.fromDefault)
      ? ' (defaults of Kubernetes 1.36+; pass --kubernetes-version for older releases)'
      : ''
  const summary = `maxage ${maxage.value}d${mark(maxage)}, maxbackup ${maxbackup.value}${mark(maxbackup)}, maxsize ${size} MB${mark(maxsize)}${versionNote}`
  if (gaps.length === 0) return pass(summary)
  return warn(`${gaps.join('; ')}${versionNote}`, `set ${RETENTION_FLAGS}`)
}
