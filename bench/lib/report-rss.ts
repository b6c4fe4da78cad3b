// Preloaded into node children when /usr/bin/time is missing: writes the process's peak RSS (KiB)
// to $BENCH_RSS_FILE on exit.

import {writeFileSync} from 'node:fs'

process.on('exit', () => {
  const file = process.env.BENCH_RSS_FILE
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS))
})
