// kubectl-compatible connection flags, shared by every command that talks to a cluster.
import {Flags} from '@oclif/core'

import {parseDuration} from '../audit/window.js'
import {UserError} from '../errors.js'
import {FILE_VALUE} from './help-values.js'

export const kubeFlags = {
  kubeconfig: Flags.string({
    helpValue: FILE_VALUE,
    summary: 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config).',
    helpGroup: 'CONNECTION',
  }),
  context: Flags.string({summary: 'The name of the kubeconfig context to use.', helpGroup: 'CONNECTION'}),
  cluster: Flags.string({summary: 'The name of the kubeconfig cluster to use.', helpGroup: 'CONNECTION'}),
  'request-timeout': Flags.string({
    summary: 'Time to wait for one API request before giving up (e.g. 10s, 1m; 0 = no timeout).',
    default: '0',
    helpGroup: 'CONNECTION',
  }),
}

/**
 * kubectl's `--user` (the kubeconfig user). `doctor` adds it as `--user`; `policies` adds it as
 * `--kube-user`, because there `--user` filters changes by who made them.
 */
export const kubeUserFlag = Flags.string({summary: 'The name of the kubeconfig user to use.', helpGroup: 'CONNECTION'})

/** The connection settings after validation: what src/cluster needs to build a client. */
export interface KubeConnectionOptions {
  readonly kubeconfig?: string
  readonly context?: string
  readonly cluster?: string
  readonly user?: string
  /** Milliseconds; 0 means no timeout. */
  readonly requestTimeoutMs: number
}

export interface KubeFlagValues {
  kubeconfig?: string
  context?: string
  cluster?: string
  'request-timeout': string
}

/** The validated connection settings; `user` is whichever name the command gave kubectl's --user. */
export function kubeConnectionOptions(flags: KubeFlagValues, user: string | undefined): KubeConnectionOptions {
  return {kubeconfig: flags.kubeconfig, context: flags.context, cluster: flags.cluster, user, requestTimeoutMs: parseRequestTimeout(flags['request-timeout'])}
}

/** kubectl's --request-timeout: a duration, or a bare number of seconds; 0 means none. */
export function parseRequestTimeout(text: string): number {
  const trimmed = text.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000)
  try {
    return parseDuration(trimmed)
  } catch {
    throw new UserError(`--request-timeout "${text}" is not a duration`, {hint: 'e.g. 10s, 1m, or 0 for no timeout'})
  }
}
