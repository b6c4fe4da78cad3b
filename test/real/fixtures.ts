// Where the real third-party logs, policies and apiserver pods are: kept out of the repository
// (they are other projects' files), in ../shared/fixtures/real or the folder that
// KUBECTL_AUDIT_REAL_FIXTURES names. Without it this suite cannot run: say so in one line and stop.
import {existsSync} from 'node:fs'
import {resolve} from 'node:path'

import {ROOT} from '../support/cli.js'

export const REAL = resolve(ROOT, process.env.KUBECTL_AUDIT_REAL_FIXTURES || '../shared/fixtures/real')

if (!['logs', 'policies', 'apiserver-pods'].every((folder) => existsSync(resolve(REAL, folder)))) {
  process.stderr.write(
    `error: npm run test:real needs the real third-party fixtures (logs/, policies/, apiserver-pods/) in ${REAL}; set KUBECTL_AUDIT_REAL_FIXTURES to the folder that holds them\n`,
  )
  process.exit(2)
}

export const LOGS = `${REAL}/logs`
export const POLICIES = `${REAL}/policies`
export const PODS = `${REAL}/apiserver-pods`
