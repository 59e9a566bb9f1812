/**
 * Discovery service benchmark: starts the real, built service on 127.0.0.1
 * over a data dir seeded with 10,000 advertisements, then measures signed
 * posts, filtered listings, single reads and full listings, each for a fixed
 * time, and prints requests/s with p50/p99 latencies. Bounded: it gives up
 * after 60 s in all.
 *
 * Run after `npx tsc -b`:  node --import tsx bench/discovery.ts
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Wallet, getAddress } from 'ethers'
import { ADVERTISEMENTS_PATH, advertisementPath, signDiscoveryRequest } from '@golem-vm/protocol'
import { DATABASE_FILE, SqliteAdvertisementStore } from '@golem-vm/discovery'

const SEEDED = 10_000
const POST_WALLETS = 32
const MAX_PRESIGNED = 2_000
const PRESIGN_BUDGET_MS = 6_000
const PHASE_MS = 5_000
const CONCURRENCY = 8
const OVERALL_LIMIT_MS = 58_000
const BIN = fileURLToPath(new URL('../packages/discovery/bin/golem-discovery.js', import.meta.url))
const COUNTRIES = ['SE', 'DE', 'US', 'PL', 'FR', 'NL', 'GB', 'CZ']

interface Sent { readonly method: string; readonly path: string; readonly headers: Record<string, string>; readonly body: string }
interface PhaseResult { readonly name: string; readonly count: number; readonly failures: number; readonly seconds: number; readonly latencies: number[]; readonly bytes: number }

// Seeds the data dir directly through the store (no HTTP, no signing), as if 10,000 providers had posted; returns their ids.
async function seed(dataDir: string): Promise<string[]> {
  const store = new SqliteAdvertisementStore(join(dataDir, DATABASE_FILE), { expiryMs: 300_000, maxProvidersPerAddress: 0, signerRetentionMs: 86_400_000 })
  const now = Date.now()
  const ids: string[] = []
  for (let n = 0; n < SEEDED; n++) {
    const resources = { cpu: 1 + (n % 16), memory: 1 + (n % 64), storage: 10 + (n % 990) }
    const providerId = getAddress(`0x${randomBytes(20).toString('hex')}`)
    ids.push(providerId)
    await store.upsert({
      providerId, ipAddress: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, country: COUNTRIES[n % COUNTRIES.length] ?? 'SE',
      resources, providerName: `provider-${n}`, version: '0.2.0', arch: 'x86_64', apiPort: 7466, sshPortsFree: 50, signed: true, proof: null,
    }, { signed: true, signedAt: now, nonce: `seed${n}` }, now)
  }
  await store.close()
  return ids
}

// Starts the built service and resolves with its base URL once it logs "listening".
function startService(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const env = {
    ...process.env, GOLEM_DISCOVERY_HOST: '127.0.0.1', GOLEM_DISCOVERY_PORT: '0', GOLEM_DISCOVERY_DATA_DIR: dataDir,
    GOLEM_DISCOVERY_LOG_FORMAT: 'json', GOLEM_DISCOVERY_RATE_LIMIT_PER_MINUTE: '1000000000',
  }
  const child = spawn(process.execPath, [BIN], { env, stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('the service did not start within 20 s')) }, 20_000)
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`the service exited with ${code}`)) })
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.includes('"listening"')) return
      clearTimeout(timer)
      resolve({ child, url: (JSON.parse(line) as { address: string }).address })
    })
  })
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })

// One HTTP request over the keep-alive agent; resolves with the status and body size.
function send(base: string, req: Sent): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const r = request(`${base}${req.path}`, { method: req.method, headers: req.headers, agent, timeout: 10_000 }, (res) => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => { bytes += chunk.length })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, bytes }) })
    })
    r.on('timeout', () => r.destroy(new Error('request timed out')))
    r.on('error', reject)
    r.end(req.body === '' ? undefined : req.body)
  })
}

// Runs one worker per queue until its queue is empty or the phase time is over.
async function runPhase(name: string, base: string, queues: (() => Sent | undefined)[]): Promise<PhaseResult> {
  const latencies: number[] = []
  let failures = 0
  let bytes = 0
  const started = performance.now()
  const deadline = started + PHASE_MS
  await Promise.all(queues.map(async (next) => {
    for (let req = next(); req !== undefined && performance.now() < deadline; req = next()) {
      const t0 = performance.now()
      const res = await send(base, req)
      latencies.push(performance.now() - t0)
      bytes += res.bytes
      if (res.status !== 200) failures++
    }
  }))
  return { name, count: latencies.length, failures, seconds: (performance.now() - started) / 1000, latencies, bytes }
}

const cycle = <T>(items: readonly T[]) => {
  let i = 0
  return (): T | undefined => items[i++ % items.length]
}

// Pre-signs posts (the provider's cost, not the service's): each wallet's posts in time order, one queue per worker.
async function presignPosts(): Promise<(() => Sent | undefined)[]> {
  const wallets = Array.from({ length: POST_WALLETS }, () => Wallet.createRandom())
  const perWorker: Sent[][] = Array.from({ length: CONCURRENCY }, () => [])
  const started = performance.now()
  for (let n = 0; n < MAX_PRESIGNED && performance.now() - started < PRESIGN_BUDGET_MS; n++) {
    const w = n % POST_WALLETS
    const body = JSON.stringify({ ip_address: `203.0.113.${w}`, country: 'SE', resources: { cpu: 4, memory: 8, storage: 100 + (n % 50) }, provider_name: `bench-${w}` })
    const headers = await signDiscoveryRequest(wallets[w]!, { method: 'POST', path: ADVERTISEMENTS_PATH, body })
    perWorker[w % CONCURRENCY]!.push({ method: 'POST', path: ADVERTISEMENTS_PATH, headers, body })
  }
  return perWorker.map((list) => {
    let i = 0
    return () => list[i++]
  })
}

const get = (path: string): Sent => ({ method: 'GET', path, headers: {}, body: '' })

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

function report(r: PhaseResult): void {
  const sorted = [...r.latencies].sort((a, b) => a - b)
  const rps = r.count / r.seconds
  console.log(
    `${r.name.padEnd(34)} ${String(r.count).padStart(6)} req  ${rps.toFixed(0).padStart(6)} req/s  p50 ${percentile(sorted, 50).toFixed(2).padStart(7)} ms` +
    `  p99 ${percentile(sorted, 99).toFixed(2).padStart(7)} ms  ${(r.bytes / Math.max(1, r.count) / 1024).toFixed(1).padStart(7)} KiB/resp  non-200: ${r.failures}`,
  )
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-discovery-'))
  let child: ChildProcess | undefined
  const overall = setTimeout(() => { console.error('benchmark exceeded its time limit'); child?.kill('SIGKILL'); process.exit(1) }, OVERALL_LIMIT_MS)
  try {
    console.log(`${availableParallelism()} CPUs, load average ${loadavg()[0]?.toFixed(1)} (client and service share them)`)
    let t0 = performance.now()
    const ids = await seed(dataDir)
    console.log(`seeded ${SEEDED} advertisements in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    const service = await startService(dataDir)
    child = service.child
    t0 = performance.now()
    const posts = await presignPosts()
    console.log(`pre-signed posts in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${CONCURRENCY} concurrent clients, ${PHASE_MS / 1000} s per phase\n`)
    const filtered = ['?cpu=8&memory=32', '?country=se&cpu=4', '?storage=900&memory=48', '?cpu=16&memory=64&storage=500&country=DE', '?country=PL']
    for (const query of filtered) {
      const rows = (await (await fetch(`${service.url}${ADVERTISEMENTS_PATH}${query}`)).json() as unknown[]).length
      console.log(`filter ${query.padEnd(42)} matches ${rows} advertisements`)
    }
    console.log('')
    const results = [
      await runPhase('signed POST (upsert, verify sig)', service.url, posts),
      await runPhase('GET filtered list (5 filter mixes)', service.url, Array.from({ length: CONCURRENCY }, () => cycle(filtered.map((q) => get(`${ADVERTISEMENTS_PATH}${q}`))))),
      await runPhase('GET one advertisement', service.url, Array.from({ length: CONCURRENCY }, () => cycle(ids.slice(0, 1000).map((id) => get(advertisementPath(id)))))),
      await runPhase('GET full list (10,000 rows)', service.url, Array.from({ length: 2 }, () => cycle([get(ADVERTISEMENTS_PATH)]))),
    ]
    results.forEach(report)
  } finally {
    clearTimeout(overall)
    agent.destroy()
    child?.kill('SIGTERM')
    rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
