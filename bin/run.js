#!/usr/bin/env node
// The Node check is the only module loaded before it runs: on an older Node, what follows fails.
import {checkNodeVersion} from '../dist/node-version.js'

if (checkNodeVersion(process.versions.node, process.stderr)) {
  const {startCli} = await import('../dist/start.js')
  await startCli()
} else {
  process.exitCode = 2
}
