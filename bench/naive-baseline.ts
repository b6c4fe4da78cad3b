// The baseline: what a developer would write first. readline over the file, JSON.parse of every
// line, then the rules of ARCHITECTURE.md. Shares no code with kubectl-audit, so the benchmark can
// also check that both give the same answer.
//
//   node bench/naive-baseline.ts FILE [SINCE_RFC3339 UNTIL_RFC3339]   → {events, changes, summary}

import {createReadStream} from 'node:fs'
import {createInterface} from 'node:readline'

interface Write {
  auditID: string
  stageRank: number
  t: number
  user: string
  verb: string
  apiGroup: string
  resource: string
  namespace: string
  name: string
  subresource: string
  code: number | null
  dryRun: boolean
}

const CALICO = [
  'globalnetworkpolicies',
  'networkpolicies',
  'stagedglobalnetworkpolicies',
  'stagednetworkpolicies',
  'stagedkubernetesnetworkpolicies',
  'tiers',
  'globalnetworksets',
  'networksets',
  'hostendpoints',
]
const TIERED = ['globalnetworkpolicies', 'networkpolicies', 'stagedglobalnetworkpolicies', 'stagednetworkpolicies']
const WATCHED: Record<string, string[]> = {
  'projectcalico.org': CALICO,
  'crd.projectcalico.org': CALICO,
  'networking.k8s.io': ['networkpolicies'],
  extensions: ['networkpolicies'],
  'policy.networking.k8s.io': ['adminnetworkpolicies', 'baselineadminnetworkpolicies', 'clusternetworkpolicies'],
}
const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection']
const STAGE_RANK: Record<string, number> = {RequestReceived: 0, ResponseStarted: 1, ResponseComplete: 2, Panic: 2}
const CALICO_APISERVER = 'system:serviceaccount:calico-apiserver:calico-apiserver'
const JOIN_WINDOW_US = 5_000_000

/** RFC3339 with up to microseconds → microseconds since the epoch. */
function micros(time: string): number {
  const dot = time.indexOf('.')
  if (dot === -1) return Date.parse(time) * 1000
  const fraction = time.slice(dot + 1, time.length - 1)
  return Date.parse(`${time.slice(0, dot)}Z`) * 1000 + Number((fraction + '000000').slice(0, 6))
}

async function main(): Promise<void> {
  const [file, since, until] = process.argv.slice(2)
  if (!file) throw new Error('usage: naive-baseline.ts FILE [SINCE UNTIL]')
  let events = 0
  const latest = new Map<string, Write>()
  for await (const line of createInterface({input: createReadStream(file), crlfDelay: Infinity})) {
    if (line === '') continue
    let e
    try {
      e = JSON.parse(line)
    } catch {
      continue
    }
    events++
    const ref = e.objectRef
    if (!ref || !WRITE_VERBS.includes(e.verb) || !WATCHED[ref.apiGroup ?? '']?.includes(ref.resource)) continue
    const w: Write = {
      auditID: e.auditID,
      stageRank: STAGE_RANK[e.stage] ?? 0,
      t: micros(e.stageTimestamp),
      user: e.user?.username ?? '',
      verb: e.verb,
      apiGroup: ref.apiGroup,
      resource: ref.resource,
      namespace: ref.namespace ?? '',
      name: ref.name ?? '',
      subresource: ref.subresource ?? '',
      code: e.responseStatus?.code ?? null,
      dryRun: /[?&]dryRun=All(&|$)/.test(e.requestURI ?? ''),
    }
    const seen = latest.get(w.auditID)
    if (!seen || seen.stageRank <= w.stageRank) latest.set(w.auditID, w)
  }

  const writes = [...latest.values()]
  const userWrites = new Map<string, number[]>()
  for (const w of writes) {
    if (w.apiGroup !== 'projectcalico.org') continue
    const key = `${w.resource}/${w.namespace}/${w.name}`
    userWrites.set(key, [...(userWrites.get(key) ?? []), w.t])
  }
  const isBacking = (w: Write): boolean => {
    if (w.user !== CALICO_APISERVER || w.apiGroup !== 'crd.projectcalico.org') return false
    const names = [w.name, '']
    if (TIERED.includes(w.resource) && w.name.startsWith('default.')) names.push(w.name.slice('default.'.length))
    return names.some((n) =>
      (userWrites.get(`${w.resource}/${w.namespace}/${n}`) ?? []).some((t) => Math.abs(t - w.t) <= JOIN_WINDOW_US),
    )
  }
  const sinceUs = since ? micros(since) : -Infinity
  const untilUs = until ? micros(until) : Infinity
  const changes = writes.filter(
    (w) => !isBacking(w) && !w.dryRun && w.subresource === '' && w.t >= sinceUs && w.t <= untilUs,
  )

  const rows = new Map<string, {user: string; verb: string; succeeded: number; failed: number}>()
  for (const c of changes) {
    const key = `${c.user}\u0000${c.verb}`
    const row = rows.get(key) ?? {user: c.user, verb: c.verb, succeeded: 0, failed: 0}
    if (c.code !== null && c.code >= 400) row.failed++
    else row.succeeded++
    rows.set(key, row)
  }
  const summary = [...rows.values()].sort(
    (a, b) =>
      b.succeeded + b.failed - (a.succeeded + a.failed) ||
      (a.user < b.user ? -1 : a.user > b.user ? 1 : 0) ||
      (a.verb < b.verb ? -1 : a.verb > b.verb ? 1 : 0),
  )
  process.stdout.write(JSON.stringify({events, changes: changes.length, summary}) + '\n')
}

await main()
