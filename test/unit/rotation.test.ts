import assert from 'node:assert/strict'

import {isAuditLogName, logStreamName, rotationTime} from '../../src/audit/rotation.js'

describe('rotation names', () => {
  const times: Array<[string, string | null]> = [
    ['audit-2024-01-02T03-04-05.678.log', '2024-01-02T03:04:05.678Z'],
    ['/var/log/kubernetes/audit/audit-2024-01-02T03-04-05.678.log.gz', '2024-01-02T03:04:05.678Z'],
    ['kube-apiserver-audit-2021-03-09T00-12-19.834.log', '2021-03-09T00:12:19.834Z'],
    ['audit.log', null],
    ['audit-2024-13-45T99-04-05.678.log', null],
  ]
  for (const [name, iso] of times)
    it(`rotation time of ${name}`, () => assert.equal(rotationTime(name)?.toISOString() ?? null, iso))

  const streams: Array<[string, string]> = [
    ['/var/log/audit/audit-2024-01-02T03-04-05.678.log.gz', '/var/log/audit/audit.log'],
    ['/var/log/audit/audit-2024-01-02T03-04-05.678.log', '/var/log/audit/audit.log'],
    ['/var/log/audit/audit.log', '/var/log/audit/audit.log'],
    [
      'node/cp-1:/var/log/kubernetes/audit/audit-2024-01-02T03-04-05.678.log',
      'node/cp-1:/var/log/kubernetes/audit/audit.log',
    ],
    ['-', '-'],
  ]
  for (const [name, stream] of streams) it(`stream of ${name}`, () => assert.equal(logStreamName(name), stream))

  const auditNames: Array<[string, boolean]> = [
    ['audit.log', true],
    ['audit-2024-01-02T03-04-05.678.log.gz', true],
    ['tsee-audit.log', true],
    ['tsee-audit-2024-01-02T03-04-05.678.log', true],
    ['kube-apiserver-audit.json', true],
    ['/var/log/kubernetes/audit/audit.jsonl', true],
    ['kube-apiserver.log', false],
    ['kube-apiserver-2024-01-02T03-04-05.678.log', false],
    ['config.json', false],
    ['audit-policy.yaml', false],
    ['audit.log.swp', false],
  ]
  for (const [name, expected] of auditNames)
    it(`${name} is ${expected ? '' : 'not '}an audit log by name`, () => assert.equal(isAuditLogName(name), expected))
})
