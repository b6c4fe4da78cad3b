// Audit events in the shapes log stores keep them in, for loading fake stores in tests.

/** An Event as the integration stores it: metadata of the bodies dropped, annotation keys de-dotted, ECS fields beside it. */
export function integrationDocument(event: Record<string, unknown>): Record<string, unknown> {
  const audit: Record<string, unknown> = {...event}
  for (const body of ['requestObject', 'responseObject']) {
    const value = audit[body]
    if (typeof value === 'object' && value !== null) {
      const {metadata: _dropped, ...rest} = value as Record<string, unknown>
      audit[body] = rest
    }
  }
  const annotations = audit.annotations as Record<string, string> | undefined
  if (annotations)
    audit.annotations = Object.fromEntries(
      Object.entries(annotations)
        .filter(([, v]) => v !== '')
        .map(([k, v]) => [k.replaceAll('.', '_'), v]),
    )
  const user = event.user as {username?: string} | undefined
  return {
    '@timestamp': event.stageTimestamp,
    event: {kind: 'event', action: event.verb, outcome: 'success'},
    user: {name: user?.username},
    kubernetes: {audit},
    data_stream: {type: 'logs', dataset: 'kubernetes.audit_logs', namespace: 'default'},
  }
}
