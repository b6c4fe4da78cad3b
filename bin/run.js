#!/usr/bin/env node
import module from 'node:module'
import v8 from 'node:v8'

// A small young generation: reading a multi-GB log makes a lot of short-lived garbage, and
// collecting it often keeps peak memory near 130 MB instead of growing with the default spaces.
v8.setFlagsFromString('--max-semi-space-size=1')
// Cache compiled code between runs (Node >= 22.1): start-up is most of a short run's time.
module.enableCompileCache?.()

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
