// The flags that name a GKE cluster when the kubeconfig context does not (it is not
// gke_PROJECT_LOCATION_CLUSTER), for reading its audit log from Cloud Logging.
import {Flags} from '@oclif/core'

import {UserError} from '../errors.js'
import type {LogLocation} from '../sources/open.js'
import type {GkeClusterFlags} from '../sources/gke.js'
import {type ClusterReadFlagValues, givenClusterOnlyFlags} from './cluster-read.js'

const helpGroup = 'GKE'

export const gkeFlags = {
  project: Flags.string({
    summary:
      "The GKE cluster's Google Cloud project, when the kubeconfig context does not name it (gke_PROJECT_LOCATION_CLUSTER).",
    helpGroup,
  }),
  location: Flags.string({
    summary: "The GKE cluster's location (region or zone), when the context does not name it.",
    helpGroup,
  }),
  // --cluster-name, shared with EKS, is defined with the EKS flags.
}

export interface GkeFlagValues {
  project?: string
  location?: string
  'cluster-name'?: string
}

export function gkeClusterFlags(flags: GkeFlagValues): GkeClusterFlags {
  for (const name of ['project', 'location', 'cluster-name'] as const) {
    if (flags[name] !== undefined && flags[name].trim() === '')
      throw new UserError(`--${name} is empty`, {hint: `give it a value, or leave --${name} out`})
  }
  return {
    ...(flags.project === undefined ? {} : {project: flags.project.trim()}),
    ...(flags.location === undefined ? {} : {location: flags.location.trim()}),
    ...(flags['cluster-name'] === undefined ? {} : {cluster: flags['cluster-name'].trim()}),
  }
}

/** The flags only GKE reads given on the command line, as `--name` (--cluster-name is shared). */
export function givenGkeFlags(flags: GkeFlagValues): string[] {
  return (Object.keys(gkeFlags) as Array<keyof typeof gkeFlags>)
    .filter((name) => flags[name] !== undefined)
    .map((name) => `--${name}`)
}

/** Flags for one place to read refused with --source naming the other: a mistake, not a preference. */
export function checkGkeSource(source: LogLocation | undefined, flags: GkeFlagValues & ClusterReadFlagValues): void {
  const refuse = (given: string[], what: string) => {
    if (given.length === 0) return
    throw new UserError(
      `${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} for reading ${what}, which --source ${source} replaces`,
      {hint: `drop ${given.join(' ')}, or the --source`},
    )
  }
  if (source === 'cloud-logging') refuse(givenClusterOnlyFlags(flags), "the control-plane nodes' log files")
  if (source === 'nodes' || source === 'cloudwatch' || source === 'log-analytics')
    refuse(givenGkeFlags(flags), "a GKE cluster's audit log from Cloud Logging")
}
