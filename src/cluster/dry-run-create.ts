// A dry-run create (dryRun=All: authorized, admitted and validated like a real one, never stored)
// that carries our own Audit-ID header, and what the API server answered: the Audit-ID it echoed,
// and whether it accepted the request or why it refused. client-node loads on the first call.
import type {ConfigurationOptions, KubeConfig, RequestContext, ResponseContext} from '@kubernetes/client-node'

import {refusalCodeOf, serverMessageOf} from './api-errors.js'

/** The header a client names its request's audit ID with; kube-apiserver echoes it in its answer. */
export const AUDIT_ID_HEADER = 'Audit-ID'

export interface DryRunCreate {
  readonly apiGroup: string
  readonly version: string
  /** Plural resource name, as in the URL. */
  readonly resource: string
  /** null for a cluster-scoped resource. */
  readonly namespace: string | null
  readonly body: object
  readonly auditID: string
}

export type DryRunAnswer =
  | {readonly accepted: true; readonly code: number; readonly echoedAuditID: string | null}
  /** A Status error: denied (403), not served (404), no dry run here (400), invalid (422), ... */
  | {readonly accepted: false; readonly code: number; readonly message: string; readonly echoedAuditID: string | null}

/**
 * Sends the create with `?dryRun=All`. A refusal is an answer (the caller reports it); what is no
 * answer at all (the network, a stall, 401) is thrown, as for any other request.
 */
export async function dryRunCreate(kc: KubeConfig, request: DryRunCreate, signal?: AbortSignal): Promise<DryRunAnswer> {
  const {CustomObjectsApi} = await import('@kubernetes/client-node')
  const api = kc.makeApiClient(CustomObjectsApi)
  const options = await requestOptions(request.auditID, signal)
  const {apiGroup: group, version, resource: plural, body} = request
  try {
    const answer =
      request.namespace === null
        ? await api.createClusterCustomObjectWithHttpInfo({group, version, plural, body, dryRun: 'All'}, options)
        : await api.createNamespacedCustomObjectWithHttpInfo(
            {group, version, namespace: request.namespace, plural, body, dryRun: 'All'},
            options,
          )
    return {accepted: true, code: answer.httpStatusCode, echoedAuditID: auditIDOf(answer.headers)}
  } catch (error) {
    const code = refusalCodeOf(error)
    if (code === undefined) throw error
    return {
      accepted: false,
      code,
      message: serverMessageOf(error) ?? '',
      echoedAuditID: auditIDOf((error as {headers?: unknown}).headers),
    }
  }
}

/** The Audit-ID header on the request, and the run's signal on it (aborting it, not just the wait). */
async function requestOptions(auditID: string, signal: AbortSignal | undefined): Promise<ConfigurationOptions> {
  const {Observable} = await import('@kubernetes/client-node')
  const middleware = {
    pre: (context: RequestContext) => {
      context.setHeaderParam(AUDIT_ID_HEADER, auditID)
      if (signal) {
        const own = context.getSignal()
        context.setSignal(own ? AbortSignal.any([own, signal]) : signal)
      }
      return new Observable(Promise.resolve(context))
    },
    post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
  }
  return {middleware: [middleware], middlewareMergeStrategy: 'append'}
}

function auditIDOf(headers: unknown): string | null {
  if (typeof headers !== 'object' || headers === null) return null
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (name.toLowerCase() !== AUDIT_ID_HEADER.toLowerCase()) continue
    const text = Array.isArray(value) ? value[0] : value
    return typeof text === 'string' && text !== '' ? text : null
  }
  return null
}
