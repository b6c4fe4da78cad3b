// The `kubectl-audit` executable of the portable archives: runs the bundle next to it with the
// Node.js on PATH. Written to be valid both as CommonJS and as an ES module, because an extensionless
// file takes its module type from whatever package.json lies above the install folder.
import {PORTABLE_MIN_NODE_MAJOR} from './targets.js'

export const BUNDLE_FILE = 'kubectl-audit.cjs'

export const PORTABLE_LAUNCHER = `#!/usr/bin/env node
// kubectl-audit: runs ${BUNDLE_FILE}, beside this file, with the Node.js on PATH.
if (Number(process.versions.node.split('.')[0]) < ${PORTABLE_MIN_NODE_MAJOR}) {
  process.stderr.write('kubectl-audit needs Node.js ${PORTABLE_MIN_NODE_MAJOR} or newer on PATH; this one is ' + process.version + '.\\n')
  process.exit(2)
}
// Node's on-disk compile cache (Node 22.1+) halves start-up after the first run.
// The bundle's path is relative to this file's real path: Node resolves the symlink krew puts on PATH.
import('node:module')
  .then((module) => module.enableCompileCache?.())
  .then(() => import('./${BUNDLE_FILE}'))
`
