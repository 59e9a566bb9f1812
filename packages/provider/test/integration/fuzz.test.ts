/**
 * Thousands of malformed, oversized and hostile requests to every route of
 * the real daemon (fake multipass backend), with good requests in between:
 * no 5xx, no crash, no state change, and the good requests keep being served.
 * In the production default (signed requests, every method with DELETE) and
 * once in the unsigned transition mode.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { freePortRange, REPO_ROOT, startDaemon, tempDir } from '../helpers/daemon.js'
import { ed25519Key } from '../helpers/keys.js'
import { renter } from '../helpers/renter.js'

const FAKE_DIR = join(REPO_ROOT, 'packages/provider/test/fixtures/multipass')

// A small deterministic PRNG, so a failure can be replayed with the same seed.
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const HOSTILE_STRINGS = [
  '',
  ' ',
  'a',
  'ab',
  'x'.repeat(65),
  'ABC',
  'abc\n',
  'abc-',
  '-abc',
  'a--b',
  '$(reboot)',
  '`id`',
  'a;rm -rf /',
  '../../etc/passwd',
  'name: x\nruncmd: [id]',
  '{{7*7}}',
  '\u0000',
  'ü-vm',
  '🚀🚀🚀',
  'ssh-ed25519 AAAA\nssh-rsa BBBB',
  'ssh-dss AAAAB3NzaC1kc3MAAACBAP',
  '%00',
  '\r\n\r\n',
  'x'.repeat(70_000),
]
const HOSTILE_VALUES: unknown[] = [null, true, false, 0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, '1', [], {}, [1, 2], { cpu: 1 }, ...HOSTILE_STRINGS]

function hostileBody(rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!
  const kind = Math.floor(rand() * 6)
  if (kind === 0) return pick(HOSTILE_STRINGS)
  if (kind === 1) return JSON.stringify({ name: 'fuzz-vm', ssh_key: ed25519Key() }).slice(0, Math.floor(rand() * 40))
  const body: Record<string, unknown> = {}
  for (const key of ['name', 'ssh_key', 'resources', 'size', 'cpu', 'memory', 'storage', 'cpu_cores', 'image', '__proto__', 'constructor', 'extra']) {
    if (rand() < 0.5) body[key] = pick(HOSTILE_VALUES)
  }
  if (kind === 2) body.resources = { cpu: pick(HOSTILE_VALUES), memory: pick(HOSTILE_VALUES), storage: pick(HOSTILE_VALUES) }
  return JSON.stringify(body)
}

// The production default: renters sign every request. The hostile requests are unsigned, so every method, DELETE
// included, must be refused without touching the VM the renter keeps.
test('signed mode (the default): hostile requests to every route with every method, DELETE included: no 5xx, no crash, no state change; good requests still served', async (t) => {
  await fuzz(t, { signed: true, batches: 60, methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'] })
})

// The unsigned transition mode accepts an unsigned DELETE as the renter's own, so it is left out here: there it is a
// real delete, which the signed run above covers as a refusal.
test('unsigned transition mode: hostile requests to every route: no 5xx, no crash, no state change; good requests still served', async (t) => {
  await fuzz(t, { signed: false, batches: 30, methods: ['GET', 'POST', 'PUT', 'PATCH', 'OPTIONS', 'HEAD'] })
})

async function fuzz(t: TestContext, opts: { signed: boolean; batches: number; methods: readonly string[] }): Promise<void> {
  const dir = tempDir(t)
  const fakeState = join(dir, 'fake')
  const range = await freePortRange(3)
  t.after(() => {
    execFileSync(join(FAKE_DIR, 'multipass'), ['--fake-reset'], { env: { ...process.env, FAKE_MULTIPASS_STATE: fakeState } })
  })
  const daemon = await startDaemon(t, {
    env: {
      PATH: `${FAKE_DIR}:${process.env.PATH ?? ''}`,
      FAKE_MULTIPASS_STATE: fakeState,
      GOLEM_PROVIDER_DATA_DIR: join(dir, 'data'),
      GOLEM_PROVIDER_BACKEND: 'multipass',
      GOLEM_PROVIDER_MULTIPASS_NETWORK: '127.0.0.0/8',
      GOLEM_PROVIDER_ALLOW_UNSIGNED_REQUESTS: String(!opts.signed),
      GOLEM_PROVIDER_RATE_LIMIT_PER_MINUTE: '1000000',
      GOLEM_PROVIDER_SKIP_PORT_VERIFICATION: 'true',
      GOLEM_PROVIDER_PORT_RANGE_START: String(range.start),
      GOLEM_PROVIDER_PORT_RANGE_END: String(range.end),
      GOLEM_PROVIDER_OFFER_CPU_CORES: '2',
    },
  })
  const base = daemon.baseUrl
  const keeper = renter(daemon)
  const good = await keeper.api('POST', '/api/v1/vms', { name: 'keeper', ssh_key: ed25519Key() })
  assert.equal(good.status, 201, JSON.stringify(good.body))
  const stateBefore = JSON.stringify((await keeper.api('GET', '/api/v1/vms')).body)
  const rand = prng(20261124)
  const paths = [
    '/api/v1/vms',
    '/api/v1/vms/keeper',
    '/api/v1/vms/keeper/access',
    '/api/v1/vms/ghost/start',
    '/api/v1/vms/ghost/stop',
    '/api/v1/vms/%00',
    '/api/v1/vms/..%2f..%2fetc',
    `/api/v1/vms/${'a'.repeat(300)}`,
    '/api/v1/provider/status',
    '/health',
    '/api/v1/vms/keeper/nope',
    '/openapi.json',
  ]
  const methods = opts.methods
  const types = [
    'application/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/json; charset=utf-16',
    'multipart/form-data; boundary=x',
    '',
  ]
  const statuses = new Map<number, number>()
  let served = 0
  for (let batch = 0; batch < opts.batches; batch++) {
    const requests = Array.from({ length: 50 }, () => {
      const method = methods[Math.floor(rand() * methods.length)]!
      const path = paths[Math.floor(rand() * paths.length)]!
      const headers: Record<string, string> = {}
      const type = types[Math.floor(rand() * types.length)]!
      if (type !== '') headers['content-type'] = type
      const init: RequestInit = { method, headers, signal: AbortSignal.timeout(30_000) }
      if (method !== 'GET' && method !== 'HEAD') init.body = hostileBody(rand)
      return fetch(`${base}${path}`, init).then(async (res) => {
        await res.arrayBuffer()
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
        assert.ok(res.status < 500, `${method} ${path} → ${res.status}`)
      })
    })
    const probe = keeper.api('GET', '/api/v1/vms/keeper').then((res) => {
      assert.equal(res.status, 200, 'good requests are served meanwhile')
      served++
    })
    await Promise.all([...requests, probe])
  }
  assert.equal(served, opts.batches)
  assert.equal(daemon.process.exitCode, null, 'the daemon is still running')
  assert.equal(JSON.stringify((await keeper.api('GET', '/api/v1/vms')).body), stateBefore, 'no state change')
  t.diagnostic(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`)
}
