import assert from 'node:assert/strict'
import { connect, type AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { PortCheckErrorBody } from '@golem-vm/protocol'
import { pino } from 'pino'
import type { Connect } from './checker.js'
import { loadConfig } from './config.js'
import { buildServer } from './server.js'
import type { Lookup } from './target.js'

const OPEN = new Set([22, 7466])

interface Probe {
  readonly ip: string
  readonly port: number
}

// A fake network: ports in OPEN accept, everything else refuses; every probe is recorded.
const fakeNetwork = () => {
  const probes: Probe[] = []
  const connect: Connect = (ip, port) => {
    probes.push({ ip, port })
    return Promise.resolve(OPEN.has(port) ? { kind: 'open' } : { kind: 'refused' })
  }
  return { probes, connect }
}

const noLookup: Lookup = () => Promise.reject(new Error('no DNS in this test'))

const build = (t: TestContext, env: Record<string, string> = {}, connect: Connect = fakeNetwork().connect, lookup: Lookup = noLookup) => {
  const app = buildServer({ config: loadConfig(env), logger: pino({ level: 'silent' }), connect, lookup })
  t.after(() => app.close())
  return app
}

const check = (app: ReturnType<typeof build>, payload: unknown, remoteAddress = '203.0.113.7', headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/check-ports', payload: payload as object, remoteAddress, headers })

// Asserts a JSON error body of the given status and code, and returns it.
const expectError = (response: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number, code: string) => {
  assert.equal(response.statusCode, status)
  assert.match(String(response.headers['content-type']), /^application\/json/)
  const body = PortCheckErrorBody.parse(response.json())
  assert.equal(body.code, code)
  assert.equal(body.detail, body.message)
  return body
}

test('GET /health answers {"status":"ok"}', async (t) => {
  const response = await build(t).inject({ method: 'GET', url: '/health' })
  assert.equal(response.statusCode, 200)
  assert.equal(response.body, '{"status":"ok"}')
})

test("checks the caller's ports once each and answers in request order with distinct counts", async (t) => {
  const network = fakeNetwork()
  const response = await check(build(t, {}, network.connect), { provider_ip: '203.0.113.7', ports: [7466, 1, 7466, 22] })
  assert.equal(response.statusCode, 200)
  assert.match(String(response.headers['content-type']), /^application\/json/)
  assert.equal(
    response.body,
    '{"success":true,"all_accessible":false,"results":{"7466":{"accessible":true,"error":null},"1":{"accessible":false,"error":"Connection refused"},' +
      '"22":{"accessible":true,"error":null}},"message":"Successfully verified 2 out of 3 ports"}',
  )
  assert.deepEqual(network.probes.map((p) => `${p.ip}:${p.port}`).sort(), ['203.0.113.7:1', '203.0.113.7:22', '203.0.113.7:7466'])
})

test('an IPv4-mapped caller or provider_ip is the IPv4 address', async (t) => {
  const network = fakeNetwork()
  const app = build(t, {}, network.connect)
  assert.equal((await check(app, { provider_ip: '203.0.113.7', ports: [22] }, '::ffff:203.0.113.7')).statusCode, 200)
  assert.equal((await check(app, { provider_ip: '::ffff:203.0.113.7', ports: [22] })).statusCode, 200)
  assert.deepEqual(
    network.probes.map((p) => p.ip),
    ['203.0.113.7', '203.0.113.7'],
  )
})

test('a foreign address is refused with 403 FOREIGN_ADDRESS and never probed', async (t) => {
  const network = fakeNetwork()
  const body = expectError(await check(build(t, {}, network.connect), { provider_ip: '198.51.100.1', ports: [22] }), 403, 'FOREIGN_ADDRESS')
  assert.match(body.message, /198\.51\.100\.1.*203\.0\.113\.7/)
  assert.equal(network.probes.length, 0)
})

test('a foreign address is probed when the operator allows it', async (t) => {
  const network = fakeNetwork()
  const response = await check(build(t, { PORT_CHECKER_ALLOW_FOREIGN_ADDRESS: 'true' }, network.connect), { provider_ip: '198.51.100.1', ports: [22] })
  assert.equal(response.statusCode, 200)
  assert.deepEqual(network.probes, [{ ip: '198.51.100.1', port: 22 }])
})

test('more distinct ports than allowed is 400 TOO_MANY_PORTS; duplicates do not count', async (t) => {
  const network = fakeNetwork()
  const app = build(t, { PORT_CHECKER_MAX_PORTS: '3' }, network.connect)
  const body = expectError(await check(app, { provider_ip: '203.0.113.7', ports: [1, 2, 3, 4] }), 400, 'TOO_MANY_PORTS')
  assert.match(body.message, /4 distinct ports .* at most 3/)
  assert.equal(network.probes.length, 0)
  assert.equal((await check(app, { provider_ip: '203.0.113.7', ports: [1, 2, 3, 3, 2, 1] })).statusCode, 200)
})

test('the default bound takes a whole default range (101 ports) and refuses 129', async (t) => {
  const app = build(t)
  const range = Array.from({ length: 101 }, (_, i) => 50_800 + i)
  assert.equal((await check(app, { provider_ip: '203.0.113.7', ports: range })).statusCode, 200)
  const tooMany = Array.from({ length: 129 }, (_, i) => 50_800 + i)
  expectError(await check(app, { provider_ip: '203.0.113.7', ports: tooMany }), 400, 'TOO_MANY_PORTS')
})

test('every invalid field is listed in one 400 VALIDATION_FAILED', async (t) => {
  const body = expectError(await check(build(t), { ports: [0, 65536, '80', 1.5] }), 400, 'VALIDATION_FAILED')
  assert.deepEqual(
    body.issues?.map((i) => i.path),
    ['provider_ip', 'ports.0', 'ports.1', 'ports.2', 'ports.3'],
  )
})

test('malformed JSON, an empty body and a non-JSON body are JSON errors too', async (t) => {
  const app = build(t)
  const post = (payload: string, type: string) =>
    app.inject({ method: 'POST', url: '/check-ports', payload, headers: { 'content-type': type }, remoteAddress: '203.0.113.7' })
  expectError(await post('{"provider_ip":', 'application/json'), 400, 'VALIDATION_FAILED')
  expectError(await post('', 'application/json'), 400, 'VALIDATION_FAILED')
  expectError(await post('provider_ip=1', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE')
  expectError(await post('provider_ip=1', 'application/x-www-form-urlencoded'), 415, 'UNSUPPORTED_MEDIA_TYPE')
})

test('a body far beyond the port bound is 413 PAYLOAD_TOO_LARGE', async (t) => {
  const ports = Array.from({ length: 5_000 }, () => 22)
  expectError(await check(build(t, { PORT_CHECKER_MAX_PORTS: '10' }), { provider_ip: '203.0.113.7', ports }), 413, 'PAYLOAD_TOO_LARGE')
})

test('hostnames are refused unless allowed, and then must resolve to the caller', async (t) => {
  const lookup: Lookup = (name) => Promise.resolve(name === 'me.example' ? ['203.0.113.7'] : ['198.51.100.1'])
  const network = fakeNetwork()
  expectError(await check(build(t, {}, network.connect, lookup), { provider_ip: 'me.example', ports: [22] }), 400, 'HOSTNAME_NOT_ALLOWED')
  const allowing = build(t, { PORT_CHECKER_ALLOW_HOSTNAMES: 'true' }, network.connect, lookup)
  assert.equal((await check(allowing, { provider_ip: 'me.example', ports: [22] })).statusCode, 200)
  expectError(await check(allowing, { provider_ip: 'them.example', ports: [22] }), 403, 'FOREIGN_ADDRESS')
  assert.deepEqual(network.probes, [{ ip: '203.0.113.7', port: 22 }])
})

test('X-Forwarded-For is ignored unless the proxy is trusted', async (t) => {
  const viaProxy = (app: ReturnType<typeof build>, ip: string) => check(app, { provider_ip: ip, ports: [22] }, '10.0.0.1', { 'x-forwarded-for': '203.0.113.7' })
  const untrusting = build(t)
  expectError(await viaProxy(untrusting, '203.0.113.7'), 403, 'FOREIGN_ADDRESS')
  assert.equal((await viaProxy(untrusting, '10.0.0.1')).statusCode, 200)
  const trusting = build(t, { PORT_CHECKER_TRUST_PROXY: '10.0.0.1' })
  assert.equal((await viaProxy(trusting, '203.0.113.7')).statusCode, 200)
  expectError(await viaProxy(trusting, '10.0.0.1'), 403, 'FOREIGN_ADDRESS')
  const spoofed = await check(trusting, { provider_ip: '203.0.113.7', ports: [22] }, '10.0.0.2', { 'x-forwarded-for': '203.0.113.7' })
  expectError(spoofed, 403, 'FOREIGN_ADDRESS')
})

test('a hop count trusts that many proxies', async (t) => {
  const app = build(t, { PORT_CHECKER_TRUST_PROXY: '1' })
  const response = await check(app, { provider_ip: '203.0.113.7', ports: [22] }, '10.0.0.1', { 'x-forwarded-for': '198.51.100.9, 203.0.113.7' })
  assert.equal(response.statusCode, 200)
})

test('past the rate limit a caller gets 429 RATE_LIMITED with Retry-After; health and other callers are unaffected', async (t) => {
  const app = build(t, { PORT_CHECKER_RATE_LIMIT_PER_MINUTE: '2' })
  const body = { provider_ip: '203.0.113.7', ports: [22] }
  assert.equal((await check(app, body)).statusCode, 200)
  assert.equal((await check(app, body)).statusCode, 200)
  const limited = await check(app, body)
  const error = expectError(limited, 429, 'RATE_LIMITED')
  assert.match(error.message, /at most 2 per minute/)
  assert.ok(Number(limited.headers['retry-after']) > 0)
  assert.equal((await app.inject({ method: 'GET', url: '/health', remoteAddress: '203.0.113.7' })).statusCode, 200)
  assert.equal((await check(app, { provider_ip: '203.0.113.8', ports: [22] }, '203.0.113.8')).statusCode, 200)
})

test('unknown routes are 404 ROUTE_NOT_FOUND and wrong methods 405 METHOD_NOT_ALLOWED, as JSON', async (t) => {
  const app = build(t)
  expectError(await app.inject({ method: 'GET', url: '/nope' }), 404, 'ROUTE_NOT_FOUND')
  const wrong = await app.inject({ method: 'GET', url: '/check-ports' })
  expectError(wrong, 405, 'METHOD_NOT_ALLOWED')
  assert.equal(wrong.headers.allow, 'POST')
  expectError(await app.inject({ method: 'DELETE', url: '/health?x=1' }), 405, 'METHOD_NOT_ALLOWED')
})

test('a fault inside the server is a JSON 500 INTERNAL, never plain text', async (t) => {
  const broken: Connect = () => Promise.resolve({ kind: 'failed', message: undefined as unknown as string })
  expectError(await check(build(t, {}, broken), { provider_ip: '203.0.113.7', ports: [5] }), 500, 'INTERNAL')
})

test('the request deadline bounds a check of filtered ports', async (t) => {
  const hanging: Connect = (_ip, port, { signal }) =>
    port === 22
      ? Promise.resolve({ kind: 'open' })
      : sleep(60_000, undefined, { signal }).then(
          () => ({ kind: 'timeout' as const }),
          () => ({ kind: 'aborted' as const }),
        )
  const env = { PORT_CHECKER_REQUEST_DEADLINE_MS: '150', PORT_CHECKER_CONNECT_TIMEOUT_MS: '60', PORT_CHECKER_RETRY_DELAY_MS: '10' }
  const started = performance.now()
  const response = await check(build(t, env, hanging), { provider_ip: '203.0.113.7', ports: [22, 50800] })
  assert.ok(performance.now() - started < 5_000)
  assert.equal(response.statusCode, 200)
  assert.deepEqual(response.json(), {
    success: true,
    all_accessible: false,
    results: { 22: { accessible: true, error: null }, 50800: { accessible: false, error: 'Check deadline exceeded' } },
    message: 'Successfully verified 1 out of 2 ports',
  })
})

test('the OpenAPI document describes the two routes with the port-check schemas only', async (t) => {
  const response = await build(t).inject({ method: 'GET', url: '/openapi.json' })
  assert.equal(response.statusCode, 200)
  const document = response.json<{ paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>()
  assert.deepEqual(Object.keys(document.paths).sort(), ['/check-ports', '/health'])
  assert.ok(Object.keys(document.components.schemas).every((name) => /^(CheckPorts|PortResult|PortCheck)/.test(name)))
})

// A keep-alive connection busy when close() starts must not hold close() open until its keep-alive timeout.
test('closing lets an in-flight check finish, then closes its keep-alive connection', async (t) => {
  let arrived: () => void = () => undefined
  const inFlight = new Promise<void>((resolve) => (arrived = resolve))
  const slow: Connect = async () => {
    arrived()
    await sleep(200)
    return { kind: 'open' }
  }
  const app = build(t, {}, slow)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as AddressInfo
  const socket = connect({ host: '127.0.0.1', port })
  t.after(() => socket.destroy())
  let received = ''
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()))
  const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const body = JSON.stringify({ provider_ip: '127.0.0.1', ports: [22] })
  socket.write(`POST /check-ports HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
  await inFlight
  const started = performance.now()
  await Promise.all([app.close(), socketClosed])
  assert.ok(performance.now() - started < 5_000)
  assert.match(received, /^HTTP\/1\.1 200 /)
  assert.match(received, /connection: close/i)
  assert.match(received, /"success":true/)
})
