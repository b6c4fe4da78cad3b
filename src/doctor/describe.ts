// Short, readable phrases for check details: lists, rules, and groups of coverage rows.
import type {CoverageRow} from '../audit/policy/coverage.js'

export function listSome(items: readonly string[], max = 4): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`
}

export function ruleText(rule: number | null): string {
  return rule === null ? 'no rule matches' : `rule ${rule}`
}

/** `networkpolicies.networking.k8s.io`, `pods/log`, `tiers.projectcalico.org/status`. */
export function resourceKey(row: Pick<CoverageRow, 'apiGroup' | 'resource'>): string {
  const [resource, subresource] = row.resource.split('/')
  const group = row.apiGroup === '' ? '' : `.${row.apiGroup}`
  return `${resource}${group}${subresource ? `/${subresource}` : ''}`
}

/** `ns kube-system, name default`, `cluster-wide`: where a probe was made. */
export function probeWhere(where: {readonly namespace: string | null; readonly name: string | null}): string {
  return (
    [where.namespace ? `ns ${where.namespace}` : '', where.name ? `name ${where.name}` : '']
      .filter(Boolean)
      .join(', ') || 'cluster-wide'
  )
}

/** ` in kube-system`, ` named default`: where a row's verdict holds, when other probes differ. */
function whereText(row: CoverageRow): string {
  if (row.differences.length === 0) return ''
  const {namespace, name} = row.where
  return `${namespace ? ` in ${namespace}` : ''}${name ? ` named ${name}` : ''}`
}

/**
 * Describes `rows` (a subset of `all`) by verdict, folding what it can: "every projectcalico.org
 * write", "tiers.projectcalico.org", "update/patch networkpolicies.networking.k8s.io", with where
 * the verdict holds when it differs elsewhere ("… in kube-system at None (rule 0)").
 */
export function summarizeWrites(rows: readonly CoverageRow[], all: readonly CoverageRow[]): string {
  const verdicts = groupBy(
    rows,
    (r) => `${r.level}|${r.policyLevel}|${r.rule}|${r.omitStages.join(',')}|${whereText(r)}`,
  )
  const parts: string[] = []
  for (const verdictRows of verdicts.values()) {
    const subjects: string[] = []
    for (const [group, groupRows] of groupBy(verdictRows, (r) => r.apiGroup)) {
      if (groupRows.length === all.filter((r) => r.apiGroup === group).length) {
        subjects.push(`every ${group === '' ? 'core' : group} write`)
        continue
      }
      for (const [key, resourceRows] of groupBy(groupRows, resourceKey)) {
        const verbs = all.filter((r) => resourceKey(r) === key).length
        subjects.push(resourceRows.length === verbs ? key : `${resourceRows.map((r) => r.verb).join('/')} ${key}`)
      }
    }
    const [first] = verdictRows
    const stages = first.omitStages.includes('ResponseComplete') ? `, omitting ${first.omitStages.join(', ')}` : ''
    const capped =
      first.policyLevel === first.level
        ? ''
        : ` asks for ${first.policyLevel}; kube-apiserver records an aggregated API at ${first.level} at most`
    parts.push(
      `${listSome(subjects, 5)}${whereText(first)} at ${first.level} (${ruleText(first.rule)}${capped}${stages})`,
    )
  }
  return parts.join('; ')
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item])
  return groups
}

/** `45s`, `12m`, `3h05m`, `4d`: how long ago, for a human. */
export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000))
  if (seconds < 60) return `${seconds}s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours}h${String(minutes % 60).padStart(2, '0')}m`
  return `${Math.floor(hours / 24)}d`
}
