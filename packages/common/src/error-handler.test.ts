import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { test } from 'node:test'
import Fastify from 'fastify'
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { errorHandling, requestFault, type RequestFault, type SchemaIssue } from './error-handler.js'

class ShopError extends Error {
  constructor(
    readonly code: 'BAD' | 'GONE' | 'SLOW' | 'OOPS',
    message: string,
    readonly seen: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

// A service that records what the kit handed it, so each branch is visible.
async function shop(t: { after: (fn: () => Promise<void>) => void }) {
  const faults: RequestFault[] = []
  const issues: SchemaIssue[][] = []
  const errors = errorHandling<ShopError['code'], ShopError>({
    status: { BAD: 400, GONE: 404, SLOW: 503, OOPS: 500 },
    isOwn: (e): e is ShopError => e instanceof ShopError,
    invalid: (list) => {
      issues.push([...list])
      return new ShopError(
        'BAD',
        'invalid',
        list.map((i) => `${i.part}.${i.path.join('.')}`),
      )
    },
    fault: (f, message) => {
      faults.push(f)
      return new ShopError('BAD', `${f}: ${message}`)
    },
    internal: (cause) => new ShopError('OOPS', 'something failed', [], { cause }),
    body: (e) => ({ code: e.code, message: e.message, seen: e.seen }),
    notFound: (req) => new ShopError('GONE', `no ${req.url}`),
  })
  const app = Fastify({ bodyLimit: 100 })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  errors.install(app)
  const typed = app.withTypeProvider<ZodTypeProvider>()
  typed.post(
    '/items/:id',
    { schema: { params: z.object({ id: z.string().regex(/^\d+$/) }), body: z.object({ name: z.string(), count: z.number().int() }) } },
    () => ({ ok: true }),
  )
  typed.get('/own', () => {
    throw new ShopError('SLOW', 'try later')
  })
  typed.get('/defect', () => {
    throw new Error('secret /etc/path')
  })
  await app.ready()
  t.after(() => app.close())
  return { app, faults, issues }
}

test('own errors pass through with their status; a defect becomes the internal error without its message', async (t) => {
  const { app } = await shop(t)
  const own = await app.inject({ method: 'GET', url: '/own' })
  assert.equal(own.statusCode, 503)
  assert.deepEqual(own.json(), { code: 'SLOW', message: 'try later', seen: [] })
  const defect = await app.inject({ method: 'GET', url: '/defect' })
  assert.equal(defect.statusCode, 500)
  assert.doesNotMatch(defect.body, /secret/)
  assert.match(String(defect.headers['content-type']), /^application\/json/)
})

test('every schema problem of a request part comes in one error, with the part and path', async (t) => {
  const { app, issues } = await shop(t)
  const res = await app.inject({ method: 'POST', url: '/items/1', payload: { name: 5, count: 1.5 } })
  assert.equal(res.statusCode, 400)
  assert.deepEqual(res.json<{ seen: string[] }>().seen, ['body.name', 'body.count'])
  assert.ok(issues[0]?.every((i) => i.keyword !== '' && i.message !== ''))
  const params = await app.inject({ method: 'POST', url: '/items/x', payload: { name: 'a', count: 1 } })
  assert.deepEqual(params.json<{ seen: string[] }>().seen, ['params.id'])
})

test("Fastify's request failures reach the service as faults; an unknown route gets the service's not-found error", async (t) => {
  const { app, faults } = await shop(t)
  const media = await app.inject({ method: 'POST', url: '/items/1', payload: 'x', headers: { 'content-type': 'text/xml' } })
  assert.equal(media.statusCode, 400)
  const large = await app.inject({ method: 'POST', url: '/items/1', payload: { name: 'x'.repeat(200), count: 1 } })
  assert.equal(large.statusCode, 400)
  const json = await app.inject({ method: 'POST', url: '/items/1', payload: '{"name":', headers: { 'content-type': 'application/json' } })
  assert.equal(json.statusCode, 400)
  const empty = await app.inject({ method: 'POST', url: '/items/1', payload: '', headers: { 'content-type': 'application/json' } })
  assert.equal(empty.statusCode, 400)
  assert.deepEqual(faults, ['media-type', 'too-large', 'bad-json', 'empty-body'])
  const missing = await app.inject({ method: 'GET', url: '/nowhere' })
  assert.equal(missing.statusCode, 404)
  assert.deepEqual(missing.json(), { code: 'GONE', message: 'no /nowhere', seen: [] })
})

test('requestFault: rate limits, other 4xx and anything else', () => {
  assert.equal(requestFault(Object.assign(new Error('slow down'), { statusCode: 429 })), 'rate-limited')
  assert.equal(requestFault(Object.assign(new Error('bad url'), { statusCode: 414 })), 'malformed')
  assert.equal(requestFault(Object.assign(new SyntaxError('Unexpected token'), { statusCode: 400 })), 'bad-json')
  assert.equal(requestFault(new SyntaxError('from our own code')), undefined)
  assert.equal(requestFault(Object.assign(new Error('x'), { statusCode: 500 })), undefined)
  assert.equal(requestFault('a string'), undefined)
})

test("clientError: a request deadline and unparsable HTTP are answered with the service's body, and the connection closed", () => {
  const faults: RequestFault[] = []
  class NetError extends Error {
    constructor(
      readonly code: 'BAD' | 'LATE',
      message: string,
    ) {
      super(message)
    }
  }
  const errors = errorHandling<NetError['code'], NetError>({
    status: { BAD: 400, LATE: 408 },
    isOwn: (e): e is NetError => e instanceof NetError,
    invalid: () => new NetError('BAD', 'invalid'),
    fault: (f, message) => {
      faults.push(f)
      return new NetError(f === 'timeout' ? 'LATE' : 'BAD', message)
    },
    internal: () => new NetError('BAD', 'internal'),
    body: (e) => ({ code: e.code, message: e.message }),
  })
  const answer = (code: string): string => {
    const written: string[] = []
    const socket = new PassThrough()
    socket.write = ((chunk: string) => written.push(chunk) > 0) as typeof socket.write
    errors.clientError(Object.assign(new Error(code), { code }), socket)
    assert.equal(socket.destroyed, code !== 'ECONNRESET', 'the connection is closed (a reset one is left to Node)')
    return written.join('')
  }
  const late = answer('ERR_HTTP_REQUEST_TIMEOUT')
  assert.match(late, /^HTTP\/1\.1 408 Request Timeout\r\n/)
  assert.match(late, /Content-Type: application\/json\r\n/)
  assert.match(late, /Connection: close\r\n\r\n\{"code":"LATE","message":"the request did not arrive in time"\}$/)
  assert.match(answer('HPE_INVALID_METHOD'), /^HTTP\/1\.1 400 Bad Request\r\n[^]*"code":"BAD"/)
  assert.deepEqual(faults, ['timeout', 'malformed'])
  assert.equal(answer('ECONNRESET'), '', 'a reset connection gets nothing')
})
