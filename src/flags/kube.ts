// kubectl's connection flags, shared by every command that talks to a cluster, and their
// validation into the KubeConnectionOptions that src/cluster builds a client from. The kubeconfig
// user is --kube-user in every command: --user means who made a change (policies), as in audit2rbac.
import {Flags} from '@oclif/core'

import type {KubeConnectionOptions} from '../cluster/kubeconfig.js'
import {CONNECT_MS, CREDENTIAL_MS, FIRST_BYTE_MS, formatLimit, IDLE_MS} from '../cluster/wait-limits.js'
import {UserError} from '../errors.js'
import {DURATION_FORM, parseDuration} from './duration.js'
import {FILE_VALUE} from './help-values.js'

const helpGroup = 'CONNECTION'

export const kubeFlags = {
  kubeconfig: Flags.string({
    helpValue: FILE_VALUE,
    summary: 'Path to the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config).',
    helpGroup,
  }),
  context: Flags.string({summary: 'The name of the kubeconfig context to use.', helpGroup}),
  cluster: Flags.string({summary: 'The name of the kubeconfig cluster to use.', helpGroup}),
  'kube-user': Flags.string({summary: "The name of the kubeconfig user to use (kubectl's --user).", helpGroup}),
  server: Flags.string({
    char: 's',
    summary: 'The address and port of the Kubernetes API server (https://HOST:PORT).',
    helpGroup,
  }),
  'certificate-authority': Flags.string({
    helpValue: FILE_VALUE,
    summary: 'Path to a cert file for the certificate authority.',
    helpGroup,
  }),
  'insecure-skip-tls-verify': Flags.boolean({
    summary: "Do not check the server's certificate: this makes your HTTPS connections insecure.",
    helpGroup,
  }),
  token: Flags.string({summary: 'Bearer token for authentication to the API server.', helpGroup}),
  as: Flags.string({summary: 'Username to impersonate for the operation (a user or a service account).', helpGroup}),
  'as-group': Flags.string({
    multiple: true,
    multipleNonGreedy: true,
    summary: 'Group to impersonate for the operation; repeatable. Needs --as.',
    helpGroup,
  }),
  'request-timeout': Flags.string({
    summary: 'Time to wait for one API request before giving up (e.g. 10s, 1m; 0 = no overall limit). [default: 0]',
    description:
      `Whatever it says, no wait is unbounded: connecting gives up after ${formatLimit(CONNECT_MS)}, the start of an answer after ${formatLimit(FIRST_BYTE_MS)}, ` +
      `a response or stream that sends nothing after ${formatLimit(IDLE_MS)}, and the kubeconfig's credential command after ${formatLimit(CREDENTIAL_MS)}. ` +
      `A value above 0 is the limit for the start of an answer and for a pause in one, instead of ${formatLimit(FIRST_BYTE_MS)} and ${formatLimit(IDLE_MS)}.`,
    helpGroup,
  }),
  verbose: Flags.boolean({
    char: 'v',
    summary: "Log every API request (method, URL, status, time) to stderr; kubectl's -v=6 works too.",
    helpGroup,
  }),
}

export interface KubeFlagValues {
  kubeconfig?: string
  context?: string
  cluster?: string
  'kube-user'?: string
  server?: string
  'certificate-authority'?: string
  'insecure-skip-tls-verify'?: boolean
  token?: string
  as?: string
  'as-group'?: string[]
  'request-timeout'?: string
  verbose?: boolean
}

/** The connection flags given on the command line, as `--name`: for refusing them where nothing is connected to. */
export function givenKubeFlags(flags: KubeFlagValues): string[] {
  return (Object.keys(kubeFlags) as Array<keyof typeof kubeFlags>)
    .filter((name) => flags[name] !== undefined && flags[name] !== false)
    .map((name) => `--${name}`)
}

/** Validates the connection flags; nothing is read or contacted yet. */
export function kubeConnectionOptions(flags: KubeFlagValues): KubeConnectionOptions {
  for (const name of [
    'kubeconfig',
    'context',
    'cluster',
    'kube-user',
    'server',
    'certificate-authority',
    'token',
    'as',
  ] as const) {
    if (flags[name] !== undefined && flags[name].trim() === '')
      throw new UserError(`--${name} is empty`, {hint: `give it a value, or leave --${name} out`})
  }
  const groups = flags['as-group'] ?? []
  if (groups.some((group) => group.trim() === ''))
    throw new UserError('--as-group is empty', {hint: 'name a group, e.g. --as-group system:masters'})
  if (groups.length > 0 && flags.as === undefined) {
    // The API server refuses to impersonate groups without a user.
    throw new UserError('--as-group needs --as: the API server impersonates groups only together with a user', {
      hint: `e.g. --as alice --as-group ${groups[0]}`,
    })
  }
  if (flags['certificate-authority'] !== undefined && flags['insecure-skip-tls-verify']) {
    throw new UserError('--certificate-authority and --insecure-skip-tls-verify cannot be used together', {
      hint: 'check the server with its CA, or skip the check, not both',
    })
  }
  return {
    kubeconfig: flags.kubeconfig,
    context: flags.context,
    cluster: flags.cluster,
    kubeUser: flags['kube-user'],
    server: flags.server === undefined ? undefined : serverUrl(flags.server),
    certificateAuthority: flags['certificate-authority'],
    insecureSkipTlsVerify: flags['insecure-skip-tls-verify'] ?? false,
    token: flags.token,
    impersonate: flags.as === undefined ? undefined : {user: flags.as, groups},
    requestTimeoutMs: parseRequestTimeout(flags['request-timeout'] ?? '0'),
    verbose: flags.verbose ?? false,
  }
}

/** kubectl's --request-timeout: a duration, or a bare number of seconds; 0 means no overall limit. */
export function parseRequestTimeout(text: string): number {
  const trimmed = text.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000)
  const ms = parseDuration(trimmed)
  if (ms === undefined)
    throw new UserError(`--request-timeout "${text}" is not a duration`, {
      hint: `use ${DURATION_FORM}, a number of seconds, or 0 for no overall limit`,
    })
  return ms
}

/** An http(s) URL: without the scheme, whether to speak TLS would be a guess. */
function serverUrl(text: string): string {
  const trimmed = text.trim()
  let url: URL | undefined
  try {
    url = new URL(trimmed)
  } catch {
    url = undefined
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '') {
    throw new UserError(`--server "${text}" is not an http(s) URL`, {
      hint: `write it with its scheme, e.g. https://${trimmed.replace(/^[a-z]+:\/\//i, '') || 'HOST:6443'} (http:// for kubectl proxy)`,
    })
  }
  return trimmed.replace(/\/+$/, '')
}
