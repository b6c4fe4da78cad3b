// Reading a policy file from disk into the facts.
import type {KubernetesVersion} from '../audit/policy/kubernetes-version.js'
import {loadPolicy} from '../audit/policy/load.js'
import {UserError} from '../errors.js'
import {readLocalText, TooLarge} from '../sources/file.js'
import type {PolicyFacts} from './facts.js'

/** Loads the file the user named; an unreadable file is bad input (exit 2). */
export async function readPolicyFile(
  path: string,
  version: KubernetesVersion | undefined,
  location = path,
): Promise<PolicyFacts> {
  let text: string
  try {
    text = await readLocalText(path)
  } catch (error) {
    if (error instanceof TooLarge)
      throw new UserError(`the policy file "${path}" is larger than 1 MiB: an audit policy is a few KiB`, {
        hint: "give the file named by the apiserver's --audit-policy-file",
      })
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message
    throw new UserError(`cannot read the policy file "${path}": ${reason}`, {cause: error})
  }
  return {state: 'loaded', location, loaded: loadPolicy(text, version)}
}
