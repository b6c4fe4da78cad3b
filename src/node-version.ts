// The first thing the CLI runs, before anything else is loaded: on an older Node, loading the rest
// fails in ways that say nothing useful (undici's "Cannot read properties of undefined (reading
// 'bind')" on the first cluster request). Written to run on any Node that runs ES modules.

/** package.json's engines.node (a test keeps them equal): undici, under client-node, needs it. */
export const REQUIRED_NODE = '22.19.0'

/** True when `version` (process.versions.node) is new enough; otherwise says so on `stderr`. */
export function checkNodeVersion(version: string, stderr: NodeJS.WritableStream): boolean {
  if (!olderThan(version, REQUIRED_NODE)) return true
  stderr.write(`error: kubectl-audit needs Node >= ${REQUIRED_NODE}; this is Node ${version}\n`)
  stderr.write(
    'hint: install the self-contained build with krew, which brings its own Node (https://github.com/kubectl-audit/kubectl-audit#with-krew), or a current Node (https://nodejs.org, or: nvm install --lts)\n',
  )
  return false
}

export function olderThan(version: string, minimum: string): boolean {
  const have = version.split('.').map((part) => Number.parseInt(part, 10) || 0)
  const need = minimum.split('.').map(Number)
  for (let i = 0; i < need.length; i++) {
    if ((have[i] ?? 0) !== need[i]) return (have[i] ?? 0) < need[i]!
  }
  return false
}
