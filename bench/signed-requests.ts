/**
 * Issue 15, item 5: signature checks off the API thread. Signed GET
 * /api/v1/vms requests (each with its own nonce, signed before the clock
 * starts) from 20 renters, 8 at once (the per-address cap); measured: the CPU time the daemon's
 * main thread (the one that serves the API) spends per request, read from
 * /proc/<pid>/task/<pid>/stat, next to the whole process's, and the latency.
 * Before the change (7792fb6) the signer's recovery ran on the main thread;
 * measure that build with BENCH_PROVIDER_BIN=<its bin>.
 * Target: main-thread CPU per signed request ≤ 1 ms (it was ~2.3 ms).
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { SIGNATURE_HEADERS, signRequest } from '@golem-vm/protocol'
import { addressOfPrivateKey, signMessage } from '@golem-vm/protocol/eth'
import { createWorld, startDaemon } from './lib/daemon.js'
import { cpuSeconds } from './lib/rss.js'
import { profileArgs, type BenchContext, type Benchmark } from './lib/report.js'
import { summarize } from './lib/stats.js'

const RENTERS = 20
const REQUESTS = 1500
/** The provider checks at most 8 signatures per source address at once (more are 429); all requests come from 127.0.0.1. */
const CONCURRENCY = 8
const PATH = '/api/v1/vms'

// CPU seconds (user + system) of one thread of `pid`.
function threadCpuSeconds(pid: number, tid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

async function signAll(audience: string, count: number): Promise<Record<string, string>[]> {
  const keys = Array.from({ length: RENTERS }, () => `0x${randomBytes(32).toString('hex')}`)
  const signers = keys.map((key) => {
    const address = addressOfPrivateKey(key)
    return { getAddress: async () => address, signMessage: async (message: string) => signMessage(key, message) }
  })
  const all: Record<string, string>[] = []
  for (let i = 0; i < count; i++) {
    const signer = signers[i % RENTERS]
    if (signer === undefined) throw new Error('no signer')
    const s = await signRequest(signer, { audience, method: 'GET', path: PATH, body: '' })
    all.push({
      [SIGNATURE_HEADERS.requestor]: s.signer,
      [SIGNATURE_HEADERS.signature]: s.signature,
      [SIGNATURE_HEADERS.timestamp]: String(s.timestamp),
      [SIGNATURE_HEADERS.nonce]: s.nonce,
    })
  }
  return all
}

function get(base: string, headers: Record<string, string>, agent: Agent): Promise<{ status: number; ms: number }> {
  const started = performance.now()
  return new Promise((resolve) => {
    const req = request(`${base}${PATH}`, { agent, headers, timeout: 30_000 }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve({ status: 0, ms: performance.now() - started }))
    req.end()
  })
}

async function run(ctx: BenchContext): Promise<void> {
  const world = await createWorld(ctx.scope)
  const daemon = await startDaemon(ctx.scope, world, { logLevel: 'info', nodeArgs: profileArgs(ctx), env: { GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: 'false' } })
  const identity = await daemon.waitForLog((l) => l.msg === 'provider identity', 10_000)
  const audience = String(identity.providerId)
  ctx.progress(`signing ${REQUESTS + 200} requests`)
  const signed = await signAll(audience, REQUESTS + 200)
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const send = async (batch: Record<string, string>[]): Promise<{ status: number; ms: number }[]> => {
    const results: { status: number; ms: number }[] = []
    let next = 0
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < batch.length && !ctx.signal.aborted) {
          const headers = batch[next++]
          if (headers !== undefined) results.push(await get(daemon.baseUrl, headers, agent))
        }
      }),
    )
    return results
  }
  await send(signed.slice(0, 200)) // warm-up: code optimised, connections open
  ctx.progress(`${REQUESTS} signed GET ${PATH}, ${CONCURRENCY} at once`)
  const mainBefore = threadCpuSeconds(daemon.pid, daemon.pid)
  const allBefore = cpuSeconds(daemon.pid)
  const started = performance.now()
  const results = await send(signed.slice(200))
  const seconds = (performance.now() - started) / 1000
  const mainUs = ((threadCpuSeconds(daemon.pid, daemon.pid) - mainBefore) / results.length) * 1e6
  const allUs = ((cpuSeconds(daemon.pid) - allBefore) / results.length) * 1e6
  agent.destroy()
  const ok = results.filter((r) => r.status === 200)
  const latency = summarize(ok.map((r) => r.ms))
  ctx.figure({
    name: "signed GET /vms: the main thread's CPU per request",
    value: mainUs,
    unit: 'µs',
    reference: { label: 'whole process', value: allUs },
    target: '≤ 1,000 µs',
    pass: mainUs <= 1000 && ok.length === results.length,
  })
  ctx.figure({ name: 'signed GET /vms requests/s', value: ok.length / seconds, unit: 'req/s' })
  ctx.figure({ name: 'signed GET /vms p50', value: latency.p50, unit: 'ms', reference: { label: 'p99', value: latency.p99 }, ratio: null })
  if (ok.length !== results.length) ctx.note(`${results.length - ok.length} requests failed: ${[...new Set(results.map((r) => r.status))].join(', ')}`)
}

export const signedRequests: Benchmark = {
  name: 'signed-requests',
  title: 'signed requests: CPU of the API thread per signature check (issue 15, item 5)',
  budgetMs: 120_000,
  run,
}
