/**
 * The benchmarks (provider: issue 8; discovery: issue 20), in sequence, each bounded in time, all
 * traffic on 127.0.0.1. Prints a table of figures with the reference run of
 * the same invocation, the ratio and the target (PASS/MISS).
 *
 *   npm run bench                                  # all (< 10 min)
 *   npm run bench -- api-load ssh-proxy            # some
 *   BENCH_PROFILE=1 npm run bench -- api-load      # the daemons run under --cpu-prof
 *   BENCH_JSON=/path/results.json npm run bench    # where the JSON goes (default: $TMPDIR)
 *   BENCH_PROVIDER_BIN=<other build>/packages/provider/bin/golem-provider.js npm run bench
 *                                                  # measure another build (before/after)
 *   BENCH_BASELINE_BIN=<other build>/… npm run bench -- ssh-proxy
 *                                                  # ssh-proxy also measures that build side by side
 *
 * Needs the built provider (`npx tsc -b`), root, openssh-server,
 * libnss-wrapper, socat, wrk and cc (see README); guest-boot also QEMU and
 * a built test guest (scripts/test-guest/build.sh), else it is skipped.
 * Results, commands and analysis: bench/RESULTS.md.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { apiLoad } from './api-load.js'
import { concurrentCreates } from './concurrent-creates.js'
import { createOverhead } from './create-overhead.js'
import { discovery } from './discovery.js'
import { footprint } from './footprint.js'
import { guestBoot } from './guest-boot.js'
import { ledgerContention } from './ledger-contention.js'
import { mappedPorts } from './mapped-ports.js'
import { metricsScrape } from './metrics-scrape.js'
import { signedRequests } from './signed-requests.js'
import { installReaper, reapEverything, Scope } from './lib/proc.js'
import { Skip, table, type BenchContext, type Benchmark, type BenchOutcome, type Figure } from './lib/report.js'
import { sshProxy } from './ssh-proxy.js'

const SUITE: readonly Benchmark[] = [
  apiLoad,
  concurrentCreates,
  createOverhead,
  sshProxy,
  mappedPorts,
  footprint,
  ledgerContention,
  guestBoot,
  discovery,
  metricsScrape,
  signedRequests,
]
/** The whole suite stays under 10 minutes: a benchmark gets at most what is left of this. */
const SUITE_LIMIT_MS = 9.5 * 60_000

async function runOne(bench: Benchmark, budgetMs: number, profileDir: string | undefined): Promise<BenchOutcome> {
  const figures: Figure[] = []
  const notes: string[] = []
  const scope = new Scope()
  const controller = new AbortController()
  const started = performance.now()
  const ctx: BenchContext = {
    scope,
    signal: controller.signal,
    profileDir,
    figure: (f) => figures.push(f),
    note: (text) => notes.push(text),
    progress: (text) => console.error(`  [${bench.name} ${((performance.now() - started) / 1000).toFixed(1)} s] ${text}`),
  }
  let timer: NodeJS.Timeout | undefined
  let skipped: string | undefined
  let error: string | undefined
  const running = bench.run(ctx)
  running.catch(() => undefined) // a benchmark abandoned at its time limit may still reject later
  try {
    await Promise.race([
      running,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort()
          reject(new Error(`time limit of ${Math.round(budgetMs / 1000)} s reached`))
        }, budgetMs)
      }),
    ])
  } catch (e) {
    if (e instanceof Skip) skipped = e.message
    else error = e instanceof Error ? (e.stack ?? e.message) : String(e)
  } finally {
    clearTimeout(timer)
    controller.abort()
    await scope.close()
  }
  return { name: bench.name, title: bench.title, figures, notes, seconds: (performance.now() - started) / 1000, skipped, error }
}

async function main(): Promise<void> {
  installReaper()
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'))
  const unknown = wanted.filter((w) => !SUITE.some((b) => b.name === w))
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${SUITE.map((b) => b.name).join(', ')}`)
    process.exit(2)
  }
  const selected = wanted.length === 0 ? SUITE : SUITE.filter((b) => wanted.includes(b.name))
  const profileDir = process.env.BENCH_PROFILE === '1' ? mkdtempSync(join(tmpdir(), 'golem-bench-prof-')) : undefined
  const machine = `${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform} ${process.arch}`
  const date = new Date().toISOString()
  console.log(
    `golem provider benchmarks — ${date}\nmachine: ${machine}; load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  )
  if (profileDir !== undefined) console.log(`CPU profiles of the daemon go to ${profileDir}`)
  const suiteStart = performance.now()
  const outcomes: BenchOutcome[] = []
  for (const bench of selected) {
    const left = SUITE_LIMIT_MS - (performance.now() - suiteStart)
    if (left < 20_000) {
      outcomes.push({ name: bench.name, title: bench.title, figures: [], notes: [], seconds: 0, skipped: "the suite's 9.5-minute limit was reached" })
      continue
    }
    console.error(`\n== ${bench.name}: ${bench.title} (limit ${Math.round(Math.min(bench.budgetMs, left) / 1000)} s)`)
    let outcome = await runOne(bench, Math.min(bench.budgetMs, left), profileDir)
    // One more try after a failure (not a miss) when there is time: on a shared machine a daemon can be killed from outside.
    const stillLeft = SUITE_LIMIT_MS - (performance.now() - suiteStart)
    if (outcome.error !== undefined && stillLeft > Math.min(bench.budgetMs, 60_000)) {
      console.error(`  ${bench.name} failed (${outcome.error.split('\n')[0] ?? ''}); running it once more`)
      const failed = outcome.error.split('\n')[0] ?? ''
      outcome = await runOne(bench, Math.min(bench.budgetMs, stillLeft), profileDir)
      outcome.notes.push(`second attempt; the first failed: ${failed}`)
    }
    outcomes.push(outcome)
    console.log(`\n${table([outcome])}`)
    for (const n of outcome.notes) console.log(`  note: ${n}`)
    if (outcome.error !== undefined) console.log(`  error: ${outcome.error}`)
    console.log(`  (${outcome.seconds.toFixed(1)} s)`)
  }
  const total = (performance.now() - suiteStart) / 1000
  console.log(
    `\n== summary (${total.toFixed(0)} s; load average now ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})\n${table(outcomes)}`,
  )
  const figures = outcomes.flatMap((o) => o.figures)
  const misses = figures.filter((f) => f.pass === false).length + outcomes.filter((o) => o.error !== undefined).length
  console.log(`\n${figures.filter((f) => f.pass === true).length} PASS, ${misses} MISS, ${outcomes.filter((o) => o.skipped !== undefined).length} skipped`)
  const jsonPath = process.env.BENCH_JSON ?? join(tmpdir(), 'golem-bench-results.json')
  writeFileSync(
    jsonPath,
    JSON.stringify({ date, machine, command: `npm run bench${wanted.length > 0 ? ` -- ${wanted.join(' ')}` : ''}`, seconds: total, outcomes }, null, 2),
  )
  console.log(`results: ${jsonPath}`)
  reapEverything()
  // Figures are printed; a benchmark that failed (not one that missed its target) makes the run fail.
  process.exit(outcomes.some((o) => o.error !== undefined) ? 1 : 0)
}

main().catch((error: unknown) => {
  console.error(error)
  reapEverything()
  process.exit(1)
})
