// metav1.Status bodies, shaped like the ones kube-apiserver sends for errors.

export interface StatusDetails {
  name?: string
  group?: string
  kind?: string
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'AlreadyExists',
  410: 'Gone',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
}

export function reasonFor(code: number): string {
  return REASONS[code] ?? 'Unknown'
}

export function failureStatus(
  code: number,
  message: string,
  reason = reasonFor(code),
  details?: StatusDetails,
): object {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? {details} : {}),
    code,
  }
}
