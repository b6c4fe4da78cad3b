// kubectl-compatible connection flags, shared by every command that talks to a cluster.
import {Flags} from '@oclif/core'

export const kubeFlags = {
  kubeconfig: Flags.string({
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
