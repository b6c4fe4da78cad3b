#!/usr/bin/env node
// The Node check is the only module loaded before it runs: on an older Node, what follows fails.
import {checkNodeVersion} from '../dist/node-version.js'

if (checkNodeVersion(process.versions.node, process.stderr)) {
  const [module, {settleLibraryColor}, {tuneHeap}] = await Promise.all([import('node:module'), import('../dist/render/color-mode.js'), import('../dist/runtime.js')])
  tuneHeap()
  settleLibraryColor(process.argv.slice(2), process.env, process.stdout)
  // Cache compiled code between runs (Node >= 22.1): start-up is most of a short run's time.
  module.enableCompileCache?.()
  const {runCli} = await import('../dist/cli.js')
  await runCli({loadOptions: import.meta.url})
} else {
  process.exitCode = 2
}
