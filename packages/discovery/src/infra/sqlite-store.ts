/**
 * The advertisement store on SQLite (better-sqlite3): one file, WAL journal,
 * prepared statements, and indexes on the columns the listing filters on, so
 * a filtered query over 10,000 advertisements stays in the millisecond range.
 *
 * @module
 */
import Database from 'better-sqlite3'
import { migrateSchema } from '@golem-vm/common'
import type { AdvertisementInput, AdvertisementRecord } from '../domain/advertisement.js'
import type { AdvertisementFilter } from '../domain/filter.js'
import type { AdvertisementStore, DeleteOutcome, UpsertOutcome, WriteProof, WriteRefusal } from '../app/ports/advertisement-store.js'

/** Migration i makes schema version i + 1 (`migrateSchema`, @golem-vm/common). */
const MIGRATIONS: readonly string[] = [
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
]

// SQLite renders each row as one JSON record: reading one text column per row and JSON.parse is several
// times faster than materialising twelve columns, which matters when a listing returns thousands of rows.
const RECORD = `json_object(
  'providerId', provider_id, 'ipAddress', ip_address, 'country', country, 'resources', json(resources),
  'providerName', provider_name, 'version', version, 'arch', arch, 'apiPort', api_port, 'sshPortsFree', ssh_ports_free,
  'signed', json(CASE signed WHEN 1 THEN 'true' ELSE 'false' END), 'createdAt', created_at, 'updatedAt', updated_at)`

const toRecord = (json: string): AdvertisementRecord => JSON.parse(json) as AdvertisementRecord

const UPSERT = `
  INSERT INTO advertisements (provider_id, ip_address, country, cpu, memory, storage, resources, provider_name, version, arch,
                              api_port, ssh_ports_free, signed, created_at, updated_at)
  VALUES (@providerId, @ipAddress, @country, @cpu, @memory, @storage, @resources, @providerName, @version, @arch,
          @apiPort, @sshPortsFree, @signed, @now, @now)
  ON CONFLICT (provider_id) DO UPDATE SET
    ip_address = excluded.ip_address, country = excluded.country, cpu = excluded.cpu, memory = excluded.memory,
    storage = excluded.storage, resources = excluded.resources, provider_name = excluded.provider_name,
    version = excluded.version, arch = excluded.arch, api_port = excluded.api_port,
    ssh_ports_free = excluded.ssh_ports_free, signed = excluded.signed,
    created_at = CASE WHEN advertisements.updated_at >= @freshSince THEN advertisements.created_at ELSE excluded.created_at END,
    updated_at = max(excluded.updated_at,
                     CASE WHEN advertisements.updated_at >= @freshSince THEN advertisements.created_at ELSE excluded.created_at END)
  RETURNING ${RECORD}`

// Builds the listing query for the filters present; one prepared statement per combination.
function listSql(filter: AdvertisementFilter): string {
  const where = ['updated_at >= @freshSince']
  for (const key of ['cpu', 'memory', 'storage'] as const) if (filter[key] !== undefined) where.push(`${key} >= @${key}`)
  if (filter.country !== undefined) where.push('country = @country')
  return `SELECT ${RECORD} FROM advertisements WHERE ${where.join(' AND ')} ORDER BY created_at, provider_id`
}

const filterKey = (f: AdvertisementFilter): string =>
  [f.cpu, f.memory, f.storage, f.country].map((v) => (v === undefined ? '0' : '1')).join('')

interface LastSigned {
  last_signed_at: number
  last_nonce: string
}

// Why a write must be refused, given the newest signed write accepted for the provider.
function refusalFor(proof: WriteProof, last: LastSigned | undefined): WriteRefusal | null {
  if (last === undefined) return null
  if (!proof.signed) return 'SIGNED_ONLY'
  if (proof.signedAt < last.last_signed_at) return 'OUTDATED'
  return proof.signedAt === last.last_signed_at && proof.nonce === last.last_nonce ? 'REPLAYED' : null
}

/** {@link AdvertisementStore} on an SQLite file (or `:memory:` for tests). */
export class SqliteAdvertisementStore implements AdvertisementStore {
  readonly #db: Database.Database
  readonly #expiryMs: number
  readonly #lists = new Map<string, Database.Statement<[Record<string, unknown>], string>>()
  readonly #stmt

  /** Opens (creating if needed) the database at `path`; advertisements are fresh for `expiryMs` after their last post. */
  constructor(path: string, expiryMs: number) {
    this.#db = new Database(path)
    this.#db.pragma('journal_mode = WAL')
    this.#db.pragma('synchronous = NORMAL') // advertisements are re-posted every few minutes; losing the last one in a power cut is harmless
    this.#db.pragma('busy_timeout = 5000')
    this.#expiryMs = expiryMs
    migrateSchema(this.#db, MIGRATIONS, 'discovery service')
    this.#stmt = {
      upsert: this.#db.prepare<[Record<string, unknown>], string>(UPSERT).pluck(),
      get: this.#db.prepare<[string, number], string>(`SELECT ${RECORD} FROM advertisements WHERE provider_id = ? AND updated_at >= ?`).pluck(),
      remove: this.#db.prepare<[string]>('DELETE FROM advertisements WHERE provider_id = ?'),
      removeExpired: this.#db.prepare<[number]>('DELETE FROM advertisements WHERE updated_at < ?'),
      lastSigned: this.#db.prepare<[string], LastSigned>('SELECT last_signed_at, last_nonce FROM signed_providers WHERE provider_id = ?'),
      recordSigned: this.#db.prepare<[string, number, string]>(
        `INSERT INTO signed_providers (provider_id, last_signed_at, last_nonce) VALUES (?, ?, ?)
         ON CONFLICT (provider_id) DO UPDATE SET last_signed_at = excluded.last_signed_at, last_nonce = excluded.last_nonce`,
      ),
    }
  }

  // Checks and records the write's proof; returns the refusal, if any. Runs inside the write's transaction.
  #admit(providerId: string, proof: WriteProof): { refusal: WriteRefusal; lastSignedAt: number | null } | null {
    const last = this.#stmt.lastSigned.get(providerId)
    const refusal = refusalFor(proof, last)
    if (refusal !== null) return { refusal, lastSignedAt: last?.last_signed_at ?? null }
    if (proof.signed) this.#stmt.recordSigned.run(providerId, proof.signedAt, proof.nonce) // never older: refusalFor checked
    return null
  }

  upsert(input: AdvertisementInput, proof: WriteProof, now: number): UpsertOutcome {
    return this.#db.transaction((): UpsertOutcome => {
      const refused = this.#admit(input.providerId, proof)
      if (refused !== null) return { ok: false, ...refused }
      const row = this.#stmt.upsert.get({
        ...input,
        cpu: input.resources.cpu,
        memory: input.resources.memory,
        storage: input.resources.storage,
        resources: JSON.stringify(input.resources),
        signed: input.signed ? 1 : 0,
        now,
        freshSince: now - this.#expiryMs,
      })
      if (row === undefined) throw new Error('the upserted advertisement was not returned')
      return { ok: true, record: toRecord(row) }
    }).immediate()
  }

  get(providerId: string, now: number): AdvertisementRecord | undefined {
    const row = this.#stmt.get.get(providerId, now - this.#expiryMs)
    return row === undefined ? undefined : toRecord(row)
  }

  list(filter: AdvertisementFilter, now: number): AdvertisementRecord[] {
    const key = filterKey(filter)
    let statement = this.#lists.get(key)
    if (statement === undefined) {
      statement = this.#db.prepare<[Record<string, unknown>], string>(listSql(filter)).pluck()
      this.#lists.set(key, statement)
    }
    const params: Record<string, unknown> = { freshSince: now - this.#expiryMs }
    for (const [name, value] of Object.entries(filter)) if (value !== undefined) params[name] = value
    return statement.all(params).map(toRecord)
  }

  delete(providerId: string, proof: WriteProof): DeleteOutcome {
    return this.#db.transaction((): DeleteOutcome => {
      const refused = this.#admit(providerId, proof)
      if (refused !== null) return { ok: false, ...refused }
      return { ok: true, deleted: this.#stmt.remove.run(providerId).changes > 0 }
    }).immediate()
  }

  deleteExpired(now: number): number {
    return this.#stmt.removeExpired.run(now - this.#expiryMs).changes
  }

  close(): void {
    if (!this.#db.open) return
    this.#db.pragma('optimize')
    this.#db.close()
  }
}
