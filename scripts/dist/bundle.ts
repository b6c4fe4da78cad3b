// The CLI bundled with everything it imports, in the two shapes it ships in:
// - modules: ES modules split into chunks, loaded as a command line needs them (the cluster client,
//   doctor, YAML and the table renderer only when used); what `npm run build` writes to dist/, the
//   npm package and the portable archives run, and the tests run.
// - single file: one minified CommonJS file, the only shape a Node single executable can run, with
//   the scan worker as a second single file that the executable carries as an asset.
import {build, type BuildOptions, type Metafile, type Plugin} from 'esbuild'
import {existsSync, readFileSync} from 'node:fs'
import {mkdir, readFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import {dirname, join, relative} from 'node:path'

export interface BundleResult {
  /** Packages the bundle contains (name → folder under node_modules), for license notices. */
  packages: Map<string, string>
}

// Optional peers that libraries try to require() and do without: left in, each would make a single
// executable print a warning about require() the first time it is reached.
const ABSENT_OPTIONAL_MODULES = ['bufferutil', 'utf-8-validate', 'encoding']

/**
 * The package.json fields oclif reads, which entry.ts gets as PACKAGE_JSON and the portable archive
 * as its package.json: only these, so that editing a script or a dev dependency leaves every
 * archive, and plugin.yaml, unchanged.
 */
export const BUNDLED_PACKAGE_FIELDS = ['name', 'version', 'description', 'oclif'] as const

/**
 * The modules' entry points, by output name. bin/run.js imports start.js once node-version.js (built
 * apart, see below) has checked Node; index.js is the command map that package.json's oclif.commands
 * names; scan-worker.js is started by reading/parallel-scan.ts from beside the chunk that holds it,
 * so every file sits in one flat folder.
 */
export const MODULE_ENTRIES = {
  start: 'src/start.ts',
  index: 'src/index.ts',
  'scan-worker': 'src/reading/scan-worker.ts',
} as const

function sharedOptions(projectRoot: string): BuildOptions {
  // A file of the project, not one written beside the output: the bundle must not depend on where it is built.
  const absentModuleStub = join(projectRoot, 'scripts/dist/absent-module.cjs')
  return {
    absWorkingDir: projectRoot,
    bundle: true,
    platform: 'node',
    target: 'node22',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    // oclif's TypeScript dev mode: never reached from a bundle, and typescript alone is 9 MB.
    external: ['typescript', 'ts-node', 'tsx'],
    // The files Node itself loads, which the tests run from the sources: without this, esbuild also
    // honours the "module" export condition and takes another build of packages that have one
    // (@aws-sdk/core, @smithy/core).
    conditions: [],
    alias: Object.fromEntries(ABSENT_OPTIONAL_MODULES.map((name) => [name, absentModuleStub])),
  }
}

/** Whether Node loads `file` as CommonJS: .cjs, or .js under a package.json without "type": "module". */
function isCommonJs(file: string): boolean {
  if (/\.cjs$/.test(file)) return true
  if (!/\.js$/.test(file)) return false
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const pjson = join(dir, 'package.json')
    if (existsSync(pjson)) return (JSON.parse(readFileSync(pjson, 'utf8')) as {type?: string}).type !== 'module'
  }
  return true
}

/**
 * `await import('yaml')` of a CommonJS package gives its exports by name under Node; a split chunk
 * made from it would export only `default`. This gives such a chunk the names Node would, read from
 * the package itself at build time.
 */
function commonJsNamespaces(projectRoot: string): Plugin {
  const setup: Plugin['setup'] = (bundler) => {
    bundler.onResolve({filter: /^[^./]/}, async ({path, kind, resolveDir}) => {
      if (kind !== 'dynamic-import') return undefined
      const resolved = await bundler.resolve(path, {kind: 'import-statement', resolveDir})
      if (resolved.errors.length > 0 || resolved.external || !isCommonJs(resolved.path)) return undefined
      // A path relative to the project: the output must not depend on where the project is.
      return {path: relative(projectRoot, resolved.path), namespace: 'commonjs-namespace', pluginData: {specifier: path, file: resolved.path, resolveDir}}
    })
    bundler.onLoad({filter: /.*/, namespace: 'commonjs-namespace'}, ({pluginData}) => {
      const {specifier, file, resolveDir} = pluginData as {specifier: string; file: string; resolveDir: string}
      const names = Object.keys(createRequire(file)(file) as object).filter((name) => name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name))
      // require(): module.exports itself, as Node's import() gives it for default.
      const contents = `const m = require(${JSON.stringify(specifier)})\nexport default m\nexport const {${names.join(', ')}} = m\n`
      return {contents, resolveDir}
    })
  }
  return {name: 'commonjs-namespaces', setup}
}

// CommonJS packages inside ES modules still call require() for Node's own modules.
const REQUIRE_IN_ESM = "import{createRequire as __createRequire}from'node:module';const require=__createRequire(import.meta.url);"

/** The Node check that bin/run.js loads first, alone: no chunk, syntax an old Node can read. */
export const NODE_CHECK = {out: 'node-version', source: 'src/node-version.ts'} as const

/** The code-split ES modules, written to `outDir` (emptied first by the caller). */
export async function bundleModules(projectRoot: string, outDir: string): Promise<BundleResult> {
  await build({
    ...sharedOptions(projectRoot),
    entryPoints: [{in: join(projectRoot, NODE_CHECK.source), out: NODE_CHECK.out}],
    outdir: outDir,
    format: 'esm',
    target: 'es2020',
  })
  const result = await build({
    ...sharedOptions(projectRoot),
    entryPoints: Object.entries(MODULE_ENTRIES).map(([out, source]) => ({in: join(projectRoot, source), out})),
    outdir: outDir,
    metafile: true,
    format: 'esm',
    splitting: true,
    chunkNames: '[name]-[hash]',
    banner: {js: REQUIRE_IN_ESM},
    plugins: [commonJsNamespaces(projectRoot)],
  })
  return {packages: bundledPackages(projectRoot, result.metafile)}
}

/** The single CommonJS file of a single executable, and of nothing else. */
export async function bundleSingleFile(projectRoot: string, outFile: string): Promise<BundleResult> {
  await mkdir(dirname(outFile), {recursive: true})
  const pjson = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as Record<string, unknown>
  const bundledPjson = Object.fromEntries(BUNDLED_PACKAGE_FIELDS.map((field) => [field, pjson[field]]))
  const result = await build({
    ...sharedOptions(projectRoot),
    entryPoints: [join(projectRoot, 'scripts/dist/entry.ts')],
    outfile: outFile,
    metafile: true,
    format: 'cjs',
    // @oclif/core checks the Node version at import time by require()-ing its package.json from disk.
    // import.meta.url is empty in CommonJS: give it the bundle's own URL (the executable's, in a
    // single executable), so code that looks for files beside itself finds none and falls back.
    banner: {js: "process.env.OCLIF_DISABLE_ENGINE_WARNING??='1';var __bundleUrl=require('node:url').pathToFileURL(__filename).href;"},
    define: {'import.meta.url': '__bundleUrl', PACKAGE_JSON: JSON.stringify(bundledPjson)},
  })
  return {packages: bundledPackages(projectRoot, result.metafile)}
}

/**
 * The scan worker as one ES module with no import but Node's own: a single executable starts it
 * from a data: URL, where no relative import or file-based require() can resolve.
 */
export async function bundleScanWorker(projectRoot: string, outFile: string): Promise<BundleResult> {
  await mkdir(dirname(outFile), {recursive: true})
  const result = await build({
    ...sharedOptions(projectRoot),
    entryPoints: [join(projectRoot, MODULE_ENTRIES['scan-worker'])],
    outfile: outFile,
    metafile: true,
    format: 'esm',
    // require() of Node's own modules, which resolve from anywhere.
    banner: {js: "import{createRequire as __createRequire}from'node:module';const require=__createRequire(process.execPath);"},
  })
  return {packages: bundledPackages(projectRoot, result.metafile)}
}

function bundledPackages(projectRoot: string, metafile: Metafile): Map<string, string> {
  const packages = new Map<string, string>()
  // Inputs of a plugin's namespace (`commonjs-namespace:…`) are not files; the files they import are inputs too.
  for (const input of Object.keys(metafile.inputs).filter((name) => !/^[\w-]+:/.test(name))) {
    const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input)
    if (match) packages.set(match[2]!, join(projectRoot, match[1]!))
  }
  return packages
}

/** The packages of several bundles, once each. */
export function mergePackages(...results: readonly BundleResult[]): Map<string, string> {
  return new Map(results.flatMap((result) => [...result.packages]))
}
