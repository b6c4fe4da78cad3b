// Builds a client-node KubeConfig the way kubectl resolves one: --kubeconfig, else $KUBECONFIG
// (a path list, missing files ignored, first one wins on conflicts), else ~/.kube/config,
// else in-cluster, else --server alone; then kubectl's connection flags override the current
// context (--context, --cluster, --kube-user, --server, --certificate-authority,
// --insecure-skip-tls-verify, --token, --as, --as-group), and --request-timeout bounds every
// request made with it.
import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import {delimiter, join, resolve} from 'node:path'

import type {Cluster, KubeConfig, RequestContext, User} from '@kubernetes/client-node'

import type {Dispatcher} from 'undici'

import {UserError} from '../errors.js'
import {credentialError} from './credential-errors.js'
import {logRequests} from './request-log.js'

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
  /** Milliseconds; 0 means no timeout. */
  readonly requestTimeoutMs: number
  /** -v: one line per API request on stderr. */
  readonly verbose?: boolean
}

const HINT = 'point at a cluster with --kubeconfig or KUBECONFIG (doctor also works offline: --manifest and --policy-file)'
/** The names given to a cluster, user and context made from the flags alone (--server without a kubeconfig). */
const FROM_FLAGS = 'command-line'
const IMPERSONATE_GROUP = 'Impersonate-Group'

export async function loadKubeConfig(opts: KubeConnectionOptions, env: NodeJS.ProcessEnv = process.env, stderr: NodeJS.WritableStream = process.stderr): Promise<KubeConfig> {
  const {KubeConfig} = await import('@kubernetes/client-node')
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
  if (opts.verbose) logRequests(stderr)
  return withRequestSettings(kc, opts)
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
 * A view on kc (same clusters, users, credentials) overriding the two hooks client-node calls for
 * every REST request and every WebSocket (and ApiHttp for its raw requests), to add what
 * client-node has no setting for:
 * - kubectl's --request-timeout (0 = none): a REST request is aborted after it, reading the answer
 *   included, and a WebSocket (exec) must open within it. Aborting, not just ceasing to wait, is
 *   what lets the process end and the run go on;
 * - --as-group: one Impersonate-Group header line per group (client-node knows only Impersonate-User);
 * - a credential plugin that cannot run, said as what to install rather than as `spawn … ENOENT`.
 */
function withRequestSettings(kc: KubeConfig, opts: KubeConnectionOptions): KubeConfig {
  const timeoutMs = opts.requestTimeoutMs
  const groups = opts.impersonate?.groups ?? []
  const user = kc.getCurrentUser()
  const credentials = <T>(call: Promise<T>): Promise<T> => call.catch((error: unknown) => {
    throw credentialError(error, user) ?? error
  })
  const view = Object.create(kc) as KubeConfig
  view.applySecurityAuthentication = async (context: RequestContext) => {
    await credentials(kc.applySecurityAuthentication(context))
    if (timeoutMs > 0) context.setSignal(AbortSignal.timeout(timeoutMs))
    if (groups.length > 0) await addGroupHeaders(context, groups)
  }
  view.applyToHTTPSOptions = async (options) => {
    await credentials(kc.applyToHTTPSOptions(options))
    // ws's own option; https requests ignore it.
    if (timeoutMs > 0) Object.assign(options, {handshakeTimeout: timeoutMs})
    // node:http sends an array as one header line per value.
    if (groups.length > 0) options.headers = {...options.headers, [IMPERSONATE_GROUP]: [...groups]}
  }
  return view
}

/**
 * One Impersonate-Group header line per group: the API server reads each line as one group, and
 * fetch's Headers join repeated names into one line ("ops, dev": a group of that name). Below
 * fetch, an undici request takes several values for a name, so the lines are added there.
 */
async function addGroupHeaders(context: RequestContext, groups: readonly string[]): Promise<void> {
  // client-node sets a dispatcher whenever the cluster has TLS settings; without any, a plain agent.
  const dispatcher = context.getDispatcher() ?? new (await import('undici')).Agent()
  const interceptor: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) => {
    // As a flat list of name, value, name, value: the form that holds a name twice.
    const given = options.headers ?? []
    const flat = Array.isArray(given)
      ? (given as string[])
      : Object.entries(given as Record<string, string | string[] | undefined>).flatMap(([name, value]) => (value === undefined ? [] : [value].flat().flatMap((v) => [name, v])))
    return dispatch({...options, headers: [...flat, ...groups.flatMap((group) => [IMPERSONATE_GROUP, group])]}, handler)
  }
  context.setDispatcher(dispatcher.compose(interceptor))
}

/** Nothing says which cluster to use: callers with another way in (-f) can say so instead. */
export class NoKubeconfigError extends UserError {
  constructor() {
    super('no kubeconfig found ($KUBECONFIG is unset or lists no existing file, and ~/.kube/config does not exist)', {hint: HINT})
  }
}

/** The files to load, in kubectl's order of precedence. */
function kubeconfigFiles(opts: KubeConnectionOptions, env: NodeJS.ProcessEnv): string[] {
  if (opts.kubeconfig !== undefined) {
    if (!existsSync(opts.kubeconfig)) throw new UserError(`kubeconfig file "${opts.kubeconfig}" does not exist`, {hint: HINT})
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
    throw new UserError(`context "${current.name}" names cluster "${current.cluster}", which is not in the kubeconfig`, {hint: `known clusters: ${names(kc.clusters)}`})
  }
  const clusterOverride = overriddenCluster(cluster, opts)
  // A context may name a user the kubeconfig lacks (no credentials): the flags can give it some.
  const userOverride = opts.token === undefined && opts.impersonate === undefined ? user : overriddenUser(user ?? {name: current.user}, opts)
  if (clusterOverride === cluster && userOverride === user) return
  kc.loadFromOptions({
    clusters: kc.clusters.map((c) => (c === cluster ? clusterOverride : c)),
    users: user ? kc.users.map((u) => (u === user ? userOverride! : u)) : [...kc.users, ...(userOverride ? [userOverride] : [])],
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  })
}

/**
 * kubectl's rules (client-go clientcmd): --certificate-authority or --insecure-skip-tls-verify
 * replace the cluster's whole TLS trust (CA file, CA data and the skip setting together).
 */
function overriddenCluster(cluster: Cluster, opts: KubeConnectionOptions): Cluster {
  if (opts.server === undefined && opts.certificateAuthority === undefined && !opts.insecureSkipTlsVerify) return cluster
  const {caData: _caData, caFile: _caFile, ...rest} = cluster
  const trust = opts.certificateAuthority !== undefined || opts.insecureSkipTlsVerify
    ? {skipTLSVerify: opts.insecureSkipTlsVerify ?? false, ...(opts.certificateAuthority !== undefined ? {caFile: caFile(opts.certificateAuthority)} : {})}
    : {skipTLSVerify: cluster.skipTLSVerify, caData: cluster.caData, caFile: cluster.caFile}
  return {...rest, ...trust, server: opts.server ?? cluster.server}
}

/** --token replaces the user's credentials but its client certificate; --as names who to impersonate. */
function overriddenUser(user: User, opts: KubeConnectionOptions): User {
  const base: User = opts.token === undefined
    ? user
    : {name: user.name, certData: user.certData, certFile: user.certFile, keyData: user.keyData, keyFile: user.keyFile, token: opts.token}
  return {...base, ...(opts.impersonate ? {impersonateUser: opts.impersonate.user} : {})}
}

function caFile(path: string): string {
  if (!existsSync(path)) throw new UserError(`--certificate-authority file "${path}" does not exist`, {hint: "give the API server's CA certificate (PEM), as in the kubeconfig's certificate-authority"})
  return resolve(path)
}

/** --context, then --cluster and --kube-user, as kubectl picks them. */
function selectContext(kc: KubeConfig, opts: KubeConnectionOptions): void {
  if (opts.context !== undefined) {
    if (!kc.getContextObject(opts.context)) {
      throw new UserError(`context "${opts.context}" not found in the kubeconfig`, {hint: `known contexts: ${names(kc.contexts)}`})
    }
    kc.setCurrentContext(opts.context)
  }
  const current = kc.getContextObject(kc.currentContext)
  if (!current) {
    throw new UserError('the kubeconfig has no current context', {hint: `pick one with --context (known: ${names(kc.contexts)})`})
  }
  if (opts.cluster === undefined && opts.kubeUser === undefined) return
  if (opts.cluster !== undefined && !kc.getCluster(opts.cluster)) {
    throw new UserError(`cluster "${opts.cluster}" not found in the kubeconfig`, {hint: `known clusters: ${names(kc.clusters)}`})
  }
  if (opts.kubeUser !== undefined && !kc.getUser(opts.kubeUser)) {
    throw new UserError(`user "${opts.kubeUser}" not found in the kubeconfig`, {hint: `known users: ${names(kc.users)} (--kube-user picks one)`})
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
