// Bundles the CLI into one minified CommonJS file: the only shape a Node single executable can run,
// and the whole program of the portable archive.
import {build} from 'esbuild'
import {mkdir, readFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'

export interface BundleResult {
  /** The bundle file. */
  file: string
  /** Packages the bundle contains (name → folder under node_modules), for license notices. */
  packages: Map<string, string>
}

// Optional peers that libraries try to require() and do without: left in, each would make a single
// executable print a warning about require() the first time it is reached.
const ABSENT_OPTIONAL_MODULES = ['bufferutil', 'utf-8-validate', 'encoding']

/**
 * The package.json fields oclif reads, which entry.ts gets as PACKAGE_JSON: only these, so that
 * editing a script or a dev dependency leaves every archive, and plugin.yaml, unchanged.
 */
export const BUNDLED_PACKAGE_FIELDS = ['name', 'version', 'description', 'oclif'] as const

export async function bundleCli(projectRoot: string, outFile: string): Promise<BundleResult> {
  await mkdir(dirname(outFile), {recursive: true})
  const pjson = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as Record<string, unknown>
  const bundledPjson = Object.fromEntries(BUNDLED_PACKAGE_FIELDS.map((field) => [field, pjson[field]]))
  // A file of the project, not one written beside outFile: the bundle must not depend on where it is built.
  const absentModuleStub = join(projectRoot, 'scripts/dist/absent-module.cjs')
  const result = await build({
    absWorkingDir: projectRoot,
    entryPoints: [join(projectRoot, 'scripts/dist/entry.ts')],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // oclif's TypeScript dev mode: never reached from a bundle, and typescript alone is 9 MB.
    external: ['typescript', 'ts-node', 'tsx'],
    alias: Object.fromEntries(ABSENT_OPTIONAL_MODULES.map((name) => [name, absentModuleStub])),
    // @oclif/core checks the Node version at import time by require()-ing its package.json from disk.
    // import.meta.url is empty in CommonJS: give it the bundle's own URL (the executable's, in a
    // single executable), so code that looks for files beside itself finds none and falls back.
    banner: {js: "process.env.OCLIF_DISABLE_ENGINE_WARNING??='1';var __bundleUrl=require('node:url').pathToFileURL(__filename).href;"},
    define: {'import.meta.url': '__bundleUrl', PACKAGE_JSON: JSON.stringify(bundledPjson)},
  })
  const packages = new Map<string, string>()
  for (const input of Object.keys(result.metafile.inputs)) {
    const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input)
    if (match) packages.set(match[2], join(projectRoot, match[1]))
  }
  return {file: outFile, packages}
}
