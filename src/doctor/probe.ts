// doctor --probe: proves, end to end, that policy writes are recorded. For each kind it sends a
// dry-run create (nothing is stored) with an Audit-ID of its own, then looks for that ID in the
// log where `policies` reads it without -f, opened by the same step (sources/open.ts), so every
// place `policies` can read is one the probe can look in, until every probe is found or
// --probe-timeout passes. What it finds is a fact; checks/probe.ts judges it.
import {randomBytes, randomUUID} from 'node:crypto'

import {CALICO_GROUP} from '../audit/catalog.js'
import type {AuditEvent} from '../audit/event.js'
import {apiErrorToUserError} from '../cluster/api-errors.js'
import {type DryRunAnswer, dryRunCreate} from '../cluster/dry-run-create.js'
import {loadKubeConfig, serverOf} from '../cluster/kubeconfig.js'
import {whoAmI} from '../cluster/self-subject.js'
import {UserError} from '../errors.js'
import type {RunContext} from '../run-context.js'
import {type OpenedSources, openSources} from '../sources/open.js'
import {isQuerySource, type QueryFilter, type Source} from '../sources/source.js'
import {resourceKey} from './describe.js'
import type {DoctorFacts} from './facts.js'
import type {DoctorOptions, ProbeOptions} from './options.js'
import {type ProbeFacts, type ProbeRecord, type ProbeResult, recorderOf} from './probe-facts.js'
import {planProbes, probeName, probeObject, type ProbeTarget} from './probe-plan.js'
import {watchForAuditIDs} from './probe-watch.js'

/**
 * How far before the first write the log is read from: room for a node clock behind this
 * machine's (the read itself starts a few minutes earlier still, for lines out of order).
 */
const LOOKBACK_MS = 60_000

/** With --no-node-access: the probe looks only where no node is touched. */
const NO_NODE_ACCESS = {
  reason: 'the audit log is read on the control-plane nodes here, which --no-node-access forbids',
  hint: 'drop --no-node-access, or read a log store instead (--es URL, --loki URL)',
}

/** Log services whose events come minutes late: the probe says so, and how long to give them. */
const SLOW_SERVICES: ReadonlyArray<[format: string, name: string]> = [
  ['cloudwatch', 'CloudWatch Logs'],
  ['cloud-logging', 'Cloud Logging'],
  ['log-analytics', 'Log Analytics'],
]
const SLOW_SERVICE_TIMEOUT_MS = 5 * 60_000

export function slowServices(sources: readonly Source[]): string[] {
  const formats = new Set(sources.filter(isQuerySource).map((s) => s.format))
  return SLOW_SERVICES.filter(([format]) => formats.has(format)).map(([, name]) => name)
}

function objectName(body: unknown): string {
  const name = (body as {metadata?: {name?: unknown}} | undefined)?.metadata?.name
  return typeof name === 'string' ? name : ''
}

/** `say`: one line for the user (on stderr), as written; whoever prints it makes it safe. */
export async function runProbe(
  options: DoctorOptions,
  probe: ProbeOptions,
  facts: DoctorFacts,
  run: RunContext,
  say: (line: string) => void,
): Promise<ProbeFacts> {
  const kc = await loadKubeConfig(options.connection, process.env, process.stderr, run.signal)
  const namespace = probe.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default'
  const plan = planProbes(probe.kinds, facts.calico)
  const name = probeName(randomBytes(2))
  const planned = plan.targets.map((target) => ({
    target,
    namespace: target.namespaced ? namespace : null,
    auditID: randomUUID(),
  }))
  const nothing = {
    namespace,
    timeoutMs: probe.timeoutMs,
    notes: plan.notes,
    sources: [],
    queried: false,
    slowServices: [],
    sourceErrors: [],
    results: [],
  }
  for (const note of plan.notes) say(`probe: ${note}`)
  if (planned.length === 0) return nothing

  // What a log store is asked for: these writes, from just before they are sent.
  const sinceMs = Date.now() - LOOKBACK_MS
  const query: QueryFilter = {
    sinceMs,
    untilMs: null,
    resources: planned.map((p) => ({apiGroup: p.target.apiGroup, resource: p.target.resource})),
    verbs: ['create'],
    users: [],
    namespaces: [],
  }
  // Opened before anything is sent: a write that cannot be looked for proves nothing.
  let opened: OpenedSources
  try {
    const input =
      probe.input.from === 'cluster' ? {...probe.input, cluster: {...probe.input.cluster, sinceMs}} : probe.input
    opened = await openSources(input, run, {
      query,
      windowAhead: true,
      ...(probe.nodeAccess ? {} : {nodes: NO_NODE_ACCESS}),
    })
  } catch (error) {
    if (!(error instanceof UserError)) throw error
    say('probe: nothing sent: the audit log cannot be read')
    return {...nothing, unreadable: {reason: error.message, ...(error.hint ? {hint: error.hint} : {})}}
  }
  try {
    for (const line of opened.announcements) say(line)
    for (const notice of opened.notices) run.warn(notice)
    // Said before anything is sent. Short lines: a kind, a name and an audit ID do not fit 80 columns together.
    say(`probe: dry-run ${planned.length === 1 ? 'create' : 'creates'} of ${name} (nothing is stored):`)
    for (const p of planned) {
      say(
        `probe:   ${resourceKey(p.target)} ${p.namespace === null ? '(cluster-scoped)' : `in namespace ${p.namespace}`}`,
      )
      say(`probe:     Audit-ID ${p.auditID}`)
    }
    // --as: the server would name the impersonated user, but the policy is evaluated for the one who authenticates.
    const sender = options.connection.impersonate ? undefined : await whoAmI(kc, run.signal)
    const sent: Array<{
      target: ProbeTarget
      namespace: string | null
      auditID: string
      answer: DryRunAnswer
      sentAtMs: number
    }> = []
    for (const p of planned) {
      const sentAtMs = Date.now()
      const request = {
        apiGroup: p.target.apiGroup,
        version: p.target.version,
        resource: p.target.resource,
        namespace: p.namespace,
        body: probeObject(p.target, name, p.namespace),
        auditID: p.auditID,
      }
      const answer = await dryRunCreate(kc, request, run.signal).catch((error: unknown) => {
        throw apiErrorToUserError(error, {
          verb: 'create',
          resource: resourceKey(p.target),
          namespace: p.namespace ?? undefined,
          purpose: 'send the probe',
          server: serverOf(kc),
        })
      })
      sent.push({...p, answer, sentAtMs})
    }
    // Ours, and the one the server answered with when it differs: it logs the one it keeps.
    const ids = new Map<string, number>()
    const idsOf = (s: (typeof sent)[number]) => [
      s.auditID,
      ...(s.answer.echoedAuditID && s.answer.echoedAuditID !== s.auditID ? [s.answer.echoedAuditID] : []),
    ]
    for (const s of sent) for (const id of idsOf(s)) ids.set(id, s.sentAtMs)
    const calicoLogRead = opened.sources.some((source) => recorderOf(source.name) === 'calico-apiserver')
    const aggregated = facts.calico?.apiService.state === 'aggregated'
    // Found where expected: kube-apiserver's log, and Calico's own for its aggregated API when that log is read.
    const expected = sent
      .filter((s) => s.answer.accepted)
      .map((s) => ({
        ids: new Set(idsOf(s)),
        recorders: [
          'kube-apiserver',
          ...(calicoLogRead && aggregated && s.target.apiGroup === CALICO_GROUP ? ['calico-apiserver'] : []),
        ],
      }))
    const enough = (records: readonly ProbeRecord[]) =>
      expected.every((e) =>
        e.recorders.every((r) => records.some((rec) => rec.recorder === r && e.ids.has(rec.auditID))),
      )
    const queried = opened.sources.some(isQuerySource)
    say(
      `probe: looking for ${sent.length === 1 ? 'its audit ID' : 'their audit IDs'} for up to ${Math.round(probe.timeoutMs / 1000)}s in:`,
    )
    for (const source of opened.sources) say(`probe:   ${source.name}`)
    const slow = slowServices(opened.sources)
    if (slow.length > 0) {
      say(`probe: ${slow.join(' and ')} can take minutes to show an event`)
      if (probe.timeoutMs < SLOW_SERVICE_TIMEOUT_MS) say('probe:   if none is found in time, try --probe-timeout 5m')
    }
    // Where a store does not keep the Audit-ID sent: a create of the probe's kind, namespace and name.
    const ownerOf = (event: AuditEvent): string | undefined => {
      const ref = event.objectRef
      if (event.verb !== 'create' || ref === null) return undefined
      if ((ref.name || objectName(event.requestObject) || objectName(event.responseObject)) !== name) return undefined
      const match = sent.find(
        (s) =>
          s.answer.accepted &&
          s.target.apiGroup === ref.apiGroup &&
          s.target.resource === ref.resource &&
          (s.namespace ?? '') === ref.namespace,
      )
      return match?.auditID
    }
    const watched = await watchForAuditIDs({
      sources: opened.sources,
      concurrency: opened.concurrency,
      window: {sinceMs, untilMs: null},
      query,
      sentAtMs: ids,
      ownerOf,
      enough,
      timeoutMs: probe.timeoutMs,
      signal: run.signal,
    })
    const results: ProbeResult[] = sent.map((s) => ({
      target: s.target,
      name,
      namespace: s.namespace,
      auditID: s.auditID,
      answer: s.answer,
      sentAtMs: s.sentAtMs,
      records: watched.records.filter((r) => idsOf(s).includes(r.auditID)),
    }))
    return {
      ...nothing,
      ...(sender ? {sender} : {}),
      sources: opened.sources.map((s) => s.name),
      queried,
      sourceErrors: watched.errors,
      slowServices: slow,
      results,
    }
  } finally {
    await opened.close()
  }
}
