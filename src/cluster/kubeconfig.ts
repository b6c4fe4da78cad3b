// Builds a client-node KubeConfig the way kubectl resolves one: --kubeconfig, else $KUBECONFIG
// (a path list, missing files ignored, first one wins on conflicts), else ~/.kube/config,
// else in-cluster, else --server alone; then kubectl's connection flags override the current
// context (--context, --cluster, --kube-user, --server, --certificate-authority,
// --insecure-skip-tls-verify, --token, --as, --as-group). Every request made with it is bounded
// (wait-limits.ts): --request-timeout when given, and limits on connecting, on the first byte of an
// answer, on a stream that stops sending, and on the credential command, whatever it says.
import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import {delimiter, join, resolve} from 'node:path'

import type {
  ApiConstructor,
  ApiType,
  Cluster,
  Configuration,
  KubeConfig,
  RequestContext,
  User,
} from '@kubernetes/client-node'

import type {Dispatcher} from 'undici'

import {UserError} from '../errors.js'
import {credentialError} from './credential-errors.js'
import {boundCredentialPlugin} from './credential-plugin.js'
import {logRequests} from './request-log.js'
import {boundedTransport} from './rest-transport.js'
import {stallSignal, type WaitLimits, waitLimits} from './wait-limits.js'

/** The connection settings after validation: what a client is built from (kubectl's flags). */
export interface KubeConnectionOptions {
  readonly kubeconfig?: string
  readonly context?: string
  readonly cluster?: string
  /** The kubeconfig user to use (kubectl's --user; ours is --kube-user). */
  readonly kubeUser?: string
  /** --server: the API server URL, replacing the cluster's. */
  readonly server?: string
  /** --certificate-authority: a CA file, replacing the cluster's CA. */
  readonly certificateAuthority?: string
  readonly insecureSkipTlsVerify?: boolean
  /** --token: a bearer token, replacing the user's credentials (client certificates stay). */
  readonly token?: string
  /** --as and --as-group: the user (and groups) every request impersonates. */
  readonly impersonate?: {readonly user: string; readonly groups: readonly string[]}
  /** --request-timeout in milliseconds; 0 means no overall limit (the other limits still hold). */
  readonly requestTimeoutMs: number
  /** Limits other than those --request-timeout implies (waitLimits); for callers with their own needs. */
  readonly limits?: Partial<WaitLimits>
  /** -v: one line per API request on stderr. */
  readonly verbose?: boolean
}

const HINT =
  'point at a cluster with --kubeconfig or KUBECONFIG (doctor also works offline: --manifest and --policy-file)'
/** The names given to a cluster, user and context made from the flags alone (--server without a kubeconfig). */
const FROM_FLAGS = 'command-line'
const IMPERSONATE_GROUP = 'Impersonate-Group'

/** The limits each KubeConfig made here holds its requests to. */
const LIMITS = new WeakMap<KubeConfig, WaitLimits>()

/** The wait limits of a KubeConfig made by loadKubeConfig (the defaults for any other). */
export function limitsOf(kc: KubeConfig): WaitLimits {
  return LIMITS.get(kc) ?? waitLimits(0)
}

/** The current user of each KubeConfig made here as the kubeconfig has it: its exec plugin is hidden from client-node, which never runs it. */
const LOADED_USERS = new WeakMap<KubeConfig, User>()

/** The current user as the kubeconfig writes it, credential plugin included (what a managed cluster's context tells). */
export function loadedUserOf(kc: KubeConfig): User | null {
  return LOADED_USERS.get(kc) ?? kc.getCurrentUser()
}

/** `signal`: the run's; interrupting it stops a credential command that is running. */
export async function loadKubeConfig(
  opts: KubeConnectionOptions,
  env: NodeJS.ProcessEnv = process.env,
  stderr: NodeJS.WritableStream = process.stderr,
  signal?: AbortSignal,
): Promise<KubeConfig> {
  const k8s = await import('@kubernetes/client-node')
  const {KubeConfig} = k8s
  const kc = new KubeConfig()
  const files = kubeconfigFiles(opts, env)
  if (files.length > 0) {
    loadFile(kc, files[0]!)
    for (const file of files.slice(1)) {
      const other = new KubeConfig()
      loadFile(other, file)
      mergeMissing(kc, other)
    }
  } else if (env.KUBERNETES_SERVICE_HOST && existsSync('/var/run/secrets/kubernetes.io/serviceaccount/token')) {
    kc.loadFromCluster()
  } else if (opts.server !== undefined) {
    // As kubectl: --server (with --token or --certificate-authority) is a cluster by itself.
    kc.loadFromOptions({
      clusters: [{name: FROM_FLAGS, server: opts.server, skipTLSVerify: false}],
      users: [{name: FROM_FLAGS}],
      contexts: [{name: FROM_FLAGS, cluster: FROM_FLAGS, user: FROM_FLAGS}],
      currentContext: FROM_FLAGS,
    })
  } else {
    throw new NoKubeconfigError()
  }
  applyOverrides(kc, opts)
  allowPlainHttp(kc)
  const limits = waitLimits(opts.requestTimeoutMs, opts.limits)
  const user = kc.getCurrentUser()
  boundCredentialPlugin(kc, limits.credentialMs, signal)
  if (opts.verbose) logRequests(stderr)
  const view = withRequestSettings(kc, k8s, limits, opts.impersonate?.groups ?? [], user)
  LIMITS.set(view, limits)
  if (user) LOADED_USERS.set(view, user)
  return view
}

/**
 * kubectl talks plain HTTP to an `http://` server (`kubectl proxy`); client-node refuses to unless
 * the cluster says insecure-skip-tls-verify. Without TLS there is nothing to verify, so say it.
 */
function allowPlainHttp(kc: KubeConfig): void {
  if (!kc.clusters.some((c) => c.server.startsWith('http:') && !c.skipTLSVerify)) return
  kc.loadFromOptions({
    clusters: kc.clusters.map((c) => (c.server.startsWith('http:') ? {...c, skipTLSVerify: true} : c)),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  })
}

/**
 * A view on kc (same clusters, users, credentials) overriding the hooks client-node calls for
 * every REST request and every WebSocket (and ApiHttp for its raw requests), to add what
 * client-node has no setting for:
 * - the wait limits: kubectl's --request-timeout (0 = none) aborts a REST request after it,
 *   reading the answer included; the first byte of every answer and every pause in a body are
 *   bounded whatever it says (undici's own connect limit, 10s, bounds connecting); a WebSocket
 *   (exec) must open within the connect and first-byte limits together. Aborting, not just ceasing to wait, is what lets
 *   the process end and the run go on;
 * - REST answers that ask to be retried later (429, 503 with Retry-After) are (rest-transport.ts);
 * - --as-group: one Impersonate-Group header line per group (client-node knows only Impersonate-User);
 * - a credential plugin that cannot run, said as what to install rather than as `spawn … ENOENT`.
 * `user`: the kubeconfig's user as loaded, exec plugin included, for messages.
 */
function withRequestSettings(
  kc: KubeConfig,
  k8s: typeof import('@kubernetes/client-node'),
  limits: WaitLimits,
  groups: readonly string[],
  user: User | null,
): KubeConfig {
  const credentials = <T>(call: Promise<T>): Promise<T> =>
    call.catch((error: unknown) => {
      throw credentialError(error, user) ?? error
    })
  const transport = boundedTransport(k8s, limits)
  const view = Object.create(kc) as KubeConfig
  view.applySecurityAuthentication = async (context: RequestContext) => {
    await credentials(kc.applySecurityAuthentication(context))
    if (limits.requestMs > 0) context.setSignal(stallSignal('request', limits.requestMs))
    await boundDispatch(context, limits, groups)
  }
  view.applyToHTTPSOptions = async (options) => {
    await credentials(kc.applyToHTTPSOptions(options))
    // ws's own option, for connecting and the upgrade's answer; https requests ignore it (ApiHttp bounds its own waits).
    Object.assign(options, {handshakeTimeout: handshakeMs(limits)})
    // node:http sends an array as one header line per value.
    if (groups.length > 0) options.headers = {...options.headers, [IMPERSONATE_GROUP]: [...groups]}
  }
  // client-node's own client configuration, with the transport swapped for the bounded one.
  view.makeApiClient = <T extends ApiType>(apiClientType: ApiConstructor<T>): T => {
    let config: Configuration | undefined
    kc.makeApiClient.call(
      view,
      class {
        constructor(made: Configuration) {
          config = made
        }
      } as unknown as ApiConstructor<T>,
    )
    return new apiClientType({...config!, httpApi: transport})
  }
  return view
}

/** How long a WebSocket (exec) may take to open: connecting, then the upgrade's answer. */
export function handshakeMs(limits: WaitLimits): number {
  return limits.connectMs + limits.firstByteMs
}

/**
 * Per request, below fetch: the first-byte and idle limits (undici's headersTimeout and
 * bodyTimeout), and one Impersonate-Group header line per group: the API server reads each line
 * as one group, and fetch's Headers join repeated names into one line ("ops, dev": a group of that
 * name), whereas an undici request takes several values for a name.
 */
async function boundDispatch(context: RequestContext, limits: WaitLimits, groups: readonly string[]): Promise<void> {
  // client-node sets a dispatcher whenever the cluster has TLS settings; without any, a plain agent.
  const dispatcher = context.getDispatcher() ?? new (await import('undici')).Agent()
  const interceptor: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) => {
    const bounded = {...options, headersTimeout: limits.firstByteMs, bodyTimeout: limits.idleMs}
    if (groups.length === 0) return dispatch(bounded, handler)
    // As a flat list of name, value, name, value: the form that holds a name twice.
    const given = options.headers ?? []
    const flat = Array.isArray(given)
      ? (given as string[])
      : Object.entries(given as Record<string, string | string[] | undefined>).flatMap(([name, value]) =>
          value === undefined ? [] : [value].flat().flatMap((v) => [name, v]),
        )
    return dispatch({...bounded, headers: [...flat, ...groups.flatMap((group) => [IMPERSONATE_GROUP, group])]}, handler)
  }
  context.setDispatcher(dispatcher.compose(interceptor))
}

/** Nothing says which cluster to use: callers with another way in (-f) can say so instead. */
export class NoKubeconfigError extends UserError {
  constructor() {
    super('no kubeconfig found ($KUBECONFIG is unset or lists no existing file, and ~/.kube/config does not exist)', {
      hint: HINT,
    })
  }
}

/** The files to load, in kubectl's order of precedence. */
function kubeconfigFiles(opts: KubeConnectionOptions, env: NodeJS.ProcessEnv): string[] {
  if (opts.kubeconfig !== undefined) {
    if (!existsSync(opts.kubeconfig))
      throw new UserError(`kubeconfig file "${opts.kubeconfig}" does not exist`, {hint: HINT})
    return [opts.kubeconfig]
  }
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter((file) => file && existsSync(file))
  const home = env.HOME ?? homedir()
  const fallback = join(home, '.kube', 'config')
  return existsSync(fallback) ? [fallback] : []
}

function loadFile(kc: KubeConfig, file: string): void {
  try {
    kc.loadFromFile(file)
  } catch (error) {
    throw new UserError(`cannot load kubeconfig "${file}": ${firstLine(error)}`, {hint: HINT, cause: error})
  }
}

/** kubectl's merge rule: the first file to define a name (or the current context) wins. */
function mergeMissing(kc: KubeConfig, other: KubeConfig): void {
  const has = <T extends {name: string}>(list: readonly T[], name: string) => list.some((item) => item.name === name)
  kc.loadFromOptions({
    clusters: [...kc.clusters, ...other.clusters.filter((c) => !has(kc.clusters, c.name))],
    users: [...kc.users, ...other.users.filter((u) => !has(kc.users, u.name))],
    contexts: [...kc.contexts, ...other.contexts.filter((c) => !has(kc.contexts, c.name))],
    currentContext: kc.currentContext || other.currentContext,
  })
}

function applyOverrides(kc: KubeConfig, opts: KubeConnectionOptions): void {
  selectContext(kc, opts)
  const current = kc.getContextObject(kc.currentContext)!
  const cluster = kc.getCluster(current.cluster)
  const user = kc.getUser(current.user)
  if (!cluster) {
    throw new UserError(
      `context "${current.name}" names cluster "${current.cluster}", which is not in the kubeconfig`,
      {hint: `known clusters: ${names(kc.clusters)}`},
    )
  }
  const clusterOverride = overriddenCluster(cluster, opts)
  // A context may name a user the kubeconfig lacks (no credentials): the flags can give it some.
  const userOverride =
    opts.token === undefined && opts.impersonate === undefined
      ? user
      : overriddenUser(user ?? {name: current.user}, opts)
  if (clusterOverride === cluster && userOverride === user) return
  kc.loadFromOptions({
    clusters: kc.clusters.map((c) => (c === cluster ? clusterOverride : c)),
    users: user
      ? kc.users.map((u) => (u === user ? userOverride! : u))
      : [...kc.users, ...(userOverride ? [userOverride] : [])],
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  })
}

/**
 * kubectl's rules (client-go clientcmd): --certificate-authority or --insecure-skip-tls-verify
 * replace the cluster's whole TLS trust (CA file, CA data and the skip setting together).
 */
function overriddenCluster(cluster: Cluster, opts: KubeConnectionOptions): Cluster {
  if (opts.server === undefined && opts.certificateAuthority === undefined && !opts.insecureSkipTlsVerify)
    return cluster
  const {caData: _caData, caFile: _caFile, ...rest} = cluster
  const trust =
    opts.certificateAuthority !== undefined || opts.insecureSkipTlsVerify
      ? {
          skipTLSVerify: opts.insecureSkipTlsVerify ?? false,
          ...(opts.certificateAuthority !== undefined ? {caFile: caFile(opts.certificateAuthority)} : {}),
        }
      : {skipTLSVerify: cluster.skipTLSVerify, caData: cluster.caData, caFile: cluster.caFile}
  return {...rest, ...trust, server: opts.server ?? cluster.server}
}

/** --token replaces the user's credentials but its client certificate; --as names who to impersonate. */
function overriddenUser(user: User, opts: KubeConnectionOptions): User {
  const base: User =
    opts.token === undefined
      ? user
      : {
          name: user.name,
          certData: user.certData,
          certFile: user.certFile,
          keyData: user.keyData,
          keyFile: user.keyFile,
          token: opts.token,
        }
  return {...base, ...(opts.impersonate ? {impersonateUser: opts.impersonate.user} : {})}
}

function caFile(path: string): string {
  if (!existsSync(path))
    throw new UserError(`--certificate-authority file "${path}" does not exist`, {
      hint: "give the API server's CA certificate (PEM), as in the kubeconfig's certificate-authority",
    })
  return resolve(path)
}

/** --context, then --cluster and --kube-user, as kubectl picks them. */
function selectContext(kc: KubeConfig, opts: KubeConnectionOptions): void {
  if (opts.context !== undefined) {
    if (!kc.getContextObject(opts.context)) {
      throw new UserError(`context "${opts.context}" not found in the kubeconfig`, {
        hint: `known contexts: ${names(kc.contexts)}`,
      })
    }
    kc.setCurrentContext(opts.context)
  }
  const current = kc.getContextObject(kc.currentContext)
  if (!current) {
    throw new UserError('the kubeconfig has no current context', {
      hint: `pick one with --context (known: ${names(kc.contexts)})`,
    })
  }
  if (opts.cluster === undefined && opts.kubeUser === undefined) return
  if (opts.cluster !== undefined && !kc.getCluster(opts.cluster)) {
    throw new UserError(`cluster "${opts.cluster}" not found in the kubeconfig`, {
      hint: `known clusters: ${names(kc.clusters)}`,
    })
  }
  if (opts.kubeUser !== undefined && !kc.getUser(opts.kubeUser)) {
    throw new UserError(`user "${opts.kubeUser}" not found in the kubeconfig`, {
      hint: `known users: ${names(kc.users)} (--kube-user picks one)`,
    })
  }
  const overridden = {...current, cluster: opts.cluster ?? current.cluster, user: opts.kubeUser ?? current.user}
  kc.loadFromOptions({
    clusters: kc.clusters,
    users: kc.users,
    contexts: kc.contexts.map((c) => (c.name === current.name ? overridden : c)),
    currentContext: current.name,
  })
}

/** The API server URL of the current context, for messages. */
export function serverOf(kc: KubeConfig): string {
  return kc.getCurrentCluster()?.server ?? 'the API server'
}

function names(list: ReadonlyArray<{name: string}>): string {
  return list.length > 0 ? list.map((item) => item.name).join(', ') : 'none'
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!
}
