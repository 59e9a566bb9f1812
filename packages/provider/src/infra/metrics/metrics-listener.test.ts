import assert from 'node:assert/strict'
import { test } from 'node:test'
import { listenForScrapes } from './metrics-listener.js'

const options = (render: () => Promise<string>) => ({
  host: '127.0.0.1',
  port: 0,
  render,
  contentType: 'text/plain; version=0.0.4; charset=utf-8',
  onError: () => undefined,
})

test('answers GET and HEAD /metrics, and nothing else', async (t) => {
  const listener = await listenForScrapes(options(() => Promise.resolve('up 1\n')))
  t.after(() => listener.close())
  assert.match(listener.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
  const get = await fetch(listener.url)
  assert.equal(get.status, 200)
  assert.equal(get.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
  assert.equal(await get.text(), 'up 1\n')
  const head = await fetch(listener.url, { method: 'HEAD' })
  assert.equal(head.status, 200)
  const post = await fetch(listener.url, { method: 'POST' })
  assert.equal(post.status, 405)
  assert.equal(((await post.json()) as { code: string }).code, 'METHOD_NOT_ALLOWED')
  const other = await fetch(listener.url.replace('/metrics', '/api/v1/vms'))
  assert.equal(other.status, 404)
  assert.equal(((await other.json()) as { code: string }).code, 'ROUTE_NOT_FOUND')
})

test('a failing collection is a JSON 500 and is reported; the listener keeps serving', async (t) => {
  const errors: unknown[] = []
  let fail = true
  const listener = await listenForScrapes({
    ...options(() => (fail ? Promise.reject(new Error('boom')) : Promise.resolve('ok 1\n'))),
    onError: (e) => errors.push(e),
  })
  t.after(() => listener.close())
  const failed = await fetch(listener.url)
  assert.equal(failed.status, 500)
  assert.equal(((await failed.json()) as { code: string }).code, 'INTERNAL')
  assert.equal((errors[0] as Error).message, 'boom')
  fail = false
  assert.equal(await (await fetch(listener.url)).text(), 'ok 1\n')
})

test('an address in use is refused at start; close frees the port even with a kept-alive scraper', async () => {
  const first = await listenForScrapes(options(() => Promise.resolve('')))
  const port = Number(new URL(first.url).port)
  await assert.rejects(listenForScrapes({ ...options(() => Promise.resolve('')), port }), /EADDRINUSE/)
  await (await fetch(first.url, { keepalive: true })).text()
  await first.close()
  const again = await listenForScrapes({ ...options(() => Promise.resolve('')), port })
  await again.close()
})
