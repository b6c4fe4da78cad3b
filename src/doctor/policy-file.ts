// Reading a policy file from disk into the facts.
import {readFile} from 'node:fs/promises'

import type {KubernetesVersion} from '../audit/policy/kubernetes-version.js'
import {loadPolicy} from '../audit/policy/load.js'
import {UserError} from '../errors.js'
import type {PolicyFacts} from './facts.js'

/** Loads the file the user named; an unreadable file is bad input (exit 2). */
export async function readPolicyFile(path: string, version: KubernetesVersion | undefined, location = path): Promise<PolicyFacts> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message
    throw new UserError(`cannot read the policy file "${path}": ${reason}`, {cause: error})
  }
  return {state: 'loaded', location, loaded: loadPolicy(text, version)}
}
