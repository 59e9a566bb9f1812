import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { AdvertisementFromAnyServer } from '@golem-vm/protocol'
import { selectOffers } from './offers.js'

const ad = (id: string, extra: Partial<AdvertisementFromAnyServer> = {}): AdvertisementFromAnyServer => ({
  provider_id: id, ip_address: '127.0.0.1', country: 'SE', resources: { cpu: 4, memory: 8, storage: 100 },
  created_at: 'c', updated_at: 'u', signed: true, ...extra,
})
const A = '0x00000000000000000000000000000000000000A1'
const B = '0x00000000000000000000000000000000000000B2'

test('only advertisements verified by discovery are shown unless asked; unusable ones never', () => {
  const ads = [ad(A, { api_port: 8000, provider_name: 'alpha' }), ad(B, { signed: false }), ad(B, { signed: undefined }), ad('not-an-address'), ad(A, { ip_address: 'example.com' })]
  const strict = selectOffers(ads, 1, false)
  assert.deepEqual(strict.offers.map((o) => [o.provider_id, o.provider_url, o.provider_name, o.verified]), [[A, 'http://127.0.0.1:8000', 'alpha', true]])
  assert.equal(strict.hiddenUnverified, 2)
  assert.equal(strict.hiddenMalformed, 3)
  const all = selectOffers(ads, 0, true)
  assert.deepEqual(all.offers.map((o) => o.verified), [true, false, false])
  assert.equal(all.offers[1]!.provider_url, 'http://127.0.0.1:7466')
  assert.equal(all.offers[1]!.version, null)
})
