// Views of a policies report for comparing runs that read the same events from different places.
import type {PolicyChangeReport} from '../../src/commands/policies.js'

/** Changes without their source, in report order: what must not depend on where bytes came from. */
export function withoutSource(
  report: PolicyChangeReport,
): Array<Omit<PolicyChangeReport['changes'][number], 'source'>> {
  return report.changes.map(({source: _source, ...rest}) => rest)
}
