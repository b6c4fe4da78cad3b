// control-plane-visible: did we find the kube-apiserver, and if not, where its audit log is.
import {managedAuditAdvice, type ManagedProviderId} from '../../cluster/managed-provider.js'
import {type Check, pass, skip, warn} from '../check.js'
import type {DoctorFacts} from '../facts.js'

/** The check that says whether a managed provider keeps the audit log, when doctor runs it (report.ts). */
function providerLogCheck(id: ManagedProviderId, facts: DoctorFacts): string | undefined {
  switch (id) {
    case 'eks':
      return facts.eks ? 'eks-audit-logging' : undefined
    case 'gke':
      return 'gke-admin-activity'
    case 'aks':
      return facts.aks ? 'aks-audit-logging' : undefined
  }
}

/** The provider's own configuration says its audit log is sent (then the advice to turn it on is noise). */
function providerLogOn(id: ManagedProviderId, facts: DoctorFacts): boolean {
  if (id === 'eks') return facts.eks?.logging.state === 'read' && facts.eks.logging.enabledTypes.includes('audit')
  if (id === 'aks')
    return facts.aks?.settings.state === 'read' && facts.aks.settings.settings.some((s) => s.auditCategories.length > 0)
  return false
}

export const controlPlaneVisible: Check = {
  id: 'control-plane-visible',
  title: 'kube-apiserver found',
  run(facts) {
    const {apiservers} = facts
    if (apiservers.length > 0) {
      const names = apiservers.map((a) => `${a.name} (${a.distribution})`).join(', ')
      return pass(`${apiservers.length} kube-apiserver from ${facts.apiserverSource}: ${names}`)
    }
    if (facts.mode === 'offline') {
      return skip(
        'offline without --manifest: the apiserver flags are not checked',
        'pass --manifest with the kube-apiserver static pod manifest (or `kubectl get pod -o yaml` of it)',
      )
    }
    if (facts.managedProvider) {
      // Not visible by design, so nothing to warn about: whether the provider keeps the audit log is its own check.
      const provider = facts.managedProvider
      const checkedBy = providerLogCheck(provider.id, facts)
      return skip(
        `no kube-apiserver to see: ${provider.name} runs the control plane (${provider.evidence}); its audit log is kept by the provider${checkedBy ? ` (see ${checkedBy})` : ''}, and Calico CRD writes are recorded there at Metadata only`,
        providerLogOn(provider.id, facts) ? null : managedAuditAdvice(provider),
      )
    }
    const refused = facts.discoveryFailures.find((f) => f.request.startsWith('list pods'))
    if (refused) {
      return warn(
        `cannot ${refused.request}: ${refused.status} ${refused.message}`,
        'ask for "list pods" in kube-system (and "list nodes" for k3s), or run on a control-plane node: kubectl audit doctor --manifest /etc/kubernetes/manifests/kube-apiserver.yaml',
      )
    }
    return warn(
      'no kube-apiserver pod in kube-system (labels component=kube-apiserver or k8s-app=kube-apiserver) and no k3s/RKE2 node-args annotation',
      'on a control-plane node, run: kubectl audit doctor --manifest /etc/kubernetes/manifests/kube-apiserver.yaml',
    )
  },
}
