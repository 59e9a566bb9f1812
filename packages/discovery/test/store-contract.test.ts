/**
 * The same store contract against the embedded SQLite store and a real
 * PostgreSQL server (started by the test, see helpers/postgres.ts).
 */
import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { before, after, test } from 'node:test'
import Database from 'better-sqlite3'
import pg from 'pg'
import pino from 'pino'
import { migrateSchema } from '@golem-vm/common'
import { POSTGRES_MIGRATIONS, PostgresAdvertisementStore, SQLITE_MIGRATIONS, SqliteAdvertisementStore, type AdvertisementStore } from '@golem-vm/discovery'
import { startPostgres, type PostgresServer } from './helpers/postgres.js'
import { ad, id, LIMITS, SIGNED, storeContract, T0 } from './helpers/store-contract.js'

const cleanups: (() => unknown)[] = []
let server: PostgresServer | undefined
before(async () => {
  server = await startPostgres({ after: (fn) => cleanups.push(fn) })
})
after(async () => {
  for (const fn of cleanups.reverse()) await fn()
})

storeContract('sqlite', (limits) => Promise.resolve(new SqliteAdvertisementStore(':memory:', limits)))

storeContract('postgres', async (limits) => {
  if (server === undefined) throw new Error('the PostgreSQL server did not start')
  const url = await server.createDatabase(`contract_${randomBytes(6).toString('hex')}`)
  return PostgresAdvertisementStore.open({ url }, limits, pino({ level: 'silent' }))
})

// An advertisement as a store before the `isolated` column kept it: every field, the flag absent.
const BEFORE_ISOLATED = ['198.51.100.1', 'SE', 2, 4, 50, '{"cpu":2,"memory":4,"storage":50}', 'rack', 7466, 3, 1, T0] as const

// The migrated advertisement kept its fields and reads as "did not say"; a re-post sets the flag, and the filter finds it.
async function checkMigrated(store: AdvertisementStore, flag: boolean): Promise<void> {
  const kept = await store.get(id(1), T0)
  assert.equal(kept?.providerName, 'rack', 'the advertisement survived the migration')
  assert.equal(kept.isolated, null)
  const reposted = await store.upsert(ad(1, { isolated: flag }), SIGNED(T0 + 1), T0 + 1)
  assert.ok(reposted.ok && reposted.record.isolated === flag)
  assert.deepEqual(
    (await store.list({ isolated: flag }, { limit: 10 }, T0 + 1)).records.map((r) => r.providerId),
    [id(1)],
  )
}

test('sqlite: a store from before the isolated flag is migrated in place; its advertisements read as "did not say" until re-posted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'discovery-migrate-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const path = join(dir, 'ads.db')
  const old = new Database(path)
  migrateSchema(old, SQLITE_MIGRATIONS.slice(0, 3), 'discovery service')
  old
    .prepare(
      `INSERT INTO advertisements (provider_id, ip_address, country, cpu, memory, storage, resources, provider_name, api_port, ssh_ports_free, signed,
         created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(id(1), ...BEFORE_ISOLATED, T0)
  old.close()
  const store = new SqliteAdvertisementStore(path, LIMITS)
  t.after(() => store.close())
  await checkMigrated(store, true)
})

test('postgres: a database from before the isolated flag is migrated in place; its advertisements read as "did not say" until re-posted', async (t) => {
  if (server === undefined) throw new Error('the PostgreSQL server did not start')
  const url = await server.createDatabase(`migrate_${randomBytes(6).toString('hex')}`)
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('CREATE TABLE discovery_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())')
    for (const [i, migration] of POSTGRES_MIGRATIONS.slice(0, 2).entries()) {
      await client.query(migration)
      await client.query('INSERT INTO discovery_schema (version) VALUES ($1)', [i + 1])
    }
    await client.query(
      `INSERT INTO advertisements (provider_id, ip_address, country, cpu, memory, storage, resources, provider_name, api_port, ssh_ports_free, signed,
         created_at, updated_at, address_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [id(1), ...BEFORE_ISOLATED.slice(0, 9), true, T0, T0, '198.51.100.1'],
    )
  } finally {
    await client.end()
  }
  const store = await PostgresAdvertisementStore.open({ url }, LIMITS, pino({ level: 'silent' }))
  t.after(() => store.close())
  await checkMigrated(store, false)
})
