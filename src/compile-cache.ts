// Node's on-disk cache of compiled code (module.enableCompileCache, Node >= 22.1): a short run is
// mostly start-up, and most of start-up is compiling the bundle. Kept in the user's own cache
// folder, never in a shared one: a cache another user can write to is code they could make us run.
import module from 'node:module'
import os from 'node:os'
import path from 'node:path'

/** Where the cache goes, in the platform's per-user cache folder (the one oclif uses for its own). */
export function compileCacheDir(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): string {
  const base =
    platform === 'win32'
      ? (env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'))
      : platform === 'darwin'
        ? path.join(home, 'Library', 'Caches')
        : env.XDG_CACHE_HOME?.startsWith('/')
          ? env.XDG_CACHE_HOME
          : path.join(home, '.cache')
  return path.join(base, 'kubectl-audit', 'compile-cache')
}

/**
 * Turns the cache on; Node creates the folder when first needed. Never fails the run: without a
 * home, with a read-only one, or on a Node without the cache, the CLI runs uncached. NODE_COMPILE_CACHE
 * (a folder of the user's choosing) and NODE_DISABLE_COMPILE_CACHE keep their meaning.
 */
export function enableCompileCache(): void {
  try {
    module.enableCompileCache?.(compileCacheDir(process.platform, process.env, os.homedir()))
  } catch {
    // os.homedir() throws when there is no home to be found.
  }
}
