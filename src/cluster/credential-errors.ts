// Failures while preparing a request's credentials, before anything reaches the network: a
// credential plugin (the kubeconfig user's `exec`) that is not installed or fails, or a certificate
// file the kubeconfig names that is not there. Said as what to install or fix, not `spawn … ENOENT`.
import type {User} from '@kubernetes/client-node'

import {UserError} from '../errors.js'

/** What installs the credential plugins that managed clusters' kubeconfigs run. */
const INSTALLERS: Readonly<Record<string, string>> = {
  aws: 'install the AWS CLI v2 (https://aws.amazon.com/cli/); `aws eks update-kubeconfig` writes this entry',
  'aws-iam-authenticator':
    'install aws-iam-authenticator (https://github.com/kubernetes-sigs/aws-iam-authenticator), or rewrite the entry for the AWS CLI: aws eks update-kubeconfig --name CLUSTER',
  'gke-gcloud-auth-plugin':
    'install it with `gcloud components install gke-gcloud-auth-plugin` (or the google-cloud-cli-gke-gcloud-auth-plugin package)',
  gcloud: 'install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install)',
  kubelogin: 'install kubelogin: `az aks install-cli`, or https://azure.github.io/kubelogin',
  'kubectl-oidc_login': 'install it with `kubectl krew install oidc-login`',
  doctl: 'install doctl (https://docs.digitalocean.com/reference/doctl/how-to/install/)',
  oci: 'install the OCI CLI (https://docs.oracle.com/iaas/Content/API/SDKDocs/cliinstall.htm)',
}

interface SystemError {
  code?: unknown
  syscall?: unknown
  path?: unknown
  message?: unknown
}

/** A UserError for a failure of credential preparation, or undefined when `error` is something else. */
export function credentialError(error: unknown, user: User | null): UserError | undefined {
  if (error instanceof UserError || typeof error !== 'object' || error === null) return undefined
  const {code, syscall, path, message} = error as SystemError
  const command = pluginCommand(user)
  const who = user ? `kubeconfig user "${user.name}"` : 'kubeconfig user'
  if (code === 'ENOENT' && typeof syscall === 'string' && syscall.startsWith('spawn')) {
    const missing = typeof path === 'string' ? path : (command ?? syscall.slice('spawn '.length))
    const name = missing
      .split(/[\\/]/)
      .pop()!
      .replace(/\.exe$/i, '')
    return new UserError(
      `the ${who} gets its credentials from the command "${missing}", which is not installed (or not on PATH)`,
      {
        hint: INSTALLERS[name] ?? `install ${name}, or choose another user or context (--kube-user, --context)`,
        cause: error,
      },
    )
  }
  if (code === 'ENOENT' && syscall === 'open' && typeof path === 'string') {
    return new UserError(`the kubeconfig names the file "${path}", which does not exist`, {
      hint: 'fix the certificate or key path in the kubeconfig, or choose another context (--context)',
      cause: error,
    })
  }
  if (command !== undefined && code === undefined && typeof message === 'string') {
    // client-node rejects with the plugin's stderr when it exits non-zero.
    const said = message.trim().split('\n')[0] || 'no message'
    return new UserError(`the credential command of the ${who} ("${command}") failed: ${said}`, {
      hint: `run it yourself to see why; a login may have expired (${loginHint(command)})`,
      cause: error,
    })
  }
  return undefined
}

function pluginCommand(user: User | null): string | undefined {
  const exec = (user?.exec ?? (user?.authProvider as {config?: {exec?: unknown}} | undefined)?.config?.exec) as
    {command?: unknown} | undefined
  return typeof exec?.command === 'string' ? exec.command : undefined
}

function loginHint(command: string): string {
  const name = command.split(/[\\/]/).pop()!
  if (name.startsWith('aws')) return 'aws sso login'
  if (name.startsWith('gke') || name === 'gcloud') return 'gcloud auth login'
  if (name === 'kubelogin') return 'az login'
  return 'log in again'
}
