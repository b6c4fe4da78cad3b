// The flags that say where an EKS cluster's audit log is in CloudWatch Logs, when the kubeconfig
// context cannot (or to read another cluster's), and their validation. Spread into policies' and
// doctor's flags.
import {Flags} from '@oclif/core'

import {UserError} from '../errors.js'
import type {EksLogOptions} from '../sources/eks.js'

const helpGroup = 'EKS'

export const eksFlags = {
  region: Flags.string({
    summary: "The EKS cluster's AWS region, when the kubeconfig context does not name it (nor AWS_REGION).",
    helpGroup,
  }),
  'cluster-name': Flags.string({
    summary:
      'The managed cluster (EKS, GKE, AKS), when the kubeconfig context does not name it (an EKS audit log is /aws/eks/NAME/cluster).',
    helpGroup,
  }),
  'log-group': Flags.string({
    summary: 'The CloudWatch Logs log group holding the audit log. [default: /aws/eks/CLUSTER/cluster]',
    helpGroup,
  }),
}

export interface EksFlagValues {
  region?: string
  'cluster-name'?: string
  'log-group'?: string
}

/** The EKS flags given on the command line, as `--name`: for refusing them where they mean nothing. */
export function givenEksFlags(flags: EksFlagValues): string[] {
  return (Object.keys(eksFlags) as Array<keyof typeof eksFlags>)
    .filter((name) => flags[name] !== undefined)
    .map((name) => `--${name}`)
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$/
/** CloudWatch's rule for log group names. */
const LOG_GROUP = /^[\w.\-/#]{1,512}$/
/** EKS's rule for cluster names. */
const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/

export function eksLogOptions(flags: EksFlagValues): EksLogOptions {
  const region = flags.region?.trim()
  const clusterName = flags['cluster-name']?.trim()
  const logGroup = flags['log-group']?.trim()
  for (const [flag, value] of [
    ['--region', region],
    ['--cluster-name', clusterName],
    ['--log-group', logGroup],
  ] as const) {
    if (value === '') throw new UserError(`${flag} is empty`, {hint: `give it a value, or leave ${flag} out`})
  }
  if (region !== undefined && !REGION.test(region))
    throw new UserError(`--region ${region} is not an AWS region`, {hint: 'e.g. --region eu-west-1'})
  if (clusterName !== undefined && !CLUSTER_NAME.test(clusterName))
    throw new UserError(`--cluster-name ${clusterName} is not a cluster name`, {
      hint: 'letters, digits, - and _, as aws eks list-clusters or az aks list prints it',
    })
  if (logGroup !== undefined && !LOG_GROUP.test(logGroup))
    throw new UserError(`--log-group ${logGroup} is not a log group name`, {
      hint: 'e.g. --log-group /aws/eks/prod/cluster',
    })
  return {...(region ? {region} : {}), ...(clusterName ? {clusterName} : {}), ...(logGroup ? {logGroup} : {})}
}
