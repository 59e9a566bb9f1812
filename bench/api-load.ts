/**
 * 1. The API under load: GET /api/v1/vms/{id} and GET /api/v1/vms with 50
 * connections, 10 VMs, the fake multipass answering `info` after 50 ms;
 * idle, and again while a 2-second launch is in progress.
 * Reference: a bare node:http server answering the same bodies (also while
 * the fake launches a VM by itself: what the launch's CPU use costs any server
 * on this machine), and the CPU time each request costs.
 * Targets: ≥ 2,000 requests/s, p99 ≤ 50 ms; during a launch p99 within 1.5× of idle.
 * Also reported: the daemon's longest event-loop stall inside each launch
 * window (a 5 ms timer's lateness, lib/loop-monitor.mjs): what the daemon
 * itself makes every request wait, apart from the machine's load.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { startBareServer } from './lib/bare-server.js'
import { createVm, createWorld, startDaemon, SMALL_VM } from './lib/daemon.js'
import { launchDirect } from './lib/fake-direct.js'
import { httpJson } from './lib/http.js'
import { cpuSeconds } from './lib/rss.js'
import { wrk, type LoadResult } from './lib/load.js'
import { profileArgs, type BenchContext, type Benchmark } from './lib/report.js'

const VMS = 10
const CONNECTIONS = 50
const IDLE_SECONDS = 3
/** Unrecorded load first, so both servers are measured with their code optimised and their connections open. */
const WARMUP_SECONDS = 1
/** Shorter than the launch (2 s delay + the fake's own ~0.7 s), so the whole window is "during a launch". */
const LAUNCH_WINDOW_SECONDS = 2

async function run(ctx: BenchContext): Promise<void> {
  const { scope } = ctx
  const world = await createWorld(scope)
  // The daemon's event-loop stalls, to tell its own pauses from the machine's load (lib/loop-monitor.mjs).
  const loopLog = join(world.dir, 'loop-stalls.log')
  const monitor = ['--import', pathToFileURL(join(import.meta.dirname, 'lib', 'loop-monitor.mjs')).href]
  const profile = profileArgs(ctx)
  const daemon = await startDaemon(scope, world, { bigDisk: true, nodeArgs: [...monitor, ...profile], env: { GOLEM_BENCH_LOOP_LOG: loopLog } })
  world.control({ delayMs: { info: 50 } })
  ctx.progress(`creating ${VMS} VMs`)
  const names = Array.from({ length: VMS }, (_, i) => `vm-${String(i + 1).padStart(2, '0')}`)
  await Promise.all(names.map((n) => createVm(daemon, world, n)))
  const paths = { one: `/api/v1/vms/${names[0] ?? ''}`, list: '/api/v1/vms' }
  const bodies: Record<string, unknown> = {}
  for (const path of Object.values(paths)) bodies[path] = (await httpJson(daemon.baseUrl, 'GET', path)).body
  const bare = await startBareServer(scope, world.dir, bodies)

  const load = (base: string, path: string, seconds: number) => wrk(world.dir, `${base}${path}`, { connections: CONNECTIONS, seconds })
  let launches = 0
  const windows: { path: string; start: number; end: number }[] = []
  // Starts a create whose launch takes 2 s, runs the load while it is in progress, then checks it was.
  const duringLaunch = async (path: string): Promise<LoadResult> => {
    world.control({ delayMs: { info: 50, launch: 2000 } })
    const name = `launching-${++launches}`
    const started = performance.now()
    const windowStart = Date.now()
    const create = httpJson(daemon.baseUrl, 'POST', '/api/v1/vms', { name, ssh_key: world.key.publicKey, resources: SMALL_VM }, { agent: false })
    const result = await load(daemon.baseUrl, path, LAUNCH_WINDOW_SECONDS)
    const loadEnded = performance.now() - started
    windows.push({ path, start: windowStart, end: Date.now() })
    const created = await create
    world.control({ delayMs: { info: 50 } })
    if (created.status !== 201) throw new Error(`the create during the load failed: ${created.status} ${JSON.stringify(created.body)}`)
    ctx.note(
      `${path}: the launch took ${Math.round(created.ms)} ms, the load window ended after ${Math.round(loadEnded)} ms${created.ms < loadEnded ? ' (NOT fully covered)' : ''}`,
    )
    const removed = await httpJson(daemon.baseUrl, 'DELETE', `/api/v1/vms/${name}`, undefined, { agent: false })
    if (removed.status !== 200) throw new Error(`delete ${name}: ${removed.status}`)
    return result
  }

  // The same load on the bare server while the fake launches a VM by itself: what the launch's own CPU use costs any server here.
  const bareDuringLaunch = async (path: string): Promise<LoadResult> => {
    world.control({ delayMs: { info: 50, launch: 2000 } })
    const launch = launchDirect(world, `direct-${++launches}`)
    const result = await load(bare.base, path, LAUNCH_WINDOW_SECONDS)
    await launch
    world.control({ delayMs: { info: 50 } })
    return result
  }

  for (const [label, path] of [
    ['GET /vms/{id}', paths.one],
    ['GET /vms', paths.list],
  ] as const) {
    ctx.signal.throwIfAborted()
    ctx.progress(`${label}: bare reference, idle, during a launch`)
    await load(bare.base, path, WARMUP_SECONDS)
    const bareCpu = cpuSeconds(bare.pid)
    const ref = await load(bare.base, path, IDLE_SECONDS)
    const bareUs = ((cpuSeconds(bare.pid) - bareCpu) / ref.requests) * 1e6
    await load(daemon.baseUrl, path, WARMUP_SECONDS)
    const daemonCpu = cpuSeconds(daemon.pid)
    const idle = await load(daemon.baseUrl, path, IDLE_SECONDS)
    const daemonUs = ((cpuSeconds(daemon.pid) - daemonCpu) / idle.requests) * 1e6
    const during = await duringLaunch(path)
    const bareDuring = await bareDuringLaunch(path)
    const errors = idle.errors + during.errors
    ctx.figure({
      name: `${label} requests/s, idle`,
      value: idle.rps,
      unit: 'req/s',
      reference: { label: 'bare node:http', value: ref.rps },
      target: '≥ 2,000',
      pass: idle.rps >= 2000 && idle.errors === 0,
    })
    ctx.figure({ name: `${label} p50, idle`, value: idle.p50Ms, unit: 'ms', reference: { label: 'bare node:http', value: ref.p50Ms } })
    ctx.figure({
      name: `${label} p99, idle`,
      value: idle.p99Ms,
      unit: 'ms',
      reference: { label: 'bare node:http', value: ref.p99Ms },
      target: '≤ 50 ms',
      pass: idle.p99Ms <= 50,
    })
    ctx.figure({ name: `${label} CPU time per request, idle`, value: daemonUs, unit: 'µs', reference: { label: 'bare node:http', value: bareUs } })
    ctx.figure({ name: `${label} requests/s, during a launch`, value: during.rps, unit: 'req/s', reference: { label: 'idle', value: idle.rps } })
    ctx.figure({ name: `${label} p50, during a launch`, value: during.p50Ms, unit: 'ms', reference: { label: 'idle', value: idle.p50Ms } })
    ctx.figure({
      name: `${label} p99, during a launch`,
      value: during.p99Ms,
      unit: 'ms',
      reference: { label: 'idle', value: idle.p99Ms },
      target: '≤ 1.5× idle',
      pass: during.p99Ms <= 1.5 * idle.p99Ms && during.errors === 0,
    })
    ctx.figure({
      name: `${label} p99, bare node:http during a fake launch alone`,
      value: bareDuring.p99Ms,
      unit: 'ms',
      reference: { label: 'bare idle', value: ref.p99Ms },
    })
    if (errors > 0) ctx.note(`${label}: ${errors} errors or non-2xx answers`)
  }
  // Wait for the monitor's next flush, then take the longest stall inside each launch window.
  await sleep(1500)
  const stalls = readStalls(loopLog)
  for (const w of windows) {
    const inside = stalls.filter((s) => s.at >= w.start && s.at <= w.end + 50).map((s) => s.lateMs)
    ctx.figure({
      name: `${w.path === paths.one ? 'GET /vms/{id}' : 'GET /vms'}: longest event-loop stall of the daemon during the launch`,
      value: Math.max(0, ...inside),
      unit: 'ms',
    })
  }
}

function readStalls(file: string): { at: number; lateMs: number }[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [at, late] = line.split(' ')
      return { at: Number(at), lateMs: Number(late) }
    })
}

export const apiLoad: Benchmark = { name: 'api-load', title: 'API under load (50 connections, 10 VMs, 50 ms info)', budgetMs: 120_000, run }
