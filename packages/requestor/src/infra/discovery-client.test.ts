import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fakeServer } from '@golem-vm/common/fake-http-server'
import { DiscoveryClient, listingPath } from './discovery-client.js'

const ad = (id: string, extra: Record<string, unknown> = {}) => ({
  provider_id: id,
  ip_address: '127.0.0.1',
  country: 'SE',
  resources: { cpu: 4, memory: 8, storage: 100 },
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  provider_name: 'p',
  signed: true,
  ...extra,
})
const ID = '0x00000000000000000000000000000000000000A1'

test('the listing query carries only the given filters, in the original order', () => {
  assert.equal(listingPath({}), '/api/v1/advertisements')
  assert.equal(listingPath({ country: 'SE', cpu: 2, storage: 20 }), '/api/v1/advertisements?cpu=2&storage=20&country=SE')
  assert.equal(listingPath({ country: 'SE', isolated: true }), '/api/v1/advertisements?country=SE&isolated=true')
})

test('list returns the well-formed advertisements and counts the others', async (t) => {
  const server = await fakeServer(t, () => ({ status: 200, json: [ad(ID), { provider_id: 3 }, ad(ID, { resources: 'big' })] }))
  const listing = await new DiscoveryClient({ baseUrl: `${server.baseUrl}/` }).list({ cpu: 1, memory: 2 })
  assert.equal(server.requests[0]!.url, '/api/v1/advertisements?cpu=1&memory=2&limit=200')
  assert.equal(server.requests[0]!.method, 'GET')
  assert.deepEqual(
    listing.advertisements.map((a) => a.provider_id),
    [ID],
  )
  assert.equal(listing.malformed, 2)
  assert.equal(listing.truncated, false)
})

test("list follows the service's next-page links, only on the same listing, and stops at a bound", async (t) => {
  const next = (n: number) => ({ link: `</api/v1/advertisements?cpu=1&limit=200&after=c${n}>; rel="next"` })
  const server = await fakeServer(t, (req) => {
    const page = Number(/after=c(\d+)/.exec(req.url)?.[1] ?? 0)
    return { status: 200, json: [ad(ID, { provider_name: `p${page}` })], headers: page < 2 ? next(page + 1) : {} }
  })
  const listing = await new DiscoveryClient({ baseUrl: server.baseUrl }).list({ cpu: 1 })
  assert.deepEqual(
    listing.advertisements.map((a) => a.provider_name),
    ['p0', 'p1', 'p2'],
  )
  assert.deepEqual(
    server.requests.map((r) => r.url),
    ['/api/v1/advertisements?cpu=1&limit=200', '/api/v1/advertisements?cpu=1&limit=200&after=c1', '/api/v1/advertisements?cpu=1&limit=200&after=c2'],
  )
  assert.equal(listing.truncated, false)

  const endless = await fakeServer(t, () => ({ status: 200, json: [ad(ID)], headers: next(1) }))
  const bounded = await new DiscoveryClient({ baseUrl: endless.baseUrl }).list()
  assert.equal(endless.requests.length, 50)
  assert.equal(bounded.truncated, true)

  const elsewhere = await fakeServer(t, () => ({
    status: 200,
    json: [ad(ID)],
    headers: { link: '<http://evil.example/api/v1/advertisements?after=x>; rel="next"' },
  }))
  await new DiscoveryClient({ baseUrl: elsewhere.baseUrl }).list()
  assert.equal(elsewhere.requests.length, 1, 'a link to another host is not followed')
})

test('get returns one advertisement, or undefined when the service has none', async (t) => {
  const server = await fakeServer(t, (req) =>
    req.url.endsWith(ID)
      ? { status: 200, json: ad(ID) }
      : { status: 404, json: { code: 'ADV_004', message: 'Advertisement not found', detail: { code: 'ADV_004', message: 'x' } } },
  )
  const client = new DiscoveryClient({ baseUrl: server.baseUrl })
  assert.equal((await client.get(ID))?.provider_id, ID)
  assert.equal(await client.get('0x00000000000000000000000000000000000000B2'), undefined)
})

test('failures say what to do: unreachable, overloaded, refused filter, not a discovery service', async (t) => {
  await assert.rejects(new DiscoveryClient({ baseUrl: 'http://127.0.0.1:1' }).list(), {
    code: 'DISCOVERY_UNREACHABLE',
    message: /GOLEM_REQUESTOR_DISCOVERY_URL/,
  })
  let answer: { status: number; json?: unknown; text?: string } = { status: 500, text: 'Internal Server Error' }
  const server = await fakeServer(t, () => answer)
  const client = new DiscoveryClient({ baseUrl: server.baseUrl })
  await assert.rejects(client.list(), { code: 'DISCOVERY_UNREACHABLE', message: /HTTP 500.*try again/ })
  answer = { status: 400, json: { code: 'ADV_002', message: 'Resource requirements must be >= 1', detail: { code: 'ADV_002', message: 'x' } } }
  await assert.rejects(client.list({ cpu: 0 }), { code: 'INVALID_ARGUMENT', message: /ADV_002/ })
  answer = { status: 200, json: { hello: 'world' } }
  await assert.rejects(client.list(), { code: 'DISCOVERY_FAILED' })
  answer = { status: 200, text: '<html>' }
  await assert.rejects(client.list(), { code: 'DISCOVERY_FAILED' })
})
