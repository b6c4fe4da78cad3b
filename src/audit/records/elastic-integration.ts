// The Elastic integration's Kubernetes audit document (Filebeat or Elastic Agent, data stream
// `logs-kubernetes.audit_logs-*`): the audit Event sits under `kubernetes.audit`, beside ECS fields
// (`@timestamp`, `event.action`, `user.name`, `source.ip`, ...) that repeat parts of it.
//
// What the shipper already dropped cannot come back: `requestObject.metadata` and
// `responseObject.metadata` (so a created object's name is only what objectRef says), and
// annotation keys lose their dots (`authorization_k8s_io/decision`); annotations with an empty
// value vanish. None of these are read here: the Event keeps its own key names otherwise.

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The audit Event inside an integration document, a search hit of one (`{_source: ...}`), or
 * undefined when the value is neither. The key may be nested (`kubernetes: {audit: ...}`, as the
 * shipper writes it) or dotted (`"kubernetes.audit": ...`, as some pipelines and exports do).
 */
export function elasticIntegrationEvent(value: Json): Json | undefined {
  const doc = isObject(value._source) ? value._source : value
  const kubernetes = doc.kubernetes
  const audit = isObject(kubernetes) ? kubernetes.audit : doc['kubernetes.audit']
  if (!isObject(audit)) return undefined
  return typeof audit.auditID === 'string' || typeof audit.verb === 'string' ? audit : undefined
}
