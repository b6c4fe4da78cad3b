// `npm run build:wasm`: compiles the WebAssembly text in src/reading/line-classes.wat into the
// TypeScript module that carries its bytes (line-classes.wasm.ts, committed), so the CLI loads it
// from its own code wherever it runs (tsx, the bundle, the worker, the single executable) without
// reading a file or depending on the compiler at run time. A unit test compares the two.
import {readFile, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {format, resolveConfig} from 'prettier'
import wabt from 'wabt'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const WAT_FILE = join(root, 'src', 'reading', 'line-classes.wat')
export const GENERATED_FILE = join(root, 'src', 'reading', 'line-classes.wasm.ts')

/** The binary of a module in WebAssembly text, with SIMD; validated, without debug names. */
export async function compileWat(name: string, text: string): Promise<Uint8Array> {
  const compiler = await wabt()
  const module = compiler.parseWat(name, text, {simd: true})
  try {
    module.resolveNames()
    module.validate()
    return module.toBinary({log: false, write_debug_names: false}).buffer
  } finally {
    module.destroy()
  }
}

/** The TypeScript module holding the binary as base64, formatted as `npm run format` would. */
export async function generatedModule(bytes: Uint8Array): Promise<string> {
  const base64 = Buffer.from(bytes).toString('base64')
  const lines = base64.match(/.{1,100}/g) ?? []
  const text = [
    '// Generated from line-classes.wat by `npm run build:wasm` (scripts/build-wasm.ts): do not edit.',
    '// Regenerate after changing the .wat; a unit test fails while the two disagree.',
    '',
    '/** The binary of line-classes.wat, base64. */',
    `export const LINE_CLASSES_WASM = ${lines.map((line) => `'${line}'`).join(' + ')}`,
    '',
  ].join('\n')
  return format(text, {...(await resolveConfig(GENERATED_FILE)), filepath: GENERATED_FILE})
}

/** What line-classes.wasm.ts must hold for the .wat as it is now. */
export async function expectedGeneratedModule(): Promise<string> {
  return await generatedModule(await compileWat('line-classes.wat', await readFile(WAT_FILE, 'utf8')))
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  await writeFile(GENERATED_FILE, await expectedGeneratedModule())
}
