// The flags that name a GKE cluster when the kubeconfig context does not (it is not
// gke_PROJECT_LOCATION_CLUSTER), for reading its audit log from Cloud Logging.
import {Flags} from '@oclif/core'

import {UserError} from '../errors.js'
import type {GkeClusterFlags} from '../sources/gke.js'

const helpGroup = 'GKE'

export const gkeFlags = {
  project: Flags.string({summary: "The GKE cluster's Google Cloud project, when the kubeconfig context does not name it (gke_PROJECT_LOCATION_CLUSTER).", helpGroup}),
  location: Flags.string({summary: "The GKE cluster's location (region or zone), when the context does not name it.", helpGroup}),
  'cluster-name': Flags.string({summary: "The GKE cluster's name, when the context does not name it.", helpGroup}),
}

export interface GkeFlagValues {
  project?: string
  location?: string
  'cluster-name'?: string
}

export function gkeClusterFlags(flags: GkeFlagValues): GkeClusterFlags {
  for (const name of ['project', 'location', 'cluster-name'] as const) {
    if (flags[name] !== undefined && flags[name].trim() === '') throw new UserError(`--${name} is empty`, {hint: `give it a value, or leave --${name} out`})
  }
  return {
    ...(flags.project === undefined ? {} : {project: flags.project.trim()}),
    ...(flags.location === undefined ? {} : {location: flags.location.trim()}),
    ...(flags['cluster-name'] === undefined ? {} : {cluster: flags['cluster-name'].trim()}),
  }
}

/** The GKE flags given on the command line, as `--name`. */
export function givenGkeFlags(flags: GkeFlagValues): string[] {
  return (Object.keys(gkeFlags) as Array<keyof typeof gkeFlags>).filter((name) => flags[name] !== undefined).map((name) => `--${name}`)
}
