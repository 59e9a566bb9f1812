import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { test, type TestContext } from 'node:test'
import { checkPorts, MAX_ANSWER_BYTES, portCheckClient } from './port-check-client.js'

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void

// A stand-in checker on 127.0.0.1 that answers as `handler` says; closed after the test.
async function server(t: TestContext, handler: Handler): Promise<string> {
  const srv = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => handler(req, body, res))
  })
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  t.after(
    () =>
      new Promise<void>((resolve) => {
        srv.closeAllConnections()
        srv.close(() => resolve())
      }),
  )
  return `http://127.0.0.1:${(srv.address() as AddressInfo).port}`
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(typeof body === 'string' ? body : JSON.stringify(body))
}

const never = new AbortController().signal

test('posts the address and ports to /check-ports and returns the validated answer', async (t) => {
  let seen: { method?: string; url?: string; body?: unknown } = {}
  const url = await server(t, (req, body, res) => {
    seen = { method: req.method, url: req.url, body: JSON.parse(body) }
    json(res, 200, {
      success: true,
      all_accessible: false,
      results: { 7466: { accessible: true, error: null }, 50800: { accessible: false, error: 'Connection refused' } },
      message: 'Successfully verified 1 out of 2 ports',
    })
  })
  const result = await checkPorts(`${url}/`, '203.0.113.7', [7466, 50800], never)
  assert.deepEqual(seen, { method: 'POST', url: '/check-ports', body: { provider_ip: '203.0.113.7', ports: [7466, 50800] } })
  assert.ok(result.ok)
  assert.deepEqual(result.response.results['50800'], { accessible: false, error: 'Connection refused' })
})

test("accepts the original checker's answer, which has no all_accessible", async (t) => {
  const url = await server(t, (_req, _body, res) =>
    json(res, 200, { success: false, results: { 1: { accessible: false, error: 'Connection refused' } }, message: 'Successfully verified 0 out of 1 ports' }),
  )
  const result = await checkPorts(url, '127.0.0.1', [1], never)
  assert.equal(result.ok, true)
})

test('an error body of the port-check server becomes a readable failure with its code', async (t) => {
  const url = await server(t, (_req, _body, res) =>
    json(res, 403, { code: 'FOREIGN_ADDRESS', message: 'only the address the request comes from can be checked', detail: 'x' }),
  )
  const result = await checkPorts(url, '198.51.100.1', [50800], never)
  assert.deepEqual(result, {
    ok: false,
    kind: 'http',
    reason: 'HTTP 403 FOREIGN_ADDRESS: only the address the request comes from can be checked',
    status: 403,
    code: 'FOREIGN_ADDRESS',
  })
})

test('another non-2xx answer names the status and the start of the text', async (t) => {
  const url = await server(t, (_req, _body, res) => {
    res.writeHead(502)
    res.end('<html>\n  Bad   gateway</html>')
  })
  const result = await checkPorts(url, '127.0.0.1', [50800], never)
  assert.deepEqual(result, { ok: false, kind: 'http', reason: 'HTTP 502: <html> Bad gateway</html>', status: 502 })
})

test('a 200 that is not JSON is a bad body', async (t) => {
  const url = await server(t, (_req, _body, res) => json(res, 200, 'hello'))
  const result = await checkPorts(url, '127.0.0.1', [50800], never)
  assert.deepEqual(result, { ok: false, kind: 'bad-body', reason: 'the answer is not JSON: hello' })
})

test('a wrong shape names the offending fields', async (t) => {
  const url = await server(t, (_req, _body, res) => json(res, 200, { success: 'yes', results: {}, message: 'm' }))
  const result = await checkPorts(url, '127.0.0.1', [50800], never)
  assert.ok(!result.ok)
  assert.equal(result.kind, 'bad-body')
  assert.match(result.reason, /^the answer is not a port-check result \(success: /)
})

test('a server that does not answer in time gives a timeout failure', async (t) => {
  const url = await server(t, () => undefined)
  const started = Date.now()
  const result = await portCheckClient({ timeoutMs: 150 })(url, '127.0.0.1', [50800], never)
  assert.deepEqual(result, { ok: false, kind: 'timeout', reason: 'no answer within 150 ms' })
  assert.ok(Date.now() - started < 5000)
})

test('a closed port gives an unreachable failure naming the socket error', async () => {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const closed = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const result = await checkPorts(closed, '127.0.0.1', [50800], never)
  assert.deepEqual(result, { ok: false, kind: 'unreachable', reason: 'cannot connect (ECONNREFUSED)' })
})

test("the caller's signal cancels the request", async (t) => {
  const url = await server(t, () => undefined)
  const controller = new AbortController()
  const pending = checkPorts(url, '127.0.0.1', [50800], controller.signal)
  setTimeout(() => controller.abort(), 20)
  assert.deepEqual(await pending, { ok: false, kind: 'aborted', reason: 'the check was cancelled' })
})

test('an endless answer is not read: the check fails at the size cap, within the deadline', async (t) => {
  const url = await server(t, (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    const chunk = Buffer.alloc(1024 * 1024, 0x20)
    const more = (): void => {
      while (!res.destroyed && res.write(chunk));
      if (!res.destroyed) res.once('drain', more)
    }
    res.on('error', () => undefined)
    more()
  })
  const before = process.memoryUsage().rss
  const result = await portCheckClient({ timeoutMs: 20_000 })(url, '127.0.0.1', [50800], never)
  assert.deepEqual(result, { ok: false, kind: 'bad-body', reason: `the answer is larger than ${MAX_ANSWER_BYTES} bytes; it was not read` })
  assert.ok(process.memoryUsage().rss - before < 64 * 1024 * 1024, 'the answer was not buffered')
})

test('a port that fetch would refuse (a WHATWG "bad port") is asked like any other', async () => {
  const result = await checkPorts('http://127.0.0.1:9', '127.0.0.1', [50800], never)
  assert.deepEqual(result, { ok: false, kind: 'unreachable', reason: 'cannot connect (ECONNREFUSED)' })
})
