// The portable archives (macOS): the CLI's modules as the npm package has them, in lib/, and a
// `kubectl-audit` launcher that runs them with the Node.js on PATH. The launcher is written to be
// valid both as CommonJS and as an ES module, because an extensionless file takes its module type
// from whatever package.json lies above the install folder.
import {BUNDLED_PACKAGE_FIELDS} from './bundle.js'
import {MIN_NODE_VERSION} from './targets.js'

/** The folder of the CLI's files: package.json (the fields oclif reads), oclif.manifest.json, dist/. */
export const PORTABLE_LIB = 'lib'

/** What the launcher imports, relative to itself: dist/start.js of the modules (see bundle.ts). */
const START = `./${PORTABLE_LIB}/dist/start.js`

export const PORTABLE_LAUNCHER = `#!/usr/bin/env node
// kubectl-audit: runs the CLI in ${PORTABLE_LIB}/, beside this file, with the Node.js on PATH.
const [have, need] = [process.versions.node, '${MIN_NODE_VERSION}'].map((version) => version.split('.').map(Number))
if ((have[0] - need[0] || have[1] - need[1] || have[2] - need[2]) < 0) {
  process.stderr.write('kubectl-audit needs Node.js ${MIN_NODE_VERSION} or newer on PATH; this one is ' + process.version + '.\\n')
  process.exit(2)
}
// Relative to this file's real path: Node resolves the symlink krew puts on PATH.
import('${START}').then((start) => start.startCli())
`

/**
 * lib/package.json: the fields oclif reads and no other (editing a script changes no archive), and
 * "type": "module", which makes dist/ ES modules whatever lies above the install folder.
 */
export function portablePackageJson(pjson: Record<string, unknown>): string {
  const fields = Object.fromEntries(BUNDLED_PACKAGE_FIELDS.map((field) => [field, pjson[field]]))
  return JSON.stringify({...fields, type: 'module'}, null, 2) + '\n'
}
