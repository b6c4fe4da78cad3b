// Facts from files only: a kube-apiserver manifest (static pod, or `kubectl get pod -o yaml|json`
// output, several documents or a List allowed) and a policy file. No cluster is contacted.
import {existsSync} from 'node:fs'

import {parseAllDocuments} from 'yaml'

import {hasExcessiveAliasing} from '../audit/policy/aliasing.js'
import {
  formatKubernetesVersion,
  type KubernetesVersion,
  parseKubernetesVersion,
} from '../audit/policy/kubernetes-version.js'
import {type ApiserverInstance, apiserverFromPod, type PodLike} from '../cluster/apiservers.js'
import {UserError} from '../errors.js'
import {readLocalText, TooLarge} from '../sources/file.js'
import type {DoctorOptions} from './options.js'
import {coverageInputs} from './coverage-inputs.js'
import type {DoctorFacts, PolicyFacts} from './facts.js'
import {readLocalLogTails} from './log-tails.js'
import {readPolicyFile} from './policy-file.js'

export async function gatherOfflineFacts(options: DoctorOptions): Promise<DoctorFacts> {
  const apiservers = options.manifest ? await readManifest(options.manifest) : []
  const fromImage = apiservers.map((a) => imageVersion(a.image)).find((v) => v !== undefined)
  const version = options.kubernetesVersion ?? fromImage?.version
  const versionSource = options.kubernetesVersion
    ? '--kubernetes-version'
    : fromImage
      ? `image ${fromImage.image}`
      : undefined
  return {
    mode: 'offline',
    kubernetesVersion: version,
    versionSource,
    apiserverSource: options.manifest ? `manifest ${options.manifest}` : 'no manifest',
    apiservers,
    discoveryFailures: [],
    policy: await offlinePolicy(options, apiservers, version),
    coverage: coverageInputs(options, version),
    logTails: await readLocalLogTails(apiservers),
  }
}

/** The apiserver pods in a manifest file; bad input (unreadable, no apiserver) is exit 2. */
export async function readManifest(path: string): Promise<ApiserverInstance[]> {
  let text: string
  try {
    text = await readLocalText(path)
  } catch (error) {
    if (error instanceof TooLarge)
      throw new UserError(`the manifest "${path}" is larger than 1 MiB: a kube-apiserver manifest is a few KiB`, {
        hint: 'give the static pod manifest (e.g. /etc/kubernetes/manifests/kube-apiserver.yaml) or the output of kubectl get pod -o yaml',
      })
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message
    throw new UserError(`cannot read the manifest "${path}": ${reason}`, {cause: error})
  }
  const objects: unknown[] = []
  for (const document of parseAllDocuments(text)) {
    const invalid = (message: string) =>
      new UserError(`the manifest "${path}" is not valid YAML or JSON: ${message.split('\n')[0]}`)
    const error = document.errors[0]
    if (error) throw invalid(error.message)
    // The kubelet reads static pods with the same YAML decoder as the apiserver: an alias bomb is refused before it is expanded.
    if (hasExcessiveAliasing(document))
      throw invalid('document contains excessive aliasing (one anchor fanned out through many aliases)')
    let value: unknown
    try {
      value = document.toJS({maxAliasCount: -1})
    } catch (aliasError) {
      // An alias without its anchor.
      throw invalid((aliasError as Error).message)
    }
    // `kubectl get pods -o yaml` wraps them in a List.
    const items = (value as {items?: unknown} | null)?.items
    // One at a time: a spread of a List of 200,000 items would put every item on the call stack.
    for (const object of Array.isArray(items) ? items : [value]) objects.push(object)
  }
  const pods = objects.filter(
    (o): o is PodLike => (o as {kind?: unknown} | null)?.kind === 'Pod' && isApiserverPod(o as PodLike),
  )
  if (pods.length === 0) {
    throw new UserError(`no kube-apiserver Pod in the manifest "${path}"`, {
      hint: 'give the kube-apiserver static pod manifest, e.g. /etc/kubernetes/manifests/kube-apiserver.yaml',
    })
  }
  return pods.map((pod) => apiserverFromPod(pod, 'manifest'))
}

function isApiserverPod(pod: PodLike): boolean {
  const labels = pod.metadata?.labels ?? {}
  if (labels.component === 'kube-apiserver' || labels['k8s-app'] === 'kube-apiserver') return true
  return (pod.spec?.containers ?? []).some(
    (c) =>
      c.name === 'kube-apiserver' ||
      [...(c.command ?? []), ...(c.args ?? [])].some((w) => w.includes('kube-apiserver')),
  )
}

/** `registry.k8s.io/kube-apiserver:v1.31.2` → 1.31; undefined when the tag is not a version. */
function imageVersion(image: string | null): {version: KubernetesVersion; image: string} | undefined {
  const tag = image?.split('@')[0].split(':').at(-1)
  const version = tag && image?.includes(':') ? parseKubernetesVersion(tag) : undefined
  return version && image ? {version, image} : undefined
}

async function offlinePolicy(
  options: DoctorOptions,
  apiservers: readonly ApiserverInstance[],
  version: KubernetesVersion | undefined,
): Promise<PolicyFacts> {
  if (options.policyFile) return readPolicyFile(options.policyFile, version)
  const named = apiservers.find((a) => a.policyFile)?.policyFile
  if (!named) return {state: 'not-configured'}
  // On the control-plane node itself, the file the manifest names is right here.
  if (named.hostPath && existsSync(named.hostPath))
    return readPolicyFile(named.hostPath, version, `${named.hostPath} (named by the manifest)`)
  const where = named.hostPath ?? named.path
  return {
    state: 'unavailable',
    reason: `the manifest names ${where}${named.hostPath && named.hostPath !== named.path ? ` (${named.path} in the container)` : ''}, which is not on this machine`,
    command: `copy ${where} from the control-plane node and run: kubectl audit doctor --manifest ${options.manifest} --policy-file audit-policy.yaml${version ? ` --kubernetes-version ${formatKubernetesVersion(version)}` : ''}`,
  }
}
