#!/usr/bin/env -S node --import tsx
import {runCli} from '../src/cli.ts'

await runCli({loadOptions: import.meta.url, development: true})
