// `npm run build`: the CLI bundled into dist/ as code-split ES modules (scripts/dist/bundle.ts),
// with the licenses of the packages inside it; package.json's build script type-checks first and
// writes oclif.manifest.json from dist/index.js after.
import {rm, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {bundleModules} from './dist/bundle.js'
import {bundledPackageNotices, renderNotices} from './dist/notices.js'

/** Where the notices go in dist/, so the npm package passes the bundled packages' licenses on. */
export const NOTICES_FILE = 'THIRD-PARTY-NOTICES'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')
await rm(dist, {recursive: true, force: true})
const bundled = await bundleModules(root, dist)
await writeFile(join(dist, NOTICES_FILE), renderNotices(await bundledPackageNotices(bundled.packages, root)))
