// Regenerates bin/kubectl_complete-audit from oclif.manifest.json (run by `npm pack` through
// `prepack`, so the npm package's completion always matches its commands; `npm run dist` does it too).
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {writeCompletionExecutable} from './dist/completion.js'

await writeCompletionExecutable(join(dirname(fileURLToPath(import.meta.url)), '..'))
