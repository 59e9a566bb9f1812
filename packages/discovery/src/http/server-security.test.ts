import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { Wallet } from 'ethers'
import { ADVERTISEMENTS_PATH, Advertisement, DiscoveryErrorBody } from '@golem-vm/protocol'
import { createHarness, type HarnessOptions } from './inject-harness.js'

const AD = { ip_address: '203.0.113.7', country: 'SE', resources: { cpu: 4, memory: 8, storage: 100 } }

async function harness(t: { after: (fn: () => Promise<void>) => void }, options: HarnessOptions = {}) {
  const h = await createHarness(options)
  t.after(() => h.close())
  return h
}

const codeOf = (body: string): string => DiscoveryErrorBody.parse(JSON.parse(body)).detail.code

test('writes are authenticated before the body is validated: no signature is 401, never 422', async (t) => {
  const h = await harness(t)
  const res = await h.app.inject({ method: 'POST', url: ADVERTISEMENTS_PATH, payload: { nonsense: true } })
  assert.equal(res.statusCode, 401)
  assert.equal(codeOf(res.body), 'AUTH_003')
})

test("a post signed by another key for someone else's id changes nothing", async (t) => {
  const h = await harness(t)
  const [victim, attacker] = [Wallet.createRandom(), Wallet.createRandom()]
  const original = Advertisement.parse((await h.post(victim, AD)).json())
  h.advance(1000)
  const forged = await h.post(attacker, { ...AD, ip_address: '198.51.100.66' }, { 'x-provider-id': victim.address })
  assert.equal(forged.statusCode, 401)
  assert.equal(codeOf(forged.body), 'AUTH_001')
  const stored = (await h.app.inject(`${ADVERTISEMENTS_PATH}/${victim.address}`)).json<unknown>()
  assert.deepEqual(stored, original)
})

test('transition mode: unsigned posts accepted as signed:false until the provider signs once', async (t) => {
  const h = await harness(t, { allowUnsigned: true })
  const wallet = Wallet.createRandom()
  const legacy = { 'content-type': 'application/json', 'x-provider-id': wallet.address.toLowerCase(), 'x-provider-signature': 'signature' }
  const first = await h.app.inject({ method: 'POST', url: ADVERTISEMENTS_PATH, headers: legacy, payload: JSON.stringify(AD) })
  assert.equal(first.statusCode, 200, first.body)
  assert.equal(Advertisement.parse(first.json()).signed, false)
  h.advance(1000)
  const signed = await h.post(wallet, AD)
  assert.equal(Advertisement.parse(signed.json()).signed, true)
  h.advance(1000)
  const hijack = await h.app.inject({
    method: 'POST',
    url: ADVERTISEMENTS_PATH,
    headers: legacy,
    payload: JSON.stringify({ ...AD, ip_address: '198.51.100.66' }),
  })
  assert.equal(hijack.statusCode, 401)
  assert.equal(codeOf(hijack.body), 'AUTH_007')
  const unsignedDelete = await h.app.inject({ method: 'DELETE', url: `${ADVERTISEMENTS_PATH}/${wallet.address}`, headers: legacy })
  assert.equal(codeOf(unsignedDelete.body), 'AUTH_007')
  const stored = Advertisement.parse((await h.app.inject(`${ADVERTISEMENTS_PATH}/${wallet.address}`)).json())
  assert.equal(stored.ip_address, AD.ip_address)
  assert.equal(stored.signed, true)
})

test("without transition mode the original's unsigned post is 401 AUTH_008", async (t) => {
  const h = await harness(t)
  const headers = { 'content-type': 'application/json', 'x-provider-id': Wallet.createRandom().address, 'x-provider-signature': 'signature' }
  const res = await h.app.inject({ method: 'POST', url: ADVERTISEMENTS_PATH, headers, payload: JSON.stringify(AD) })
  assert.equal(res.statusCode, 401)
  assert.equal(codeOf(res.body), 'AUTH_008')
})

test('an older signed post arriving after a newer one is refused as AUTH_002', async (t) => {
  const h = await harness(t)
  const wallet = Wallet.createRandom()
  h.advance(5000)
  await h.post(wallet, AD)
  h.advance(-2000)
  const older = await h.post(wallet, { ...AD, ip_address: '198.51.100.1' })
  assert.equal(older.statusCode, 401)
  assert.equal(codeOf(older.body), 'AUTH_002')
})

test('the rate limit answers a JSON 429 RATE_001 with Retry-After; /health is exempt', async (t) => {
  const h = await harness(t, { rateLimitPerMinute: 3 })
  for (let i = 0; i < 3; i++) assert.equal((await h.app.inject(ADVERTISEMENTS_PATH)).statusCode, 200)
  const limited = await h.app.inject({ url: ADVERTISEMENTS_PATH, headers: { origin: 'https://dash.example' } })
  assert.equal(limited.statusCode, 429)
  assert.equal(codeOf(limited.body), 'RATE_001')
  assert.match(String(limited.headers['content-type']), /application\/json/)
  assert.ok(Number(limited.headers['retry-after']) > 0)
  assert.equal(limited.headers['access-control-allow-origin'], '*')
  for (let i = 0; i < 5; i++) assert.equal((await h.app.inject('/health')).statusCode, 200)
})

test('CORS allows any origin without credentials and answers preflights', async (t) => {
  const h = await harness(t)
  const res = await h.app.inject({ url: ADVERTISEMENTS_PATH, headers: { origin: 'https://dash.example' } })
  assert.equal(res.headers['access-control-allow-origin'], '*')
  assert.equal(res.headers['access-control-allow-credentials'], undefined)
  const preflight = await h.app.inject({
    method: 'OPTIONS',
    url: ADVERTISEMENTS_PATH,
    headers: { origin: 'https://dash.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-provider-id' },
  })
  assert.equal(preflight.statusCode, 204)
  assert.match(String(preflight.headers['access-control-allow-methods']), /POST/)
  assert.match(String(preflight.headers['access-control-allow-headers']), /x-golem-nonce/)
  assert.equal(preflight.headers['access-control-allow-credentials'], undefined)
})
