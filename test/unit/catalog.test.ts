import assert from 'node:assert/strict'

import {findWatchedResource, resolveKind, WATCHED_RESOURCE_NAMES, WATCHED_RESOURCES} from '../../src/audit/catalog.js'
import {RESOURCE_NEEDLES} from '../../src/audit/prefilter.js'

describe('catalog', () => {
  const cases: Array<[string, string[]]> = [
    ['gnp', ['globalnetworkpolicies.projectcalico.org', 'globalnetworkpolicies.crd.projectcalico.org']],
    ['knp', ['networkpolicies.networking.k8s.io', 'networkpolicies.extensions']],
    ['np', ['networkpolicies.projectcalico.org', 'networkpolicies.crd.projectcalico.org']],
    ['NetworkPolicy', ['networkpolicies.projectcalico.org', 'networkpolicies.crd.projectcalico.org']],
    ['networkpolicies.networking.k8s.io', ['networkpolicies.networking.k8s.io']],
    ['tier', ['tiers.projectcalico.org', 'tiers.crd.projectcalico.org']],
    ['anp', ['adminnetworkpolicies.policy.networking.k8s.io']],
    ['banp', ['baselineadminnetworkpolicies.policy.networking.k8s.io']],
    ['cnp', ['clusternetworkpolicies.policy.networking.k8s.io']],
    ['hep', ['hostendpoints.projectcalico.org', 'hostendpoints.crd.projectcalico.org']],
  ]
  for (const [input, expected] of cases) {
    it(`resolves --kind ${input}`, () => {
      const got = resolveKind(input)?.map((r) => `${r.resource}.${r.apiGroup}`)
      assert.deepEqual(got, expected)
    })
  }

  it('rejects unknown kinds', () => {
    assert.equal(resolveKind('pods'), undefined)
    assert.equal(resolveKind(''), undefined)
  })

  it('does not watch the core group or unrelated resources', () => {
    assert.equal(findWatchedResource('', 'networkpolicies'), undefined)
    assert.equal(findWatchedResource('projectcalico.org', 'ippools'), undefined)
  })

  it('prefilter needles cover every watched resource name', () => {
    for (const name of WATCHED_RESOURCE_NAMES) assert.ok(name.length > 3)
    // What the scanner really searches for: a resource no needle finds would never be decoded.
    const needles = RESOURCE_NEEDLES.map((n) => n.toString())
    for (const {resource} of WATCHED_RESOURCES)
      assert.ok(
        needles.some((n) => resource.includes(n)),
        `no needle finds ${resource}`,
      )
  })
})
