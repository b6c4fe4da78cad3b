#!/usr/bin/env node
// Cache compiled code between runs (Node >= 22.1): start-up is most of a short run's time.
import module from 'node:module'

module.enableCompileCache?.()

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
