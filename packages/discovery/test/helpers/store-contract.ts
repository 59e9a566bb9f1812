/**
 * The contract of `AdvertisementStore` (see its TSDoc) as tests, run against
 * every implementation: `contract(open)` registers one test per rule, each on
 * a fresh store from `open`.
 *
 * @module
 */
import { strict as assert } from 'node:assert'
import { test } from 'node:test'
import type { AdvertisementInput, AdvertisementStore, StoreLimits, WriteProof } from '@golem-vm/discovery'

export const EXPIRY = 300_000
export const LIMITS: StoreLimits = { expiryMs: EXPIRY, maxProvidersPerAddress: 0, signerRetentionMs: 3_600_000 }
export const T0 = Date.parse('2026-11-24T10:00:00.000Z')

let nonces = 0
/** A signed proof at `at`; nonces increase, so later calls order after earlier ones at the same time. */
export const SIGNED = (at: number, nonce = (++nonces).toString(16).padStart(16, '0')): WriteProof => ({ signed: true, signedAt: at, nonce })
export const UNSIGNED: WriteProof = { signed: false }

export const id = (n: number): string => `0x${n.toString(16).padStart(40, '0')}`

export function ad(n: number, over: Partial<AdvertisementInput> = {}): AdvertisementInput {
  return {
    providerId: id(n),
    ipAddress: `198.51.100.${n % 250}`,
    country: 'SE',
    resources: { cpu: 2, memory: 4, storage: 50 },
    providerName: null,
    version: null,
    arch: null,
    apiPort: null,
    sshPortsFree: null,
    pricing: null,
    isolated: null,
    signed: true,
    proof: { path: '/api/v1/advertisements', body: `{"n":${n}}`, timestamp: T0, nonce: 'ab'.repeat(8), signature: `0x${'1'.repeat(130)}` },
    ...over,
  }
}

/** Opens a fresh, empty store with these limits; the contract closes it. */
export type OpenStore = (limits: StoreLimits) => Promise<AdvertisementStore>

/** Registers the contract tests for one implementation. */
export function storeContract(name: string, open: OpenStore): void {
  const fresh = async (t: { after(fn: () => unknown): void }, limits: Partial<StoreLimits> = {}): Promise<AdvertisementStore> => {
    const store = await open({ ...LIMITS, ...limits })
    t.after(() => store.close())
    return store
  }
  const ok = async <T extends { ok: boolean }>(outcome: Promise<T>): Promise<Extract<T, { ok: true }>> => {
    const settled = await outcome
    assert.ok(settled.ok, `expected success, got ${JSON.stringify(settled)}`)
    return settled as Extract<T, { ok: true }>
  }

  test(`${name}: upsert inserts, then replaces every field but created_at; the record round-trips`, async (t) => {
    const store = await fresh(t)
    const first = await ok(store.upsert(ad(1, { resources: { cpu: 2, memory: 4, storage: 50, gpu: 1 } }), SIGNED(T0), T0))
    assert.deepEqual(Object.keys(first.record.resources), ['cpu', 'memory', 'storage', 'gpu'], 'resource order is kept')
    assert.equal(first.record.createdAt, T0)
    assert.equal(first.record.updatedAt, T0)
    const input = ad(1, {
      ipAddress: '2001:db8::9',
      country: 'DE',
      providerName: 'n',
      version: '0.2.0',
      arch: 'x86_64',
      apiPort: 7466,
      sshPortsFree: 3,
      pricing: {
        chain_id: 31337,
        contract: `0x${'c'.repeat(40)}`,
        token: `0x${'d'.repeat(40)}`,
        token_symbol: 'tGLM',
        token_decimals: 18,
        per_cpu_hour: '100000000000000000',
        per_gb_memory_hour: '20000000000000000',
        per_gb_storage_hour: '1000000000000000',
      },
      isolated: true,
    })
    const second = await ok(store.upsert(input, SIGNED(T0 + 1000), T0 + 1000))
    assert.deepEqual(second.record, { ...input, createdAt: T0, updatedAt: T0 + 1000 })
    assert.deepEqual(await store.get(id(1), T0 + 1000), second.record)
    const unsigned = ad(2, { signed: false, proof: null })
    assert.deepEqual((await ok(store.upsert(unsigned, UNSIGNED, T0))).record, { ...unsigned, createdAt: T0, updatedAt: T0 })
  })

  test(`${name}: created_at is never later than updated_at, even when the clock goes back`, async (t) => {
    const store = await fresh(t)
    await ok(store.upsert(ad(1), SIGNED(T0), T0))
    const back = await ok(store.upsert(ad(1), SIGNED(T0 + 1), T0 - 5000))
    assert.ok(back.record.createdAt <= back.record.updatedAt)
  })

  test(`${name}: reads return fresh advertisements only; an expired one is re-created on its next post`, async (t) => {
    const store = await fresh(t)
    await ok(store.upsert(ad(1), SIGNED(T0), T0))
    assert.ok(await store.get(id(1), T0 + EXPIRY))
    assert.equal(await store.get(id(1), T0 + EXPIRY + 1), undefined)
    assert.deepEqual((await store.list({}, { limit: 10 }, T0 + EXPIRY + 1)).records, [])
    const later = T0 + EXPIRY + 10_000
    const again = await ok(store.upsert(ad(1), SIGNED(later), later))
    assert.equal(again.record.createdAt, later, 'an expired advertisement starts anew')
  })

  test(`${name}: list filters by minimum resources and country, in first-post order`, async (t) => {
    const store = await fresh(t)
    await ok(store.upsert(ad(1, { resources: { cpu: 1, memory: 1, storage: 10 }, country: 'SE' }), SIGNED(T0), T0))
    await ok(store.upsert(ad(2, { resources: { cpu: 4, memory: 8, storage: 100 }, country: 'DE' }), SIGNED(T0), T0 + 1))
    await ok(store.upsert(ad(3, { resources: { cpu: 8, memory: 2, storage: 200 }, country: 'SE' }), SIGNED(T0), T0 + 2))
    const ids = async (f: Parameters<AdvertisementStore['list']>[0]) => (await store.list(f, { limit: 100 }, T0 + 10)).records.map((r) => r.providerId)
    assert.deepEqual(await ids({}), [id(1), id(2), id(3)])
    assert.deepEqual(await ids({ cpu: 4 }), [id(2), id(3)])
    assert.deepEqual(await ids({ cpu: 4, memory: 4 }), [id(2)])
    assert.deepEqual(await ids({ storage: 150 }), [id(3)])
    assert.deepEqual(await ids({ country: 'SE' }), [id(1), id(3)])
    assert.deepEqual(await ids({ country: 'SE', cpu: 2 }), [id(3)])
    assert.deepEqual(await ids({ country: 'FR' }), [])
  })

  test(`${name}: list filters by token and maximum unit prices (base units beyond 64 bits); free providers always match`, async (t) => {
    const store = await fresh(t)
    const TOKEN = `0x${'Ab'.repeat(20)}`
    const priced = (cpu: string, token = TOKEN) => ({
      chain_id: 31337,
      contract: `0x${'cd'.repeat(20)}`,
      token,
      token_symbol: 'tGLM',
      token_decimals: 18,
      per_cpu_hour: cpu,
      per_gb_memory_hour: '36000000000000000',
      per_gb_storage_hour: '3600000000000000',
    })
    await ok(store.upsert(ad(1, { pricing: priced('360000000000000000') }), SIGNED(T0), T0))
    await ok(store.upsert(ad(2, { pricing: priced('99000000000000000000') }), SIGNED(T0), T0 + 1)) // 99 tokens: above 2^64
    await ok(store.upsert(ad(3), SIGNED(T0), T0 + 2)) // free
    await ok(store.upsert(ad(4, { pricing: priced('9', `0x${'ee'.repeat(20)}`) }), SIGNED(T0), T0 + 3))
    await ok(store.upsert(ad(5, { pricing: priced('360000000000000001') }), SIGNED(T0), T0 + 4))
    const ids = async (f: Parameters<AdvertisementStore['list']>[0]) => (await store.list(f, { limit: 100 }, T0 + 10)).records.map((r) => r.providerId)
    const token = TOKEN.toLowerCase()
    assert.deepEqual(await ids({ token }), [id(1), id(2), id(3), id(5)], 'the token, compared case-insensitively, and free ones')
    assert.deepEqual(await ids({ token, maxPrice: { per_cpu_hour: '360000000000000000' } }), [id(1), id(3)], 'equal matches; one base unit more does not')
    assert.deepEqual(await ids({ token, maxPrice: { per_cpu_hour: '100000000000000000000' } }), [id(1), id(2), id(3), id(5)])
    assert.deepEqual(await ids({ token, maxPrice: { per_cpu_hour: '98999999999999999999' } }), [id(1), id(3), id(5)])
    assert.deepEqual(await ids({ token, maxPrice: { per_cpu_hour: '0' } }), [id(3)])
    assert.deepEqual(await ids({ token, maxPrice: { per_cpu_hour: '1000000000000000000', per_gb_memory_hour: '35999999999999999' } }), [id(3)])
    assert.deepEqual(await ids({ token, maxPrice: { per_gb_storage_hour: '3600000000000000' }, country: 'SE' }), [id(1), id(2), id(3), id(5)])
  })

  test(`${name}: list filters by what a provider said about isolating its VMs; one that said nothing matches neither`, async (t) => {
    const store = await fresh(t)
    await ok(store.upsert(ad(1, { isolated: true }), SIGNED(T0), T0))
    await ok(store.upsert(ad(2, { isolated: false }), SIGNED(T0), T0 + 1))
    await ok(store.upsert(ad(3), SIGNED(T0), T0 + 2))
    await ok(store.upsert(ad(4, { isolated: true, country: 'DE' }), SIGNED(T0), T0 + 3))
    const list = async (f: Parameters<AdvertisementStore['list']>[0]) => (await store.list(f, { limit: 100 }, T0 + 10)).records
    assert.deepEqual(
      (await list({})).map((r) => r.isolated),
      [true, false, null, true],
    )
    assert.deepEqual(
      (await list({ isolated: true })).map((r) => r.providerId),
      [id(1), id(4)],
    )
    assert.deepEqual(
      (await list({ isolated: false })).map((r) => r.providerId),
      [id(2)],
    )
    assert.deepEqual(
      (await list({ isolated: true, country: 'SE' })).map((r) => r.providerId),
      [id(1)],
    )
    const changed = await ok(store.upsert(ad(1, { isolated: false }), SIGNED(T0 + 20), T0 + 20))
    assert.equal(changed.record.isolated, false, 'a re-post replaces the flag')
  })

  test(`${name}: pages cover every match exactly once, filters applied, also for ties in first-post time`, async (t) => {
    const store = await fresh(t)
    for (let n = 1; n <= 23; n++) await ok(store.upsert(ad(n, { resources: { cpu: 1 + (n % 3), memory: 4, storage: 50 } }), SIGNED(T0), T0 + Math.floor(n / 4)))
    const walk = async (filter: Parameters<AdvertisementStore['list']>[0], limit: number) => {
      const seen: string[] = []
      let after: Awaited<ReturnType<AdvertisementStore['list']>>['next']
      for (let pages = 0; pages < 50; pages++) {
        const page = await store.list(filter, { limit, after }, T0 + 10)
        assert.ok(page.records.length <= limit)
        seen.push(...page.records.map((r) => r.providerId))
        after = page.next
        if (after === undefined) break
      }
      return seen
    }
    const all = (await store.list({}, { limit: 100 }, T0 + 10)).records.map((r) => r.providerId)
    assert.equal(all.length, 23)
    assert.deepEqual(await walk({}, 5), all)
    assert.deepEqual(await walk({}, 23), all)
    const filtered = (await store.list({ cpu: 3 }, { limit: 100 }, T0 + 10)).records.map((r) => r.providerId)
    assert.equal(filtered.length, 8)
    assert.deepEqual(await walk({ cpu: 3 }, 2), filtered)
    assert.equal((await store.list({}, { limit: 23 }, T0 + 10)).next, undefined, 'no next page when all fit')
  })

  test(`${name}: a provider that signed once stays signed-only, also after its advertisement is gone`, async (t) => {
    const store = await fresh(t)
    const unsigned = (over: Partial<AdvertisementInput> = {}) => ad(1, { signed: false, proof: null, ...over })
    await ok(store.upsert(unsigned(), UNSIGNED, T0))
    await ok(store.upsert(unsigned(), UNSIGNED, T0 + 1))
    await ok(store.upsert(ad(1), SIGNED(T0 + 2), T0 + 2))
    assert.deepEqual(await store.upsert(unsigned({ ipAddress: '6.6.6.6' }), UNSIGNED, T0 + 3), { ok: false, refusal: 'SIGNED_ONLY', lastSignedAt: T0 + 2 })
    assert.equal((await store.get(id(1), T0 + 3))?.ipAddress, ad(1).ipAddress, 'a refused write changes nothing')
    assert.deepEqual(await store.delete(id(1), UNSIGNED), { ok: false, refusal: 'SIGNED_ONLY', lastSignedAt: T0 + 2 })
    assert.deepEqual(await store.delete(id(1), SIGNED(T0 + 4)), { ok: true, deleted: true })
    assert.equal((await store.upsert(unsigned(), UNSIGNED, T0 + 5)).ok, false, 'still signed-only after deletion')
  })

  test(`${name}: signed writes are accepted in strictly increasing (time, nonce) order only`, async (t) => {
    const store = await fresh(t)
    await ok(store.upsert(ad(1), SIGNED(T0 + 100, '00000000000000b0'), T0))
    await ok(store.upsert(ad(1), SIGNED(T0 + 100, '00000000000000c0'), T0 + 1))
    assert.deepEqual(await store.upsert(ad(1), SIGNED(T0 + 100, '00000000000000c0'), T0 + 1), { ok: false, refusal: 'REPLAYED', lastSignedAt: T0 + 100 })
    assert.deepEqual(
      await store.upsert(ad(1), SIGNED(T0 + 100, '00000000000000b0'), T0 + 1),
      { ok: false, refusal: 'OUTDATED', lastSignedAt: T0 + 100 },
      'an earlier write of the same millisecond is a replay too',
    )
    assert.deepEqual(await store.upsert(ad(1), SIGNED(T0 + 99), T0 + 2), { ok: false, refusal: 'OUTDATED', lastSignedAt: T0 + 100 })
    assert.deepEqual(await store.delete(id(1), SIGNED(T0 + 50)), { ok: false, refusal: 'OUTDATED', lastSignedAt: T0 + 100 })
    assert.deepEqual(await store.delete(id(2), SIGNED(T0)), { ok: true, deleted: false })
  })

  test(`${name}: at most maxProvidersPerAddress fresh providers per address (IPv6: per /64); a refusal changes nothing`, async (t) => {
    const store = await fresh(t, { maxProvidersPerAddress: 2 })
    await ok(store.upsert(ad(1, { ipAddress: '198.51.100.1' }), SIGNED(T0), T0))
    await ok(store.upsert(ad(2, { ipAddress: '198.51.100.1' }), SIGNED(T0), T0))
    const third = SIGNED(T0 + 1)
    assert.deepEqual(await store.upsert(ad(3, { ipAddress: '198.51.100.1' }), third, T0 + 1), { ok: false, refusal: 'ADDRESS_FULL', lastSignedAt: null })
    await ok(store.upsert(ad(1, { ipAddress: '198.51.100.1', providerName: 'again' }), SIGNED(T0 + 2), T0 + 2))
    await ok(store.upsert(ad(3, { ipAddress: '198.51.100.2' }), third, T0 + 3))
    await ok(store.upsert(ad(4, { ipAddress: '2001:db8:1:2::1' }), SIGNED(T0), T0))
    await ok(store.upsert(ad(5, { ipAddress: '2001:db8:1:2:ffff::7' }), SIGNED(T0), T0))
    assert.equal((await store.upsert(ad(6, { ipAddress: '2001:db8:1:2::99' }), SIGNED(T0), T0)).ok, false, 'the same /64')
    await ok(store.upsert(ad(6, { ipAddress: '2001:db8:1:3::99' }), SIGNED(T0), T0))
    const later = T0 + EXPIRY + 1
    await ok(store.upsert(ad(7, { ipAddress: '198.51.100.1' }), SIGNED(later), later + 2))
    assert.equal((await store.get(id(7), later + 2))?.ipAddress, '198.51.100.1', 'expired advertisements do not count')
  })

  test(`${name}: prune removes expired advertisements and forgets signers gone longer than the retention`, async (t) => {
    const store = await fresh(t, { signerRetentionMs: 1_000_000 })
    await ok(store.upsert(ad(1), SIGNED(T0), T0))
    await ok(store.upsert(ad(2), SIGNED(T0), T0 + 60_000))
    await ok(store.upsert(ad(3), SIGNED(T0), T0))
    await ok(store.delete(id(3), SIGNED(T0 + 1)))
    assert.deepEqual(await store.prune(T0 + EXPIRY + 1), { advertisements: 1, signers: 0 })
    assert.deepEqual(await store.prune(T0 + EXPIRY + 1), { advertisements: 0, signers: 0 })
    assert.ok(await store.get(id(2), T0 + EXPIRY + 1))
    assert.deepEqual(
      await store.prune(T0 + 1_000_002),
      { advertisements: 1, signers: 3 },
      'provider 2 loses its advertisement and its signing state in the same sweep',
    )
    await ok(store.upsert(ad(1, { signed: false, proof: null }), UNSIGNED, T0 + 1_000_003))
  })

  test(`${name}: concurrent writes: one replay wins, and the address limit holds`, async (t) => {
    const store = await fresh(t, { maxProvidersPerAddress: 3 })
    const proof = SIGNED(T0)
    const replays = await Promise.all(Array.from({ length: 10 }, () => store.upsert(ad(1), proof, T0)))
    assert.equal(replays.filter((r) => r.ok).length, 1)
    const crowd = await Promise.all(Array.from({ length: 12 }, (_, i) => store.upsert(ad(100 + i, { ipAddress: '203.0.113.50' }), SIGNED(T0), T0)))
    assert.equal(crowd.filter((r) => r.ok).length, 3)
    assert.equal((await store.list({}, { limit: 100 }, T0)).records.filter((r) => r.ipAddress === '203.0.113.50').length, 3)
  })

  test(`${name}: ping answers while the database does`, async (t) => {
    const store = await fresh(t)
    await store.ping()
  })
}
