// The flags for reading audit logs straight from the cluster (policies without -f), and their
// validation into ClusterReadOptions before any request is made.
import {Flags} from '@oclif/core'

import {UserError} from '../errors.js'
import type {ClusterReadOptions} from '../sources/cluster.js'
import {DURATION_FORM, parseDuration} from './duration.js'
import {type KubeFlagValues, kubeConnectionOptions, kubeFlags} from './kube.js'
import {DEFAULT_POD_NAMESPACE, DEFAULT_READER_IMAGE, imageSummary, POD_NAMESPACE_SUMMARY} from './reader-pod.js'

const VIA = ['auto', 'kubelet', 'pod'] as const
const DEFAULT_POD_TIMEOUT = '10m'
/** A pod needs time to be scheduled, pull its image and start. */
const MIN_POD_TIMEOUT_MS = 10_000

/** Flags that only mean something when the logs are read from the cluster. */
export const clusterOnlyFlags = {
  node: Flags.string({
    multiple: true,
    summary: 'Read the audit log on this node (repeatable). [default: every node running kube-apiserver]',
    helpGroup: 'CLUSTER',
  }),
  'log-path': Flags.string({
    summary: "The audit log's path on the node(s), when discovery cannot tell (--audit-log-path as the node sees it).",
    helpGroup: 'CLUSTER',
  }),
  via: Flags.option({
    options: VIA,
    summary:
      'How to read node files: the kubelet /logs/ proxy (needs get nodes/proxy, paths under /var/log), a short-lived reader pod (needs create pods, get,create pods/exec), or auto: the kubelet first, a pod when refused. [default: auto]',
    helpGroup: 'CLUSTER',
  })(),
  image: Flags.string({
    summary: imageSummary(['sleep', 'sh', 'cat', 'tail', 'head', 'stat', 'ls']),
    helpGroup: 'CLUSTER',
  }),
  'pod-namespace': Flags.string({summary: POD_NAMESPACE_SUMMARY, helpGroup: 'CLUSTER'}),
  'pod-timeout': Flags.string({
    summary: `The reader pod ends by itself after this (activeDeadlineSeconds), even if kubectl-audit is killed. [default: ${DEFAULT_POD_TIMEOUT}]`,
    helpGroup: 'CLUSTER',
  }),
}

export const clusterReadFlags = {...kubeFlags, ...clusterOnlyFlags}

export interface ClusterReadFlagValues extends KubeFlagValues {
  node?: string[]
  'log-path'?: string
  via?: (typeof VIA)[number]
  image?: string
  'pod-namespace'?: string
  'pod-timeout'?: string
}

export function clusterReadOptions(flags: ClusterReadFlagValues): ClusterReadOptions {
  const connection = kubeConnectionOptions(flags)
  const logPath = flags['log-path']
  if (logPath !== undefined && !logPath.startsWith('/')) {
    throw new UserError(`--log-path ${logPath} is not an absolute path`, {
      hint: 'give the path as the node sees it, e.g. /var/log/kubernetes/audit/audit.log',
    })
  }
  const nodes = (flags.node ?? [])
    .flatMap((n) => n.split(','))
    .map((n) => n.trim())
    .filter(Boolean)
  const podTimeout = flags['pod-timeout'] ?? DEFAULT_POD_TIMEOUT
  const podTimeoutMs = parseDuration(podTimeout)
  if (podTimeoutMs === undefined)
    throw new UserError(`--pod-timeout "${podTimeout}" is not a duration`, {hint: `use ${DURATION_FORM}`})
  if (podTimeoutMs < MIN_POD_TIMEOUT_MS)
    throw new UserError(`--pod-timeout ${podTimeout} is too short`, {
      hint: 'the reader pod needs time to start: use at least 10s, e.g. 10m',
    })
  const image = (flags.image ?? DEFAULT_READER_IMAGE).trim()
  if (image === '')
    throw new UserError('--image is empty', {hint: `name an image the nodes can pull, e.g. ${DEFAULT_READER_IMAGE}`})
  const podNamespace = (flags['pod-namespace'] ?? DEFAULT_POD_NAMESPACE).trim()
  if (podNamespace === '')
    throw new UserError('--pod-namespace is empty', {hint: `e.g. --pod-namespace ${DEFAULT_POD_NAMESPACE}`})
  return {
    ...connection,
    nodes: [...new Set(nodes)],
    logPath,
    via: flags.via ?? 'auto',
    image,
    podNamespace,
    podTimeoutSeconds: Math.ceil(podTimeoutMs / 1000),
  }
}

/** The cluster-only flags given on the command line, as `--name`. */
export function givenClusterOnlyFlags(flags: ClusterReadFlagValues): string[] {
  return (Object.keys(clusterOnlyFlags) as Array<keyof typeof clusterOnlyFlags>)
    .filter((name) => flags[name] !== undefined)
    .map((name) => `--${name}`)
}
