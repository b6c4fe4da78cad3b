// The flags for reading audit logs straight from the cluster (policies without -f), and their
// validation into ClusterReadOptions before any request is made.
import {Flags} from '@oclif/core'

import {parseDuration} from '../audit/window.js'
import {UserError} from '../errors.js'
import type {ClusterReadOptions} from '../sources/cluster.js'
import {kubeConnectionOptions, kubeFlags, kubeUserFlag} from './kube.js'

/** Small, multi-arch, and has sh, cat, tail, head, stat and ls. Fully qualified for CRI-O. */
export const DEFAULT_READER_IMAGE = 'docker.io/library/busybox:1.37'
const VIA = ['auto', 'kubelet', 'pod'] as const

export const clusterReadFlags = {
  ...kubeFlags,
  'kube-user': kubeUserFlag,
  node: Flags.string({multiple: true, summary: 'Read the audit log on this node (repeatable). [default: every node running kube-apiserver]', helpGroup: 'CLUSTER'}),
  'log-path': Flags.string({summary: "The audit log's path on the node(s), when discovery cannot tell (--audit-log-path as the node sees it).", helpGroup: 'CLUSTER'}),
  via: Flags.option({
    options: VIA,
    default: 'auto',
    summary: 'How to read node files: the kubelet /logs/ proxy (needs get nodes/proxy, paths under /var/log), a short-lived reader pod (needs create pods, get,create pods/exec), or auto: the kubelet first, a pod when refused.',
    helpGroup: 'CLUSTER',
  })(),
  image: Flags.string({default: DEFAULT_READER_IMAGE, summary: 'Image of the reader pod (needs sh, cat, tail, head, stat, ls).', helpGroup: 'CLUSTER'}),
  'pod-namespace': Flags.string({default: 'kube-system', summary: 'Namespace of the reader pod; its Pod Security level must allow hostPath volumes.', helpGroup: 'CLUSTER'}),
  'pod-timeout': Flags.string({default: '10m', summary: 'The reader pod ends by itself after this (activeDeadlineSeconds), even if kubectl-audit is killed.', helpGroup: 'CLUSTER'}),
}

export interface ClusterReadFlagValues {
  kubeconfig?: string
  context?: string
  cluster?: string
  'kube-user'?: string
  'request-timeout': string
  node?: string[]
  'log-path'?: string
  via: (typeof VIA)[number]
  image: string
  'pod-namespace': string
  'pod-timeout': string
}

export function clusterReadOptions(flags: ClusterReadFlagValues): ClusterReadOptions {
  const logPath = flags['log-path']
  if (logPath !== undefined && !logPath.startsWith('/')) {
    throw new UserError(`--log-path ${logPath} is not an absolute path`, {hint: 'give the path as the node sees it, e.g. /var/log/kubernetes/audit/audit.log'})
  }
  const nodes = (flags.node ?? []).flatMap((n) => n.split(',')).map((n) => n.trim()).filter(Boolean)
  const podTimeoutMs = duration(flags['pod-timeout'], '--pod-timeout')
  if (podTimeoutMs < 10_000) throw new UserError(`--pod-timeout ${flags['pod-timeout']} is too short`, {hint: 'the reader pod needs time to start: use at least 10s, e.g. 10m'})
  if (!flags.image.trim()) throw new UserError('--image is empty')
  return {
    ...kubeConnectionOptions(flags, flags['kube-user']),
    nodes: [...new Set(nodes)],
    logPath,
    via: flags.via,
    image: flags.image.trim(),
    podNamespace: flags['pod-namespace'],
    podTimeoutSeconds: Math.ceil(podTimeoutMs / 1000),
  }
}

function duration(text: string, flag: string): number {
  try {
    return parseDuration(text)
  } catch {
    throw new UserError(`${flag} "${text}" is not a duration`, {hint: 'use a number with a unit: 30s, 5m, 1h'})
  }
}
