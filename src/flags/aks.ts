// The flags that say where an AKS cluster's audit log is in Azure Monitor, when the kubeconfig
// context cannot (or to read another cluster's), and their validation. Spread into policies' and
// doctor's flags; the cluster's name is the shared --cluster-name (src/flags/eks.ts).
import {Flags} from '@oclif/core'

import {UserError} from '../errors.js'
import type {AksLogOptions} from '../sources/aks.js'

const helpGroup = 'AKS'

export const aksFlags = {
  workspace: Flags.string({
    summary:
      "The Log Analytics workspace ID (a GUID) the AKS cluster's audit log is sent to. [default: read from the cluster's diagnostic settings]",
    helpGroup,
  }),
  subscription: Flags.string({
    summary:
      "The AKS cluster's Azure subscription, to read its diagnostic settings. [default: AZURE_SUBSCRIPTION_ID, or the Azure CLI's]",
    helpGroup,
  }),
  'resource-group': Flags.string({
    summary: "The AKS cluster's resource group, when the kubeconfig context does not name it.",
    helpGroup,
  }),
}

export interface AksFlagValues {
  workspace?: string
  subscription?: string
  'resource-group'?: string
  'cluster-name'?: string
}

/** The AKS flags given on the command line, as `--name`: for refusing them where they mean nothing. */
export function givenAksFlags(flags: AksFlagValues): string[] {
  return (Object.keys(aksFlags) as Array<keyof typeof aksFlags>)
    .filter((name) => flags[name] !== undefined)
    .map((name) => `--${name}`)
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** Azure's rule for resource group names. */
const RESOURCE_GROUP = /^[-\w.()]{0,89}[-\w()]$/u

export function aksLogOptions(flags: AksFlagValues): AksLogOptions {
  const workspace = flags.workspace?.trim()
  const subscription = flags.subscription?.trim()
  const resourceGroup = flags['resource-group']?.trim()
  for (const [flag, value] of [
    ['--workspace', workspace],
    ['--subscription', subscription],
    ['--resource-group', resourceGroup],
  ] as const) {
    if (value === '') throw new UserError(`${flag} is empty`, {hint: `give it a value, or leave ${flag} out`})
  }
  if (workspace !== undefined && !GUID.test(workspace)) {
    throw new UserError(`--workspace ${workspace} is not a workspace ID`, {
      hint: 'the workspace ID is a GUID: az monitor log-analytics workspace show -g GROUP -n NAME --query customerId',
    })
  }
  if (subscription !== undefined && !GUID.test(subscription))
    throw new UserError(`--subscription ${subscription} is not a subscription ID`, {
      hint: 'a GUID, as az account show --query id prints it',
    })
  if (resourceGroup !== undefined && !RESOURCE_GROUP.test(resourceGroup))
    throw new UserError(`--resource-group ${resourceGroup} is not a resource group name`, {
      hint: 'letters, digits, -, _, ., ( and ), as az group list prints it',
    })
  // The cluster's name is the shared --cluster-name, compiled with the EKS flags and handed over when the log is opened.
  return {
    ...(workspace ? {workspace} : {}),
    ...(subscription ? {subscription} : {}),
    ...(resourceGroup ? {resourceGroup} : {}),
  }
}

/**
 * Flags for a place the run does not read are a mistake to say, not to ignore: the AKS flags with
 * --source nodes or cloudwatch; the nodes' and CloudWatch's own with --source log-analytics (or AKS
 * flags under auto). `others`: the nodes' flags and the EKS flags other than --cluster-name.
 */
export function checkAksSource(
  source: string | undefined,
  flags: AksFlagValues,
  others: {readonly nodes: readonly string[]; readonly eks: readonly string[]},
): void {
  const aks = givenAksFlags(flags)
  const eksOnly = others.eks.filter((f) => f !== '--cluster-name')
  const readsAks = source === 'log-analytics' || (source === undefined || source === 'auto' ? aks.length > 0 : false)
  const clash = readsAks
    ? [...others.nodes, ...eksOnly]
    : source === 'nodes' || source === 'cloudwatch' || source === 'cloud-logging'
      ? aks
      : []
  if (clash.length === 0) return
  const reading = readsAks
    ? 'Log Analytics (AKS)'
    : source === 'nodes'
      ? "the control-plane nodes' files"
      : source === 'cloud-logging'
        ? 'Cloud Logging (GKE)'
        : 'CloudWatch Logs (EKS)'
  throw new UserError(`${clash.join(', ')} ${clash.length === 1 ? 'does' : 'do'} not apply when reading ${reading}`, {
    hint: readsAks ? `drop ${clash.join(' ')}` : `drop ${clash.join(' ')}, or use --source log-analytics`,
  })
}
