// The two read-only AWS calls doctor makes about an EKS cluster's audit log: EKS DescribeCluster
// (which control-plane log types are sent to CloudWatch Logs) and CloudWatch Logs
// DescribeLogGroups (the log group's retention). Errors are thrown as the SDK gives them: doctor
// turns each into a finding (aws-client.ts awsErrorKind).
import {type AwsAccess, awsClientSettings} from './aws-client.js'

/** The control-plane log types EKS sends to CloudWatch Logs. */
export async function enabledLogTypes(access: AwsAccess, cluster: string, signal?: AbortSignal): Promise<string[]> {
  const {EKSClient, DescribeClusterCommand} = await import('@aws-sdk/client-eks')
  const client = new EKSClient({...awsClientSettings(access), maxAttempts: 3})
  const answer = await client.send(new DescribeClusterCommand({name: cluster}), {abortSignal: signal})
  const setups = answer.cluster?.logging?.clusterLogging ?? []
  return [...new Set(setups.filter((s) => s.enabled).flatMap((s) => s.types ?? []))]
}

export interface LogGroupState {
  readonly exists: boolean
  /** Days CloudWatch keeps events; null: never expire. */
  readonly retentionInDays: number | null
  readonly storedBytes: number | null
}

/** The log group named exactly `logGroup`, found by prefix as DescribeLogGroups lists them. */
export async function logGroupState(access: AwsAccess, logGroup: string, signal?: AbortSignal): Promise<LogGroupState> {
  const {CloudWatchLogsClient, DescribeLogGroupsCommand} = await import('@aws-sdk/client-cloudwatch-logs')
  const client = new CloudWatchLogsClient({...awsClientSettings(access), maxAttempts: 3})
  let nextToken: string | undefined
  // A prefix can match others (`/aws/eks/prod/cluster` and `/aws/eks/prod/cluster-old`): a few pages at most.
  for (let page = 0; page < 10; page++) {
    const answer = await client.send(
      new DescribeLogGroupsCommand({logGroupNamePrefix: logGroup, ...(nextToken ? {nextToken} : {})}),
      {abortSignal: signal},
    )
    const group = answer.logGroups?.find((g) => g.logGroupName === logGroup)
    if (group)
      return {exists: true, retentionInDays: group.retentionInDays ?? null, storedBytes: group.storedBytes ?? null}
    if (!answer.nextToken) break
    nextToken = answer.nextToken
  }
  return {exists: false, retentionInDays: null, storedBytes: null}
}
