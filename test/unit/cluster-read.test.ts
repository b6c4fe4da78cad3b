// The cluster read's flags are compiled in policies-options.test.ts.
import assert from 'node:assert/strict'

import {isRotatedSibling} from '../../src/sources/cluster.js'

describe('rotated siblings of an audit log', () => {
  const cases: Array<[string, string, boolean]> = [
    ['audit-2026-11-24T10-00-00.000.log', 'audit.log', true],
    ['audit-2026-11-24T10-00-00.000.log.gz', 'audit.log', true],
    ['kube-apiserver-audit-2026-11-24T10-00-00.000.log', 'kube-apiserver-audit.log', true],
    ['tsee-audit-2026-11-24T10-00-00.000.log', 'tsee-audit.log', true],
    ['audit.log', 'audit.log', false],
    ['audit-2026-11-24T10-00-00.000.json', 'audit.log', false],
    ['kube-audit-2026-11-24T10-00-00.000.log', 'audit.log', false],
    ['audit-2026-11-24.log', 'audit.log', false],
    ['audit-2026-11-24T10-00-00.000.log.bak', 'audit.log', false],
    ['audit-2026-11-24T10-00-00.000', 'audit', true],
  ]
  for (const [name, active, expected] of cases) {
    it(`${expected ? 'takes' : 'leaves'} ${name} next to ${active}`, () =>
      assert.equal(isRotatedSibling(name, active), expected))
  }
})
