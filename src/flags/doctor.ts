// The doctor command's flags, and their validation into one options object before any work.
import {Flags} from '@oclif/core'

import {WRITE_VERBS} from '../audit/catalog.js'
import type {CoverageTarget} from '../audit/policy/coverage.js'
import type {RequestUser} from '../audit/policy/evaluate.js'
import {findKnownResource, groupsServing} from '../audit/policy/known-resources.js'
import {type KubernetesVersion, parseKubernetesVersion} from '../audit/policy/kubernetes-version.js'
import {UserError} from '../errors.js'
import type {ColorMode} from '../render/color.js'
import {DEFAULT_READER_IMAGE} from './cluster-read.js'
import {FILE_VALUE} from './help-values.js'
import {kubeConnectionOptions, kubeFlags, type KubeConnectionOptions, kubeUserFlag} from './kube.js'
import {commaList} from './comma-list.js'

/** Stands for "an ordinary user": no policy is expected to name it. */
export const DEFAULT_POLICY_USER = 'jane.doe@example.com'
export const DEFAULT_POLICY_GROUPS = ['system:authenticated']

export const doctorFlags = {
  ...kubeFlags,
  user: kubeUserFlag,
  offline: Flags.boolean({summary: 'Do not contact a cluster: check only --manifest and --policy-file.', helpGroup: 'OFFLINE'}),
  manifest: Flags.string({
    helpValue: FILE_VALUE,
    summary: 'kube-apiserver static pod manifest, or `kubectl get pod -o yaml|json` output, to check instead of the cluster (implies --offline).',
    helpGroup: 'OFFLINE',
  }),
  'policy-file': Flags.string({helpValue: FILE_VALUE, summary: 'Audit policy file to check (default: the one the apiserver names, read from the node).', helpGroup: 'POLICY'}),
  'kubernetes-version': Flags.string({summary: 'Kubernetes version (X.Y) the rules apply to, when not read from the cluster or the manifest image.', helpGroup: 'OFFLINE'}),
  'node-access': Flags.boolean({
    summary: 'Read the policy file from the control-plane node (--no-node-access: never touch nodes).',
    default: true,
    allowNo: true,
    helpGroup: 'POLICY',
  }),
  via: Flags.option({
    options: ['auto', 'kubelet', 'pod'] as const,
    default: 'auto',
    summary: 'How to read the policy file on the node: the kubelet /logs/ proxy (paths under /var/log only), a short-lived reader pod, or auto.',
    helpGroup: 'POLICY',
  })(),
  image: Flags.string({default: DEFAULT_READER_IMAGE, summary: 'Image of the reader pod (needs sh, cat, stat).', helpGroup: 'POLICY'}),
  'pod-namespace': Flags.string({default: 'kube-system', summary: 'Namespace of the reader pod; its Pod Security level must allow hostPath volumes.', helpGroup: 'POLICY'}),
  'policy-user': Flags.string({summary: `User the coverage is evaluated for. [default: ${DEFAULT_POLICY_USER}]`, helpGroup: 'COVERAGE'}),
  'policy-group': Flags.string({multiple: true, summary: `Group of that user; repeatable. [default: ${DEFAULT_POLICY_GROUPS.join(', ')}]`, helpGroup: 'COVERAGE'}),
  resource: Flags.string({
    multiple: true,
    summary: 'Also show coverage of this resource, as kubectl auth can-i takes it: pods, pods/log, clusterroles.rbac.authorization.k8s.io. Repeatable.',
    helpGroup: 'COVERAGE',
  }),
  verbs: Flags.string({multiple: true, summary: `Verbs to evaluate (comma list). [default: ${WRITE_VERBS.join(',')}]`, helpGroup: 'COVERAGE'}),
  'print-policy': Flags.boolean({summary: 'Print a recommended audit policy (audit.k8s.io/v1) and exit.'}),
}

export interface DoctorFlagValues {
  kubeconfig?: string
  context?: string
  cluster?: string
  user?: string
  'request-timeout': string
  offline: boolean
  manifest?: string
  'policy-file'?: string
  'kubernetes-version'?: string
  'node-access': boolean
  via: 'auto' | 'kubelet' | 'pod'
  image: string
  'pod-namespace': string
  'policy-user'?: string
  'policy-group'?: string[]
  resource?: string[]
  verbs?: string[]
  'print-policy': boolean
  output: 'table' | 'wide' | 'json' | 'yaml'
  color: ColorMode
}

export interface DoctorOptions {
  readonly offline: boolean
  readonly manifest?: string
  readonly policyFile?: string
  readonly kubernetesVersion?: KubernetesVersion
  readonly nodeAccess: boolean
  /** How the policy file is read from the node. */
  readonly nodeRead: {readonly via: 'auto' | 'kubelet' | 'pod'; readonly image: string; readonly namespace: string}
  readonly connection: KubeConnectionOptions
  readonly identity: RequestUser
  readonly verbs: readonly string[]
  /** Rows added with --resource. */
  readonly extraTargets: readonly CoverageTarget[]
  readonly printPolicy: boolean
  readonly output: 'table' | 'wide' | 'json' | 'yaml'
  readonly color: ColorMode
}


/** Validates and compiles the flags; throws UserError (exit 2) on anything inconsistent. */
export function doctorOptions(flags: DoctorFlagValues): DoctorOptions {
  let kubernetesVersion: KubernetesVersion | undefined
  if (flags['kubernetes-version'] !== undefined) {
    kubernetesVersion = parseKubernetesVersion(flags['kubernetes-version'])
    if (!kubernetesVersion) throw new UserError(`--kubernetes-version "${flags['kubernetes-version']}" is not a version`, {hint: 'write it as X.Y, e.g. --kubernetes-version 1.31'})
  }
  const user = flags['policy-user'] ?? DEFAULT_POLICY_USER
  if (user.trim() === '') throw new UserError('--policy-user is empty', {hint: 'name the user whose writes should be recorded'})
  const groups = flags['policy-group'] && flags['policy-group'].length > 0 ? flags['policy-group'] : DEFAULT_POLICY_GROUPS
  const verbs = flags.verbs ? commaList(flags.verbs) : [...WRITE_VERBS]
  if (verbs.length === 0) throw new UserError('--verbs is empty', {hint: `e.g. --verbs ${WRITE_VERBS.join(',')}`})
  return {
    offline: flags.offline || flags.manifest !== undefined,
    manifest: flags.manifest,
    policyFile: flags['policy-file'],
    kubernetesVersion,
    nodeAccess: flags['node-access'],
    nodeRead: {via: flags.via, image: flags.image.trim(), namespace: flags['pod-namespace']},
    connection: kubeConnectionOptions(flags, flags.user),
    identity: {name: user, groups},
    verbs,
    extraTargets: (flags.resource ?? []).map(parseResourceArg),
    printPolicy: flags['print-policy'],
    output: flags.output,
    color: flags.color,
  }
}

/**
 * `pods`, `pods/log`, `clusterroles.rbac.authorization.k8s.io`,
 * `globalnetworkpolicies.projectcalico.org/status`: resource[.group][/subresource], as
 * `kubectl auth can-i` takes them. A bare name must belong to exactly one known group.
 */
export function parseResourceArg(text: string): CoverageTarget {
  const [qualified, subresource, extra] = text.trim().split('/')
  if (!qualified || extra !== undefined || subresource === '') {
    throw new UserError(`--resource "${text}" is not a resource`, {hint: 'write resource[.group][/subresource], e.g. pods/log or clusterroles.rbac.authorization.k8s.io'})
  }
  const dot = qualified.indexOf('.')
  const resource = (dot === -1 ? qualified : qualified.slice(0, dot)).toLowerCase()
  let apiGroup: string
  if (dot !== -1) {
    apiGroup = qualified.slice(dot + 1).toLowerCase()
  } else {
    const groups = groupsServing(resource)
    if (groups.length === 0) {
      throw new UserError(`--resource "${text}": no built-in resource of that name`, {hint: `name its group: ${resource}.GROUP`})
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
