/**
 * Issue 19: 1,000 scrapes of GET /metrics while VMs are created have no
 * effect on the API's p99. The API is loaded with wrk (GET /api/v1/vms/{id},
 * 20 connections, 10 VMs, fake multipass) while creates and deletes run in a
 * loop (launch 300 ms); once without scrapes, once with 1,000 scrapes paced
 * over the same window (4 scrapers at once), and once more without, so the
 * machine's drift shows. Reported: the API's p99 in each window, the
 * scrapes' own latency, and how many creates each window saw.
 * Target: p99 with scrapes ≤ 1.25× the mean of the windows without (the
 * machine's own noise between two equal windows is reported next to it).
 */
import { Agent, request } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { createVm, createWorld, startDaemon, type Daemon, type World } from './lib/daemon.js'
import { httpJson } from './lib/http.js'
import { wrk, type LoadResult } from './lib/load.js'
import { profileArgs, type BenchContext, type Benchmark } from './lib/report.js'
import { summarize } from './lib/stats.js'

const VMS = 10
const CONNECTIONS = 20
const WINDOW_SECONDS = 10
const SCRAPES = 1000
const SCRAPERS = 4

// One GET /metrics: its status, size and duration (the body is read to the end, as Prometheus does).
function scrape(base: string, agent: Agent): Promise<{ status: number; bytes: number; ms: number }> {
  const started = performance.now()
  return new Promise((resolve) => {
    const req = request(`${base}/metrics`, { agent, timeout: 30_000 }, (res) => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => (bytes += chunk.length))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - started }))
      res.on('error', () => resolve({ status: 0, bytes, ms: performance.now() - started }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve({ status: 0, bytes: 0, ms: performance.now() - started }))
    req.end()
  })
}

// SCRAPES scrapes spread evenly over `seconds` by SCRAPERS at once.
async function scrapeMany(base: string, seconds: number, signal: AbortSignal): Promise<{ status: number; bytes: number; ms: number }[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: SCRAPERS })
  const results: { status: number; bytes: number; ms: number }[] = []
  const intervalMs = (seconds * 1000 * SCRAPERS) / SCRAPES
  const started = performance.now()
  await Promise.all(
    Array.from({ length: SCRAPERS }, async (_, worker) => {
      for (let i = worker; i < SCRAPES && !signal.aborted; i += SCRAPERS) {
        const due = started + (i / SCRAPERS) * intervalMs
        const wait = due - performance.now()
        if (wait > 0) await sleep(wait)
        results.push(await scrape(base, agent))
      }
    }),
  )
  agent.destroy()
  return results
}

// Creates and deletes VMs one after another until `stop` (the API's writes run while it is read).
async function churn(daemon: Daemon, world: World, stop: AbortSignal): Promise<number> {
  let created = 0
  for (let i = 0; !stop.aborted; i++) {
    const name = `churn-${i}`
    await createVm(daemon, world, name)
    created++
    const removed = await httpJson(daemon.baseUrl, 'DELETE', `/api/v1/vms/${name}`, undefined, { agent: false })
    if (removed.status !== 200) throw new Error(`delete ${name}: ${removed.status}`)
  }
  return created
}

async function window(
  ctx: BenchContext,
  daemon: Daemon,
  world: World,
  url: string,
  withScrapes: boolean,
): Promise<{ load: LoadResult; creates: number; scrapes: { status: number; bytes: number; ms: number }[] }> {
  const stop = new AbortController()
  const creating = churn(daemon, world, stop.signal)
  const scraping = withScrapes ? scrapeMany(daemon.baseUrl, WINDOW_SECONDS, ctx.signal) : Promise.resolve([])
  const load = await wrk(world.dir, url, { connections: CONNECTIONS, seconds: WINDOW_SECONDS })
  const scrapes = await scraping
  stop.abort()
  return { load, creates: await creating, scrapes }
}

async function run(ctx: BenchContext): Promise<void> {
  const { scope } = ctx
  const world = await createWorld(scope)
  const daemon = await startDaemon(scope, world, { bigDisk: true, nodeArgs: profileArgs(ctx), env: { GOLEM_PROVIDER_METRICS_PUBLIC: 'true' } })
  world.control({ delayMs: { info: 20, launch: 300 } })
  ctx.progress(`creating ${VMS} VMs`)
  const names = Array.from({ length: VMS }, (_, i) => `vm-${String(i + 1).padStart(2, '0')}`)
  await Promise.all(names.map((n) => createVm(daemon, world, n)))
  const first = await scrape(daemon.baseUrl, new Agent())
  if (first.status !== 200) throw new Error(`GET /metrics answered ${first.status}`)
  const url = `${daemon.baseUrl}/api/v1/vms/${names[0] ?? ''}`
  await wrk(world.dir, url, { connections: CONNECTIONS, seconds: 1 }) // warm-up

  ctx.progress(`${WINDOW_SECONDS} s without scrapes, creates running`)
  const before = await window(ctx, daemon, world, url, false)
  ctx.progress(`${WINDOW_SECONDS} s with ${SCRAPES} scrapes, creates running`)
  const scraped = await window(ctx, daemon, world, url, true)
  ctx.progress(`${WINDOW_SECONDS} s without scrapes again`)
  const after = await window(ctx, daemon, world, url, false)

  const quiet = (before.load.p99Ms + after.load.p99Ms) / 2
  const ok = scraped.scrapes.filter((s) => s.status === 200)
  const scrapeMs = summarize(ok.map((s) => s.ms))
  ctx.figure({
    name: 'API p99 (GET /vms/{id}) with 1,000 scrapes, VMs being created',
    value: scraped.load.p99Ms,
    unit: 'ms',
    reference: { label: 'mean of the windows without', value: quiet },
    target: '≤ 1.25× without',
    pass: scraped.load.p99Ms <= 1.25 * quiet && ok.length === SCRAPES && scraped.load.errors === 0,
  })
  ctx.figure({
    name: 'API p99 without scrapes: first / second window',
    value: before.load.p99Ms,
    unit: 'ms',
    reference: { label: 'second', value: after.load.p99Ms },
  })
  ctx.figure({ name: 'API p50 with scrapes', value: scraped.load.p50Ms, unit: 'ms', reference: { label: 'first without', value: before.load.p50Ms } })
  ctx.figure({ name: 'API requests/s with scrapes', value: scraped.load.rps, unit: 'req/s', reference: { label: 'first without', value: before.load.rps } })
  ctx.figure({ name: 'scrapes answered 200', value: ok.length, unit: '', reference: { label: 'sent', value: scraped.scrapes.length }, ratio: null })
  ctx.figure({ name: 'scrape latency p50', value: scrapeMs.p50, unit: 'ms', reference: { label: 'p99', value: scrapeMs.p99 }, ratio: null })
  ctx.note(
    `creates during the windows: ${before.creates} / ${scraped.creates} / ${after.creates}; /metrics body ${Math.round(first.bytes / 1024)} KiB; API errors ${before.load.errors} / ${scraped.load.errors} / ${after.load.errors}`,
  )
}

export const metricsScrape: Benchmark = {
  name: 'metrics-scrape',
  title: '1,000 scrapes of /metrics while VMs are created: the API p99',
  budgetMs: 150_000,
  run,
}
