/**
 * The advertisement store on SQLite (better-sqlite3): one file, one process,
 * WAL journal, prepared statements, and indexes on the columns the listing
 * filters on, so a filtered page over 10,000 advertisements stays in the
 * millisecond range. The default store; PostgreSQL serves several instances.
 *
 * @module
 */
import Database from 'better-sqlite3'
import { migrateSchema, sourceKey } from '@golem-vm/common'
import type { AdvertisementInput, AdvertisementRecord } from '../domain/advertisement.js'
import { PRICE_KEYS, type AdvertisementFilter } from '../domain/filter.js'
import { orderRefusal } from '../domain/write-order.js'
import {
  pageOf,
  type AdvertisementStore,
  type Cursor,
  type DeleteOutcome,
  type Page,
  type Pruned,
  type StoreLimits,
  type UpsertOutcome,
  type WriteProof,
  type WriteRefusal,
} from '../app/ports/advertisement-store.js'

/** Migration i makes schema version i + 1 (`migrateSchema`, @golem-vm/common). */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
    CREATE TABLE advertisements (
      provider_id    TEXT PRIMARY KEY,
      ip_address     TEXT NOT NULL,
      country        TEXT NOT NULL,
      cpu            INTEGER NOT NULL,
      memory         INTEGER NOT NULL,
      storage        INTEGER NOT NULL,
      resources      TEXT NOT NULL,
      provider_name  TEXT,
      version        TEXT,
      arch           TEXT,
      api_port       INTEGER,
      ssh_ports_free INTEGER,
      signed         INTEGER NOT NULL,
      created_at     INTEGER NOT NULL,
      updated_at     INTEGER NOT NULL CHECK (updated_at >= created_at)
    );
    CREATE INDEX advertisements_updated ON advertisements (updated_at);
    CREATE INDEX advertisements_country ON advertisements (country, updated_at);
    CREATE INDEX advertisements_cpu ON advertisements (cpu);
    CREATE INDEX advertisements_memory ON advertisements (memory);
    CREATE INDEX advertisements_storage ON advertisements (storage);
    CREATE TABLE signed_providers (
      provider_id    TEXT PRIMARY KEY,
      last_signed_at INTEGER NOT NULL,
      last_nonce     TEXT NOT NULL
    );
  `,
  // Signed posts kept for renters, the address key of the per-address limit, and listing order for pages.
  // Advertisements of schema 1 carry no signed post; they are dropped (providers re-post within minutes).
  `
    DELETE FROM advertisements;
    ALTER TABLE advertisements ADD COLUMN address_key TEXT NOT NULL DEFAULT '';
    ALTER TABLE advertisements ADD COLUMN signed_path TEXT;
    ALTER TABLE advertisements ADD COLUMN signed_body TEXT;
    ALTER TABLE advertisements ADD COLUMN signed_at INTEGER;
    ALTER TABLE advertisements ADD COLUMN signed_nonce TEXT;
    ALTER TABLE advertisements ADD COLUMN signature TEXT;
    CREATE INDEX advertisements_address ON advertisements (address_key, updated_at);
    CREATE INDEX advertisements_order ON advertisements (created_at, provider_id);
    CREATE INDEX signed_providers_age ON signed_providers (last_signed_at);
  `,
  // The offer's prices (JSON; NULL for a free provider).
  'ALTER TABLE advertisements ADD COLUMN pricing TEXT;',
  // Whether the provider isolates its VMs (1 or 0; NULL when it did not say).
  'ALTER TABLE advertisements ADD COLUMN isolated INTEGER;',
  // A country filter walks its providers in listing order and stops at the page's end, instead of sorting them all.
  `
    DROP INDEX IF EXISTS advertisements_country;
    CREATE INDEX advertisements_country ON advertisements (country, created_at, provider_id);
  `,
]

// SQLite renders each row as one JSON record: reading one text column per row and JSON.parse is several
// times faster than materialising the columns, which matters for long pages.
const RECORD = `json_object(
  'providerId', provider_id, 'ipAddress', ip_address, 'country', country, 'resources', json(resources),
  'providerName', provider_name, 'version', version, 'arch', arch, 'apiPort', api_port, 'sshPortsFree', ssh_ports_free,
  'pricing', json(pricing),
  'isolated', json(CASE isolated WHEN 1 THEN 'true' WHEN 0 THEN 'false' ELSE 'null' END),
  'signed', json(CASE signed WHEN 1 THEN 'true' ELSE 'false' END),
  'proof', CASE WHEN signature IS NULL THEN json('null') ELSE json_object(
    'path', signed_path, 'body', signed_body, 'timestamp', signed_at, 'nonce', signed_nonce, 'signature', signature) END,
  'createdAt', created_at, 'updatedAt', updated_at)`

const toRecord = (json: string): AdvertisementRecord => JSON.parse(json) as AdvertisementRecord

const UPSERT = `
  INSERT INTO advertisements (provider_id, ip_address, address_key, country, cpu, memory, storage, resources, provider_name, version,
                              arch, api_port, ssh_ports_free, signed, signed_path, signed_body, signed_at, signed_nonce, signature,
                              pricing, isolated, created_at, updated_at)
  VALUES (@providerId, @ipAddress, @addressKey, @country, @cpu, @memory, @storage, @resources, @providerName, @version,
          @arch, @apiPort, @sshPortsFree, @signed, @signedPath, @signedBody, @signedAt, @signedNonce, @signature, @pricing, @isolated, @now, @now)
  ON CONFLICT (provider_id) DO UPDATE SET
    ip_address = excluded.ip_address, address_key = excluded.address_key, country = excluded.country, cpu = excluded.cpu,
    memory = excluded.memory, storage = excluded.storage, resources = excluded.resources, provider_name = excluded.provider_name,
    version = excluded.version, arch = excluded.arch, api_port = excluded.api_port,
    ssh_ports_free = excluded.ssh_ports_free, signed = excluded.signed, signed_path = excluded.signed_path,
    signed_body = excluded.signed_body, signed_at = excluded.signed_at, signed_nonce = excluded.signed_nonce,
    signature = excluded.signature, pricing = excluded.pricing, isolated = excluded.isolated,
    created_at = CASE WHEN advertisements.updated_at >= @freshSince THEN advertisements.created_at ELSE excluded.created_at END,
    updated_at = max(excluded.updated_at,
                     CASE WHEN advertisements.updated_at >= @freshSince THEN advertisements.created_at ELSE excluded.created_at END)
  RETURNING ${RECORD}`

// Builds the page query for the filters present; one prepared statement per combination.
export function listSql(filter: AdvertisementFilter, paged: boolean): string {
  const where = ['updated_at >= @freshSince']
  for (const key of ['cpu', 'memory', 'storage'] as const) if (filter[key] !== undefined) where.push(`${key} >= @${key}`)
  if (filter.country !== undefined) where.push('country = @country')
  if (filter.isolated !== undefined) where.push('isolated = @isolated')
  if (filter.token !== undefined) where.push("(pricing IS NULL OR lower(json_extract(pricing, '$.token')) = @token)")
  // Base units exceed 64 bits: compare the decimal strings (no leading zeros) by length, then as text.
  for (const key of PRICE_KEYS) {
    if (filter.maxPrice?.[key] === undefined) continue
    const v = `json_extract(pricing, '$.${key}')`
    where.push(`(pricing IS NULL OR length(${v}) < length(@max_${key}) OR (length(${v}) = length(@max_${key}) AND ${v} <= @max_${key}))`)
  }
  if (paged) where.push('(created_at, provider_id) > (@afterCreatedAt, @afterProviderId)')
  return `SELECT ${RECORD} FROM advertisements WHERE ${where.join(' AND ')} ORDER BY created_at, provider_id LIMIT @limit`
}

const filterKey = (f: AdvertisementFilter, paged: boolean): string =>
  [f.cpu, f.memory, f.storage, f.country, f.isolated, f.token, ...PRICE_KEYS.map((k) => f.maxPrice?.[k])].map((v) => (v === undefined ? '0' : '1')).join('') +
  (paged ? 'p' : '')

interface LastSignedRow {
  last_signed_at: number
  last_nonce: string
}

/** {@link AdvertisementStore} on an SQLite file (or `:memory:` for tests). */
export class SqliteAdvertisementStore implements AdvertisementStore {
  readonly #db: Database.Database
  readonly #limits: StoreLimits
  readonly #lists = new Map<string, Database.Statement<[Record<string, unknown>], string>>()
  readonly #stmt

  /** Opens (creating if needed) the database at `path`. */
  constructor(path: string, limits: StoreLimits) {
    this.#db = new Database(path)
    this.#db.pragma('journal_mode = WAL')
    this.#db.pragma('synchronous = NORMAL') // advertisements are re-posted every few minutes; losing the last one in a power cut is harmless
    this.#db.pragma('busy_timeout = 5000')
    this.#limits = limits
    migrateSchema(this.#db, SQLITE_MIGRATIONS, 'discovery service')
    this.#stmt = {
      upsert: this.#db.prepare<[Record<string, unknown>], string>(UPSERT).pluck(),
      get: this.#db.prepare<[string, number], string>(`SELECT ${RECORD} FROM advertisements WHERE provider_id = ? AND updated_at >= ?`).pluck(),
      remove: this.#db.prepare<[string]>('DELETE FROM advertisements WHERE provider_id = ?'),
      removeExpired: this.#db.prepare<[number]>('DELETE FROM advertisements WHERE updated_at < ?'),
      removeSigners: this.#db.prepare<[number]>(
        `DELETE FROM signed_providers WHERE last_signed_at < ?
           AND NOT EXISTS (SELECT 1 FROM advertisements a WHERE a.provider_id = signed_providers.provider_id)`,
      ),
      othersAtAddress: this.#db
        .prepare<[string, number, string], number>('SELECT count(*) FROM advertisements WHERE address_key = ? AND updated_at >= ? AND provider_id <> ?')
        .pluck(),
      lastSigned: this.#db.prepare<[string], LastSignedRow>('SELECT last_signed_at, last_nonce FROM signed_providers WHERE provider_id = ?'),
      recordSigned: this.#db.prepare<[string, number, string]>(
        `INSERT INTO signed_providers (provider_id, last_signed_at, last_nonce) VALUES (?, ?, ?)
         ON CONFLICT (provider_id) DO UPDATE SET last_signed_at = excluded.last_signed_at, last_nonce = excluded.last_nonce`,
      ),
      ping: this.#db.prepare('SELECT 1').pluck(),
    }
  }

  // Checks and records the write's proof; returns the refusal, if any. Runs inside the write's transaction.
  #admit(providerId: string, proof: WriteProof): { refusal: WriteRefusal; lastSignedAt: number | null } | null {
    const row = this.#stmt.lastSigned.get(providerId)
    const refusal = orderRefusal(proof, row === undefined ? undefined : { signedAt: row.last_signed_at, nonce: row.last_nonce })
    if (refusal !== null) return { refusal, lastSignedAt: row?.last_signed_at ?? null }
    if (proof.signed) this.#stmt.recordSigned.run(providerId, proof.signedAt, proof.nonce) // never older: orderRefusal checked
    return null
  }

  upsert(input: AdvertisementInput, proof: WriteProof, now: number): Promise<UpsertOutcome> {
    const freshSince = now - this.#limits.expiryMs
    const key = sourceKey(input.ipAddress)
    const write = this.#db.transaction((): UpsertOutcome => {
      const refused = this.#admit(input.providerId, proof)
      if (refused !== null) return { ok: false, ...refused }
      const max = this.#limits.maxProvidersPerAddress
      if (max > 0 && (this.#stmt.othersAtAddress.get(key, freshSince, input.providerId) ?? 0) >= max) {
        throw new AddressFull() // rolls the recorded signing state back
      }
      const row = this.#stmt.upsert.get({
        ...input,
        addressKey: key,
        cpu: input.resources.cpu,
        memory: input.resources.memory,
        storage: input.resources.storage,
        resources: JSON.stringify(input.resources),
        signed: input.signed ? 1 : 0,
        signedPath: input.proof?.path ?? null,
        signedBody: input.proof?.body ?? null,
        signedAt: input.proof?.timestamp ?? null,
        signedNonce: input.proof?.nonce ?? null,
        signature: input.proof?.signature ?? null,
        pricing: input.pricing === null ? null : JSON.stringify(input.pricing),
        isolated: input.isolated === null ? null : Number(input.isolated),
        proof: undefined,
        now,
        freshSince,
      })
      if (row === undefined) throw new Error('the upserted advertisement was not returned')
      return { ok: true, record: toRecord(row) }
    })
    return Promise.resolve()
      .then(() => write.immediate())
      .catch((error: unknown) => {
        if (error instanceof AddressFull) return { ok: false, refusal: 'ADDRESS_FULL', lastSignedAt: null }
        throw error
      })
  }

  get(providerId: string, now: number): Promise<AdvertisementRecord | undefined> {
    return Promise.resolve().then(() => {
      const row = this.#stmt.get.get(providerId, now - this.#limits.expiryMs)
      return row === undefined ? undefined : toRecord(row)
    })
  }

  list(filter: AdvertisementFilter, page: { readonly limit: number; readonly after?: Cursor | undefined }, now: number): Promise<Page> {
    return Promise.resolve().then(() => {
      const paged = page.after !== undefined
      const key = filterKey(filter, paged)
      let statement = this.#lists.get(key)
      if (statement === undefined) {
        statement = this.#db.prepare<[Record<string, unknown>], string>(listSql(filter, paged)).pluck()
        this.#lists.set(key, statement)
      }
      const params: Record<string, unknown> = { freshSince: now - this.#limits.expiryMs, limit: page.limit + 1 }
      const { maxPrice, ...plain } = filter
      for (const [name, value] of Object.entries(plain)) params[name] = typeof value === 'boolean' ? Number(value) : value
      for (const key of PRICE_KEYS) if (maxPrice?.[key] !== undefined) params[`max_${key}`] = maxPrice[key]
      if (page.after !== undefined) {
        params.afterCreatedAt = page.after.createdAt
        params.afterProviderId = page.after.providerId
      }
      const records = statement.all(params).map(toRecord)
      return pageOf(records, page.limit)
    })
  }

  delete(providerId: string, proof: WriteProof): Promise<DeleteOutcome> {
    return Promise.resolve().then(() =>
      this.#db
        .transaction((): DeleteOutcome => {
          const refused = this.#admit(providerId, proof)
          if (refused !== null) return { ok: false, ...refused }
          return { ok: true, deleted: this.#stmt.remove.run(providerId).changes > 0 }
        })
        .immediate(),
    )
  }

  prune(now: number): Promise<Pruned> {
    return Promise.resolve().then(() =>
      this.#db
        .transaction((): Pruned => ({
          advertisements: this.#stmt.removeExpired.run(now - this.#limits.expiryMs).changes,
          signers: this.#stmt.removeSigners.run(now - this.#limits.signerRetentionMs).changes,
        }))
        .immediate(),
    )
  }

  ping(): Promise<void> {
    return Promise.resolve().then(() => {
      this.#stmt.ping.get()
    })
  }

  close(): Promise<void> {
    if (this.#db.open) {
      this.#db.pragma('optimize')
      this.#db.close()
    }
    return Promise.resolve()
  }
}

// Thrown inside a transaction to roll it back when the per-address limit is reached.
class AddressFull extends Error {}
