// "Are we recording it?" on EKS, answered from AWS's own configuration: is the audit log type sent
// to CloudWatch Logs, how long does its log group keep it, and what does EKS's fixed audit policy
// record of network policy writes (Calico's are custom and aggregated groups: Metadata only).
import {enableAuditLogCommand} from '../../cluster/eks-context.js'
import {type Check, fail, pass, skip, warn} from '../check.js'
import {EKS_AUDIT_POLICY} from '../eks-audit-policy.js'
import {DESCRIBE_CLUSTER, DESCRIBE_LOG_GROUPS} from '../eks-facts.js'
import {fixedPolicyVerdict} from './fixed-policy.js'

/** CIS asks for 30 days of audit log at least (as for --audit-log-maxage). */
const MIN_RETENTION_DAYS = 30

const NOT_EKS = 'not an EKS cluster (the kubeconfig context names none, and no node or version says EKS)'

export const eksAuditLogging: Check = {
  id: 'eks-audit-logging',
  title: 'EKS audit log sent to CloudWatch',
  run({eks}) {
    if (!eks) return skip(NOT_EKS)
    const {logging, cluster, region, logGroup} = eks
    if (logging.state === 'unavailable')
      return skip(`cannot tell (${DESCRIBE_CLUSTER}): ${logging.reason}`, logging.remedy)
    const others = logging.enabledTypes.filter((t) => t !== 'audit')
    if (logging.enabledTypes.includes('audit')) {
      return pass(
        `the audit log type of cluster ${cluster} is on: kube-apiserver's audit events go to ${logGroup} (streams kube-apiserver-audit-*), read by kubectl audit policies`,
      )
    }
    return fail(
      `the audit log type of cluster ${cluster} is off${others.length > 0 ? ` (on: ${others.join(', ')})` : ''}: EKS keeps no record of who changed a network policy`,
      `turn it on: ${enableAuditLogCommand(cluster, region)}`,
    )
  },
}

export const eksLogRetention: Check = {
  id: 'eks-log-retention',
  title: 'EKS audit log retention',
  run({eks}) {
    if (!eks) return skip(NOT_EKS)
    const state = eks.logGroupState
    if (state.state === 'unavailable')
      return skip(`cannot tell (${DESCRIBE_LOG_GROUPS}): ${state.reason}`, state.remedy)
    const auditOn = eks.logging.state === 'read' && eks.logging.enabledTypes.includes('audit')
    if (!state.exists) {
      return auditOn
        ? warn(
            `${eks.logGroup} does not exist yet: EKS creates it with the first events it sends`,
            `look again in a few minutes: aws logs describe-log-groups --log-group-name-prefix ${eks.logGroup}`,
          )
        : skip(`${eks.logGroup} does not exist: no log type is sent to CloudWatch Logs`)
    }
    const days = state.retentionInDays
    if (days === null)
      return pass(
        `${eks.logGroup} keeps events until they are deleted (retention: never expire; CloudWatch bills what it stores)`,
      )
    if (days < MIN_RETENTION_DAYS) {
      return warn(
        `${eks.logGroup} keeps events ${days} ${days === 1 ? 'day' : 'days'}: a change older than that can no longer be traced (CIS: at least ${MIN_RETENTION_DAYS})`,
        `aws logs put-retention-policy --log-group-name ${eks.logGroup} --retention-in-days 90${eks.region ? ` --region ${eks.region}` : ''}`,
      )
    }
    return pass(`${eks.logGroup} keeps events ${days} days`)
  },
}

export const eksAuditPolicy: Check = {
  id: 'eks-audit-policy',
  title: 'EKS audit policy',
  run(facts) {
    if (!facts.eks) return skip(NOT_EKS)
    return fixedPolicyVerdict(EKS_AUDIT_POLICY, facts, 'EKS', 'not read from the cluster; EKS does not let it change')
  },
}
