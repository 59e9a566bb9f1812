import { strict as assert } from 'node:assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { SqliteAdvertisementStore } from './sqlite-store.js'

// The behaviour every store shares is tested by test/store-contract.test.ts against SQLite and PostgreSQL;
// these are the SQLite file's own properties.

const LIMITS = { expiryMs: 300_000, maxProvidersPerAddress: 0, signerRetentionMs: 3_600_000 }
const T0 = Date.parse('2026-11-24T10:00:00.000Z')
const ID = `0x${'1'.padStart(40, '0')}`
const AD = {
  providerId: ID,
  ipAddress: '198.51.100.1',
  country: 'SE',
  resources: { cpu: 2, memory: 4, storage: 50 },
  providerName: 'kept',
  version: '0.2.0',
  arch: 'x86_64',
  apiPort: 7466,
  sshPortsFree: 12,
  pricing: null,
  isolated: true,
  signed: true,
  proof: { path: '/api/v1/advertisements', body: '{}', timestamp: T0, nonce: 'ab'.repeat(8), signature: `0x${'1'.repeat(130)}` },
}

function tempFile(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'discovery-store-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return join(dir, 'ads.db')
}

test('data and signing order survive closing and reopening the file', async (t) => {
  const path = tempFile(t)
  const first = new SqliteAdvertisementStore(path, LIMITS)
  assert.ok((await first.upsert(AD, { signed: true, signedAt: T0, nonce: 'ab'.repeat(8) }, T0)).ok)
  await first.close()
  const second = new SqliteAdvertisementStore(path, LIMITS)
  t.after(() => second.close())
  assert.deepEqual(await second.get(ID, T0), { ...AD, createdAt: T0, updatedAt: T0 })
  assert.equal((await second.upsert(AD, { signed: true, signedAt: T0 - 1, nonce: 'ab'.repeat(8) }, T0)).ok, false, 'the newest signing time is kept too')
})

test('a schema 1 database is migrated: its advertisements (without signed posts) are dropped, its signers kept', async (t) => {
  const path = tempFile(t)
  const old = new Database(path)
  old.exec(`CREATE TABLE advertisements (provider_id TEXT PRIMARY KEY, ip_address TEXT NOT NULL, country TEXT NOT NULL, cpu INTEGER NOT NULL,
    memory INTEGER NOT NULL, storage INTEGER NOT NULL, resources TEXT NOT NULL, provider_name TEXT, version TEXT, arch TEXT, api_port INTEGER,
    ssh_ports_free INTEGER, signed INTEGER NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL CHECK (updated_at >= created_at));
    CREATE TABLE signed_providers (provider_id TEXT PRIMARY KEY, last_signed_at INTEGER NOT NULL, last_nonce TEXT NOT NULL);
    INSERT INTO advertisements VALUES ('${ID}', '198.51.100.1', 'SE', 1, 1, 1, '{"cpu":1,"memory":1,"storage":1}', NULL, NULL, NULL, NULL, NULL, 1, ${T0}, ${T0});
    INSERT INTO signed_providers VALUES ('${ID}', ${T0}, '${'cd'.repeat(8)}');`)
  old.pragma('user_version = 1')
  old.close()
  const store = new SqliteAdvertisementStore(path, LIMITS)
  t.after(() => store.close())
  assert.equal(await store.get(ID, T0), undefined)
  assert.deepEqual(await store.upsert(AD, { signed: true, signedAt: T0, nonce: 'cd'.repeat(8) }, T0), { ok: false, refusal: 'REPLAYED', lastSignedAt: T0 })
})
