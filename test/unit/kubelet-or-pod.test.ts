// The one rule for reaching a file on a node, row by row: which way --via takes for a path, and
// which kubelet failures send the read on to a reader pod.
import assert from 'node:assert/strict'

import {HttpStatusError} from '../../src/cluster/api-errors.js'
import {UserError} from '../../src/errors.js'
import {kubeletOrReaderPod, type NodeReadVia} from '../../src/sources/kubelet-or-pod.js'

const LOG = '/var/log/kubernetes/audit/audit.log'
const RKE2 = '/var/lib/rancher/rke2/server/logs/audit.log'
/** The kubelet's answer as the /logs/ reader reports it: a UserError caused by the HTTP status. */
const refusal = (code: number) => new UserError(`kubelet said ${code}`, {cause: new HttpStatusError(code, '')})

describe('kubelet or reader pod', () => {
  // [name, via, path, the kubelet's failure (none: it answers), the way taken or the error thrown]
  const rows: Array<[string, NodeReadVia, string, Error | undefined, string | RegExp]> = [
    ['auto, under /var/log: the kubelet', 'auto', LOG, undefined, 'kubelet'],
    ['auto, outside /var/log: a pod, the kubelet not asked', 'auto', RKE2, undefined, 'pod'],
    ['auto, kubelet forbidden (403): a pod', 'auto', LOG, refusal(403), 'pod after: kubelet said 403'],
    ['auto, kubelet not found (404): a pod', 'auto', LOG, refusal(404), 'pod after: kubelet said 404'],
    ['auto, kubelet handler disabled (405): a pod', 'auto', LOG, refusal(405), 'pod after: kubelet said 405'],
    ['auto, kubelet answers 500: that error', 'auto', LOG, refusal(500), /^kubelet said 500$/],
    [
      'auto, no answer at all: that error',
      'auto',
      LOG,
      new UserError('the API server did not answer in time'),
      /did not answer in time/,
    ],
    ['kubelet, under /var/log: the kubelet', 'kubelet', LOG, undefined, 'kubelet'],
    ['kubelet, refused: no pod', 'kubelet', LOG, refusal(403), /^kubelet said 403$/],
    [
      'kubelet, outside /var/log: refused before asking',
      'kubelet',
      RKE2,
      undefined,
      /^\/var\/lib\/rancher\/rke2\/server\/logs\/audit\.log is outside \/var\/log, which is all the kubelet serves; use --via pod or --via auto$/,
    ],
    ['pod, under /var/log: a pod, the kubelet not asked', 'pod', LOG, undefined, 'pod'],
    ['pod, outside /var/log: a pod', 'pod', RKE2, undefined, 'pod'],
  ]
  for (const [name, via, path, kubeletFailure, expected] of rows) {
    it(name, async () => {
      let kubeletAsked = false
      const read = kubeletOrReaderPod(via, path, {
        kubelet: async () => {
          kubeletAsked = true
          if (kubeletFailure) throw kubeletFailure
          return 'kubelet'
        },
        readerPod: async (why) => (why ? `pod after: ${why.message}` : 'pod'),
      })
      if (expected instanceof RegExp)
        await assert.rejects(read, (error: unknown) => error instanceof UserError && expected.test(error.message))
      else assert.equal(await read, expected)
      assert.equal(kubeletAsked, via !== 'pod' && path === LOG, 'whether the kubelet was asked')
    })
  }
})
