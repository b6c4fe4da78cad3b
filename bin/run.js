#!/usr/bin/env node
import module from 'node:module'

import {settleLibraryColor} from '../dist/render/color-mode.js'
import {tuneHeap} from '../dist/runtime.js'

tuneHeap()
settleLibraryColor(process.argv.slice(2), process.env, process.stdout)
// Cache compiled code between runs (Node >= 22.1): start-up is most of a short run's time.
module.enableCompileCache?.()

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
