// control-plane-visible: did we find the kube-apiserver, and if not, where its audit log is.
import {managedAuditAdvice} from '../../cluster/managed-provider.js'
import {type Check, pass, skip, warn} from '../check.js'

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
      const provider = facts.managedProvider
      return warn(
        `no kube-apiserver visible: ${provider.name} runs the control plane (${provider.evidence}); its audit log is kept by the provider, and Calico CRD writes are recorded there at Metadata only`,
        managedAuditAdvice(provider),
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
