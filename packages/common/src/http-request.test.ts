import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fakeServer } from './fake-http-server.js'
import { httpRequest } from './http-request.js'

test('the exact path with query and the exact body bytes are sent, under a base URL path prefix', async (t) => {
  const server = await fakeServer(t, () => ({ status: 418, text: 'teapot', contentType: 'text/plain' }))
  const body = Buffer.from('{"a": "ü"}')
  const response = await httpRequest({
    method: 'PUT',
    baseUrl: `${server.baseUrl}/prefix/`,
    path: '/x?b=1&a=2',
    body,
    headers: { 'content-type': 'application/json' },
    timeoutMs: 5000,
  })
  assert.deepEqual([response.status, response.body], [418, 'teapot'])
  const seen = server.requests[0]!
  assert.equal(seen.url, '/prefix/x?b=1&a=2')
  assert.deepEqual(seen.body, body)
  assert.equal(seen.headers['content-length'], String(body.length))
})

test('an answer larger than the bound is refused, not truncated', async (t) => {
  const server = await fakeServer(t, () => ({ status: 200, text: 'x'.repeat(10_000) }))
  await assert.rejects(httpRequest({ method: 'GET', baseUrl: server.baseUrl, path: '/', timeoutMs: 5000, maxResponseBytes: 1000 }), { kind: 'too-large' })
})

test('one deadline covers the whole exchange, however long the caller allows; the caller can cancel', async (t) => {
  const server = await fakeServer(t, () => 'hang')
  await assert.rejects(httpRequest({ method: 'GET', baseUrl: server.baseUrl, path: '/', timeoutMs: 200 }), { kind: 'timeout' })
  const controller = new AbortController()
  const pending = httpRequest({ method: 'GET', baseUrl: server.baseUrl, path: '/', timeoutMs: 60_000, signal: controller.signal })
  controller.abort()
  await assert.rejects(pending, { kind: 'aborted' })
})

test('no connection is an unreachable failure naming the socket error', async () => {
  await assert.rejects(httpRequest({ method: 'GET', baseUrl: 'http://127.0.0.1:9', path: '/', timeoutMs: 5000 }), {
    kind: 'unreachable',
    reason: 'ECONNREFUSED',
  })
})
