// The audit policy AKS runs its API servers with, which users cannot change (Azure/AKS#1873):
// built-in Kubernetes objects with their bodies, other resources at Metadata (Azure/AKS#4756) —
// the GCE policy of kubernetes/kubernetes cluster/gce/gci/configure-helper.sh, as EKS's is.
import type {Policy} from '../audit/policy/types.js'
import {EKS_AUDIT_POLICY} from './eks-audit-policy.js'

/** The same rules as EKS's: known API groups (networking.k8s.io among them) with bodies, Calico's at Metadata. */
export const AKS_AUDIT_POLICY: Policy = EKS_AUDIT_POLICY
