// Imported first by entry.ts, so that it runs before @oclif/core (and its colour library) loads.
import {settleLibraryColor} from '../../src/render/color-mode.js'

settleLibraryColor(process.argv.slice(2), process.env, process.stdout)
