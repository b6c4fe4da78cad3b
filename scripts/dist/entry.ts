// Entry point of the single-file bundle that the release archives ship, either inside a Node single
// executable or next to a launcher: runs the CLI with no package.json and no node_modules on disk.
import './before-oclif.js'
import {type Interfaces, Plugin, execute} from '@oclif/core'
import pkg from '../../package.json' with {type: 'json'}
import {COMMANDS} from '../../src/index.js'
import {tuneHeap} from '../../src/runtime.js'

tuneHeap()

// oclif's explicit strategy import()s its target file from disk, which a single executable cannot
// do; the commands are already in this bundle. This replaces an internal method, so a change of
// @oclif/core must pass `npm run test:dist`, which runs the bundle.
const pluginInternals = Plugin.prototype as unknown as {loadCommandsFromTarget(): Promise<typeof COMMANDS>}
pluginInternals.loadCommandsFromTarget = async () => COMMANDS

// Only what oclif reads: the package manifest itself is not shipped.
const pjson: Interfaces.PJSON = {name: pkg.name, version: pkg.version, oclif: pkg.oclif as Interfaces.PJSON['oclif']}

// No top-level await in a CommonJS bundle. __dirname is the executable's folder in a single
// executable and the bundle's folder otherwise: nothing oclif looks for is there, as intended.
void execute({loadOptions: {root: __dirname, pjson}})
