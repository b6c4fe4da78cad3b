// What bin/run.js and the portable launcher run once Node's version is known to be good: the
// process-wide settings, in the order they must come, then the CLI. The settings modules are small
// and import nothing heavy, so the compile cache is on before the bulk of the code is loaded.
import {fileURLToPath} from 'node:url'

import {enableCompileCache} from './compile-cache.js'
import {settleLibraryColor} from './render/color-mode.js'
import {tuneHeap} from './runtime.js'

export async function startCli(): Promise<void> {
  enableCompileCache()
  tuneHeap()
  // Before @oclif/core (and its colour library) loads.
  settleLibraryColor(process.argv.slice(2), process.env, process.stdout)
  // oclif's own check of the Node version loads semver to say what the check above has said.
  process.env.OCLIF_DISABLE_ENGINE_WARNING ??= '1'
  const {runCli} = await import('./cli.js')
  // oclif reads package.json and oclif.manifest.json in the folder above this module's.
  await runCli({loadOptions: fileURLToPath(new URL('..', import.meta.url))})
}
