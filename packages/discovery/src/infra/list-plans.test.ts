/**
 * The listing's query plans on both stores: a page walks an index in listing
 * order and stops after the page, for every filter combination, instead of
 * sorting every fresh advertisement (which made a PostgreSQL page cost
 * ~10 ms of database CPU at 10,000 providers, and an SQLite page filtered by
 * country ~8 ms). Plans, not timings: they do not depend on the machine.
 */
import { strict as assert } from 'node:assert'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import pg from 'pg'
import pino from 'pino'
import { startPostgres } from '../../test/helpers/postgres.js'
import type { AdvertisementFilter } from '../domain/filter.js'
import { listQuery, PostgresAdvertisementStore } from './postgres-store.js'
import { listSql, SqliteAdvertisementStore } from './sqlite-store.js'

const LIMITS = { expiryMs: 300_000, maxProvidersPerAddress: 0, signerRetentionMs: 3_600_000 }
const AFTER = { createdAt: 1_000, providerId: `0x${'1'.padStart(40, '0')}` }

// Every combination of the five filters, unpaged and paged.
const COMBINATIONS: { filter: AdvertisementFilter; paged: boolean }[] = Array.from({ length: 32 }, (_, bits) => ({
  ...(bits & 1 ? { cpu: 4 } : {}),
  ...(bits & 2 ? { memory: 8 } : {}),
  ...(bits & 4 ? { storage: 100 } : {}),
  ...(bits & 8 ? { country: 'SE' } : {}),
  ...(bits & 16 ? { isolated: true } : {}),
})).flatMap((filter) => [
  { filter, paged: false },
  { filter, paged: true },
])

test('SQLite: no page sorts its rows; a country filter walks the country index in listing order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'discovery-plans-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'ads.db')
  await new SqliteAdvertisementStore(file, LIMITS).close()
  const db = new Database(file, { readonly: true })
  t.after(() => db.close())
  for (const { filter, paged } of COMBINATIONS) {
    const params = {
      freshSince: 0,
      limit: 101,
      ...filter,
      ...(filter.isolated === undefined ? {} : { isolated: 1 }),
      ...(paged ? { afterCreatedAt: AFTER.createdAt, afterProviderId: AFTER.providerId } : {}),
    }
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${listSql(filter, paged)}`).all(params) as { detail: string }[]).map((row) => row.detail).join(' | ')
    const label = `${JSON.stringify(filter)}${paged ? ' paged' : ''}`
    assert.doesNotMatch(plan, /TEMP B-TREE/, `${label}: ${plan}`)
    if (filter.country !== undefined) assert.match(plan, /advertisements_country/, `${label}: ${plan}`)
  }
})

test('PostgreSQL: every page can be answered from the listing-order indexes without a sort', async (t) => {
  const cleanups: (() => unknown)[] = []
  t.after(async () => {
    for (const fn of cleanups.reverse()) await fn()
  })
  const server = await startPostgres({ after: (fn) => cleanups.push(fn) })
  const url = await server.createDatabase(`plans_${randomBytes(6).toString('hex')}`)
  await (await PostgresAdvertisementStore.open({ url }, LIMITS, pino({ level: 'silent' }))).close()
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  cleanups.push(() => client.end())
  // With sorting priced out, a plan still has a Sort node only when no index gives the listing order.
  await client.query('SET enable_sort = off')
  for (const { filter, paged } of COMBINATIONS) {
    const query = listQuery(filter, paged ? AFTER : undefined, 0, 101)
    const plan = (await client.query<{ 'QUERY PLAN': string }>({ text: `EXPLAIN ${query.text}`, values: query.values })).rows
      .map((row) => row['QUERY PLAN'])
      .join('\n')
    assert.doesNotMatch(plan, /Sort/, `${JSON.stringify(filter)}${paged ? ' paged' : ''}:\n${plan}`)
  }
})
