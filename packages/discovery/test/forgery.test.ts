import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import { Wallet } from 'ethers'
import { ADVERTISEMENTS_PATH } from '@golem-vm/protocol'
import { startDiscovery } from './helpers/discovery-process.js'
import { codeOf, get, send, signedPost, type PreparedRequest } from './helpers/provider.js'

const AD = { ip_address: '203.0.113.7', country: 'SE', resources: { cpu: 4, memory: 8, storage: 100 } }
const EVIL = { ...AD, ip_address: '198.51.100.66' }

test('forged, altered, replayed, stale and unsigned posts are refused with 401 and change nothing', async (t) => {
  const service = await startDiscovery(t)
  const [victim, attacker] = [Wallet.createRandom(), Wallet.createRandom()]
  const genuine = await signedPost(victim, AD)
  assert.equal((await send(service.url, genuine)).status, 200)
  const path = `${ADVERTISEMENTS_PATH}/${victim.address}`
  const before = (await get(service.url, path)).json

  const attempts: [string, () => Promise<PreparedRequest>, string][] = [
    [
      'signed by another key',
      async () => {
        const req = await signedPost(attacker, EVIL)
        return { ...req, headers: { ...req.headers, 'x-provider-id': victim.address } }
      },
      'AUTH_001',
    ],
    [
      'body altered after signing',
      async () => {
        const req = await signedPost(victim, AD)
        return { ...req, body: JSON.stringify(EVIL) }
      },
      'AUTH_001',
    ],
    ['replayed', () => Promise.resolve(genuine), 'AUTH_005'],
    ['stale timestamp', () => signedPost(victim, EVIL, Date.now() - 10 * 60_000), 'AUTH_002'],
    [
      'missing signature',
      async () => {
        const req = await signedPost(victim, EVIL)
        return { ...req, headers: { 'content-type': 'application/json', 'x-provider-id': victim.address } }
      },
      'AUTH_003',
    ],
    [
      'the original\'s literal "signature"',
      () =>
        Promise.resolve({
          method: 'POST',
          path: ADVERTISEMENTS_PATH,
          body: JSON.stringify(EVIL),
          headers: { 'content-type': 'application/json', 'x-provider-id': victim.address, 'x-provider-signature': 'signature' },
        }),
      'AUTH_008',
    ],
  ]
  for (const [name, build, code] of attempts) {
    await t.test(name, async () => {
      const res = await send(service.url, await build())
      assert.equal(res.status, 401, JSON.stringify(res.json))
      assert.equal(codeOf(res.json), code)
      assert.deepEqual((await get(service.url, path)).json, before, 'the stored advertisement is unchanged')
    })
  }
  const refusals = service.logs.filter((l) => typeof l.code === 'string' && l.code.startsWith('AUTH_'))
  assert.equal(refusals.length, attempts.length, 'every refusal is logged')
})
