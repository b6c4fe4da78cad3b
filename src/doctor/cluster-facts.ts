// Facts from the cluster: server version, the apiserver instances and their flags, the managed
// provider when none is visible, how Calico is served, and Calico Enterprise's audit policy.
import type {KubeConfig} from '@kubernetes/client-node'

import {CALICO_CRD_GROUP, CALICO_GROUP} from '../audit/catalog.js'
import {type KubernetesVersion, parseKubernetesVersion} from '../audit/policy/kubernetes-version.js'
import {loadPolicy} from '../audit/policy/load.js'
import {type ApiAttempt, apiErrorToUserError, refusalCodeOf} from '../cluster/api-errors.js'
import {abortable, withRequestTimeout} from '../cluster/api-http.js'
import {listApiServices, readConfigMap} from '../cluster/calico-reads.js'
import {
  type ApiserverDiscovery,
  ControlPlane,
  type DiscoveryFailure,
  discoveryFailure,
} from '../cluster/control-plane.js'
import {aksContext} from '../cluster/aks-context.js'
import {eksContext} from '../cluster/eks-context.js'
import {loadKubeConfig} from '../cluster/kubeconfig.js'
import {contextView} from '../cluster/managed-context.js'
import type {ManagedProvider} from '../cluster/managed-provider.js'
import {UserError} from '../errors.js'
import type {RunContext} from '../run-context.js'
import type {NodeFileReader} from '../sources/node-files.js'
import {fetchPolicyCommand} from './by-hand-commands.js'
import {coverageInputs} from './coverage-inputs.js'
import type {CalicoFacts, DoctorFacts, PolicyFacts} from './facts.js'
import type {DoctorOptions} from './options.js'
import {readPolicyFile} from './policy-file.js'

/** The reader pods' hard deadline: they only run stat, cat and tail on small files. */
const NODE_READ_TIMEOUT_SECONDS = 120

/** Where Calico Enterprise keeps its API server's audit policy: operator installs, then Helm. */
const ENTERPRISE_POLICY_CONFIGMAPS = [
  {namespace: 'tigera-system', name: 'tigera-audit-policy'},
  {namespace: 'kube-system', name: 'audit-policy-ee'},
]

/** How long doctor waits for one answer: --request-timeout, and no longer than the run lasts. */
interface Wait {
  readonly timeoutMs: number
  readonly signal: AbortSignal
}

/** `run`: where reader pods register their deletion, and where their notices go. */
export async function gatherClusterFacts(options: DoctorOptions, run: RunContext): Promise<DoctorFacts> {
  const kc = await loadKubeConfig(options.connection, process.env, process.stderr, run.signal)
  const controlPlane = new ControlPlane(kc, run.signal)
  const {server} = controlPlane
  const timeoutMs = options.connection.requestTimeoutMs
  const wait: Wait = {timeoutMs, signal: run.signal}

  // /version first: it proves the address and the credentials before anything else.
  const info = await call(controlPlane.version(), wait, {
    verb: 'get',
    resource: '/version',
    purpose: 'read the server version',
    server,
  })
  const parsed = parseKubernetesVersion(info.gitVersion)
  const version = options.kubernetesVersion ?? parsed
  const versionSource = options.kubernetesVersion ? '--kubernetes-version' : `/version (${info.gitVersion})`

  const discovery: ApiserverDiscovery = await call(controlPlane.apiservers(), wait, {
    verb: 'list',
    resource: 'pods',
    namespace: 'kube-system',
    purpose: 'find the kube-apiserver pods',
    server,
  })
  const managedProvider =
    discovery.instances.length === 0
      ? await call(controlPlane.managedProvider(), wait, {
          verb: 'list',
          resource: 'nodes',
          purpose: 'list the nodes',
          server,
        })
      : undefined
  const {calico, servedGroups} = await readCalico(kc, version, wait, server)
  const eks = await readEks(kc, options, managedProvider, run.signal)
  const aks = await readAks(kc, options, managedProvider, run.signal)

  // Every node file of the run (the policy, each log's end) goes through one set of reader pods.
  const [{ReaderPods}, {nodeFileReader}] = await Promise.all([
    import('../sources/reader-pods.js'),
    import('../sources/node-files.js'),
  ])
  const readers = new ReaderPods(
    kc,
    {image: options.nodeRead.image, namespace: options.nodeRead.namespace, timeoutSeconds: NODE_READ_TIMEOUT_SECONDS},
    run,
  )
  const readFile = nodeFileReader(kc, options.nodeRead.via, readers, run.signal)
  let policy: PolicyFacts
  let logTails: DoctorFacts['logTails']
  try {
    policy = await clusterPolicy(options, discovery, managedProvider, version, readFile)
    const {readClusterLogTails} = await import('./log-tails.js')
    logTails = await readClusterLogTails(kc, options, discovery.instances, readFile, run.signal)
  } finally {
    await readers.close()
  }
  return {
    mode: 'cluster',
    kubernetesVersion: version,
    versionSource,
    apiserverSource: `the cluster at ${server}`,
    apiservers: discovery.instances,
    discoveryFailures: discovery.failures,
    managedProvider,
    policy,
    calico,
    coverage: coverageInputs(options, version, servedGroups, calico),
    logTails,
    ...(eks ? {eks} : {}),
    ...(aks ? {aks} : {}),
  }
}

/** An AKS cluster's diagnostic settings, when the context, the nodes or the flags say AKS. */
async function readAks(
  kc: KubeConfig,
  options: DoctorOptions,
  provider: ManagedProvider | undefined,
  signal: AbortSignal,
): Promise<DoctorFacts['aks']> {
  const view = contextView(kc)
  const inferred = view && aksContext(view)
  const given = {...options.aks, ...(options.eks.clusterName ? {clusterName: options.eks.clusterName} : {})}
  if (
    !inferred &&
    provider?.id !== 'aks' &&
    options.aks?.subscription === undefined &&
    options.aks?.resourceGroup === undefined
  )
    return undefined
  const {gatherAksFacts} = await import('./aks-facts.js')
  return gatherAksFacts(inferred, given, {}, signal)
}

/** An EKS cluster's audit log setup, when the context, the nodes or the flags say EKS. */
async function readEks(
  kc: KubeConfig,
  options: DoctorOptions,
  provider: ManagedProvider | undefined,
  signal: AbortSignal,
): Promise<DoctorFacts['eks']> {
  const view = contextView(kc)
  const inferred = view && eksContext(view)
  // --cluster-name is shared with AKS: on a cluster that is AKS, it names that one.
  const aks = provider?.id === 'aks' || (view !== undefined && aksContext(view) !== undefined)
  const flagged = (options.eks.clusterName !== undefined && !aks) || options.eks.logGroup !== undefined
  if (!inferred && provider?.id !== 'eks' && !flagged) return undefined
  const {gatherEksFacts} = await import('./eks-facts.js')
  return gatherEksFacts(inferred, options.eks, signal)
}

/** An API call doctor cannot do without: any failure becomes one actionable line (exit 2). */
async function call<T>(promise: Promise<T>, wait: Wait, context: ApiAttempt): Promise<T> {
  try {
    return await withRequestTimeout(abortable(promise, wait.signal), wait.timeoutMs)
  } catch (error) {
    throw apiErrorToUserError(error, context)
  }
}

/** An API call whose refusal (403, 404, ...) is a fact to report; network errors and a 401 still stop the run. */
async function attempt<T>(
  promise: Promise<T>,
  wait: Wait,
  request: string,
  context: ApiAttempt,
): Promise<{value: T} | {failure: DiscoveryFailure}> {
  try {
    return {value: await withRequestTimeout(abortable(promise, wait.signal), wait.timeoutMs)}
  } catch (error) {
    if (refusalCodeOf(error) !== undefined) return {failure: discoveryFailure(request, error)}
    throw apiErrorToUserError(error, context)
  }
}

async function readCalico(
  kc: KubeConfig,
  version: KubernetesVersion | undefined,
  wait: Wait,
  server: string,
): Promise<{calico: CalicoFacts; servedGroups?: ReadonlySet<string>}> {
  const failures: DiscoveryFailure[] = []
  // Every served group has an APIService: built-in and CRD groups locally, aggregated ones with a Service.
  const listed = await attempt(listApiServices(kc), wait, 'list apiservices.apiregistration.k8s.io', {
    verb: 'list',
    resource: 'apiservices.apiregistration.k8s.io',
    purpose: 'see how Calico is served',
    server,
  })
  let servedGroups: Set<string> | undefined
  let apiService: CalicoFacts['apiService'] = {state: 'absent'}
  if ('failure' in listed) {
    failures.push(listed.failure)
  } else {
    servedGroups = new Set()
    for (const item of listed.value) {
      const group = item.spec?.group ?? item.metadata?.name?.split('.').slice(1).join('.') ?? ''
      servedGroups.add(group)
      if (group === CALICO_GROUP) {
        const service = item.spec?.service
        apiService = service?.name
          ? {state: 'aggregated', service: `${service.namespace}/${service.name}`}
          : {state: 'local'}
      }
    }
  }
  const enterprise = apiService.state === 'aggregated' && apiService.service.startsWith('tigera-system/')

  let enterprisePolicy: CalicoFacts['enterprisePolicy']
  for (const {namespace, name} of ENTERPRISE_POLICY_CONFIGMAPS) {
    const read = await attempt(readConfigMap(kc, namespace, name), wait, `get configmaps ${name} -n ${namespace}`, {
      verb: 'get',
      resource: 'configmaps',
      namespace,
      purpose: "read Calico Enterprise's audit policy",
      server,
    })
    if ('failure' in read) {
      if (read.failure.status !== 404) failures.push(read.failure)
      continue
    }
    const data = read.value.data ?? {}
    const text = data.config ?? Object.values(data).find((v) => /kind:\s*Policy/.test(v))
    if (text !== undefined) {
      enterprisePolicy = {location: `ConfigMap ${namespace}/${name}`, loaded: loadPolicy(text, version)}
      break
    }
  }
  return {
    calico: {
      apiService,
      backingCrds: servedGroups?.has(CALICO_CRD_GROUP) ?? false,
      enterprise,
      ...(enterprisePolicy ? {enterprisePolicy} : {}),
      failures,
    },
    servedGroups,
  }
}

async function clusterPolicy(
  options: DoctorOptions,
  discovery: ApiserverDiscovery,
  provider: ManagedProvider | undefined,
  version: KubernetesVersion | undefined,
  readFile: NodeFileReader,
): Promise<PolicyFacts> {
  if (options.policyFile) return readPolicyFile(options.policyFile, version)
  if (provider)
    return {
      state: 'unavailable',
      reason: `${provider.name} sets the audit policy of its control plane; it cannot be read`,
      command: null,
    }
  if (discovery.instances.length === 0) {
    return {
      state: 'unavailable',
      reason: 'no kube-apiserver found, so the policy file is unknown',
      command: 'kubectl audit doctor --policy-file FILE',
    }
  }
  const apiserver = discovery.instances.find((a) => a.policyFile)
  if (!apiserver?.policyFile) return {state: 'not-configured'}
  const {policyFile} = apiserver
  if (!policyFile.hostPath) {
    return {
      state: 'unavailable',
      reason: `${policyFile.path} is not on a hostPath volume, so it cannot be read from the node`,
      command: null,
    }
  }
  const command = fetchPolicyCommand(apiserver.nodeName, policyFile.hostPath)
  if (!options.nodeAccess)
    return {
      state: 'unavailable',
      reason: `--no-node-access: ${policyFile.hostPath} on ${apiserver.nodeName ?? 'the node'} was not read`,
      command,
    }
  if (!apiserver.nodeName)
    return {state: 'unavailable', reason: `the kube-apiserver pod ${apiserver.name} has no node`, command}
  const location = `node ${apiserver.nodeName}:${policyFile.hostPath}`
  try {
    const bytes = await readFile(apiserver.nodeName, policyFile.hostPath)
    return {state: 'loaded', location, loaded: loadPolicy(bytes.toString('utf8'), version)}
  } catch (error) {
    // Not being allowed to read a node file is a finding, not a reason to stop.
    if (!(error instanceof UserError)) throw error
    return {
      state: 'unavailable',
      reason: `could not read ${location}: ${error.message}${error.hint ? ` (${error.hint})` : ''}`,
      command,
    }
  }
}
