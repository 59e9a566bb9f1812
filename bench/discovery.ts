/**
 * The discovery service at network scale (issue 20): 10,000 simulated
 * providers re-advertising every 240 s (≈ 41.7 signed posts/s, open loop)
 * while renters query with filters (closed loop, 8 at a time), against the
 * built service on SQLite, on PostgreSQL with one instance and with two
 * instances behind a round-robin client, then the same two instances each held
 * to 0.4 core by a cgroup CPU quota (as on machines of their own, so the
 * instances, not the cores they share with the database and the load
 * generator, are what runs out), each phase the same length; plus
 * the CPU cost of verifying one post's signature. All on 127.0.0.1; the
 * PostgreSQL server is a throw-away one started here (Debian's binaries).
 *
 *   npx tsc -b && npm run bench -- discovery
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import pgClient from 'pg'
import pino from 'pino'
import { ADVERTISEMENTS_PATH, DISCOVERY_AUDIENCE, SIGNATURE_HEADERS, canonicalMessage } from '@golem-vm/protocol'
import { addressOfPrivateKey, recoverMessageSigner, signMessage } from '@golem-vm/protocol/eth'
import { DATABASE_FILE, PostgresAdvertisementStore, SqliteAdvertisementStore, type AdvertisementStore, type StoreLimits } from '@golem-vm/discovery'
import { startPostgres } from '../packages/discovery/test/helpers/postgres.js'
import { sleep, spawnTracked, stopChild } from './lib/proc.js'
import { Skip, type BenchContext, type Benchmark } from './lib/report.js'
import { cpuQuotaUnavailable, limitCpu } from './lib/cpu-quota.js'
import { cpuSeconds, descendants } from './lib/rss.js'
import { percentile } from './lib/stats.js'

const PROVIDERS = 10_000
const REPOST_S = 240
const POSTS_PER_S = PROVIDERS / REPOST_S
const PHASE_MS = 12_000
const RENTERS = 8
/** The CPU each instance may use in the scale-out phases: as if each ran on a small machine of its own. */
const INSTANCE_CORES = 0.4
const BIN = fileURLToPath(new URL('../packages/discovery/bin/golem-discovery.js', import.meta.url))
const COUNTRIES = ['SE', 'DE', 'US', 'PL', 'FR', 'NL', 'GB', 'CZ']
const FILTERS = ['?cpu=8&memory=32', '?country=SE&cpu=4', '?storage=900&memory=48', '?cpu=16&memory=64&storage=500&country=DE', '?country=PL', '']
const LIMITS: StoreLimits = { expiryMs: 300_000, maxProvidersPerAddress: 0, signerRetentionMs: 86_400_000 }

interface Post {
  readonly headers: Record<string, string>
  readonly body: string
}

// A provider's signed post from `key` (what the service verifies), fresh at `at`.
function signedPost(key: string, n: number, at: number): Post {
  const signer = addressOfPrivateKey(key)
  const body = JSON.stringify({
    ip_address: '127.0.0.1',
    country: COUNTRIES[n % COUNTRIES.length],
    resources: { cpu: 1 + (n % 16), memory: 1 + (n % 64), storage: 10 + (n % 990) },
    provider_name: `bench-${n}`,
  })
  const nonce = randomBytes(16).toString('hex')
  const message = canonicalMessage({ audience: DISCOVERY_AUDIENCE, method: 'POST', path: ADVERTISEMENTS_PATH, body, signer, timestamp: at, nonce })
  return {
    body,
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADERS.providerId]: signer,
      [SIGNATURE_HEADERS.providerSignature]: signMessage(key, message),
      [SIGNATURE_HEADERS.timestamp]: String(at),
      [SIGNATURE_HEADERS.nonce]: nonce,
    },
  }
}

// 10,000 advertisements straight into the store, as if every provider had posted in the last minutes.
async function seed(store: AdvertisementStore): Promise<void> {
  const now = Date.now()
  for (let n = 0; n < PROVIDERS; n++) {
    const providerId = addressOfPrivateKey(`0x${(n + 1).toString(16).padStart(64, '0')}`)
    const result = await store.upsert(
      {
        providerId,
        ipAddress: `198.18.${(n >> 8) & 255}.${n & 255}`,
        country: COUNTRIES[n % COUNTRIES.length] ?? 'SE',
        resources: { cpu: 1 + (n % 16), memory: 1 + (n % 64), storage: 10 + (n % 990) },
        providerName: `provider-${n}`,
        version: '0.2.0',
        arch: 'x86_64',
        apiPort: 7466,
        sshPortsFree: 50,
        pricing: null,
        isolated: true,
        signed: true,
        proof: { path: ADVERTISEMENTS_PATH, body: '{}', timestamp: now, nonce: randomBytes(16).toString('hex'), signature: `0x${'1'.repeat(130)}` },
      },
      { signed: true, signedAt: now - 60_000, nonce: '0'.repeat(16) },
      now - (n % 200) * 1000,
    )
    if (!result.ok) throw new Error(`seeding failed: ${result.refusal}`)
  }
  await store.close()
}

interface Instance {
  readonly url: string
  readonly pid: number
}

// Starts one built service; resolves once it logs "listening".
async function startService(ctx: BenchContext, env: Record<string, string>): Promise<Instance> {
  const child = spawnTracked(process.execPath, [BIN], {
    env: {
      ...process.env,
      GOLEM_DISCOVERY_HOST: '127.0.0.1',
      GOLEM_DISCOVERY_PORT: '0',
      GOLEM_DISCOVERY_LOG_FORMAT: 'json',
      GOLEM_DISCOVERY_RATE_LIMIT_PER_MINUTE: '0',
      GOLEM_DISCOVERY_ENVIRONMENT: 'development',
      GOLEM_DISCOVERY_MAX_CONNECTIONS_PER_ADDRESS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  ctx.scope.defer('discovery instance', () => stopChild(child))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('a discovery instance did not start within 30 s')), 30_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`a discovery instance exited with ${code}`))
    })
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('"listening"')) return
      clearTimeout(timer)
      resolve({ url: (JSON.parse(line) as { address: string }).address, pid: child.pid ?? 0 })
    })
  })
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 })

function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent, timeout: 10_000 }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('timeout', () => req.destroy(new Error('request timed out')))
    req.on('error', reject)
    req.end(body)
  })
}

interface Phase {
  readonly posts: number[]
  readonly queries: number[]
  readonly failures: number
  readonly seconds: number
  /** CPU seconds used during the phase by the discovery instances, PostgreSQL (0 on SQLite) and this load generator. */
  readonly cpu: { readonly instances: number; readonly database: number; readonly client: number }
}

// CPU seconds of the processes whose cost a phase reports; a process tree for PostgreSQL (a backend per connection).
function cpuNow(instances: readonly Instance[], postmaster: number | undefined): Phase['cpu'] {
  const own = process.cpuUsage()
  const tree = (pid: number): number => cpuSeconds(pid) + descendants(pid).reduce((sum, d) => sum + (cpuSeconds(d.pid) || 0), 0)
  return {
    instances: instances.reduce((sum, i) => sum + cpuSeconds(i.pid), 0),
    database: postmaster === undefined ? 0 : tree(postmaster),
    client: (own.user + own.system) / 1e6,
  }
}

// One phase: posts at the providers' rate and renters querying as fast as answered, spread over `urls`.
async function phase(instances: readonly Instance[], postmaster: number | undefined, posts: readonly Post[], signal: AbortSignal): Promise<Phase> {
  const urls = instances.map((i) => i.url)
  const cpu0 = cpuNow(instances, postmaster)
  const postLatencies: number[] = []
  const queryLatencies: number[] = []
  let failures = 0
  const started = performance.now()
  const deadline = started + PHASE_MS
  const timed = async (into: number[], call: () => Promise<number>): Promise<void> => {
    const t0 = performance.now()
    const status = await call().catch(() => 0)
    into.push(performance.now() - t0)
    if (status !== 200) failures++
  }
  const posting = (async () => {
    const pending: Promise<void>[] = []
    for (let i = 0; i < posts.length && performance.now() < deadline && !signal.aborted; i++) {
      const post = posts[i]!
      pending.push(timed(postLatencies, () => send(`${urls[i % urls.length]!}${ADVERTISEMENTS_PATH}`, 'POST', post.headers, post.body)))
      const due = started + ((i + 1) * 1000) / POSTS_PER_S
      await sleep(Math.max(0, due - performance.now()))
    }
    await Promise.all(pending)
  })()
  const renters = Array.from({ length: RENTERS }, async (_, r) => {
    for (let i = r; performance.now() < deadline && !signal.aborted; i += RENTERS) {
      await timed(queryLatencies, () => send(`${urls[i % urls.length]!}${ADVERTISEMENTS_PATH}${FILTERS[i % FILTERS.length]!}`, 'GET', {}))
    }
  })
  await Promise.all([posting, ...renters])
  const seconds = (performance.now() - started) / 1000
  const cpu1 = cpuNow(instances, postmaster)
  const cpu = { instances: cpu1.instances - cpu0.instances, database: cpu1.database - cpu0.database, client: cpu1.client - cpu0.client }
  return { posts: postLatencies, queries: queryLatencies, failures, seconds, cpu }
}

const p99 = (values: number[]): number =>
  percentile(
    [...values].sort((a, b) => a - b),
    99,
  )

async function run(ctx: BenchContext): Promise<void> {
  // The CPU cost of verifying one post's signature (what every post costs the service).
  const key = `0x${randomBytes(32).toString('hex')}`
  const samples = Array.from({ length: 200 }, (_, n) => {
    const message = `golem-vm-request/1\nnonce: ${n}`
    return { message, signature: signMessage(key, message) }
  })
  const cpu0 = process.cpuUsage()
  for (const s of samples) recoverMessageSigner(s.message, s.signature)
  const cpu = process.cpuUsage(cpu0)
  const verifyMs = (cpu.user + cpu.system) / 1000 / samples.length
  ctx.figure({
    name: 'signature verification CPU per post',
    value: verifyMs,
    unit: 'ms',
    note: `one core verifies ${Math.round(1000 / verifyMs)} posts/s; 10,000 providers need ${POSTS_PER_S.toFixed(1)}/s`,
  })

  ctx.progress('pre-signing posts')
  const keys = Array.from({ length: 1_000 }, () => `0x${randomBytes(32).toString('hex')}`)
  const postsFor = () => keys.map((k, n) => signedPost(k, n, Date.now() + 30_000)) // signed ahead: fresh for the whole phase

  const dir = mkdtempSync(join(tmpdir(), 'bench-discovery-'))
  ctx.scope.defer('temp dir', () => rmSync(dir, { recursive: true, force: true }))
  const results = new Map<string, Phase>()

  ctx.progress('SQLite: seeding 10,000 advertisements')
  await seed(new SqliteAdvertisementStore(join(dir, DATABASE_FILE), LIMITS))
  const sqlite = await startService(ctx, { GOLEM_DISCOVERY_DATA_DIR: dir })
  results.set('sqlite, 1 instance', await phase([sqlite], undefined, postsFor(), ctx.signal))

  let pg: Awaited<ReturnType<typeof startPostgres>>
  try {
    pg = await startPostgres({ after: (fn) => ctx.scope.defer('postgres', fn) })
  } catch (error) {
    throw new Skip(`no PostgreSQL server: ${(error as Error).message}`)
  }
  const url = await pg.createDatabase('bench')
  ctx.progress('PostgreSQL: seeding 10,000 advertisements')
  await seed(await PostgresAdvertisementStore.open({ url }, LIMITS, pino({ level: 'silent' })))
  const env = { GOLEM_DISCOVERY_DATABASE_URL: url }
  const first = await startService(ctx, env)
  // The listing's plans assume the statistics a running database has (autovacuum analyses a table this size within minutes).
  const analyze = new pgClient.Client({ connectionString: url })
  analyze.on('error', () => undefined) // a server stopped by the time limit's clean-up fails the query instead of the process
  await analyze.connect()
  await analyze.query('ANALYZE').finally(() => analyze.end())
  results.set('postgres, 1 instance', await phase([first], pg.pid(), postsFor(), ctx.signal))
  const second = await startService(ctx, env)
  results.set('postgres, 2 instances', await phase([first, second], pg.pid(), postsFor(), ctx.signal))
  // Scale-out: the same two instances, each held to INSTANCE_CORES, so that the instances (not the cores they share
  // here with PostgreSQL and the load generator) are what runs out, as when each has a machine of its own.
  const noQuota = cpuQuotaUnavailable()
  if (noQuota === undefined) {
    for (const instance of [first, second]) ctx.scope.defer('CPU quota', limitCpu(instance.pid, INSTANCE_CORES))
    results.set(`postgres, 1 instance of ${INSTANCE_CORES} core`, await phase([first], pg.pid(), postsFor(), ctx.signal))
    results.set(`postgres, 2 instances of ${INSTANCE_CORES} core`, await phase([first, second], pg.pid(), postsFor(), ctx.signal))
  } else ctx.note(`scale-out phases skipped: ${noQuota}`)

  for (const [label, r] of results) {
    ctx.figure({
      name: `${label}: posts`,
      value: r.posts.length / r.seconds,
      unit: 'posts/s',
      note: `p99 ${p99(r.posts).toFixed(1)} ms; offered ${POSTS_PER_S.toFixed(1)}/s`,
    })
    ctx.figure({ name: `${label}: post p99`, value: p99(r.posts), unit: 'ms' })
    ctx.figure({
      name: `${label}: queries`,
      value: r.queries.length / r.seconds,
      unit: 'queries/s',
      note: `${RENTERS} renters, ${FILTERS.length} filter mixes, first page (100)`,
    })
    const isSqlite = label.startsWith('sqlite')
    ctx.figure({ name: `${label}: query p99`, value: p99(r.queries), unit: 'ms', ...(isSqlite ? { target: '<= 50 ms', pass: p99(r.queries) <= 50 } : {}) })
    const requests = r.posts.length + r.queries.length
    const cpuTotal = r.cpu.instances + r.cpu.database + r.cpu.client
    const perRequest = (seconds: number): string => `${((seconds * 1000) / requests).toFixed(2)} ms`
    const busy = `${(cpuTotal / r.seconds).toFixed(2)} of ${availableParallelism()} cores busy`
    ctx.figure({
      name: `${label}: CPU per request`,
      value: (cpuTotal * 1000) / requests,
      unit: 'ms',
      note: `discovery ${perRequest(r.cpu.instances)}, database ${perRequest(r.cpu.database)}, load generator ${perRequest(r.cpu.client)}; ${busy}`,
    })
    if (r.failures > 0) ctx.note(`${label}: ${r.failures} requests did not answer 200`)
  }
  const scaling = (label: string, one: Phase, two: Phase, target: boolean, note: string): void => {
    const perSecond = (r: Phase): number => r.queries.length / r.seconds
    const ratio = perSecond(two) / perSecond(one)
    ctx.figure({
      name: label,
      value: perSecond(two),
      unit: 'queries/s',
      reference: { label: '1 instance', value: perSecond(one), unit: 'queries/s' },
      ratio,
      ...(target ? { target: '>= 1.6×', pass: ratio >= 1.6 } : {}),
      note,
    })
  }
  // On the shared cores a second instance only adds what PostgreSQL and the load generator leave free.
  const two = results.get('postgres, 2 instances')!
  const share = (100 * two.cpu.instances) / (two.cpu.instances + two.cpu.database + two.cpu.client)
  scaling(
    'postgres queries/s, 2 instances vs 1, shared cores',
    results.get('postgres, 1 instance')!,
    two,
    false,
    `instances, PostgreSQL and load generator on the same ${availableParallelism()} cores; the instances use ${share.toFixed(0)}% of the CPU`,
  )
  const oneLimited = results.get(`postgres, 1 instance of ${INSTANCE_CORES} core`)
  const twoLimited = results.get(`postgres, 2 instances of ${INSTANCE_CORES} core`)
  if (oneLimited !== undefined && twoLimited !== undefined)
    scaling(
      `postgres queries/s, 2 instances vs 1, ${INSTANCE_CORES} core each`,
      oneLimited,
      twoLimited,
      true,
      `each instance held to ${INSTANCE_CORES} core (cgroup CPU quota), as on machines of their own; posts are a fixed load, so queries may gain more than 2×`,
    )
  agent.destroy()
}

export const discovery: Benchmark = {
  name: 'discovery',
  title: '10,000 providers re-posting every 240 s and renters querying: SQLite, PostgreSQL with 1 and 2 instances (shared cores and CPU-limited)',
  budgetMs: 240_000,
  run,
}
