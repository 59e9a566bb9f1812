import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Wallet } from 'ethers'
import type { AdvertisementFromAnyServer } from '@golem-vm/protocol'
import { withProof } from '../../test/helpers/signed-advertisement.js'
import { selectOffers } from './offers.js'

const keyA = Wallet.createRandom().privateKey
const keyB = Wallet.createRandom().privateKey
const A = new Wallet(keyA).address
const B = new Wallet(keyB).address
const ad = (id: string, extra: Partial<AdvertisementFromAnyServer> = {}): AdvertisementFromAnyServer => ({
  provider_id: id,
  ip_address: '127.0.0.1',
  country: 'SE',
  resources: { cpu: 4, memory: 8, storage: 100 },
  created_at: 'c',
  updated_at: 'u',
  signed: true,
  ...extra,
})

test('only advertisements whose proof the renter verified are shown unless asked; unusable ones never', () => {
  const ads = [
    withProof(ad(A, { api_port: 8000, provider_name: 'alpha' }), keyA),
    ad(B, { signed: false }),
    ad(B, { signed: undefined }),
    ad(B, { signed: true }),
    ad('not-an-address'),
    ad(A, { ip_address: 'example.com' }),
  ]
  const strict = selectOffers(ads, 1, false)
  assert.deepEqual(
    strict.offers.map((o) => [o.provider_id, o.provider_url, o.provider_name, o.verified]),
    [[A, 'http://127.0.0.1:8000', 'alpha', true]],
  )
  assert.equal(strict.hiddenUnverified, 3, '"signed: true" without a proof is not believed')
  assert.equal(strict.hiddenMalformed, 3)
  const all = selectOffers(ads, 0, true)
  assert.deepEqual(
    all.offers.map((o) => o.verified),
    [true, false, false, false],
  )
  assert.equal(all.offers[1]!.provider_url, 'http://127.0.0.1:7466')
  assert.equal(all.offers[1]!.version, null)
})

test('an advertisement altered by the discovery service is dropped with the reason, also when unverified ones are shown', () => {
  const honest = withProof(ad(B, { api_port: 7466 }), keyB)
  const tampered = [
    { ...honest, ip_address: '127.0.0.2' },
    { ...honest, resources: { ...honest.resources, cpu: 64 } },
    { ...honest, api_port: 9999 },
    { ...honest, provider_id: A },
    { ...honest, price: 0 } as AdvertisementFromAnyServer,
  ]
  const selection = selectOffers([honest, ...tampered], 0, true)
  assert.deepEqual(
    selection.offers.map((o) => o.provider_id),
    [B],
  )
  assert.equal(selection.rejected.length, tampered.length)
  assert.match(selection.rejected[0]!.reason, /ip_address \("127\.0\.0\.2"\) differs from what the provider signed \("127\.0\.0\.1"\)/)
  assert.match(selection.rejected[1]!.reason, /resources/)
  assert.match(selection.rejected[2]!.reason, /api_port/)
  assert.match(selection.rejected[3]!.reason, /signature was made by 0x[0-9a-fA-F]{40}, not by the advertised provider/)
  assert.match(selection.rejected[4]!.reason, /price \(0\) differs from what the provider signed \(absent\)/)
})

test('a signed post older than an hour is not believed current', () => {
  const old = withProof(ad(A), keyA, Date.now() - 2 * 3_600_000)
  assert.match(selectOffers([old], 0, false).rejected[0]!.reason, /signed 120 minutes ago/)
})
