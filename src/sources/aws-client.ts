// What every AWS client of a run shares: the region, the credentials kubectl itself would use for
// the cluster (the SDK's default chain, with the AWS_PROFILE the kubeconfig's credential plugin
// sets, and the role it assumes), bounded waits, and AWS errors turned into one line a user can
// act on. The SDKs load only here, and only when a run reads from AWS.
import {UserError} from '../errors.js'

/** Credentials as the SDK clients take them. */
interface AwsCredentialIdentity {
  readonly accessKeyId: string
  readonly secretAccessKey: string
  readonly sessionToken?: string
  readonly expiration?: Date
}
type AwsCredentialIdentityProvider = () => Promise<AwsCredentialIdentity>

export interface AwsAccess {
  /** null: the SDK's own chain decides (AWS_REGION, the profile's region). */
  readonly region: string | null
  readonly profile: string | null
  /** A role to assume first, as `aws eks get-token --role-arn` does. */
  readonly roleArn: string | null
}

/** The settings every client is made with. */
export interface AwsClientSettings {
  region?: string
  profile?: string
  credentials?: AwsCredentialIdentityProvider
  /** Retries are ours (paced, and counted); the SDK makes one attempt. */
  maxAttempts: number
  requestHandler: {connectionTimeout: number; requestTimeout: number}
}

/** No answer within this is no answer: the request is retried or the run says so. */
const REQUEST_TIMEOUT_MS = 60_000
const CONNECTION_TIMEOUT_MS = 10_000
/** Assumed-role credentials are renewed this long before they expire. */
const RENEW_BEFORE_MS = 5 * 60_000

export function awsClientSettings(access: AwsAccess): AwsClientSettings {
  return {
    ...(access.region ? {region: access.region} : {}),
    ...(access.profile ? {profile: access.profile} : {}),
    ...(access.roleArn ? {credentials: assumedRole(access)} : {}),
    maxAttempts: 1,
    requestHandler: {connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS},
  }
}

/** The role's temporary credentials, got with the profile's (or the default chain's) and renewed before they expire. */
function assumedRole(access: AwsAccess): AwsCredentialIdentityProvider {
  let current: Promise<AwsCredentialIdentity> | undefined
  let expiresAt = 0
  return async () => {
    if (current === undefined || Date.now() > expiresAt - RENEW_BEFORE_MS) {
      current = (async () => {
        const {STSClient, AssumeRoleCommand} = await import('@aws-sdk/client-sts')
        const sts = new STSClient({...awsClientSettings({...access, roleArn: null}), maxAttempts: 3})
        const answer = await sts.send(
          new AssumeRoleCommand({RoleArn: access.roleArn!, RoleSessionName: 'kubectl-audit'}),
        )
        const c = answer.Credentials
        if (!c?.AccessKeyId || !c.SecretAccessKey)
          throw new Error(`sts:AssumeRole on ${access.roleArn} gave no credentials`)
        expiresAt = c.Expiration?.getTime() ?? Number.POSITIVE_INFINITY
        return {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
          expiration: c.Expiration,
        }
      })()
      current.catch(() => {
        current = undefined
      })
    }
    return current
  }
}

/** What an AWS error is, by the SDK's error name and HTTP status. */
export type AwsErrorKind = 'credentials' | 'denied' | 'not-found' | 'throttled' | 'transient' | 'region' | 'other'

export function awsErrorKind(error: unknown): AwsErrorKind {
  const {
    name = '',
    message = '',
    $metadata,
  } = (error ?? {}) as {name?: string; message?: string; $metadata?: {httpStatusCode?: number}}
  const status = $metadata?.httpStatusCode
  if (
    name === 'CredentialsProviderError' ||
    /could not load credentials|credential.*(missing|not found)/i.test(message)
  )
    return 'credentials'
  if (
    [
      'UnrecognizedClientException',
      'InvalidClientTokenId',
      'ExpiredTokenException',
      'ExpiredToken',
      'InvalidSignatureException',
      'SignatureDoesNotMatch',
    ].includes(name)
  )
    return 'credentials'
  if (/AccessDenied|NotAuthorized|UnauthorizedOperation/i.test(name) || status === 403) return 'denied'
  if (name === 'ResourceNotFoundException' || status === 404) return 'not-found'
  if (/Throttl|TooManyRequests|RequestLimitExceeded|LimitExceeded/i.test(name) || status === 429) return 'throttled'
  if (name === 'ServiceUnavailableException' || (status !== undefined && status >= 500)) return 'transient'
  if (/region is missing/i.test(message)) return 'region'
  // No answer at all: the connection failed or timed out.
  if (
    $metadata === undefined &&
    /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|socket hang up|TimeoutError|timed out/i.test(
      `${name} ${message} ${(error as {code?: string})?.code ?? ''}`,
    )
  )
    return 'transient'
  return 'other'
}

/** The first line of an AWS error, for messages. */
export function awsErrorText(error: unknown): string {
  const {name, message} = (error ?? {}) as {name?: string; message?: string}
  const first = String(message ?? error).split('\n')[0]!
  return name && name !== 'Error' && !first.includes(name) ? `${name}: ${first}` : first
}

/** Missing or refused credentials, as one line naming the profile and how to sign in. */
export function credentialsError(error: unknown, access: AwsAccess, service: string): UserError {
  const profile = access.profile ? ` (profile ${access.profile}, as the kubeconfig's credential plugin uses)` : ''
  const signIn = access.profile
    ? `aws sso login --profile ${access.profile}, or aws configure --profile ${access.profile}`
    : 'aws sso login, aws configure, or AWS_PROFILE / AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY'
  return new UserError(`no usable AWS credentials for ${service}${profile}: ${awsErrorText(error)}`, {
    hint: `sign in as you do for kubectl on this cluster: ${signIn}${access.roleArn ? `; the role ${access.roleArn} is assumed with them` : ''}`,
    cause: error,
  })
}

export function regionError(service: string): UserError {
  return new UserError(`no AWS region for ${service}: the kubeconfig context does not name one`, {
    hint: 'give it with --region REGION (or set AWS_REGION)',
  })
}
