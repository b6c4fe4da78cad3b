// Preloaded into node children when /usr/bin/time is missing: writes the process's peak RSS (KiB)
// and CPU seconds to $BENCH_RSS_FILE on exit, in /usr/bin/time -f '%M %U %S' form.

import {writeFileSync} from 'node:fs'

process.on('exit', () => {
  const file = process.env.BENCH_RSS_FILE
  const usage = process.resourceUsage()
  if (file) writeFileSync(file, `${usage.maxRSS} ${usage.userCPUTime / 1e6} ${usage.systemCPUTime / 1e6}`)
})
