/**
 * The same store contract against the embedded SQLite store and a real
 * PostgreSQL server (started by the test, see helpers/postgres.ts).
 */
import { randomBytes } from 'node:crypto'
import { before, after } from 'node:test'
import pino from 'pino'
import { PostgresAdvertisementStore, SqliteAdvertisementStore } from '@golem-vm/discovery'
import { startPostgres, type PostgresServer } from './helpers/postgres.js'
import { storeContract } from './helpers/store-contract.js'

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
