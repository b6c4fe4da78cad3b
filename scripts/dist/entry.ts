// Entry point of the single-file bundle inside the Node single executables: runs the CLI with no
// package.json and no node_modules on disk.
import './before-oclif.js'
import {type Interfaces, Plugin} from '@oclif/core'
import {runCli} from '../../src/cli.js'
import type {COMMANDS} from '../../src/index.js'
import {tuneHeap} from '../../src/runtime.js'

tuneHeap()

// oclif's explicit strategy import()s its target file from disk, which a single executable cannot
// do; the commands are already in this bundle (and initialised only when asked for, as on disk).
// This replaces an internal method, so a change of @oclif/core must pass `npm run test:dist`,
// which runs the bundle.
const pluginInternals = Plugin.prototype as unknown as {loadCommandsFromTarget(): Promise<typeof COMMANDS>}
pluginInternals.loadCommandsFromTarget = async () => (await import('../../src/index.js')).COMMANDS

// The package.json fields oclif reads (BUNDLED_PACKAGE_FIELDS in bundle.ts), put here by esbuild's
// define: package.json itself is not shipped, and the rest of it must not change the bundle.
declare const PACKAGE_JSON: Interfaces.PJSON

// No top-level await in a CommonJS bundle. __dirname is the executable's folder: nothing oclif
// looks for is there, as intended.
void runCli({loadOptions: {root: __dirname, pjson: PACKAGE_JSON}})
