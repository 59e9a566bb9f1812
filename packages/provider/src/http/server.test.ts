import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { Wallet, type Signer } from 'ethers'
import pino from 'pino'
import { SIGNATURE_HEADERS, signRequest } from '@golem-vm/protocol'
import { providerStatus } from '../app/status.js'
import { ed25519Key } from '../../test/helpers/keys.js'
import { VmService } from '../app/vm-service.js'
import type { AdmissionPolicy } from '../domain/capacity.js'
import { BUILTIN_IMAGES, ImageCatalog } from '../domain/images.js'
import { FakeDriver } from '../drivers/fake/fake-driver.js'
import { SqliteVmStore } from '../infra/store/sqlite-vm-store.js'
import { createAuthenticator } from './auth.js'
import type { HttpObservation } from '../infra/metrics/provider-metrics.js'
import type { MetricsEndpoint } from './routes/metrics.js'
import { dashboardState } from './dashboard/dashboard-state.js'
import { buildServer } from './server.js'

const PROVIDER = Wallet.createRandom()
const ADMIN = 'a'.repeat(64)

async function server(
  t: TestContext,
  policy: Partial<AdmissionPolicy> = {},
  allowUnsigned = true,
  metrics?: MetricsEndpoint,
  withDashboard = false,
  rateLimitPerMinute = 10_000,
) {
  const store = new SqliteVmStore(':memory:')
  const driver = new FakeDriver()
  const full: AdmissionPolicy = {
    totals: { cpu: 4, memory: 8, storage: 100 },
    maxVms: 10,
    minimums: { cpu: 1, memory: 1, storage: 10 },
    usablePorts: [50800, 50801, 50802, 50803, 50804, 50805, 50806, 50807],
    ...policy,
  }
  const noop = () => Promise.resolve()
  const vms = new VmService({
    store,
    driver,
    images: new ImageCatalog(BUILTIN_IMAGES),
    defaultImage: '24.04',
    policy: () => full,
    proxy: { open: noop, close: noop, setTarget: () => undefined },
    forwarder: { openPort: noop, closePort: noop, setPortTarget: () => undefined },
    portPolicy: () => ({ maxPerVm: 3, udp: true }),
    sshReady: noop,
    timeouts: { createMs: 1000, startMs: 1000, stopMs: 1000, deleteMs: 1000 },
    logger: pino({ level: 'silent' }),
    onCapacityChange: () => undefined,
    shutdown: new AbortController().signal,
  })
  const status = () =>
    providerStatus({
      store,
      policy: () => full,
      capacity: { totals: full.totals, source: 'host', overcommittedCpu: false },
      driver: { name: 'fake', version: '1', detail: 'fake' },
      version: '0.0.0-test',
      providerId: () => null,
      portRange: { start: 50800, end: 50802 },
      portReport: () => null,
      portsChecking: () => false,
    })
  const auth = createAuthenticator({ audience: () => PROVIDER.address, adminToken: ADMIN, allowUnsigned })
  const app = await buildServer({
    vms,
    status,
    sshHost: () => '203.0.113.7',
    logger: pino({ level: 'silent' }),
    version: '0.0.0-test',
    rateLimitPerMinute,
    auth,
    ...(metrics === undefined ? {} : { metrics }),
    ...(withDashboard
      ? {
          dashboard: () =>
            dashboardState({
              status,
              vms: () => store.list(),
              forwarding: () => undefined,
              portSummary: () => 'ports fine',
              events: () => [{ time: new Date(0).toISOString(), level: 'info', msg: 'hello', fields: {} }],
            }),
        }
      : {}),
  })
  t.after(() => app.close())
  return { app, store, driver }
}

const create = (body: unknown) => ({ method: 'POST' as const, url: '/api/v1/vms', payload: body as Record<string, unknown> })

test('the rate limit: per client address, 429 RATE_LIMITED saying the limit and when to retry, the refused request changes nothing, /health is exempt', async (t) => {
  const { app, store } = await server(t, {}, true, undefined, false, 3)
  const from = (remoteAddress: string, request: { method: 'GET' | 'POST'; url: string; payload?: Record<string, unknown> }) =>
    app.inject({ ...request, remoteAddress })
  for (let i = 0; i < 3; i++) assert.equal((await from('198.51.100.1', { method: 'GET', url: '/api/v1/vms' })).statusCode, 200)
  const refused = await from('198.51.100.1', create({ name: 'late', ssh_key: ed25519Key() }))
  assert.equal(refused.statusCode, 429)
  const body = refused.json<{ code: string; message: string }>()
  assert.equal(body.code, 'RATE_LIMITED')
  assert.match(body.message, /at most 3 per minute; retry in \d+ s/)
  assert.deepEqual(store.list(), [], 'the refused create made nothing')
  assert.equal((await from('198.51.100.1', { method: 'GET', url: '/health' })).statusCode, 200, '/health is not limited')
  assert.equal((await from('198.51.100.2', { method: 'GET', url: '/api/v1/vms' })).statusCode, 200, 'another address has its own budget')
})

test('the original requestor flow: create, access, start, stop, delete', async (t) => {
  const { app, store } = await server(t)
  const created = await app.inject(create({ name: 'my-vm', resources: { cpu: 1, memory: 2, storage: 20 }, ssh_key: ed25519Key() }))
  assert.equal(created.statusCode, 201)
  assert.match(String(created.headers['content-type']), /application\/json/)
  const info = created.json<Record<string, unknown>>()
  assert.deepEqual(Object.keys(info).slice(0, 9), ['id', 'name', 'status', 'resources', 'ip_address', 'ssh_port', 'created_at', 'updated_at', 'error_message'])
  assert.equal(info.id, 'my-vm')
  assert.equal(info.status, 'running')
  const access = (await app.inject({ method: 'GET', url: '/api/v1/vms/my-vm/access' })).json<Record<string, unknown>>()
  assert.equal(access.vm_id, 'my-vm')
  assert.equal(access.ssh_port, 50800)
  assert.equal(access.ssh_host, '203.0.113.7')
  assert.match(String(access.multipass_name), /^golem-my-vm-/)
  // The original requestor sends start/stop with an empty octet-stream body.
  const empty = { 'content-type': 'application/octet-stream' }
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/vms/my-vm/stop', headers: empty })).json<{ status: string }>().status, 'stopped')
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/vms/my-vm/start', headers: empty })).json<{ status: string }>().status, 'running')
  const deleted = await app.inject({ method: 'DELETE', url: '/api/v1/vms/my-vm' })
  assert.equal(deleted.statusCode, 200)
  assert.deepEqual(store.list(), [])
})

test('every validation problem is reported at once, with a stable code, and nothing changes', async (t) => {
  const { app, store } = await server(t)
  const res = await app.inject(create({ name: 'A--b\n', ssh_key: 'ssh-ed25519 AAAA\nssh-rsa x', resources: { cpu: 3, memory: '2', storage: 5 }, extra: 1 }))
  assert.equal(res.statusCode, 400)
  const body = res.json<{ code: string; message: string; detail: string; issues: { path: string }[] }>()
  assert.equal(body.code, 'VALIDATION_FAILED')
  assert.equal(body.detail, body.message)
  const paths = body.issues.map((i) => i.path)
  for (const p of ['body.name', 'body.ssh_key', 'body.resources.cpu', 'body.resources.memory', 'body.resources.storage', 'body']) {
    assert.ok(paths.includes(p), `${p} reported in ${paths.join(', ')}`)
  }
  assert.deepEqual(store.list(), [])
})

test('resource forms: size, flat and legacy flat are accepted; conflicting forms are refused', async (t) => {
  const { app } = await server(t, { totals: { cpu: 8, memory: 16, storage: 200 } })
  const key = ed25519Key()
  const cases: [unknown, number, number?][] = [
    [{ name: 'by-size', ssh_key: key, size: 'medium' }, 201, 2],
    [{ name: 'flat', ssh_key: key, cpu: 1, memory: 1, storage: 10 }, 201, 1],
    [{ name: 'legacy', ssh_key: key, cpu_cores: 1, memory_gb: 1, storage_gb: 10 }, 201, 1],
    [{ name: 'default', ssh_key: key }, 201, 1],
    [{ name: 'conflict', ssh_key: key, size: 'large', resources: { cpu: 1, memory: 1, storage: 10 } }, 400],
    [{ name: 'partial', ssh_key: key, cpu_cores: 2 }, 400],
  ]
  for (const [body, status, cpu] of cases) {
    const res = await app.inject(create(body))
    assert.equal(res.statusCode, status, JSON.stringify(body))
    if (cpu !== undefined) assert.equal(res.json<{ resources: { cpu: number } }>().resources.cpu, cpu)
  }
})

test('unknown VMs are 404 with "Not Found", taken names 409, capacity 409, bad media 415, bad JSON 400', async (t) => {
  const { app } = await server(t, { totals: { cpu: 1, memory: 8, storage: 100 } })
  const missing = await app.inject({ method: 'GET', url: '/api/v1/vms/nope' })
  assert.equal(missing.statusCode, 404)
  assert.match(missing.body, /Not Found/)
  assert.equal((await app.inject({ method: 'DELETE', url: '/api/v1/vms/nope' })).statusCode, 404)
  const key = ed25519Key()
  assert.equal((await app.inject(create({ name: 'one', ssh_key: key }))).statusCode, 201)
  const taken = await app.inject(create({ name: 'one', ssh_key: key }))
  assert.equal(taken.json<{ code: string }>().code, 'VM_NAME_TAKEN')
  assert.equal(taken.statusCode, 409)
  const full = await app.inject(create({ name: 'two', ssh_key: key }))
  assert.equal(full.statusCode, 409)
  assert.equal(full.json<{ code: string }>().code, 'INSUFFICIENT_RESOURCES')
  const text = await app.inject({ method: 'POST', url: '/api/v1/vms', headers: { 'content-type': 'text/plain' }, payload: 'name=x' })
  assert.equal(text.statusCode, 415)
  assert.equal(text.json<{ code: string }>().code, 'UNSUPPORTED_MEDIA_TYPE')
  const broken = await app.inject({ method: 'POST', url: '/api/v1/vms', headers: { 'content-type': 'application/json' }, payload: '{"name":' })
  assert.equal(broken.statusCode, 400)
  assert.equal(broken.json<{ code: string }>().code, 'VALIDATION_FAILED')
  const route = await app.inject({ method: 'GET', url: '/api/v1/nothing' })
  assert.equal(route.statusCode, 404)
  assert.match(route.body, /Not Found/)
})

test('status, health and the OpenAPI document', async (t) => {
  const { app } = await server(t)
  assert.deepEqual((await app.inject({ method: 'GET', url: '/health' })).json(), { status: 'ok' })
  const status = (await app.inject({ method: 'GET', url: '/api/v1/provider/status' })).json<{ vms: { can_create: number }; ports: { free: number[] } }>()
  assert.equal(status.vms.can_create, 4)
  assert.deepEqual(status.ports.free, [50800, 50801, 50802, 50803, 50804, 50805, 50806, 50807])
  const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>()
  for (const path of [
    '/api/v1/vms',
    '/api/v1/vms/{id}',
    '/api/v1/vms/{id}/access',
    '/api/v1/vms/{id}/start',
    '/api/v1/vms/{id}/stop',
    '/api/v1/provider/status',
    '/health',
  ]) {
    assert.ok(path in spec.paths, `${path} documented`)
  }
  assert.equal((await app.inject({ method: 'GET', url: '/docs' })).statusCode < 400, true)
})

// Signs a request the way the requestor CLI does.
async function signed(wallet: Signer, method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown) {
  const payload = body === undefined ? '' : JSON.stringify(body)
  const sig = await signRequest(wallet, { audience: PROVIDER.address, method, path: url, body: payload })
  const headers: Record<string, string> = {
    [SIGNATURE_HEADERS.requestor]: sig.signer,
    [SIGNATURE_HEADERS.signature]: sig.signature,
    [SIGNATURE_HEADERS.timestamp]: String(sig.timestamp),
    [SIGNATURE_HEADERS.nonce]: sig.nonce,
  }
  if (body !== undefined) headers['content-type'] = 'application/json'
  return { method, url, headers, payload }
}

test('ownership: only the signer sees and manages its VM; forged, replayed and unsigned requests get 401', async (t) => {
  const { app, store } = await server(t, {}, false)
  const alice = Wallet.createRandom()
  const bob = Wallet.createRandom()
  const body = { name: 'alice-vm', ssh_key: ed25519Key() }
  const create = await signed(alice, 'POST', '/api/v1/vms', body)
  assert.equal((await app.inject(create)).statusCode, 201)
  assert.equal(store.findByName(alice.address, 'alice-vm')?.owner, alice.address)
  assert.equal((await app.inject(create)).json<{ code: string }>().code, 'UNAUTHORIZED', 'a replay is refused')
  assert.equal((await app.inject(await signed(alice, 'GET', '/api/v1/vms/alice-vm/access'))).statusCode, 200)
  for (const [method, url] of [
    ['GET', '/api/v1/vms/alice-vm'],
    ['GET', '/api/v1/vms/alice-vm/access'],
    ['POST', '/api/v1/vms/alice-vm/stop'],
    ['DELETE', '/api/v1/vms/alice-vm'],
  ] as const) {
    const res = await app.inject(await signed(bob, method, url))
    assert.equal(res.statusCode, 404, `${method} ${url} by someone else`)
  }
  assert.deepEqual((await app.inject(await signed(bob, 'GET', '/api/v1/vms'))).json(), [])
  const tampered = await signed(alice, 'POST', '/api/v1/vms', { ...body, name: 'other-vm' })
  tampered.payload = JSON.stringify({ ...body, name: 'evil-vm' })
  assert.equal((await app.inject(tampered)).statusCode, 401)
  const unsigned = await app.inject({ method: 'GET', url: '/api/v1/vms' })
  assert.equal(unsigned.statusCode, 401)
  assert.equal(unsigned.json<{ code: string }>().code, 'UNAUTHORIZED')
  const wrongProvider = await signRequest(alice, { audience: Wallet.createRandom().address, method: 'GET', path: '/api/v1/vms', body: '' })
  const misdirected = await app.inject({
    method: 'GET',
    url: '/api/v1/vms',
    headers: {
      [SIGNATURE_HEADERS.requestor]: wrongProvider.signer,
      [SIGNATURE_HEADERS.signature]: wrongProvider.signature,
      [SIGNATURE_HEADERS.timestamp]: String(wrongProvider.timestamp),
      [SIGNATURE_HEADERS.nonce]: wrongProvider.nonce,
    },
  })
  assert.equal(misdirected.statusCode, 401, 'a signature for another provider is refused')
  const admin = await app.inject({ method: 'GET', url: '/api/v1/vms', headers: { authorization: `Bearer ${ADMIN}` } })
  assert.equal(admin.json<unknown[]>().length, 1)
  assert.equal((await app.inject({ method: 'GET', url: '/api/v1/vms', headers: { authorization: 'Bearer nope' } })).statusCode, 401)
  assert.equal((await app.inject(await signed(alice, 'DELETE', '/api/v1/vms/alice-vm'))).statusCode, 200)
})

test('ports: asked for at create, shown by the VM and /access next to ssh_port, added and removed; bad requests get their codes', async (t) => {
  const { app, store } = await server(t, { usablePorts: [50800, 50801, 50802, 50803, 50804, 50805] })
  const key = ed25519Key()
  const refused: [unknown, number, string][] = [
    [{ name: 'ppp', ssh_key: key, ports: [{ guest: 22 }] }, 400, 'PORT_RESERVED'],
    [{ name: 'ppp', ssh_key: key, ports: [{ guest: 80 }, { guest: 80, protocol: 'tcp' }] }, 400, 'PORT_DUPLICATE'],
    [{ name: 'ppp', ssh_key: key, ports: [{ guest: 1 }, { guest: 2 }, { guest: 3 }, { guest: 4 }] }, 400, 'TOO_MANY_PORTS'],
    [{ name: 'ppp', ssh_key: key, ports: [{ guest: 0 }] }, 400, 'VALIDATION_FAILED'],
    [{ name: 'ppp', ssh_key: key, ports: [{ guest: 65536 }] }, 400, 'VALIDATION_FAILED'],
    [{ name: 'ppp', ssh_key: key, ports: [{ guest: 80, protocol: 'sctp' }] }, 400, 'VALIDATION_FAILED'],
  ]
  for (const [body, status, code] of refused) {
    const res = await app.inject(create(body))
    assert.deepEqual([res.statusCode, res.json<{ code: string }>().code], [status, code], JSON.stringify(body))
  }
  assert.deepEqual(store.list(), [])
  const created = await app.inject(create({ name: 'web', ssh_key: key, ports: [{ guest: 8080 }, { guest: 27015, protocol: 'udp' }] }))
  assert.equal(created.statusCode, 201)
  const mapped = [
    { guest: 8080, protocol: 'tcp', public_port: 50801, host: '203.0.113.7' },
    { guest: 27015, protocol: 'udp', public_port: 50802, host: '203.0.113.7' },
  ]
  assert.deepEqual(created.json<{ ports: unknown }>().ports, mapped)
  const access = (await app.inject({ method: 'GET', url: '/api/v1/vms/web/access' })).json<{ ssh_port: number; ports: unknown }>()
  assert.deepEqual([access.ssh_port, access.ports], [50800, mapped])
  const added = await app.inject({ method: 'POST', url: '/api/v1/vms/web/ports', payload: { ports: [{ guest: 9000 }] } })
  assert.equal(added.statusCode, 200)
  assert.deepEqual(
    added.json<{ ports: { public_port: number }[] }>().ports.map((p) => p.public_port),
    [50801, 50802, 50803],
  )
  const full = await app.inject({ method: 'POST', url: '/api/v1/vms/web/ports', payload: { ports: [{ guest: 9001 }] } })
  assert.deepEqual([full.statusCode, full.json<{ code: string }>().code], [400, 'TOO_MANY_PORTS'])
  const removed = await app.inject({ method: 'DELETE', url: '/api/v1/vms/web/ports/50802' })
  assert.equal(removed.statusCode, 200)
  assert.deepEqual(
    removed.json<{ ports: { public_port: number }[] }>().ports.map((p) => p.public_port),
    [50801, 50803],
  )
  const gone = await app.inject({ method: 'DELETE', url: '/api/v1/vms/web/ports/50802' })
  assert.deepEqual([gone.statusCode, gone.json<{ code: string }>().code], [404, 'PORT_NOT_FOUND'])
  const noVm = await app.inject({ method: 'POST', url: '/api/v1/vms/nope/ports', payload: { ports: [{ guest: 9000 }] } })
  assert.deepEqual([noVm.statusCode, noVm.json<{ code: string }>().code], [404, 'VM_NOT_FOUND'])
  const tooFew = await app.inject(create({ name: 'greedy', ssh_key: key, ports: [{ guest: 1 }, { guest: 2 }, { guest: 3 }] }))
  assert.deepEqual([tooFew.statusCode, tooFew.json<{ code: string }>().code], [409, 'NO_FREE_PORT'])
  assert.equal(store.get('greedy'), undefined)
})

function fakeMetrics(isPublic: boolean) {
  const seen: HttpObservation[] = []
  const endpoint: MetricsEndpoint = {
    render: () => Promise.resolve('up 1\n'),
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    public: isPublic,
    observe: (o) => seen.push(o),
  }
  return { endpoint, seen }
}

test('GET /metrics needs the admin token: none, a wrong one or a renter signature is 401 with a stable code', async (t) => {
  const { endpoint } = fakeMetrics(false)
  const { app } = await server(t, {}, true, endpoint)
  for (const headers of [{}, { authorization: `Bearer ${'b'.repeat(64)}` }, { authorization: 'Basic x' }]) {
    const refused = await app.inject({ method: 'GET', url: '/metrics', headers })
    assert.equal(refused.statusCode, 401, JSON.stringify(headers))
    assert.equal(refused.json<{ code: string }>().code, 'UNAUTHORIZED')
    assert.match(refused.json<{ message: string }>().message, /admin token/)
  }
  const renter = Wallet.createRandom()
  assert.equal((await app.inject(await signed(renter, 'GET', '/metrics'))).statusCode, 401, 'a renter is not the operator')
  const ok = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN}` } })
  assert.equal(ok.statusCode, 200)
  assert.equal(ok.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8')
  assert.equal(ok.body, 'up 1\n')
})

test('GET /metrics is open when made public; every answer is recorded by route pattern, never by raw URL', async (t) => {
  const { endpoint, seen } = fakeMetrics(true)
  const { app } = await server(t, {}, true, endpoint)
  assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).body, 'up 1\n')
  await app.inject({ method: 'GET', url: '/api/v1/vms/some-renter-chosen-name' })
  await app.inject({ method: 'GET', url: '/no/such/path?x=1' })
  assert.deepEqual(
    seen.map((o) => `${o.method} ${o.route} ${o.status}`),
    ['GET /metrics 200', 'GET /api/v1/vms/:id 404', 'GET unmatched 404'],
  )
  assert.ok(seen.every((o) => o.durationMs >= 0))
})

test('the dashboard page is open and holds no data; its data needs the admin token', async (t) => {
  const { app } = await server(t, {}, true, undefined, true)
  const page = await app.inject({ method: 'GET', url: '/ui' })
  assert.equal(page.statusCode, 200)
  assert.match(String(page.headers['content-type']), /^text\/html/)
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/)
  assert.doesNotMatch(page.body, /<script>/, 'no inline script: the CSP forbids it')
  for (const [url, type] of [
    ['/ui/app.js', /^text\/javascript/],
    ['/ui/app.css', /^text\/css/],
  ] as const) {
    const res = await app.inject({ method: 'GET', url })
    assert.equal(res.statusCode, 200)
    assert.match(String(res.headers['content-type']), type)
  }
  for (const headers of [{}, { authorization: `Bearer ${'b'.repeat(64)}` }]) {
    const refused = await app.inject({ method: 'GET', url: '/ui/api/state', headers })
    assert.equal(refused.statusCode, 401)
    assert.equal(refused.json<{ code: string }>().code, 'UNAUTHORIZED')
  }
  assert.equal((await app.inject(create({ name: 'seen', ssh_key: ed25519Key() }))).statusCode, 201)
  const ok = await app.inject({ method: 'GET', url: '/ui/api/state', headers: { authorization: `Bearer ${ADMIN}` } })
  assert.equal(ok.statusCode, 200)
  const state = ok.json<{
    vms: { id: string; name: string; status: string; owner: string | null; network: string }[]
    events: { msg: string }[]
    port_summary: string
    status: { vms: { count: number } }
  }>()
  assert.deepEqual(
    state.vms.map((vm) => [vm.name, vm.status, vm.owner, vm.network]),
    [['seen', 'running', null, 'backend']],
  )
  assert.match(state.vms[0]?.id ?? '', /^golem-seen-/)
  assert.equal(state.status.vms.count, 1)
  assert.equal(state.port_summary, 'ports fine')
  assert.deepEqual(
    state.events.map((e) => e.msg),
    ['hello'],
  )
})
