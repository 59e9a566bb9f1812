import { strict as assert } from 'node:assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { AdvertisementInput } from '../domain/advertisement.js'
import { SqliteAdvertisementStore } from './sqlite-store.js'
import type { WriteProof } from '../app/ports/advertisement-store.js'

const EXPIRY = 300_000
const T0 = Date.parse('2026-11-24T10:00:00.000Z')
let nonces = 0
const SIGNED = (at: number, nonce = `n${++nonces}`): WriteProof => ({ signed: true, signedAt: at, nonce })
const UNSIGNED: WriteProof = { signed: false }

const id = (n: number): string => `0x${n.toString(16).padStart(40, '0')}`

function ad(n: number, over: Partial<AdvertisementInput> = {}): AdvertisementInput {
  return {
    providerId: id(n), ipAddress: `10.0.0.${n % 250}`, country: 'SE', resources: { cpu: 2, memory: 4, storage: 50 },
    providerName: null, version: null, arch: null, apiPort: null, sshPortsFree: null, signed: true, ...over,
  }
}

function memoryStore(t: { after: (fn: () => void) => void }): SqliteAdvertisementStore {
  const store = new SqliteAdvertisementStore(':memory:', EXPIRY)
  t.after(() => store.close())
  return store
}

test('upsert inserts, then replaces every field but created_at', (t) => {
  const store = memoryStore(t)
  const first = store.upsert(ad(1, { resources: { cpu: 2, memory: 4, storage: 50, gpu: 1 } }), SIGNED(T0), T0)
  assert.ok(first.ok)
  assert.deepEqual(first.record.resources, { cpu: 2, memory: 4, storage: 50, gpu: 1 })
  assert.equal(first.record.createdAt, T0)
  assert.equal(first.record.updatedAt, T0)
  const second = store.upsert(ad(1, { ipAddress: '10.9.9.9', country: 'DE', providerName: 'n' }), SIGNED(T0 + 1000), T0 + 1000)
  assert.ok(second.ok)
  assert.equal(second.record.ipAddress, '10.9.9.9')
  assert.equal(second.record.country, 'DE')
  assert.equal(second.record.providerName, 'n')
  assert.deepEqual(second.record.resources, { cpu: 2, memory: 4, storage: 50 })
  assert.equal(second.record.createdAt, T0)
  assert.equal(second.record.updatedAt, T0 + 1000)
})

test('created_at is never later than updated_at, even when the clock goes back', (t) => {
  const store = memoryStore(t)
  store.upsert(ad(1), SIGNED(T0), T0)
  const back = store.upsert(ad(1), SIGNED(T0), T0 - 5000)
  assert.ok(back.ok)
  assert.ok(back.record.createdAt <= back.record.updatedAt)
})

test('reads return fresh advertisements only; an expired one is re-created on its next post', (t) => {
  const store = memoryStore(t)
  store.upsert(ad(1), SIGNED(T0), T0)
  assert.ok(store.get(id(1), T0 + EXPIRY))
  assert.equal(store.get(id(1), T0 + EXPIRY + 1), undefined)
  assert.deepEqual(store.list({}, T0 + EXPIRY + 1), [])
  const later = T0 + EXPIRY + 10_000
  const again = store.upsert(ad(1), SIGNED(later), later)
  assert.ok(again.ok)
  assert.equal(again.record.createdAt, later, 'an expired advertisement starts anew')
})

test('list filters by minimum resources and country, in first-post order', (t) => {
  const store = memoryStore(t)
  store.upsert(ad(1, { resources: { cpu: 1, memory: 1, storage: 10 }, country: 'SE' }), SIGNED(T0), T0)
  store.upsert(ad(2, { resources: { cpu: 4, memory: 8, storage: 100 }, country: 'DE' }), SIGNED(T0), T0 + 1)
  store.upsert(ad(3, { resources: { cpu: 8, memory: 2, storage: 200 }, country: 'SE' }), SIGNED(T0), T0 + 2)
  const ids = (f: Parameters<typeof store.list>[0]) => store.list(f, T0 + 10).map((r) => r.providerId)
  assert.deepEqual(ids({}), [id(1), id(2), id(3)])
  assert.deepEqual(ids({ cpu: 4 }), [id(2), id(3)])
  assert.deepEqual(ids({ cpu: 4, memory: 4 }), [id(2)])
  assert.deepEqual(ids({ storage: 150 }), [id(3)])
  assert.deepEqual(ids({ country: 'SE' }), [id(1), id(3)])
  assert.deepEqual(ids({ country: 'SE', cpu: 2 }), [id(3)])
  assert.deepEqual(ids({ country: 'FR' }), [])
})

test('a provider that signed once stays signed-only, also after its advertisement is gone', (t) => {
  const store = memoryStore(t)
  assert.ok(store.upsert(ad(1, { signed: false }), UNSIGNED, T0).ok, 'an unsigned provider may post unsigned')
  assert.ok(store.upsert(ad(1, { signed: false }), UNSIGNED, T0 + 1).ok)
  assert.ok(store.upsert(ad(1), SIGNED(T0 + 2), T0 + 2).ok)
  const refused = store.upsert(ad(1, { signed: false, ipAddress: '6.6.6.6' }), UNSIGNED, T0 + 3)
  assert.deepEqual(refused, { ok: false, refusal: 'SIGNED_ONLY', lastSignedAt: T0 + 2 })
  assert.equal(store.get(id(1), T0 + 3)?.ipAddress, ad(1).ipAddress, 'a refused write changes nothing')
  assert.deepEqual(store.delete(id(1), UNSIGNED), { ok: false, refusal: 'SIGNED_ONLY', lastSignedAt: T0 + 2 })
  assert.deepEqual(store.delete(id(1), SIGNED(T0 + 4)), { ok: true, deleted: true })
  assert.equal(store.upsert(ad(1, { signed: false }), UNSIGNED, T0 + 5).ok, false, 'still signed-only after deletion')
})

test('a signed write older than the newest accepted one is outdated; the newest one again is replayed', (t) => {
  const store = memoryStore(t)
  assert.ok(store.upsert(ad(1), SIGNED(T0 + 100), T0).ok)
  assert.ok(store.upsert(ad(1), SIGNED(T0 + 100, 'a'), T0 + 1).ok, 'the same signing time is accepted')
  assert.deepEqual(store.upsert(ad(1), SIGNED(T0 + 100, 'a'), T0 + 1), { ok: false, refusal: 'REPLAYED', lastSignedAt: T0 + 100 })
  assert.deepEqual(store.upsert(ad(1), SIGNED(T0 + 99), T0 + 2), { ok: false, refusal: 'OUTDATED', lastSignedAt: T0 + 100 })
  assert.deepEqual(store.delete(id(1), SIGNED(T0 + 50)), { ok: false, refusal: 'OUTDATED', lastSignedAt: T0 + 100 })
  assert.deepEqual(store.delete(id(2), SIGNED(T0)), { ok: true, deleted: false })
})

test('deleteExpired removes exactly the expired rows', (t) => {
  const store = memoryStore(t)
  store.upsert(ad(1), SIGNED(T0), T0)
  store.upsert(ad(2), SIGNED(T0), T0 + 60_000)
  assert.equal(store.deleteExpired(T0 + EXPIRY + 1), 1)
  assert.equal(store.deleteExpired(T0 + EXPIRY + 1), 0)
  assert.ok(store.get(id(2), T0 + EXPIRY + 1))
})

test('data survives closing and reopening the file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'discovery-store-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'ads.db')
  const first = new SqliteAdvertisementStore(path, EXPIRY)
  first.upsert(ad(1, { providerName: 'kept', apiPort: 7466, sshPortsFree: 12, version: '0.2.0', arch: 'x86_64' }), SIGNED(T0), T0)
  first.close()
  const second = new SqliteAdvertisementStore(path, EXPIRY)
  t.after(() => second.close())
  const record = second.get(id(1), T0)
  assert.equal(record?.providerName, 'kept')
  assert.equal(record.apiPort, 7466)
  assert.equal(record.sshPortsFree, 12)
  assert.equal(second.upsert(ad(1), SIGNED(T0 - 1), T0).ok, false, 'the newest signing time is kept too')
})

test('filtered queries over 10,000 advertisements stay fast', (t) => {
  const store = memoryStore(t)
  const countries = ['SE', 'DE', 'US', 'PL', 'FR']
  for (let n = 1; n <= 10_000; n++) {
    const resources = { cpu: 1 + (n % 16), memory: 1 + (n % 64), storage: 10 + (n % 500) }
    store.upsert(ad(n, { country: countries[n % countries.length] ?? 'SE', resources }), SIGNED(T0), T0)
  }
  const started = performance.now()
  let rows = 0
  for (let i = 0; i < 50; i++) rows += store.list({ cpu: 16, memory: 32, country: 'SE' }, T0 + 1).length
  const perQueryMs = (performance.now() - started) / 50
  assert.ok(rows > 0)
  assert.ok(perQueryMs < 50, `a filtered query took ${perQueryMs.toFixed(2)} ms`)
})
