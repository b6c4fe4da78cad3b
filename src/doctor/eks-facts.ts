// What doctor knows about an EKS cluster's audit log, from AWS's own configuration: whether the
// `audit` log type is sent to CloudWatch Logs (eks:DescribeCluster) and how long its log group
// keeps events (logs:DescribeLogGroups). Both calls only read; a refusal or a missing credential is
// a finding that names the permission, not a reason to stop.
import {type EksContext, eksLogGroup} from '../cluster/eks-context.js'
import {type AwsAccess, awsErrorKind, awsErrorText} from '../sources/aws-client.js'
import type {EksLogOptions} from '../sources/eks.js'

/** A lookup's answer, or why there is none and what would get it. */
export type EksLookup<T> =
  ({readonly state: 'read'} & T) | {readonly state: 'unavailable'; readonly reason: string; readonly remedy: string}

export interface EksFacts {
  readonly cluster: string | null
  readonly region: string | null
  readonly logGroup: string | null
  /** The control-plane log types sent to CloudWatch Logs. */
  readonly logging: EksLookup<{readonly enabledTypes: readonly string[]}>
  readonly logGroupState: EksLookup<{
    readonly exists: boolean
    readonly retentionInDays: number | null
    readonly storedBytes: number | null
  }>
}

export const DESCRIBE_CLUSTER = 'eks:DescribeCluster'
export const DESCRIBE_LOG_GROUPS = 'logs:DescribeLogGroups'

export async function gatherEksFacts(
  inferred: EksContext | undefined,
  given: EksLogOptions,
  signal?: AbortSignal,
): Promise<EksFacts> {
  const {enabledLogTypes, logGroupState: describeLogGroup} = await import('../sources/eks-api.js')
  const cluster = given.clusterName ?? inferred?.name ?? null
  const region = given.region ?? inferred?.region ?? null
  const logGroup = given.logGroup ?? (cluster ? eksLogGroup(cluster) : null)
  const access: AwsAccess = {region, profile: inferred?.profile ?? null, roleArn: inferred?.roleArn ?? null}
  const unnamed = {
    state: 'unavailable' as const,
    reason: 'the kubeconfig context does not name the EKS cluster',
    remedy: 'name it: kubectl audit doctor --cluster-name NAME --region REGION',
  }
  const logging: EksFacts['logging'] =
    cluster === null
      ? unnamed
      : await enabledLogTypes(access, cluster, signal).then(
          (enabledTypes) => ({state: 'read' as const, enabledTypes}),
          (error: unknown) =>
            unavailable(
              error,
              DESCRIBE_CLUSTER,
              `arn:aws:eks:${region ?? 'REGION'}:ACCOUNT:cluster/${cluster}`,
              `aws eks describe-cluster --name ${cluster}${region ? ` --region ${region}` : ''} --query cluster.logging`,
            ),
        )
  const logGroupState: EksFacts['logGroupState'] =
    logGroup === null
      ? unnamed
      : await describeLogGroup(access, logGroup, signal).then(
          (state) => ({state: 'read' as const, ...state}),
          (error: unknown) =>
            unavailable(
              error,
              DESCRIBE_LOG_GROUPS,
              `arn:aws:logs:${region ?? 'REGION'}:ACCOUNT:log-group:*`,
              `aws logs describe-log-groups --log-group-name-prefix ${logGroup}${region ? ` --region ${region}` : ''}`,
            ),
        )
  return {cluster, region, logGroup, logging, logGroupState}
}

/** A lookup that failed: why, and the read-only permission (or the sign-in, or the region) that gets it. */
function unavailable(error: unknown, permission: string, resource: string, byHand: string): EksLookup<never> {
  switch (awsErrorKind(error)) {
    case 'credentials':
      return {
        state: 'unavailable',
        reason: `no usable AWS credentials: ${awsErrorText(error)}`,
        remedy: `sign in as you do for kubectl on this cluster (aws sso login, or AWS_PROFILE), then run doctor again; ${permission} is all it needs`,
      }
    case 'region':
      return {
        state: 'unavailable',
        reason: 'no AWS region: the kubeconfig context does not name one',
        remedy: 'give it with --region REGION',
      }
    case 'denied':
      return {
        state: 'unavailable',
        reason: `${permission} was refused: ${awsErrorText(error)}`,
        remedy: `allow ${permission} (read-only) on ${resource}, or check by hand: ${byHand}`,
      }
    case 'not-found':
      return {
        state: 'unavailable',
        reason: `not found: ${awsErrorText(error)}`,
        remedy: `check --cluster-name and --region: ${byHand}`,
      }
    default:
      return {
        state: 'unavailable',
        reason: `${permission} failed: ${awsErrorText(error)}`,
        remedy: `check by hand: ${byHand}`,
      }
  }
}
