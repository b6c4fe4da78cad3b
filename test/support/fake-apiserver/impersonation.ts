// Who a request asks to act as (kubectl's --as and --as-group): the Impersonate-* headers, each
// header line kept apart, since node:http joins repeated ones into one string.
import type {IncomingMessage} from 'node:http'

export interface Impersonation {
  user?: string
  groups: string[]
}

export function impersonationOf(req: IncomingMessage): Impersonation | undefined {
  const user = req.headersDistinct['impersonate-user']?.[0]
  const groups = req.headersDistinct['impersonate-group'] ?? []
  return user === undefined && groups.length === 0 ? undefined : {...(user === undefined ? {} : {user}), groups}
}
