// What a kube-apiserver instance was started with, read from the objects that show it (no API
// calls: control-plane.ts finds them): a static or mirror pod (kubeadm, kops, RKE2), or the
// k3s/RKE2 node-args annotation where no pod runs it (k3s is in-process). Container paths (policy
// file, log file) are mapped to node paths through hostPath volumes.
import {posix} from 'node:path'

import {parseApiserverCommand} from './apiserver-flags.js'
import type {NodeLike} from './managed-provider.js'

/** The parts of a Pod this needs; client-node's V1Pod and raw JSON both fit. */
export interface PodLike {
  readonly metadata?: {
    readonly name?: string
    readonly namespace?: string
    readonly labels?: Record<string, string>
    readonly annotations?: Record<string, string>
  }
  readonly spec?: {
    readonly nodeName?: string
    readonly containers?: ReadonlyArray<{
      readonly name?: string
      readonly image?: string
      readonly command?: readonly string[]
      readonly args?: readonly string[]
      readonly volumeMounts?: ReadonlyArray<{
        readonly name?: string
        readonly mountPath?: string
        readonly subPath?: string
        readonly readOnly?: boolean
      }>
    }>
    readonly volumes?: ReadonlyArray<{
      readonly name?: string
      readonly hostPath?: {readonly path?: string; readonly type?: string}
    }>
  }
}

export interface HostPathMount {
  readonly volume: string
  readonly mountPath: string
  /** The node path mounted there (subPath applied). */
  readonly hostPath: string
  /** hostPath.type as written ("" when unset). */
  readonly type: string
  readonly readOnly: boolean
}

/** A path from a flag, and where it lives on the node. */
export interface MappedPath {
  readonly path: string
  /** Null when no hostPath volume holds it (or the path is relative). */
  readonly hostPath: string | null
  readonly mount: HostPathMount | null
  /** How the mount holds it: its parent directory, or the file itself. Null outside containers. */
  readonly mountedAs: 'directory' | 'file' | null
}

export type ApiserverDistribution = 'kubeadm' | 'kops' | 'rke2' | 'k3s' | 'static-pod'

export interface ApiserverInstance {
  /** `kube-system/kube-apiserver-node1`, `node/node1`, or the manifest's name. */
  readonly name: string
  readonly nodeName: string | null
  readonly source: 'pod' | 'node-args' | 'manifest'
  readonly distribution: ApiserverDistribution
  readonly image: string | null
  /** The container that runs it, in a pod; null for a host process (k3s, RKE2 node-args). */
  readonly container: string | null
  /** Flag name without dashes → value, as the apiserver parsed them. */
  readonly flags: Readonly<Record<string, string>>
  /** Malformed flags, one line each. */
  readonly flagProblems: readonly string[]
  /** True when paths are inside a container (mapped through mounts); false for host processes. */
  readonly inContainer: boolean
  readonly mounts: readonly HostPathMount[]
  /** --audit-policy-file; null when unset. */
  readonly policyFile: MappedPath | null
  /** --audit-log-path; null when unset, empty or "-" (stdout). */
  readonly auditLog: MappedPath | null
}

const NODE_ARGS_ANNOTATIONS = ['k3s.io/node-args', 'rke2.io/node-args']

/** Reads one apiserver pod (mirror pod, or a static pod manifest read from a file). */
export function apiserverFromPod(pod: PodLike, source: 'pod' | 'manifest' = 'pod'): ApiserverInstance {
  const containers = pod.spec?.containers ?? []
  const container =
    containers.find((c) => c.name === 'kube-apiserver') ??
    containers.find((c) => [...(c.command ?? []), ...(c.args ?? [])].some((w) => w.includes('kube-apiserver'))) ??
    containers[0]
  const {flags, problems} = parseApiserverCommand(container?.command ?? [], container?.args ?? [])
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name ?? '', v]))
  const mounts: HostPathMount[] = []
  for (const mount of container?.volumeMounts ?? []) {
    const hostPath = volumes.get(mount.name ?? '')?.hostPath
    if (!hostPath?.path || !mount.mountPath) continue
    mounts.push({
      volume: mount.name ?? '',
      // The audit docs' recipe writes `mountPath: /var/log/kubernetes/audit/`: drop the slash.
      mountPath: posix.normalize(mount.mountPath).replace(/(.)\/+$/, '$1'),
      hostPath: posix.normalize(mount.subPath ? posix.join(hostPath.path, mount.subPath) : hostPath.path),
      type: hostPath.type ?? '',
      readOnly: mount.readOnly ?? false,
    })
  }
  const namespace = pod.metadata?.namespace
  const name = pod.metadata?.name ?? 'kube-apiserver'
  return {
    name: namespace ? `${namespace}/${name}` : name,
    nodeName: pod.spec?.nodeName ?? null,
    source,
    distribution: distributionOfPod(pod, container?.image),
    image: container?.image ?? null,
    container: container?.name ?? null,
    flags,
    flagProblems: problems,
    inContainer: true,
    mounts,
    policyFile: flagPath(flags['audit-policy-file'], (p) => mapContainerPath(mounts, p)),
    auditLog: logPath(flags['audit-log-path'], (p) => mapContainerPath(mounts, p)),
  }
}

function distributionOfPod(pod: PodLike, image: string | undefined): ApiserverDistribution {
  const labels = pod.metadata?.labels ?? {}
  const annotations = pod.metadata?.annotations ?? {}
  if (labels['k8s-app'] === 'kube-apiserver') return 'kops'
  if (image?.includes('rancher/hardened-kubernetes') || Object.keys(annotations).some((k) => k.startsWith('rke2.io/')))
    return 'rke2'
  if (Object.keys(annotations).some((k) => k.startsWith('kubeadm.kubernetes.io/'))) return 'kubeadm'
  return 'static-pod'
}

/**
 * Reads the apiserver flags a k3s or RKE2 server node was started with, from its node-args
 * annotation (a JSON list: `["server", "--kube-apiserver-arg", "audit-log-path=/x", ...]`).
 * Undefined for agents and nodes without the annotation.
 */
export function apiserverFromNodeArgs(node: NodeLike): ApiserverInstance | undefined {
  const annotations = node.metadata?.annotations ?? {}
  const key = NODE_ARGS_ANNOTATIONS.find((k) => k in annotations)
  if (!key) return undefined
  let words: unknown
  try {
    words = JSON.parse(annotations[key])
  } catch {
    return undefined
  }
  if (!Array.isArray(words) || words[0] !== 'server') return undefined
  const distribution = key.startsWith('k3s') ? 'k3s' : 'rke2'
  const apiserverArgs: string[] = []
  const serverArgs = new Map<string, string>()
  for (let i = 1; i < words.length; i++) {
    const word = String(words[i])
    const [flag, inline] = splitOnce(word, '=')
    const value =
      inline ?? (i + 1 < words.length && !String(words[i + 1]).startsWith('--') ? String(words[++i]) : 'true')
    if (flag === '--kube-apiserver-arg') apiserverArgs.push(value.startsWith('--') ? value : `--${value}`)
    else serverArgs.set(flag.replace(/^-+/, ''), value)
  }
  const parsed = parseApiserverCommand([], apiserverArgs)
  const flags = {...rke2AuditDefaults(distribution, serverArgs), ...parsed.flags}
  const nodeName = node.metadata?.name ?? null
  const onHost = (p: string): MappedPath => ({
    path: p,
    hostPath: posix.isAbsolute(p) ? p : null,
    mount: null,
    mountedAs: null,
  })
  return {
    name: `node/${nodeName ?? '?'}`,
    nodeName,
    source: 'node-args',
    distribution,
    image: null,
    container: null,
    flags,
    flagProblems: parsed.problems,
    // k3s runs the apiserver in its own process; RKE2 mounts its paths at the same place.
    inContainer: false,
    mounts: [],
    policyFile: flagPath(flags['audit-policy-file'], onHost),
    auditLog: logPath(flags['audit-log-path'], onHost),
  }
}

/**
 * RKE2 turns audit on by itself with `--profile cis…` or its own `--audit-policy-file`, adding
 * the flags below (rke2 pkg/executor/staticpod). k3s adds nothing.
 */
function rke2AuditDefaults(
  distribution: ApiserverDistribution,
  serverArgs: Map<string, string>,
): Record<string, string> {
  if (distribution !== 'rke2') return {}
  const policyFile = serverArgs.get('audit-policy-file')
  if (!policyFile && !serverArgs.get('profile')?.startsWith('cis')) return {}
  return {
    'audit-policy-file': policyFile ?? '/etc/rancher/rke2/audit-policy.yaml',
    'audit-log-path': '/var/lib/rancher/rke2/server/logs/audit.log',
    'audit-log-maxage': '30',
    'audit-log-maxbackup': '10',
    'audit-log-maxsize': '100',
  }
}

/** Where a container path lives on the node: the deepest hostPath mount that holds it. */
export function mapContainerPath(mounts: readonly HostPathMount[], path: string): MappedPath {
  if (!posix.isAbsolute(path)) return {path, hostPath: null, mount: null, mountedAs: null}
  const normalized = posix.normalize(path)
  const holding = mounts
    .filter((m) => normalized === m.mountPath || normalized.startsWith(m.mountPath === '/' ? '/' : `${m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0]
  if (!holding) return {path, hostPath: null, mount: null, mountedAs: null}
  const rest = normalized.slice(holding.mountPath.length)
  return {
    path,
    hostPath: posix.join(holding.hostPath, rest),
    mount: holding,
    mountedAs: normalized === holding.mountPath ? 'file' : 'directory',
  }
}

function flagPath(value: string | undefined, map: (p: string) => MappedPath): MappedPath | null {
  return value === undefined || value === '' ? null : map(value)
}

function logPath(value: string | undefined, map: (p: string) => MappedPath): MappedPath | null {
  return value === '-' ? null : flagPath(value, map)
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator)
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)]
}
