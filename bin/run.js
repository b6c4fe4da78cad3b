#!/usr/bin/env node
import module from 'node:module'

import {tuneHeap} from '../dist/runtime.js'

tuneHeap()
// Cache compiled code between runs (Node >= 22.1): start-up is most of a short run's time.
module.enableCompileCache?.()

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
