// Loaded into the daemon with `node --import` by api-load: records how late
// the daemon's main event loop runs a 5 ms timer, as `<epoch ms> <late ms>`
// lines (only lateness over 2 ms) appended to $GOLEM_BENCH_LOOP_LOG once a
// second. A late timer is a stall: every request waits that long too. Worker
// threads (the preload runs in them as well) are not measured.
import { appendFileSync } from 'node:fs'
import { isMainThread } from 'node:worker_threads'

const file = process.env.GOLEM_BENCH_LOOP_LOG
if (isMainThread && file !== undefined) {
  const PERIOD_MS = 5
  const lines = []
  let last = performance.now()
  setInterval(() => {
    const now = performance.now()
    const late = now - last - PERIOD_MS
    last = now
    if (late > 2) lines.push(`${Date.now()} ${late.toFixed(1)}`)
  }, PERIOD_MS).unref()
  const flush = () => {
    if (lines.length > 0) appendFileSync(file, `${lines.splice(0).join('\n')}\n`)
  }
  setInterval(flush, 1000).unref()
  process.on('exit', flush)
}
