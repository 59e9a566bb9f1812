// The real checker process on 127.0.0.1 probing real sockets on 127.0.0.1.
// A filtered (silently dropping) port cannot be made on loopback without
// changing the host firewall, so "Connection timed out" is covered at unit
// level (src/checker.test.ts, src/server.test.ts) with an injected connect.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { CheckPortsResponse } from '@golem-vm/protocol'
import { startChecker, type CheckerProcess } from './helpers/checker-process.js'
import { expectError, get, postCheck } from './helpers/http.js'
import { closedPort, openPort } from './helpers/local-ports.js'

// One checker process for the whole file (start-up dominates the run time), stopped after the last test.
let checker: CheckerProcess
const cleanups: (() => Promise<unknown>)[] = []
before(async () => {
  checker = await startChecker({ after: (fn) => cleanups.push(fn) }, { PORT_CHECKER_RATE_LIMIT_PER_MINUTE: '1000' })
})
after(() => Promise.all(cleanups.map((fn) => fn())))

test('GET /health answers {"status":"ok"}', async () => {
  const answer = await get(checker.url, '/health')
  assert.equal(answer.status, 200)
  assert.equal(answer.text, '{"status":"ok"}')
})

test('an open port is accessible, a closed one refused; duplicates collapse; keys keep request order', async (t) => {
  const open = await openPort(t)
  const closed = await closedPort()
  const answer = await postCheck(checker.url, { provider_ip: '127.0.0.1', ports: [closed, open, closed, open] })
  assert.equal(answer.status, 200, answer.text)
  const body = CheckPortsResponse.parse(JSON.parse(answer.text))
  assert.deepEqual(body.results[String(open)], { accessible: true, error: null })
  assert.deepEqual(body.results[String(closed)], { accessible: false, error: 'Connection refused' })
  assert.equal(body.success, true)
  assert.equal(body.all_accessible, false)
  assert.equal(body.message, 'Successfully verified 1 out of 2 ports')
  assert.ok(answer.text.indexOf(`"${closed}":`) < answer.text.indexOf(`"${open}":`), 'results in request order')
})

test('all ports open → all_accessible; an IPv4-mapped provider_ip is the IPv4 address', async (t) => {
  const ports = [await openPort(t), await openPort(t)]
  const answer = await postCheck(checker.url, { provider_ip: '::ffff:127.0.0.1', ports })
  assert.equal(answer.status, 200, answer.text)
  const body = CheckPortsResponse.parse(JSON.parse(answer.text))
  assert.equal(body.all_accessible, true)
  assert.equal(body.message, 'Successfully verified 2 out of 2 ports')
})

// Ports 1-101 rather than 50800-50900: the provider's own tests may listen on its default range at the same time.
test('a list as long as the whole default range (101 ports) fits; 129 distinct ports are TOO_MANY_PORTS', async () => {
  const range = Array.from({ length: 101 }, (_, i) => 1 + i)
  const answer = await postCheck(checker.url, { provider_ip: '127.0.0.1', ports: range })
  assert.equal(answer.status, 200, answer.text)
  assert.equal(Object.keys(CheckPortsResponse.parse(JSON.parse(answer.text)).results).length, 101)
  const tooMany = Array.from({ length: 129 }, (_, i) => 1 + i)
  expectError(await postCheck(checker.url, { provider_ip: '127.0.0.1', ports: tooMany }), 400, 'TOO_MANY_PORTS')
})

test('out-of-range and mistyped ports are all listed in one VALIDATION_FAILED', async () => {
  const body = expectError(await postCheck(checker.url, { provider_ip: '127.0.0.1', ports: [0, 65536, '80', 1.5] }), 400, 'VALIDATION_FAILED')
  assert.deepEqual(
    body.issues?.map((i) => i.path),
    ['ports.0', 'ports.1', 'ports.2', 'ports.3'],
  )
  expectError(await postCheck(checker.url, '{"provider_ip": "127.0.0.1", "ports": [1,'), 400, 'VALIDATION_FAILED')
})

test('another address than the caller is refused with 403 FOREIGN_ADDRESS, and a hostname with HOSTNAME_NOT_ALLOWED', async (t) => {
  const open = await openPort(t)
  const body = expectError(await postCheck(checker.url, { provider_ip: '127.0.0.2', ports: [open] }), 403, 'FOREIGN_ADDRESS')
  assert.match(body.message, /127\.0\.0\.2 .*\(127\.0\.0\.1\)/)
  expectError(await postCheck(checker.url, { provider_ip: 'localhost', ports: [open] }), 400, 'HOSTNAME_NOT_ALLOWED')
})

test('without a trusted proxy, X-Forwarded-For cannot change who the caller is', async (t) => {
  const open = await openPort(t)
  const spoofed = await postCheck(checker.url, { provider_ip: '127.0.0.1', ports: [open] }, { 'x-forwarded-for': '203.0.113.7' })
  assert.equal(spoofed.status, 200, spoofed.text)
  expectError(await postCheck(checker.url, { provider_ip: '203.0.113.7', ports: [open] }, { 'x-forwarded-for': '203.0.113.7' }), 403, 'FOREIGN_ADDRESS')
})

test('unknown routes and wrong methods are JSON errors', async () => {
  expectError(await get(checker.url, '/nope'), 404, 'ROUTE_NOT_FOUND')
  expectError(await get(checker.url, '/check-ports'), 405, 'METHOD_NOT_ALLOWED')
})
