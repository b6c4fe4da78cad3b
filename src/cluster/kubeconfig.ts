// Builds a client-node KubeConfig the way kubectl resolves one: --kubeconfig, else $KUBECONFIG
// (a path list, missing files ignored, first one wins on conflicts), else ~/.kube/config,
// else in-cluster; then --context, --cluster and --user override the current context, and
// --request-timeout bounds every request made with it.
import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import {delimiter, join} from 'node:path'

import type {KubeConfig, RequestContext} from '@kubernetes/client-node'

import {UserError} from '../errors.js'
import type {KubeConnectionOptions} from '../flags/kube.js'

const HINT = 'point at a cluster with --kubeconfig or KUBECONFIG (doctor also works offline: --manifest and --policy-file)'

export async function loadKubeConfig(opts: KubeConnectionOptions, env: NodeJS.ProcessEnv = process.env): Promise<KubeConfig> {
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
  } else {
    throw new NoKubeconfigError()
  }
  applyOverrides(kc, opts)
  allowPlainHttp(kc)
  return boundedByRequestTimeout(kc, opts.requestTimeoutMs)
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
 * The kubeconfig with kubectl's --request-timeout on every client made from it (0 = none): a REST
 * request is aborted after `timeoutMs`, reading the answer included, and a WebSocket (exec) must
 * open within it. Aborting, not just ceasing to wait, is what lets the process end and the run go on.
 */
function boundedByRequestTimeout(kc: KubeConfig, timeoutMs: number): KubeConfig {
  if (timeoutMs <= 0) return kc
  // A view on kc (same clusters, users, credentials) overriding the two hooks client-node calls
  // for every REST request and every WebSocket.
  const bounded = Object.create(kc) as KubeConfig
  bounded.applySecurityAuthentication = async (context: RequestContext) => {
    await kc.applySecurityAuthentication(context)
    context.setSignal(AbortSignal.timeout(timeoutMs))
  }
  bounded.applyToHTTPSOptions = async (opts) => {
    await kc.applyToHTTPSOptions(opts)
    // ws's own option; https requests ignore it.
    Object.assign(opts, {handshakeTimeout: timeoutMs})
  }
  return bounded
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
  if (opts.cluster === undefined && opts.user === undefined) return
  if (opts.cluster !== undefined && !kc.getCluster(opts.cluster)) {
    throw new UserError(`cluster "${opts.cluster}" not found in the kubeconfig`, {hint: `known clusters: ${names(kc.clusters)}`})
  }
  if (opts.user !== undefined && !kc.getUser(opts.user)) {
    throw new UserError(`user "${opts.user}" not found in the kubeconfig`, {hint: `known users: ${names(kc.users)}`})
  }
  const overridden = {...current, cluster: opts.cluster ?? current.cluster, user: opts.user ?? current.user}
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
