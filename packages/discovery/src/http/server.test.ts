import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { Wallet } from 'ethers'
import { ADVERTISEMENTS_PATH, Advertisement, DiscoveryErrorBody } from '@golem-vm/protocol'
import { createHarness, type HarnessOptions } from './inject-harness.js'

const AD = { ip_address: '203.0.113.7', country: 'se', resources: { cpu: 4, memory: 8, storage: 100 } }

async function harness(t: { after: (fn: () => Promise<void>) => void }, options: HarnessOptions = {}) {
  const h = await createHarness(options)
  t.after(() => h.close())
  return h
}

const errorOf = (body: string) => DiscoveryErrorBody.parse(JSON.parse(body))

test('GET /health answers {"status":"healthy"} and that the database answers', async (t) => {
  const h = await harness(t)
  const res = await h.app.inject('/health')
  assert.equal(res.statusCode, 200)
  assert.deepEqual(res.json(), { status: 'healthy', database: 'ok' })
})

test('a signed post is stored and returned in the original shape', async (t) => {
  const h = await harness(t)
  const wallet = Wallet.createRandom()
  const res = await h.post(wallet, AD, { 'content-type': 'application/json; charset=utf-8' })
  assert.equal(res.statusCode, 200, res.body)
  const ad = Advertisement.parse(res.json())
  assert.deepEqual(Object.keys(res.json<object>()).slice(0, 6), ['provider_id', 'ip_address', 'country', 'resources', 'created_at', 'updated_at'])
  assert.equal(ad.provider_id, wallet.address)
  assert.equal(ad.country, 'SE')
  assert.equal(ad.provider_name, wallet.address)
  assert.equal(ad.signed, true)
  assert.equal(ad.created_at, '2026-11-24T10:00:00.000Z')
  assert.equal(ad.updated_at, ad.created_at)
})

test('a second post replaces the advertisement and keeps created_at', async (t) => {
  const h = await harness(t)
  const wallet = Wallet.createRandom()
  await h.post(wallet, AD)
  h.advance(60_000)
  const res = await h.post(wallet, { ...AD, ip_address: '2001:db8::7', provider_name: 'rack-1' })
  const ad = Advertisement.parse(res.json())
  assert.equal(ad.ip_address, '2001:db8::7')
  assert.equal(ad.provider_name, 'rack-1')
  assert.equal(ad.created_at, '2026-11-24T10:00:00.000Z')
  assert.equal(ad.updated_at, '2026-11-24T10:01:00.000Z')
  const list = await h.app.inject(ADVERTISEMENTS_PATH)
  assert.equal(list.json<unknown[]>().length, 1)
})

test('list filters on minimum resources and on country in any case', async (t) => {
  const h = await harness(t)
  const [small, big, german] = [Wallet.createRandom(), Wallet.createRandom(), Wallet.createRandom()]
  await h.post(small, { ...AD, resources: { cpu: 1, memory: 2, storage: 20 } })
  h.advance(1)
  await h.post(big, { ...AD, resources: { cpu: 16, memory: 64, storage: 1000, gpu: 2 } })
  h.advance(1)
  await h.post(german, { ...AD, country: 'DE' })
  const ids = async (query: string) => (await h.app.inject(`${ADVERTISEMENTS_PATH}${query}`)).json<{ provider_id: string }[]>().map((a) => a.provider_id)
  assert.deepEqual(await ids(''), [small.address, big.address, german.address])
  assert.deepEqual(await ids('?cpu=4'), [big.address, german.address])
  assert.deepEqual(await ids('?cpu=4&memory=16&storage=500'), [big.address])
  assert.deepEqual(await ids('?country=de'), [german.address])
  assert.deepEqual(await ids('?country=SE&cpu=2'), [big.address])
  assert.deepEqual(await ids('?country=FR'), [])
})

test('numeric filters: below 1 is 400 ADV_002, not a whole number is 422 ADV_005', async (t) => {
  const h = await harness(t)
  const zero = await h.app.inject(`${ADVERTISEMENTS_PATH}?cpu=0`)
  assert.equal(zero.statusCode, 400)
  assert.equal(errorOf(zero.body).detail.code, 'ADV_002')
  for (const query of ['cpu=abc', 'memory=1.5', 'storage=', 'country=XX', 'cpus=4']) {
    const res = await h.app.inject(`${ADVERTISEMENTS_PATH}?${query}`)
    assert.equal(res.statusCode, 422, query)
    const error = errorOf(res.body)
    assert.equal(error.detail.code, 'ADV_005')
    assert.equal(error.detail.issues?.[0]?.loc[0], 'query')
  }
})

test('get by id in any letter case; unknown or expired is 404 ADV_004', async (t) => {
  const h = await harness(t, { expiryMs: 300_000 })
  const wallet = Wallet.createRandom()
  await h.post(wallet, AD)
  const byLower = await h.app.inject(`${ADVERTISEMENTS_PATH}/${wallet.address.toLowerCase()}`)
  assert.equal(byLower.statusCode, 200)
  assert.equal(byLower.json<{ provider_id: string }>().provider_id, wallet.address)
  const unknown = await h.app.inject(`${ADVERTISEMENTS_PATH}/not-an-address`)
  assert.equal(unknown.statusCode, 404)
  assert.deepEqual(errorOf(unknown.body).detail.code, 'ADV_004')
  h.advance(300_001)
  assert.equal((await h.app.inject(`${ADVERTISEMENTS_PATH}/${wallet.address}`)).statusCode, 404, 'expiry applies to the single read')
  assert.deepEqual((await h.app.inject(ADVERTISEMENTS_PATH)).json(), [])
})

test('delete: only the owner, then it is gone', async (t) => {
  const h = await harness(t)
  const [owner, stranger] = [Wallet.createRandom(), Wallet.createRandom()]
  await h.post(owner, AD)
  const foreign = await h.remove(stranger, owner.address)
  assert.equal(foreign.statusCode, 401)
  assert.equal(errorOf(foreign.body).detail.code, 'AUTH_004')
  const unsigned = await h.app.inject({ method: 'DELETE', url: `${ADVERTISEMENTS_PATH}/${owner.address}` })
  assert.equal(unsigned.statusCode, 401)
  assert.equal(errorOf(unsigned.body).detail.code, 'AUTH_003')
  h.advance(1)
  const own = await h.remove(owner, owner.address.toLowerCase())
  assert.equal(own.statusCode, 200)
  assert.deepEqual(own.json(), { status: 'success' })
  h.advance(1)
  const again = await h.remove(owner, owner.address)
  assert.equal(again.statusCode, 404)
  assert.equal(errorOf(again.body).detail.code, 'ADV_004')
})

test('an invalid body is 422 ADV_005 listing every problem', async (t) => {
  const h = await harness(t)
  const res = await h.post(Wallet.createRandom(), { ip_address: '999.1.1.1', country: 'S', resources: { cpu: 0 }, color: 'red' })
  assert.equal(res.statusCode, 422)
  const error = errorOf(res.body)
  assert.equal(error.code, 'ADV_005')
  const locs = (error.detail.issues ?? []).map((i) => i.loc.join('.'))
  for (const loc of ['body.ip_address', 'body.country', 'body.resources.cpu', 'body.resources.memory', 'body.resources.storage', 'body']) {
    assert.ok(locs.includes(loc), `${loc} listed in ${locs.join(', ')}`)
  }
  assert.match(error.message, /Unrecognized key: "color"/)
})

test('malformed JSON is 400 ADV_006, another media type 415 ADV_007, a huge body 413 ADV_008', async (t) => {
  const h = await harness(t)
  const wallet = Wallet.createRandom()
  for (const payload of ['{"ip_address":', '{"__proto__":{"signed":false}}']) {
    const broken = await h.post(wallet, payload)
    assert.equal(broken.statusCode, 400)
    assert.equal(errorOf(broken.body).code, 'ADV_006')
  }
  const unsigned = await h.app.inject({ method: 'POST', url: ADVERTISEMENTS_PATH, headers: { 'content-type': 'text/plain' }, payload: 'hello' })
  assert.equal(unsigned.statusCode, 401, 'the headers are authenticated before the body is read')
  const text = await h.post(wallet, 'hello', { 'content-type': 'text/plain' })
  assert.equal(text.statusCode, 415)
  assert.equal(errorOf(text.body).code, 'ADV_007')
  const huge = await h.post(wallet, { ...AD, provider_name: 'x'.repeat(20_000) })
  assert.equal(huge.statusCode, 413)
  assert.equal(errorOf(huge.body).code, 'ADV_008')
})

test('an unknown route is a JSON 404 ROUTE_001', async (t) => {
  const h = await harness(t)
  const res = await h.app.inject('/api/v1/nothing')
  assert.equal(res.statusCode, 404)
  assert.equal(errorOf(res.body).code, 'ROUTE_001')
})

test('the OpenAPI document is served at /api/v1/openapi.json', async (t) => {
  const h = await harness(t)
  const res = await h.app.inject('/api/v1/openapi.json')
  assert.equal(res.statusCode, 200)
  const doc = res.json<{ paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>()
  assert.deepEqual(Object.keys(doc.paths).sort(), ['/api/v1/advertisements', '/api/v1/advertisements/{provider_id}', '/health'])
  for (const [, name] of res.body.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
    assert.ok(name !== undefined && name in doc.components.schemas, `the $ref to ${name} resolves`)
  }
})
