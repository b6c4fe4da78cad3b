// Builds only when the sources (or the build's own scripts) are newer than the build (`npm run demo`,
// `npm run readme`): a full build takes seconds, the commands it serves a fraction of one. The build
// writes oclif.manifest.json last, so it stands for the whole of dist/.
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync, statSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const INPUTS = ['src', 'package.json', 'tsconfig.json', 'scripts/build.ts', 'scripts/dist/bundle.ts']
const OUTPUTS = ['dist/index.js', 'oclif.manifest.json']

/** The newest change under a path; directories count too, so a deleted file is a change. */
function newestMs(path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMs(join(path, entry)))
  return newest
}

const outputs = OUTPUTS.map((p) => join(root, p))
const built = outputs.every((p) => existsSync(p)) ? Math.min(...outputs.map((p) => statSync(p).mtimeMs)) : -1
const changed = Math.max(...INPUTS.map((p) => newestMs(join(root, p))))
if (changed > built) execFileSync('npm', ['run', 'build', '--silent'], {cwd: root, stdio: 'inherit'})
