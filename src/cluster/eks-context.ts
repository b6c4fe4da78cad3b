// Which EKS cluster a kubeconfig context points at, and how kubectl reaches AWS for it, from what
// `aws eks update-kubeconfig`, eksctl and aws-iam-authenticator write: the cluster ARN as context
// or cluster name, the `eks get-token --cluster-name … --region …` exec arguments (and `--role`,
// and the AWS_PROFILE the exec entry sets), an eksctl context `<who>@<cluster>.<region>.eksctl.io`,
// or a `*.<region>.eks.amazonaws.com` server. Pure: the context is given as plain data.
import type {KubeContextView} from './managed-context.js'

export interface EksContext {
  /** The EKS cluster name; null when only the server's host gave EKS away. */
  readonly name: string | null
  readonly region: string | null
  /** The AWS profile kubectl's credential plugin uses (its env AWS_PROFILE, or `--profile`). */
  readonly profile: string | null
  /** The IAM role kubectl's credential plugin assumes (`--role`, `--role-arn`). */
  readonly roleArn: string | null
  /** What gave each away, for messages: `context name (cluster ARN)`, `exec args`, … */
  readonly evidence: readonly string[]
}

const ARN = /^arn:aws[a-z-]*:eks:([a-z0-9-]+):\d{12}:cluster\/([\w.-]+)$/
const EKSCTL_CONTEXT = /^[^@]+@([\w-]+)\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.eksctl\.io$/
const EKS_HOST = /\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.eks\.amazonaws\.com(?:\.cn)?$/

/** The EKS cluster of the context, or undefined when nothing in it says EKS. */
export function eksContext(view: KubeContextView): EksContext | undefined {
  let name: string | null = null
  let region: string | null = null
  const evidence: string[] = []
  const found = (what: string, cluster: string | null | undefined, where: string | null | undefined) => {
    if (!cluster && !where) return
    evidence.push(what)
    name ??= cluster ?? null
    region ??= where ?? null
  }
  for (const [what, text] of [
    ['context name', view.contextName],
    ['cluster name', view.clusterName],
  ] as const) {
    const arn = ARN.exec(text)
    if (arn) found(`${what} (cluster ARN)`, arn[2], arn[1])
  }
  const exec = view.exec && credentialPlugin(view.exec.command, view.exec.args)
  if (exec) found(`credential plugin (${exec.tool})`, exec.cluster, exec.region)
  const eksctl = EKSCTL_CONTEXT.exec(view.contextName)
  if (eksctl) found('eksctl context name', eksctl[1], eksctl[2])
  const host = hostOf(view.server)
  const server = host === undefined ? null : EKS_HOST.exec(host)
  if (server) found('server host', null, server[1])
  // kops clusters use aws-iam-authenticator too: it names the cluster, it does not make one EKS.
  if (evidence.length === 0 || (evidence.length === 1 && exec?.tool === 'aws-iam-authenticator')) return undefined
  const profile = view.exec?.env.AWS_PROFILE || exec?.profile || null
  return {name, region, profile, roleArn: exec?.role ?? null, evidence}
}

interface PluginArgs {
  readonly tool: string
  readonly cluster: string | null
  readonly region: string | null
  readonly role: string | null
  readonly profile: string | null
}

/**
 * `aws [--region R] eks get-token --cluster-name C [--region R] [--role-arn A]` (the AWS CLI and
 * eksctl), or `aws-iam-authenticator token -i C [-r A]`; undefined for any other plugin.
 */
function credentialPlugin(command: string, args: readonly string[]): PluginArgs | undefined {
  const tool = command
    .split(/[\\/]/)
    .pop()!
    .replace(/\.exe$/i, '')
  const value = (...names: string[]) => {
    for (let i = 0; i < args.length; i++) {
      for (const n of names) {
        if (args[i] === n && i + 1 < args.length) return args[i + 1]!
        if (args[i]!.startsWith(`${n}=`)) return args[i]!.slice(n.length + 1)
      }
    }
    return null
  }
  const common = {region: value('--region'), profile: value('--profile')}
  if (args.includes('eks') && args.includes('get-token')) {
    return {
      tool: `${tool} eks get-token`,
      cluster: value('--cluster-name', '--cluster-id'),
      role: value('--role-arn', '--role'),
      ...common,
    }
  }
  if (/aws-iam-authenticator$/.test(tool) && args.includes('token')) {
    return {tool, cluster: value('-i', '--cluster-id'), role: value('-r', '--role'), ...common}
  }
  return undefined
}

function hostOf(server: string): string | undefined {
  try {
    return new URL(server).hostname.toLowerCase()
  } catch {
    return undefined
  }
}

/** The log group EKS sends a cluster's control-plane logs to. */
export function eksLogGroup(cluster: string): string {
  return `/aws/eks/${cluster}/cluster`
}

/** The cluster a log group belongs to, when it is named as EKS names it. */
export function clusterOfLogGroup(logGroup: string): string | null {
  return /^\/aws\/eks\/([^/]+)\/cluster$/.exec(logGroup)?.[1] ?? null
}

/** The command that sends a cluster's audit log to CloudWatch Logs. */
export function enableAuditLogCommand(cluster: string | null, region: string | null): string {
  return `aws eks update-cluster-config${region ? ` --region ${region}` : ''} --name ${cluster ?? 'CLUSTER'} --logging '{"clusterLogging":[{"types":["audit"],"enabled":true}]}'`
}
