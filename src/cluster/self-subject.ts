// Who the API server says the kubeconfig's credentials are (a SelfSubjectReview, Kubernetes 1.28+:
// what `kubectl auth whoami` asks). client-node loads on the first call.
import type {KubeConfig} from '@kubernetes/client-node'

import {abortable} from './api-http.js'
import {refusalCodeOf} from './api-errors.js'

export interface Identity {
  readonly name: string
  readonly groups: readonly string[]
}

/** undefined when the server cannot say (older than 1.28, refused); the network failing still throws. */
export async function whoAmI(kc: KubeConfig, signal?: AbortSignal): Promise<Identity | undefined> {
  const {AuthenticationV1Api} = await import('@kubernetes/client-node')
  try {
    const review = await abortable(
      kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({
        body: {apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview'},
      }),
      signal,
    )
    const user = review.status?.userInfo
    return user?.username ? {name: user.username, groups: user.groups ?? []} : undefined
  } catch (error) {
    if (refusalCodeOf(error) !== undefined) return undefined
    throw error
  }
}
