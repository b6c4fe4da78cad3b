// The `kubectl-audit` executable of the portable archives: runs the bundle next to it with the
// Node.js on PATH. Written to be valid both as CommonJS and as an ES module, because an extensionless
// file takes its module type from whatever package.json lies above the install folder.
import {MIN_NODE_VERSION} from './targets.js'

export const BUNDLE_FILE = 'kubectl-audit.cjs'

export const PORTABLE_LAUNCHER = `#!/usr/bin/env node
// kubectl-audit: runs ${BUNDLE_FILE}, beside this file, with the Node.js on PATH.
const [have, need] = [process.versions.node, '${MIN_NODE_VERSION}'].map((version) => version.split('.').map(Number))
if ((have[0] - need[0] || have[1] - need[1] || have[2] - need[2]) < 0) {
  process.stderr.write('kubectl-audit needs Node.js ${MIN_NODE_VERSION} or newer on PATH; this one is ' + process.version + '.\\n')
  process.exit(2)
}
// Node's on-disk compile cache (Node 22.1+) halves start-up after the first run.
// The bundle's path is relative to this file's real path: Node resolves the symlink krew puts on PATH.
import('node:module')
  .then((module) => module.enableCompileCache?.())
  .then(() => import('./${BUNDLE_FILE}'))
`
