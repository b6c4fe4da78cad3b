// The doctor command's flags, and their validation into one options object before any work.
import {Flags} from '@oclif/core'

import {CALICO_CRD_GROUP, CALICO_GROUP, resolveKind, WATCHED_RESOURCES, WRITE_VERBS} from '../audit/catalog.js'
import {type CoverageTarget, sameTarget} from '../audit/policy/coverage.js'
import {expandShortName, findKnownResource, groupsServing, pluralOf} from '../audit/policy/known-resources.js'
import {type KubernetesVersion, parseKubernetesVersion} from '../audit/policy/kubernetes-version.js'
import type {DoctorOptions, ProbeOptions} from '../doctor/options.js'
import type {LogInput} from '../sources/open.js'
import type {ProbeKind} from '../doctor/probe-plan.js'
import {UserError} from '../errors.js'
import type {ColorMode} from '../render/color-mode.js'
import {commaList} from './comma-list.js'
import {aksFlags, type AksFlagValues, aksLogOptions, givenAksFlags} from './aks.js'
import {DURATION_FORM, parseDuration} from './duration.js'
import {eksFlags, type EksFlagValues, eksLogOptions, givenEksFlags} from './eks.js'
import {
  elasticsearchFlags,
  type ElasticsearchFlagValues,
  elasticsearchOptions,
  givenElasticsearchFlags,
} from './elasticsearch.js'
import {FILE_VALUE} from './help-values.js'
import {givenKubeFlags, kubeConnectionOptions, kubeFlags, type KubeFlagValues} from './kube.js'
import {givenLokiFlags, lokiFlags, type LokiFlagValues, lokiInput} from './loki.js'
import type {OutputFlagValues, OutputFormat} from './output.js'
import {DEFAULT_POD_NAMESPACE, DEFAULT_READER_IMAGE, imageSummary, POD_NAMESPACE_SUMMARY} from './reader-pod.js'

const DEFAULT_PROBE_TIMEOUT = '60s'
/** A probe looked for longer than this is no longer a check but a wait. */
const MAX_PROBE_TIMEOUT_MS = 60 * 60_000
/** The probe's reader pods (when the kubelet cannot read the log) outlive the wait by this much. */
const PROBE_POD_SPARE_SECONDS = 120

/** Stands for "an ordinary user": no policy is expected to name it. */
export const DEFAULT_POLICY_USER = 'jane.doe@example.com'
const ANONYMOUS_USER = 'system:anonymous'
const SERVICE_ACCOUNT_PREFIX = 'system:serviceaccount:'

export const doctorFlags = {
  ...kubeFlags,
  // Not a flag of doctor: there to say which of two it means (--kube-user or --policy-user).
  user: Flags.string({hidden: true}),
  offline: Flags.boolean({
    summary: 'Do not contact a cluster: check only --manifest and --policy-file.',
    helpGroup: 'OFFLINE',
  }),
  manifest: Flags.string({
    helpValue: FILE_VALUE,
    summary:
      'kube-apiserver static pod manifest, or `kubectl get pod -o yaml|json` output, to check instead of the cluster (implies --offline).',
    helpGroup: 'OFFLINE',
  }),
  'policy-file': Flags.string({
    helpValue: FILE_VALUE,
    summary: 'Audit policy file to check (default: the one the apiserver names, read from the node).',
    helpGroup: 'POLICY',
  }),
  'kubernetes-version': Flags.string({
    summary: 'Kubernetes version (X.Y) the rules apply to, when not read from the cluster or the manifest image.',
    helpGroup: 'OFFLINE',
  }),
  'node-access': Flags.boolean({
    summary: 'Read the policy file from the control-plane node (--no-node-access: never touch nodes).',
    default: true,
    allowNo: true,
    helpGroup: 'POLICY',
  }),
  via: Flags.option({
    options: ['auto', 'kubelet', 'pod'] as const,
    summary:
      'How to read the policy file on the node: the kubelet /logs/ proxy (paths under /var/log only), a short-lived reader pod, or auto. [default: auto]',
    helpGroup: 'POLICY',
  })(),
  // Doctor's reads are whole small files and tails: stat for the size, head and tail for the bytes.
  image: Flags.string({summary: imageSummary(['sleep', 'sh', 'stat', 'head', 'tail']), helpGroup: 'POLICY'}),
  'pod-namespace': Flags.string({summary: POD_NAMESPACE_SUMMARY, helpGroup: 'POLICY'}),
  'policy-user': Flags.string({
    summary: `User the coverage is evaluated for. [default: ${DEFAULT_POLICY_USER}]`,
    helpGroup: 'COVERAGE',
  }),
  'policy-group': Flags.string({
    multiple: true,
    summary:
      "Another group of that user; repeatable. The groups the apiserver always adds are added too: system:authenticated (system:unauthenticated for system:anonymous), and a service account's.",
    helpGroup: 'COVERAGE',
  }),
  resource: Flags.string({
    multiple: true,
    summary:
      'Also show coverage of this resource, as kubectl auth can-i takes it: pods, po, pods/log, clusterroles.rbac.authorization.k8s.io. Repeatable.',
    helpGroup: 'COVERAGE',
  }),
  verbs: Flags.string({
    multiple: true,
    summary: `Verbs to evaluate (comma list). [default: ${WRITE_VERBS.join(',')}]`,
    helpGroup: 'COVERAGE',
  }),
  'print-policy': Flags.boolean({
    summary: 'Print a recommended audit policy (audit.k8s.io/v1) as YAML (-o json: as JSON) and exit.',
  }),
  probe: Flags.boolean({
    summary:
      'Prove it end to end: send a dry-run create of each kind (nothing is stored) with an Audit-ID of our own, and find that ID in the audit log where policies reads it. Needs create on those kinds. Without --probe, doctor sends no policy write, not even a dry run.',
    helpGroup: 'PROBE',
  }),
  'probe-kind': Flags.string({
    multiple: true,
    summary:
      "Kinds to probe (comma list, as policies --kind takes them: knp, gnp, np, tier, ...). [default: knp, and gnp,np where Calico's API is served]",
    helpGroup: 'PROBE',
  }),
  'probe-namespace': Flags.string({
    summary: "Namespace of the namespaced probes. [default: the context's namespace]",
    helpGroup: 'PROBE',
  }),
  'probe-timeout': Flags.string({
    summary: `How long to look for the probes in the log. CloudWatch Logs, Cloud Logging and Log Analytics can take minutes to show an event: give them 5m. [default: ${DEFAULT_PROBE_TIMEOUT}]`,
    helpGroup: 'PROBE',
  }),
  ...eksFlags,
  subscription: aksFlags.subscription,
  'resource-group': aksFlags['resource-group'],
  // Where --probe looks when the log is in a store `policies` reads by URL (as policies takes them).
  es: elasticsearchFlags.es,
  'es-index': elasticsearchFlags['es-index'],
  'es-cluster': elasticsearchFlags['es-cluster'],
  'es-ca': elasticsearchFlags['es-ca'],
  'es-insecure-skip-tls-verify': elasticsearchFlags['es-insecure-skip-tls-verify'],
  loki: lokiFlags.loki,
  'loki-selector': lokiFlags['loki-selector'],
  'loki-tenant': lokiFlags['loki-tenant'],
  'loki-ca': lokiFlags['loki-ca'],
  'loki-insecure-skip-tls-verify': lokiFlags['loki-insecure-skip-tls-verify'],
}

/** The store flags doctor takes: only for --probe. */
type DoctorStoreFlagValues = Omit<ElasticsearchFlagValues, 'es-clusters' | 'es-push-down'> &
  Omit<LokiFlagValues, 'loki-push-down'>

export interface DoctorFlagValues
  extends KubeFlagValues, OutputFlagValues, EksFlagValues, Omit<AksFlagValues, 'workspace'>, DoctorStoreFlagValues {
  user?: string
  offline?: boolean
  manifest?: string
  'policy-file'?: string
  'kubernetes-version'?: string
  'node-access': boolean
  via?: 'auto' | 'kubelet' | 'pod'
  image?: string
  'pod-namespace'?: string
  'policy-user'?: string
  'policy-group'?: string[]
  resource?: string[]
  verbs?: string[]
  'print-policy'?: boolean
  probe?: boolean
  'probe-kind'?: string[]
  'probe-namespace'?: string
  'probe-timeout'?: string
}

/** What the command itself does with the options: print the policy, and how to render. */
export interface DoctorCommandOptions extends DoctorOptions {
  readonly printPolicy: boolean
  readonly output: OutputFormat
  readonly color: ColorMode
}

/** Validates and compiles the flags; throws UserError (exit 2) on anything inconsistent. Does no I/O. */
export function doctorOptions(flags: DoctorFlagValues): DoctorCommandOptions {
  if (flags.user !== undefined) {
    throw new UserError('doctor has no --user: it could mean two things', {
      hint: `the kubeconfig user to connect as is --kube-user ${flags.user}; the user whose writes the coverage is evaluated for is --policy-user ${flags.user}`,
    })
  }
  const connection = kubeConnectionOptions(flags)
  const image = (flags.image ?? DEFAULT_READER_IMAGE).trim()
  if (image === '')
    throw new UserError('--image is empty', {hint: `name an image the nodes can pull, e.g. ${DEFAULT_READER_IMAGE}`})
  const podNamespace = (flags['pod-namespace'] ?? DEFAULT_POD_NAMESPACE).trim()
  if (podNamespace === '')
    throw new UserError('--pod-namespace is empty', {hint: `e.g. --pod-namespace ${DEFAULT_POD_NAMESPACE}`})
  let kubernetesVersion: KubernetesVersion | undefined
  if (flags['kubernetes-version'] !== undefined) {
    kubernetesVersion = parseKubernetesVersion(flags['kubernetes-version'])
    if (!kubernetesVersion)
      throw new UserError(`--kubernetes-version "${flags['kubernetes-version']}" is not a version`, {
        hint: 'write it as X.Y, e.g. --kubernetes-version 1.31',
      })
  }
  const user = flags['policy-user'] ?? DEFAULT_POLICY_USER
  if (user.trim() === '')
    throw new UserError('--policy-user is empty', {hint: 'name the user whose writes should be recorded'})
  const verbs = flags.verbs ? [...new Set(commaList(flags.verbs))] : [...WRITE_VERBS]
  if (verbs.length === 0) throw new UserError('--verbs is empty', {hint: `e.g. --verbs ${WRITE_VERBS.join(',')}`})
  if (verbs.includes('*')) {
    // A request has one verb, and a policy's "*" verb is a literal string: no request matches it.
    throw new UserError(
      '--verbs "*" is not a verb: every request carries one verb, and "*" is no wildcard in an audit policy',
      {hint: `list them, e.g. --verbs ${WRITE_VERBS.join(',')},get,list,watch`},
    )
  }
  if (flags['print-policy']) checkPrintPolicyFlags(flags)
  const identity = {name: user, groups: identityGroups(user, flags['policy-group'] ?? [])}
  const extraTargets = distinctTargets((flags.resource ?? []).map(parseResourceArg))
  if (flags.offline && flags.manifest === undefined && flags['policy-file'] === undefined && !flags['print-policy']) {
    // Every check would skip: that is no answer.
    throw new UserError('--offline needs something to check: neither --manifest nor --policy-file is given', {
      hint: 'on a control-plane node: kubectl audit doctor --manifest /etc/kubernetes/manifests/kube-apiserver.yaml (--policy-file FILE checks a policy alone)',
    })
  }
  const offline = flags.offline === true || flags.manifest !== undefined
  if (offline) checkOfflineFlags(flags)
  const eks = eksLogOptions(flags)
  const aks = aksDoctorOptions(flags)
  const probe = probeOptions(
    flags,
    connection,
    {via: flags.via ?? 'auto', image, namespace: podNamespace},
    {eks, ...aks},
  )
  return {
    offline,
    manifest: flags.manifest,
    policyFile: flags['policy-file'],
    kubernetesVersion,
    nodeAccess: flags['node-access'],
    nodeRead: {via: flags.via ?? 'auto', image, namespace: podNamespace},
    connection,
    identity,
    verbs,
    extraTargets,
    eks,
    ...aks,
    ...(probe ? {probe} : {}),
    printPolicy: flags['print-policy'] ?? false,
    output: flags.output,
    color: flags.color,
  }
}

/** The AKS lookups' flags, only when given (the options stay as they were without them). */
function aksDoctorOptions(flags: DoctorFlagValues): {aks?: ReturnType<typeof aksLogOptions>} {
  const aks = aksLogOptions(flags)
  return Object.keys(aks).length > 0 ? {aks} : {}
}

/** Offline, nothing is connected to: flags for the cluster would be ignored, so they are refused. */
function checkOfflineFlags(flags: DoctorFlagValues): void {
  const nodeRead = (
    ['via', 'image', 'pod-namespace', 'probe', 'probe-kind', 'probe-namespace', 'probe-timeout'] as const
  )
    .filter((name) => flags[name] !== undefined && flags[name] !== false)
    .map((name) => `--${name}`)
  const given = [...givenKubeFlags(flags), ...nodeRead, ...givenEksFlags(flags), ...givenAksFlags(flags)]
  if (given.length === 0) return
  const why = flags.offline ? '--offline' : '--manifest (which implies --offline)'
  throw new UserError(
    `${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} for checking a cluster, which ${why} does not contact`,
    {
      hint: `drop ${given.join(' ')}, or drop ${flags.offline ? '--offline' : '--manifest'} to check the cluster`,
    },
  )
}

/** Flags that ask for a check, which --print-policy does not run. */
const CHECK_FLAGS = [
  'manifest',
  'policy-file',
  'offline',
  'kubernetes-version',
  'policy-user',
  'policy-group',
  'resource',
  'verbs',
  'probe',
  'probe-kind',
  'probe-namespace',
  'probe-timeout',
] as const

/** --print-policy prints one fixed policy, as YAML or (-o json) JSON: anything else is refused, not ignored. */
function checkPrintPolicyFlags(flags: DoctorFlagValues): void {
  const given = CHECK_FLAGS.filter((name) => flags[name] !== undefined && flags[name] !== false)
  if (given.length > 0) {
    throw new UserError(
      `--print-policy does not check anything, so it takes no ${given.map((name) => `--${name}`).join(', ')}`,
      {
        hint: 'print it, then check it: kubectl audit doctor --print-policy > audit-policy.yaml && kubectl audit doctor --policy-file audit-policy.yaml',
      },
    )
  }
  if (flags.output === 'wide')
    throw new UserError('--print-policy prints YAML, or JSON with -o json: -o wide does not apply', {
      hint: 'drop -o wide',
    })
}

/**
 * The groups a request of `user` carries: those named, plus those the apiserver's authenticators
 * always add (an authenticated user gets system:authenticated; a service account token also
 * system:serviceaccounts and system:serviceaccounts:NAMESPACE; an anonymous request has only
 * system:unauthenticated), so `--policy-group ops` cannot drop a group a rule may match on.
 */
export function identityGroups(user: string, named: readonly string[]): string[] {
  const empty = named.find((g) => g.trim() === '')
  if (empty !== undefined)
    throw new UserError('--policy-group is empty', {
      hint: 'name a group, e.g. --policy-group system:masters; system:authenticated is always included',
    })
  if (user === ANONYMOUS_USER) {
    if (named.some((g) => g !== 'system:unauthenticated')) {
      throw new UserError(`${ANONYMOUS_USER} is in no group but system:unauthenticated`, {
        hint: 'drop --policy-group, or pick another --policy-user',
      })
    }
    return ['system:unauthenticated']
  }
  const implied = ['system:authenticated']
  if (user.startsWith(SERVICE_ACCOUNT_PREFIX)) {
    const namespace = user.slice(SERVICE_ACCOUNT_PREFIX.length).split(':')[0]
    implied.push('system:serviceaccounts', ...(namespace ? [`system:serviceaccounts:${namespace}`] : []))
  }
  return [...new Set([...named, ...implied])]
}

/**
 * `pods`, `po`, `pod`, `pods/log`, `clusterroles.rbac.authorization.k8s.io`,
 * `globalnetworkpolicies.projectcalico.org/status`: resource[.group][/subresource], as
 * `kubectl auth can-i` takes them, case-insensitively. A short name is one of Kubernetes' own
 * (kubectl finds them by discovery; this table stands in for it); a bare name must belong to
 * exactly one known group.
 */
export function parseResourceArg(text: string): CoverageTarget {
  const [qualified, subresource, extra] = text.trim().toLowerCase().split('/')
  if (!qualified || extra !== undefined || subresource === '') {
    throw new UserError(`--resource "${text}" is not a resource`, {
      hint: 'write resource[.group][/subresource], e.g. pods/log or clusterroles.rbac.authorization.k8s.io',
    })
  }
  const dot = qualified.indexOf('.')
  const name = dot === -1 ? qualified : qualified.slice(0, dot)
  let apiGroup: string
  let resource: string
  const short = dot === -1 ? expandShortName(name) : undefined
  if (dot !== -1) {
    apiGroup = qualified.slice(dot + 1)
    resource = findKnownResource(apiGroup, pluralOf(name)) ? pluralOf(name) : name
  } else if (short) {
    ;({apiGroup, resource} = short)
  } else {
    resource = pluralOf(name)
    const groups = groupsServing(resource)
    if (groups.length === 0) {
      const named = WATCHED_RESOURCES.filter((r) => r.shortNames.includes(name)).map(
        (r) => `${r.resource}.${r.apiGroup}`,
      )
      const hint =
        named.length > 0
          ? `"${name}" is not a Kubernetes short name; write the resource with its group: ${named.join(', ')}`
          : `name its group: ${resource}.GROUP`
      throw new UserError(`--resource "${text}": no built-in resource or short name of that name`, {hint})
    }
    if (groups.length > 1) {
      const choices = groups.map((g) => (g === '' ? resource : `${resource}.${g}`)).join(', ')
      throw new UserError(`--resource "${text}" is served by several groups`, {hint: `pick one: ${choices}`})
    }
    apiGroup = groups[0]
  }
  const known = findKnownResource(apiGroup, resource)
  return {apiGroup, resource, ...(subresource ? {subresource} : {}), ...(known ? {namespaced: known.namespaced} : {})}
}

/** The same target named twice (`po`, `Pods`, `pods`) makes one row. */
function distinctTargets(targets: readonly CoverageTarget[]): CoverageTarget[] {
  return targets.filter((target, i) => targets.findIndex((other) => sameTarget(target, other)) === i)
}

/**
 * --probe and its flags. The log is looked for where `policies` reads it without -f (every place
 * it can read, decided from the cluster), through the node-reading flags doctor already has.
 */
function probeOptions(
  flags: DoctorFlagValues,
  connection: DoctorOptions['connection'],
  nodeRead: DoctorOptions['nodeRead'],
  managed: Pick<DoctorOptions, 'eks' | 'aks'>,
): ProbeOptions | undefined {
  const stores = [...givenElasticsearchFlags(flags), ...givenLokiFlags(flags)]
  const given = [
    ...(['probe-kind', 'probe-namespace', 'probe-timeout'] as const)
      .filter((name) => flags[name] !== undefined)
      .map((name) => `--${name}`),
    ...stores,
  ]
  if (!flags.probe) {
    if (given.length > 0)
      throw new UserError(`${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} for --probe`, {
        hint: `add --probe (it sends dry-run creates), or drop ${given.join(' ')}`,
      })
    return undefined
  }
  const timeout = flags['probe-timeout'] ?? DEFAULT_PROBE_TIMEOUT
  const timeoutMs = parseDuration(timeout)
  if (timeoutMs === undefined)
    throw new UserError(`--probe-timeout "${timeout}" is not a duration`, {hint: `use ${DURATION_FORM}`})
  if (timeoutMs <= 0 || timeoutMs > MAX_PROBE_TIMEOUT_MS)
    throw new UserError(`--probe-timeout ${timeout} is out of range`, {
      hint: 'give more than 0 and at most 1h, e.g. --probe-timeout 5m for CloudWatch Logs or Cloud Logging',
    })
  const namespace = flags['probe-namespace']?.trim()
  if (namespace === '') throw new UserError('--probe-namespace is empty', {hint: 'e.g. --probe-namespace default'})
  const kinds = flags['probe-kind'] ? probeKinds(flags['probe-kind']) : null
  return {
    kinds,
    ...(namespace === undefined ? {} : {namespace}),
    timeoutMs,
    // --no-node-access: a managed provider's log service or a store is still looked in; the nodes are not.
    nodeAccess: flags['node-access'],
    input: probeInput(flags, connection, {
      from: 'cluster',
      location: 'auto',
      cluster: {
        ...connection,
        nodes: [],
        via: nodeRead.via,
        image: nodeRead.image,
        podNamespace: nodeRead.namespace,
        podTimeoutSeconds: Math.ceil(timeoutMs / 1000) + PROBE_POD_SPARE_SECONDS,
      },
      ...managed,
      // Without --es, as for policies: Calico Enterprise's store, found through the cluster when no node log can be read.
      elasticsearch: elasticsearchOptions(flags, connection.requestTimeoutMs),
    }),
  }
}

/**
 * Where the probe looks: the Loki --loki names, the Elasticsearch --es names, or where `policies`
 * reads without -f. The cluster is still contacted (the probe writes through it): unlike
 * policies, doctor's connection flags go with --es and --loki.
 */
function probeInput(
  flags: DoctorFlagValues,
  connection: DoctorOptions['connection'],
  cluster: Extract<LogInput, {from: 'cluster'}>,
): ProbeOptions['input'] {
  const loki = lokiInput(flags, connection.requestTimeoutMs, {kube: [], elsewhere: givenElasticsearchFlags(flags)})
  if (loki) return loki as Extract<LogInput, {from: 'loki'}>
  if (flags.es === undefined) return cluster
  const {elasticsearch} = cluster
  if (elasticsearch.credentialsProblem)
    throw new UserError(elasticsearch.credentialsProblem, {
      hint: 'set ES_USERNAME and ES_PASSWORD, or ES_API_KEY alone',
    })
  return {from: 'elasticsearch', elasticsearch}
}

/** Groups whose kinds the probe writes: Kubernetes' own network policy and Calico's. */
const PROBED_GROUPS = new Set(['networking.k8s.io', CALICO_GROUP, CALICO_CRD_GROUP])

/** --probe-kind values, as --kind takes them: a Calico kind not pinned to a group goes through whichever of Calico's groups is served. */
export function probeKinds(values: readonly string[]): ProbeKind[] {
  const names = commaList([...values])
  if (names.length === 0) throw new UserError('--probe-kind is empty', {hint: 'e.g. --probe-kind knp,gnp'})
  const kinds: ProbeKind[] = []
  for (const name of names) {
    const resolved = resolveKind(name)
    if (!resolved)
      throw new UserError(`--probe-kind "${name}" is not a watched kind`, {
        hint: 'use a kind as policies --kind takes it: knp, gnp, np, sgnp, snp, sknp, tier, gns, netset, hep',
      })
    const served = resolved.filter((r) => PROBED_GROUPS.has(r.apiGroup))
    if (served.length === 0) {
      const [first] = resolved
      const why =
        first!.apiGroup === 'extensions'
          ? 'extensions stopped serving network policies in Kubernetes 1.16: use knp'
          : `the probe writes Kubernetes and Calico network policy kinds; ${first!.kind} is not probed`
      throw new UserError(`--probe-kind "${name}": ${why}`, {hint: 'e.g. --probe-kind knp,gnp'})
    }
    const [first] = served
    const calico = served.every((r) => r.apiGroup === CALICO_GROUP || r.apiGroup === CALICO_CRD_GROUP)
    const apiGroup = calico && served.length > 1 ? null : first!.apiGroup
    if (!kinds.some((k) => k.resource === first!.resource && k.apiGroup === apiGroup))
      kinds.push({kind: first!.kind, resource: first!.resource, namespaced: first!.namespaced, apiGroup})
  }
  return kinds
}
