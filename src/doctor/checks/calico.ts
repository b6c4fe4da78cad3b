// How Calico's API is served, which decides what kube-apiserver can record of Calico writes, and
// Calico Enterprise's own API server audit policy.
import {CALICO_CRD_GROUP, CALICO_GROUP} from '../../audit/catalog.js'
import {formatProblem} from '../../audit/policy/problems.js'
import {type Check, fail, pass, skip, warn} from '../check.js'
import {summarizeWrites} from '../describe.js'
import {writesByRecording} from '../recording.js'

export const calicoApiMode: Check = {
  id: 'calico-api-mode',
  title: 'Calico API mode',
  run(facts) {
    const {calico} = facts
    if (!calico) return skip('offline: how Calico is served is read from the cluster')
    const refused = calico.failures.find((f) => f.request.includes('apiservices'))
    if (refused)
      return skip(
        `cannot ${refused.request}: ${refused.status} ${refused.message}`,
        'ask for "list apiservices.apiregistration.k8s.io"',
      )
    const {apiService} = calico
    if (apiService.state === 'aggregated') {
      return warn(
        `projectcalico.org is an aggregated API (Service ${apiService.service}): kube-apiserver records its writes at Metadata only, whatever the policy says; the bodies are in the Calico API server's writes to ${CALICO_CRD_GROUP}, made as its service account`,
        `record ${CALICO_CRD_GROUP} writes at RequestResponse (kubectl audit policies joins them to the user's request)${calico.enterprise ? '; Calico Enterprise also keeps its own API server audit log' : ''}`,
      )
    }
    if (apiService.state === 'local') {
      return pass(
        `projectcalico.org/v3 is served as CRDs by kube-apiserver (Calico 3.32+): writes are recorded at the policy's level, with bodies`,
      )
    }
    if (calico.backingCrds) {
      return pass(
        `Calico without its API server: calicoctl and kubectl write ${CALICO_CRD_GROUP} directly, as the user, recorded at the policy's level`,
      )
    }
    return skip('Calico is not installed (no v3.projectcalico.org APIService, no Calico CRDs)')
  },
}

export const calicoApiserverPolicy: Check = {
  id: 'calico-apiserver-policy',
  title: 'Calico Enterprise audit policy',
  run(facts) {
    const {calico} = facts
    if (!calico) return skip('offline: the Calico Enterprise policy is read from the cluster')
    const policy = calico.enterprisePolicy
    if (!policy) {
      const refused = calico.failures.find((f) => f.request.includes('configmaps'))
      if (refused)
        return skip(
          `cannot ${refused.request}: ${refused.status} ${refused.message}`,
          'ask for "get configmaps" in tigera-system',
        )
      if (calico.enterprise) {
        return warn(
          'Calico Enterprise without its audit policy ConfigMap (tigera-system/tigera-audit-policy): its API server keeps no audit log',
          'let the Tigera operator recreate the tigera-audit-policy ConfigMap',
        )
      }
      return skip("no Calico Enterprise API server audit policy (open-source Calico's API server keeps no audit log)")
    }
    const {loaded, location} = policy
    const errors = loaded.problems.filter((p) => p.severity === 'error')
    if (!loaded.policy || errors.length > 0 || loaded.apiVersionProblem?.severity === 'error') {
      const problems = [...(loaded.apiVersionProblem ? [loaded.apiVersionProblem] : []), ...errors]
      return fail(
        `${location} does not load: ${problems.map(formatProblem).join('; ')}`,
        `fix ${location}; the Calico API server reads it at start`,
      )
    }
    // The Calico API server records its own requests: kube-apiserver's cap does not apply.
    const {rows, none, partial} = writesByRecording(
      loaded.policy,
      {...facts.coverage, levelCaps: undefined},
      new Set([CALICO_GROUP]),
    )
    const remedy = `add the missing verbs to the RequestResponse rule in ${location}, then restart the Calico API server`
    if (none.length > 0)
      return fail(
        `${location}: ${none.length} of ${rows.length} projectcalico.org writes not recorded: ${summarizeWrites(none, rows)}`,
        remedy,
      )
    if (partial.length > 0)
      return warn(
        `${location}: ${partial.length} of ${rows.length} projectcalico.org writes recorded without bodies: ${summarizeWrites(partial, rows)}`,
        remedy,
      )
    return pass(`${location}: all ${rows.length} projectcalico.org writes recorded at RequestResponse`)
  },
}
