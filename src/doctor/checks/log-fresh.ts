// audit-log-fresh: is kube-apiserver writing its audit log now? The flags and the policy can be
// right while nothing reaches the file: the apiserver writes elsewhere, its disk is full, the
// mount maps somewhere else, or the file checked is no longer the one being written.
import type {ApiserverInstance} from '../../cluster/apiservers.js'
import {type Check, pass, perApiserver, skip, type Verdict, warn} from '../check.js'
import {formatAge} from '../describe.js'
import type {AuditLogTail} from '../facts.js'
import {flagProblem} from './flags.js'

/**
 * A live apiserver is never quiet for long: every client-go informer re-opens its watches every
 * 5 to 10 minutes, kubelets and controllers read and write all the time, and a policy with a
 * catch-all rule (as any policy that records policy changes should have) logs them. An hour
 * leaves room for policies that record only rare writes and for clocks that disagree between the
 * node and this machine; a newest event older than that means the file is not being written.
 * Rotation does not move this: lumberjack rotates just before a write, which then lands in the
 * new file, so the active file always holds the newest event.
 */
export const STALE_AFTER_MS = 60 * 60_000
/** Clock skew worth mentioning when the newest event is dated after this machine's now. */
const SKEW_NOTE_MS = 5 * 60_000

export const auditLogFresh: Check = {
  id: 'audit-log-fresh',
  title: 'Audit log being written',
  run: (facts) =>
    perApiserver(facts, (apiserver) => {
      if (flagProblem(apiserver, ['audit-log-path']))
        return skip('the --audit-log-path flag is malformed (see audit-backend)')
      const flag = apiserver.flags['audit-log-path']
      if (flag === undefined || flag === '') return skip('no log file')
      const tail = facts.logTails.get(apiserver.name)
      if (!tail) return skip('the log was not read')
      return freshness(tail, apiserver)
    }),
}

function freshness(tail: AuditLogTail, apiserver: ApiserverInstance): Verdict {
  if (tail.state === 'unavailable') return skip(tail.reason, tail.command)
  const remedy = `check that kube-apiserver runs and what its own log says about audit (${ownLogCommand(apiserver)}); a policy that records nothing also leaves the log empty (see policy-coverage)`
  // kube-apiserver creates the file (0600) when it starts, before any event.
  if (tail.state === 'missing')
    return warn(
      `${tail.location} does not exist: kube-apiserver, which creates it at start, is not running with this path, or its volume maps it elsewhere`,
      remedy,
    )
  if (tail.bytes === 0 && tail.stdout) return warn(`no audit event in ${tail.location}`, remedy)
  if (tail.bytes === 0) return warn(`${tail.location} is empty: kube-apiserver has written no event to it`, remedy)
  if (tail.newestMs === null)
    return warn(
      `no JSON audit event in the last ${tail.bytes} bytes of ${tail.location} (see audit-log-format)`,
      remedy,
    )
  const age = tail.readAtMs - tail.newestMs
  const newest = new Date(tail.newestMs).toISOString()
  if (age > STALE_AFTER_MS) {
    return warn(
      `newest event ${formatAge(age)} old (${newest}) in ${tail.location}: nothing written for over an hour`,
      remedy,
    )
  }
  const skew = -age > SKEW_NOTE_MS ? ` (dated ${formatAge(-age)} ahead of this machine's clock)` : ''
  return pass(`newest event ${formatAge(age)} ago in ${tail.location}${skew}`)
}

/** Where kube-apiserver's own messages (audit write errors among them) can be read. */
function ownLogCommand(apiserver: ApiserverInstance): string {
  const node = apiserver.nodeName ? `node ${apiserver.nodeName}` : 'the control-plane node'
  if (apiserver.source === 'pod' && apiserver.container) {
    const [namespace, pod] = apiserver.name.split('/')
    return `kubectl logs -n ${namespace} ${pod} -c ${apiserver.container} | grep -i audit`
  }
  if (apiserver.container)
    return `on ${node}: crictl logs $(crictl ps -q --name ${apiserver.container}) 2>&1 | grep -i audit`
  const unit = apiserver.distribution === 'rke2' ? 'rke2-server' : apiserver.distribution
  return `on ${node}: journalctl -u ${unit} | grep -i audit`
}
