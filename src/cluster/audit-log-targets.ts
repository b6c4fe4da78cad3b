// Where the audit logs are: (node, host path) pairs for every kube-apiserver (and, with Calico
// Enterprise, its API server), from --node/--log-path or from apiserver discovery, and the pods
// whose stdout carries the events (--audit-log-path=-). Nodes that are NotReady are reported and
// left out; nothing found is one line saying what was looked for.
import {posix} from 'node:path'

import type {V1Node, V1Pod} from '@kubernetes/client-node'

import {UserError} from '../errors.js'
import {apiErrorToUserError} from './api-errors.js'
import {abortable} from './api-http.js'
import {type ApiserverInstance, apiserverFromPod, type PodLike} from './apiservers.js'
import {APISERVER_LABEL_SELECTORS, type ControlPlane} from './control-plane.js'
import {managedAuditAdvice} from './managed-provider.js'

export interface AuditLogTarget {
  node: string
  /** The active log's path on the node. */
  path: string
  /** A guessed location: looked for only through the kubelet, and a missing file is expected, not worth a warning. */
  optional: boolean
}

/** A kube-apiserver that writes its audit events to its stdout (--audit-log-path=-), read through its pod's log. */
export interface StdoutAuditLog {
  node: string
  namespace: string
  pod: string
  container: string
}

export interface TargetQuery {
  nodes: readonly string[]
  logPath?: string
}

/** Calico's own audit log, where the operator puts it for Calico Enterprise (peers.md §5). */
export const CALICO_AUDIT_LOG = '/var/log/calico/audit/tsee-audit.log'
const CALICO_APISERVER_NAMESPACES = ['tigera-system', 'calico-apiserver', 'calico-system']
const CALICO_APISERVER_CONTAINERS = /^(tigera|calico)-apiserver$/
const CONTROL_PLANE_LABELS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master']

export interface FoundAuditLogs {
  targets: AuditLogTarget[]
  stdoutLogs: StdoutAuditLog[]
  warnings: string[]
}

export async function findAuditLogTargets(
  controlPlane: ControlPlane,
  query: TargetQuery,
  signal?: AbortSignal,
): Promise<FoundAuditLogs> {
  const warnings: string[] = []
  const nodes = await listNodes(controlPlane)

  let targets: AuditLogTarget[]
  let stdoutLogs: StdoutAuditLog[] = []
  if (query.logPath !== undefined) {
    const onNodes = query.nodes.length > 0 ? [...query.nodes] : await controlPlaneNodes(controlPlane, nodes)
    targets = onNodes.map((node) => ({node, path: query.logPath!, optional: false}))
  } else {
    ;({files: targets, stdout: stdoutLogs} = await discoverApiserverLogs(controlPlane, query, warnings))
    targets.push(...(await calicoLogs(controlPlane, warnings, signal)))
  }
  if (query.nodes.length > 0) {
    targets = targets.filter((t) => query.nodes.includes(t.node))
    stdoutLogs = stdoutLogs.filter((l) => query.nodes.includes(l.node))
  }
  if (nodes) {
    for (const name of query.nodes) {
      if (!nodes.has(name)) warnings.push(`node ${name} does not exist`)
    }
    const readable = (name: string, optional: boolean) => {
      const node = nodes.get(name)
      if (!node) return false
      if (isReady(node)) return true
      if (!optional) warnings.push(`node ${name} is NotReady: its audit log cannot be read now`)
      return false
    }
    targets = targets.filter((t) => readable(t.node, t.optional))
    stdoutLogs = stdoutLogs.filter((l) => readable(l.node, false))
  }
  return {targets: dedupe(targets), stdoutLogs, warnings: [...new Set(warnings)]}
}

async function discoverApiserverLogs(
  controlPlane: ControlPlane,
  query: TargetQuery,
  warnings: string[],
): Promise<{files: AuditLogTarget[]; stdout: StdoutAuditLog[]}> {
  let discovery
  try {
    discovery = await controlPlane.apiservers()
  } catch (error) {
    throw apiErrorToUserError(error, {
      verb: 'list',
      resource: 'pods',
      namespace: 'kube-system',
      purpose: 'find the kube-apiserver pods',
      server: controlPlane.server,
    })
  }
  const targets: AuditLogTarget[] = []
  const stdout: StdoutAuditLog[] = []
  for (const instance of discovery.instances) {
    if (query.nodes.length > 0 && !query.nodes.includes(instance.nodeName ?? '')) continue
    const flag = instance.flags['audit-log-path']
    if (flag === undefined || flag === '') {
      warnings.push(`${instance.name} does not write an audit log (no --audit-log-path); see kubectl audit doctor`)
    } else if (flag === '-') {
      const log = stdoutLogOf(instance)
      if (log) stdout.push(log)
      else
        warnings.push(
          `${instance.name} writes audit events to the stdout of a process outside any pod (--audit-log-path=-), which the API cannot read; capture that output to a file and use -f`,
        )
    } else if (!instance.nodeName) {
      warnings.push(`${instance.name} runs on no known node`)
    } else if (!instance.auditLog?.hostPath) {
      warnings.push(
        `${instance.name} writes ${flag} inside its container, on no hostPath volume; pass --log-path with the path on the node`,
      )
    } else {
      targets.push({node: instance.nodeName, path: instance.auditLog.hostPath, optional: false})
    }
  }
  if (targets.length > 0 || stdout.length > 0) return {files: targets, stdout}
  const elsewhere = discovery.instances
    .map((i) => i.nodeName)
    .filter((n): n is string => n !== null && !query.nodes.includes(n))
  if (query.nodes.length > 0 && warnings.length === 0 && elsewhere.length > 0) {
    throw new UserError(
      `no kube-apiserver runs on ${query.nodes.join(', ')}; they run on ${[...new Set(elsewhere)].join(', ')}`,
      {
        hint: "pick those nodes with --node, or give the log's path on your nodes with --log-path",
      },
    )
  }

  const lookedFor = `kube-system pods labelled ${APISERVER_LABEL_SELECTORS.join(' or ')}, and k3s/RKE2 node-args annotations`
  const refused = discovery.failures.map((f) => `${f.request}: ${f.status}`).join('; ')
  const managed = await controlPlane.managedProvider()
  if (managed) {
    throw new UserError(
      `this is ${managed.name} (${managed.evidence}): its control plane and audit log are not on any node you can read`,
      {
        hint: managedAuditAdvice(managed),
      },
    )
  }
  if (warnings.length > 0)
    throw new UserError(warnings[0]!, {
      hint: 'point at the log with --node NAME --log-path PATH, or read a copy with -f',
    })
  throw new UserError(
    `found no kube-apiserver audit log: looked for ${lookedFor}${refused ? ` (refused: ${refused})` : ''}`,
    {
      hint: 'point at the log with --node NAME --log-path PATH, or read a copy with -f',
    },
  )
}

/** Where the stdout of an apiserver pod is read: its pod, container and node (a k3s process has none). */
export function stdoutLogOf(instance: ApiserverInstance): StdoutAuditLog | undefined {
  const slash = instance.name.indexOf('/')
  if (instance.source !== 'pod' || !instance.nodeName || !instance.container || slash === -1) return undefined
  return {
    node: instance.nodeName,
    namespace: instance.name.slice(0, slash),
    pod: instance.name.slice(slash + 1),
    container: instance.container,
  }
}

/**
 * Calico Enterprise's API server log, read alongside so Calico changes carry the real user, where
 * its pods say it is written (--audit-log-path on a hostPath volume). OSS Calico's API server
 * writes none (peers.md §5): for a pod without the flag, the usual place is only a guess.
 */
async function calicoLogs(
  controlPlane: ControlPlane,
  warnings: string[],
  signal: AbortSignal | undefined,
): Promise<AuditLogTarget[]> {
  const {CoreV1Api} = await import('@kubernetes/client-node')
  const core = controlPlane.kc.makeApiClient(CoreV1Api)
  const targets: AuditLogTarget[] = []
  for (const namespace of CALICO_APISERVER_NAMESPACES) {
    signal?.throwIfAborted()
    let pods: V1Pod[]
    try {
      pods = (await abortable(core.listNamespacedPod({namespace}), signal)).items
    } catch {
      // Calico is optional and so is the permission to look for it.
      continue
    }
    for (const pod of pods) {
      const container = pod.spec?.containers.find((c) => CALICO_APISERVER_CONTAINERS.test(c.name))
      const node = pod.spec?.nodeName
      if (!container || !node) continue
      const instance = apiserverFromPod({...pod, spec: {...pod.spec, containers: [container]}} as PodLike)
      const flag = instance.flags['audit-log-path']
      const hostPath = instance.auditLog?.hostPath
      if (hostPath) targets.push({node, path: hostPath, optional: false})
      else if (flag === undefined || flag === '') targets.push({node, path: CALICO_AUDIT_LOG, optional: true})
      else
        warnings.push(
          `${instance.name} writes its audit log to ${flag}, on no hostPath volume: it cannot be read from the node`,
        )
    }
  }
  return targets
}

/** Nodes that run an apiserver; else those labelled control-plane (or master). */
async function controlPlaneNodes(
  controlPlane: ControlPlane,
  nodes: ReadonlyMap<string, V1Node> | undefined,
): Promise<string[]> {
  let fromApiservers: string[] = []
  try {
    fromApiservers = (await controlPlane.apiservers()).instances
      .map((i) => i.nodeName)
      .filter((n): n is string => n !== null)
  } catch {
    // Fall back on node labels below.
  }
  if (fromApiservers.length > 0) return [...new Set(fromApiservers)]
  const labelled = [...(nodes?.values() ?? [])].filter((n) =>
    CONTROL_PLANE_LABELS.some((l) => l in (n.metadata?.labels ?? {})),
  )
  if (labelled.length > 0) return labelled.map((n) => n.metadata!.name!)
  throw new UserError('found no control-plane node to read --log-path on', {hint: 'name the node(s) with --node'})
}

/** All nodes by name; undefined when listing them is not allowed (the checks that need it are skipped). */
async function listNodes(controlPlane: ControlPlane): Promise<ReadonlyMap<string, V1Node> | undefined> {
  try {
    return (await controlPlane.nodes()).byName
  } catch (error) {
    throw apiErrorToUserError(error, {
      verb: 'list',
      resource: 'nodes',
      purpose: 'list the nodes',
      server: controlPlane.server,
    })
  }
}

function isReady(node: V1Node): boolean {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
}

function dedupe(targets: AuditLogTarget[]): AuditLogTarget[] {
  const seen = new Map<string, AuditLogTarget>()
  for (const t of targets) {
    const key = `${t.node}\u0000${posix.normalize(t.path)}`
    const known = seen.get(key)
    if (!known || (known.optional && !t.optional)) seen.set(key, t)
  }
  return [...seen.values()]
}
