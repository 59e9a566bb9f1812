import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { Wallet } from 'ethers'
import { ADVERTISEMENTS_PATH, Advertisement, AdvertisementList } from '@golem-vm/protocol'
import { startDiscovery } from './helpers/discovery-process.js'
import { codeOf, get, send, signedDelete, signedPost } from './helpers/provider.js'

const AD = { ip_address: '203.0.113.7', country: 'SE', resources: { cpu: 4, memory: 8, storage: 100 } }

test('providers post signed advertisements; requestors list, filter and get them; owners delete them', async (t) => {
  const service = await startDiscovery(t)
  const [alpha, beta] = [Wallet.createRandom(), Wallet.createRandom()]

  await t.test('health', async () => {
    assert.deepEqual((await get(service.url, '/health')).json, { status: 'healthy', database: 'ok' })
  })

  await t.test('signed posts are accepted', async () => {
    const first = await send(service.url, await signedPost(alpha, { ...AD, provider_name: 'alpha', api_port: 7466 }))
    assert.equal(first.status, 200, JSON.stringify(first.json))
    const ad = Advertisement.parse(first.json)
    assert.equal(ad.provider_id, alpha.address)
    assert.equal(ad.signed, true)
    assert.match(ad.updated_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    const second = await send(
      service.url,
      await signedPost(beta, { ip_address: '2001:db8::9', country: 'de', resources: { cpu: 16, memory: 64, storage: 2000 } }),
    )
    assert.equal(second.status, 200, JSON.stringify(second.json))
  })

  await t.test('list and filters', async () => {
    const all = AdvertisementList.parse((await get(service.url, ADVERTISEMENTS_PATH)).json)
    assert.deepEqual(
      all.map((a) => a.provider_id),
      [alpha.address, beta.address],
    )
    const ids = async (query: string) => AdvertisementList.parse((await get(service.url, `${ADVERTISEMENTS_PATH}?${query}`)).json).map((a) => a.provider_id)
    assert.deepEqual(await ids('cpu=8'), [beta.address])
    assert.deepEqual(await ids('memory=8&storage=100'), [alpha.address, beta.address])
    assert.deepEqual(await ids('country=se'), [alpha.address])
    assert.deepEqual(await ids('country=DE&cpu=16&memory=64&storage=2000'), [beta.address])
    const zero = await get(service.url, `${ADVERTISEMENTS_PATH}?cpu=0`)
    assert.equal(zero.status, 400)
    assert.equal(codeOf(zero.json), 'ADV_002')
    const word = await get(service.url, `${ADVERTISEMENTS_PATH}?cpu=four`)
    assert.equal(word.status, 422)
    const token = `0x${'ab'.repeat(20)}`
    assert.deepEqual(await ids(`token=${token}&max_price_per_cpu_hour=0`), [alpha.address, beta.address], 'free providers match any price filter')
    const tokenless = await get(service.url, `${ADVERTISEMENTS_PATH}?max_price_per_cpu_hour=1`)
    assert.equal(tokenless.status, 422)
    assert.equal(codeOf(tokenless.json), 'ADV_005')
    const fraction = await get(service.url, `${ADVERTISEMENTS_PATH}?token=${token}&max_price_per_cpu_hour=0.5`)
    assert.equal(fraction.status, 422, 'prices are whole base units')
  })

  await t.test('get one', async () => {
    const res = await get(service.url, `${ADVERTISEMENTS_PATH}/${alpha.address.toLowerCase()}`)
    assert.equal(res.status, 200)
    assert.equal(Advertisement.parse(res.json).provider_name, 'alpha')
  })

  await t.test("delete: not another provider's, then one's own", async () => {
    const foreign = await send(service.url, await signedDelete(beta, alpha.address))
    assert.equal(foreign.status, 401)
    assert.equal(codeOf(foreign.json), 'AUTH_004')
    const own = await send(service.url, await signedDelete(alpha, alpha.address))
    assert.deepEqual([own.status, own.json], [200, { status: 'success' }])
    const gone = await get(service.url, `${ADVERTISEMENTS_PATH}/${alpha.address}`)
    assert.equal(gone.status, 404)
    assert.equal(codeOf(gone.json), 'ADV_004')
  })
})
