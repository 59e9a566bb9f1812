/**
 * The advertisement store on PostgreSQL (node-postgres), for any number of
 * stateless discovery instances on one database.
 *
 * - Schema: versioned migrations in `discovery_schema`, applied at start in
 *   one transaction under an advisory lock, so instances starting together
 *   migrate once; a database migrated by a newer release is refused.
 * - Freshness is computed at query time (`updated_at >= now - expiry`); the
 *   sweep that deletes expired rows runs under a try-lock, one instance at a
 *   time.
 * - Replay protection is the signers table: a provider's signed writes are
 *   accepted in strictly increasing (time, nonce) order, checked and
 *   recorded by one conditional upsert that holds the row lock, so it holds
 *   across instances. The per-address limit is counted under a transaction
 *   advisory lock on the address key.
 * - When the database cannot be reached every call rejects at once with
 *   `StoreUnavailableError` (503 upstream) while one probe reconnects with
 *   exponential backoff; nothing crashes, and calls succeed again as soon as
 *   the probe does.
 *
 * @module
 */
import pg from 'pg'
import type { Logger } from 'pino'
import { sourceKey } from '@golem-vm/common'
import type { OfferPricing } from '@golem-vm/protocol'
import type { AdvertisementInput, AdvertisementRecord } from '../domain/advertisement.js'
import { StoreUnavailableError } from '../domain/errors.js'
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

/** Advisory lock keys (one namespace per purpose). */
const MIGRATION_LOCK = 0x60_1e_d1_5c
const SWEEP_LOCK = 0x60_1e_d1_5d
const ADDRESS_LOCK_SEED = 0x60_1e

/** Migration i makes schema version i + 1; each runs once, all pending ones in one transaction. */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `
    CREATE TABLE advertisements (
      provider_id    text COLLATE "C" PRIMARY KEY,
      ip_address     text NOT NULL,
      address_key    text NOT NULL,
      country        text NOT NULL,
      cpu            integer NOT NULL,
      memory         integer NOT NULL,
      storage        integer NOT NULL,
      resources      json NOT NULL,
      provider_name  text,
      version        text,
      arch           text,
      api_port       integer,
      ssh_ports_free integer,
      signed         boolean NOT NULL,
      signed_path    text,
      signed_body    text,
      signed_at      bigint,
      signed_nonce   text,
      signature      text,
      created_at     bigint NOT NULL,
      updated_at     bigint NOT NULL CHECK (updated_at >= created_at)
    );
    CREATE INDEX advertisements_order ON advertisements (created_at, provider_id);
    CREATE INDEX advertisements_updated ON advertisements (updated_at);
    CREATE INDEX advertisements_country ON advertisements (country, created_at, provider_id);
    CREATE INDEX advertisements_cpu ON advertisements (cpu);
    CREATE INDEX advertisements_memory ON advertisements (memory);
    CREATE INDEX advertisements_storage ON advertisements (storage);
    CREATE INDEX advertisements_address ON advertisements (address_key, updated_at);
    CREATE TABLE signers (
      provider_id    text COLLATE "C" PRIMARY KEY,
      last_signed_at bigint NOT NULL,
      last_nonce     text COLLATE "C" NOT NULL
    );
    CREATE INDEX signers_age ON signers (last_signed_at);
  `,
  // The offer's prices (NULL for a free provider).
  'ALTER TABLE advertisements ADD COLUMN pricing json;',
  // Whether the provider isolates its VMs (NULL when it did not say).
  'ALTER TABLE advertisements ADD COLUMN isolated boolean;',
]

// bigint columns are read as float8: node-postgres returns int8 as text, and epoch milliseconds fit a double exactly.
const COLUMNS = `provider_id, ip_address, country, resources, provider_name, version, arch, api_port, ssh_ports_free, pricing, isolated, signed,
  signed_path, signed_body, signed_at::float8 AS signed_at, signed_nonce, signature,
  created_at::float8 AS created_at, updated_at::float8 AS updated_at`

interface Row {
  provider_id: string
  ip_address: string
  country: string
  resources: Record<string, number>
  provider_name: string | null
  version: string | null
  arch: string | null
  api_port: number | null
  ssh_ports_free: number | null
  pricing: OfferPricing | null
  isolated: boolean | null
  signed: boolean
  signed_path: string | null
  signed_body: string | null
  signed_at: number | null
  signed_nonce: string | null
  signature: string | null
  created_at: number
  updated_at: number
}

const toRecord = (r: Row): AdvertisementRecord => ({
  providerId: r.provider_id,
  ipAddress: r.ip_address,
  country: r.country,
  resources: r.resources,
  providerName: r.provider_name,
  version: r.version,
  arch: r.arch,
  apiPort: r.api_port,
  sshPortsFree: r.ssh_ports_free,
  pricing: r.pricing,
  isolated: r.isolated,
  signed: r.signed,
  proof:
    r.signature === null
      ? null
      : { path: r.signed_path ?? '', body: r.signed_body ?? '', timestamp: r.signed_at ?? 0, nonce: r.signed_nonce ?? '', signature: r.signature },
  createdAt: r.created_at,
  updatedAt: r.updated_at,
})

const UPSERT = `
  INSERT INTO advertisements (provider_id, ip_address, address_key, country, cpu, memory, storage, resources, provider_name, version,
                              arch, api_port, ssh_ports_free, signed, signed_path, signed_body, signed_at, signed_nonce, signature,
                              created_at, updated_at, pricing, isolated)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20, $22, $23)
  ON CONFLICT (provider_id) DO UPDATE SET
    ip_address = excluded.ip_address, address_key = excluded.address_key, country = excluded.country, cpu = excluded.cpu,
    memory = excluded.memory, storage = excluded.storage, resources = excluded.resources, provider_name = excluded.provider_name,
    version = excluded.version, arch = excluded.arch, api_port = excluded.api_port, ssh_ports_free = excluded.ssh_ports_free,
    signed = excluded.signed, signed_path = excluded.signed_path, signed_body = excluded.signed_body,
    signed_at = excluded.signed_at, signed_nonce = excluded.signed_nonce, signature = excluded.signature,
    pricing = excluded.pricing, isolated = excluded.isolated,
    created_at = CASE WHEN advertisements.updated_at >= $21 THEN advertisements.created_at ELSE excluded.created_at END,
    updated_at = GREATEST(excluded.updated_at,
                          CASE WHEN advertisements.updated_at >= $21 THEN advertisements.created_at ELSE excluded.created_at END)
  RETURNING ${COLUMNS}`

// Records a signed write if it comes after the provider's newest one; the row lock is held to the end of the transaction.
const ADMIT_SIGNED = `
  INSERT INTO signers (provider_id, last_signed_at, last_nonce) VALUES ($1, $2, $3)
  ON CONFLICT (provider_id) DO UPDATE SET last_signed_at = excluded.last_signed_at, last_nonce = excluded.last_nonce
    WHERE (signers.last_signed_at, signers.last_nonce) < (excluded.last_signed_at, excluded.last_nonce)
  RETURNING 1`

// The page query for the filters present, with numbered parameters after $1 (fresh since) and $2 (limit).
export function listQuery(filter: AdvertisementFilter, after: Cursor | undefined, freshSince: number, limit: number): pg.QueryConfig {
  const values: unknown[] = [freshSince, limit]
  const where = ['updated_at >= $1']
  const add = (sql: (n: number) => string, value: unknown): void => {
    values.push(value)
    where.push(sql(values.length))
  }
  for (const key of ['cpu', 'memory', 'storage'] as const) {
    const value = filter[key]
    if (value !== undefined) add((n) => `${key} >= $${n}`, value)
  }
  if (filter.country !== undefined) add((n) => `country = $${n}`, filter.country)
  if (filter.isolated !== undefined) add((n) => `isolated = $${n}`, filter.isolated)
  if (filter.token !== undefined) add((n) => `(pricing IS NULL OR lower(pricing->>'token') = $${n})`, filter.token)
  // Base units exceed 64 bits: compare the decimal strings (no leading zeros) by length, then as bytes.
  for (const key of PRICE_KEYS) {
    const max = filter.maxPrice?.[key]
    if (max === undefined) continue
    const v = `(pricing->>'${key}')`
    add((n) => `(pricing IS NULL OR length(${v}) < length($${n}::text) OR (length(${v}) = length($${n}::text) AND ${v} COLLATE "C" <= $${n}::text))`, max)
  }
  if (after !== undefined) {
    values.push(after.createdAt, after.providerId)
    where.push(`(created_at, provider_id) > ($${values.length - 1}, $${values.length})`)
  }
  // ORDER BY names the table's columns: COLUMNS aliases created_at to its float8 cast, and ordering by that alias
  // cannot use the (created_at, provider_id) index, which turns every page into a scan and sort of the whole table.
  const text = `SELECT ${COLUMNS} FROM advertisements WHERE ${where.join(' AND ')} ORDER BY advertisements.created_at, advertisements.provider_id LIMIT $2`
  // One named (server-side prepared) statement per filter combination.
  const present = [
    filter.cpu,
    filter.memory,
    filter.storage,
    filter.country,
    filter.isolated,
    filter.token,
    ...PRICE_KEYS.map((k) => filter.maxPrice?.[k]),
    after,
  ]
  const name = `list-${present.map((v) => (v === undefined ? 0 : 1)).join('')}`
  return { name, text, values }
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOENT', 'EAI_AGAIN'])

/** True when `error` means the database cannot be reached (rather than that a statement failed). */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown }
  const code = typeof e.code === 'string' ? e.code : ''
  if (CONNECTION_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true
  const message = typeof e.message === 'string' ? e.message : ''
  return /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Client was closed/i.test(message)
}

/** How the store connects; everything but `url` has a default. */
export interface PostgresOptions {
  /** `postgres://user:password@host:port/database` (or `postgresql://`). */
  readonly url: string
  /** Connections per instance. */
  readonly poolSize?: number
  /** Longest a statement may run on the server. */
  readonly statementTimeoutMs?: number
  /** First and longest delay between reconnection probes. */
  readonly reconnectMs?: { readonly initial: number; readonly max: number }
}

/** The URL with its password hidden, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'postgres://…'
  }
}

/** {@link AdvertisementStore} on PostgreSQL. Create with {@link PostgresAdvertisementStore.open}. */
export class PostgresAdvertisementStore implements AdvertisementStore {
  readonly #pool: pg.Pool
  readonly #limits: StoreLimits
  readonly #logger: Pick<Logger, 'info' | 'warn' | 'error'>
  readonly #reconnect: { readonly initial: number; readonly max: number }
  readonly #where: string
  #down: Error | undefined
  #probe: NodeJS.Timeout | undefined
  #closed = false

  private constructor(options: PostgresOptions, limits: StoreLimits, logger: Pick<Logger, 'info' | 'warn' | 'error'>) {
    this.#limits = limits
    this.#logger = logger
    this.#reconnect = options.reconnectMs ?? { initial: 100, max: 5_000 }
    this.#where = redactUrl(options.url)
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 3_000,
      idleTimeoutMillis: 30_000,
      statement_timeout: options.statementTimeoutMs ?? 5_000,
      query_timeout: (options.statementTimeoutMs ?? 5_000) + 2_000,
      application_name: 'golem-discovery',
    })
    // An idle connection that the server closes (restart, failover) is reported here; the next call reconnects.
    this.#pool.on('error', (error) => {
      this.#markDown(error)
    })
  }

  /**
   * Connects, brings the schema up to date (under the migration lock) and
   * returns the store. Rejects when the database cannot be reached or was
   * migrated by a newer release.
   */
  static async open(options: PostgresOptions, limits: StoreLimits, logger: Pick<Logger, 'info' | 'warn' | 'error'>): Promise<PostgresAdvertisementStore> {
    const store = new PostgresAdvertisementStore(options, limits, logger)
    try {
      const applied = await store.#migrate()
      if (applied.length > 0)
        logger.info({ event: 'schema-migrated', versions: applied }, `database schema migrated to version ${applied[applied.length - 1] ?? 0}`)
      return store
    } catch (error) {
      await store.close()
      throw error
    }
  }

  async #migrate(): Promise<number[]> {
    const client = await this.#pool.connect()
    try {
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
      await client.query('CREATE TABLE IF NOT EXISTS discovery_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())')
      const current = (await client.query<{ v: number }>('SELECT coalesce(max(version), 0) AS v FROM discovery_schema')).rows[0]?.v ?? 0
      const latest = POSTGRES_MIGRATIONS.length
      if (current > latest) {
        throw new Error(
          `the discovery database has schema ${current}, newer than this discovery service understands (${latest}); upgrade the discovery service`,
        )
      }
      const applied: number[] = []
      for (let version = current + 1; version <= latest; version++) {
        await client.query(POSTGRES_MIGRATIONS[version - 1] ?? '')
        await client.query('INSERT INTO discovery_schema (version) VALUES ($1)', [version])
        applied.push(version)
      }
      await client.query('COMMIT')
      return applied
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined)
      throw error
    } finally {
      client.release()
    }
  }

  // Marks the database unreachable and starts the reconnection probe (once).
  #markDown(error: unknown): void {
    if (this.#closed || this.#down !== undefined) return
    this.#down = error instanceof Error ? error : new Error(String(error))
    this.#logger.warn(
      { event: 'database-down', err: this.#down, database: this.#where },
      'the database does not answer; answering 503 and reconnecting with backoff',
    )
    this.#scheduleProbe(this.#reconnect.initial)
  }

  #scheduleProbe(delayMs: number): void {
    if (this.#closed) return
    this.#probe = setTimeout(() => {
      this.#pool.query('SELECT 1').then(
        () => {
          this.#down = undefined
          this.#logger.info({ event: 'database-up', database: this.#where }, 'the database answers again')
        },
        () => {
          this.#scheduleProbe(Math.min(delayMs * 2, this.#reconnect.max))
        },
      )
    }, delayMs)
    this.#probe.unref()
  }

  #unavailable(): StoreUnavailableError {
    return new StoreUnavailableError(`the database at ${this.#where} does not answer (${this.#down?.message ?? 'closed'})`, { cause: this.#down })
  }

  // Runs `work` on a pooled connection, inside a transaction when asked; connection failures become StoreUnavailableError.
  async #run<T>(work: (client: pg.PoolClient) => Promise<T>, transaction = false): Promise<T> {
    if (this.#down !== undefined || this.#closed) throw this.#unavailable()
    let client: pg.PoolClient
    try {
      client = await this.#pool.connect()
    } catch (error) {
      if (!isConnectionError(error)) throw error
      this.#markDown(error)
      throw this.#unavailable()
    }
    let broken: Error | undefined
    try {
      if (!transaction) return await work(client)
      await client.query('BEGIN')
      try {
        const result = await work(client)
        await client.query('COMMIT')
        return result
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined)
        throw error
      }
    } catch (error) {
      if (!isConnectionError(error)) throw error
      broken = error instanceof Error ? error : new Error(String(error))
      this.#markDown(error)
      throw this.#unavailable()
    } finally {
      client.release(broken)
    }
  }

  // Checks and records the write's order; returns the refusal, if any. Inside the write's transaction.
  async #admit(client: pg.PoolClient, providerId: string, proof: WriteProof): Promise<{ refusal: WriteRefusal; lastSignedAt: number | null } | null> {
    if (proof.signed && (await client.query(ADMIT_SIGNED, [providerId, proof.signedAt, proof.nonce])).rowCount === 1) return null
    const last = (
      await client.query<{ last_signed_at: number; last_nonce: string }>(
        'SELECT last_signed_at::float8 AS last_signed_at, last_nonce FROM signers WHERE provider_id = $1 FOR SHARE',
        [providerId],
      )
    ).rows[0]
    const refusal = orderRefusal(proof, last === undefined ? undefined : { signedAt: last.last_signed_at, nonce: last.last_nonce })
    return refusal === null ? null : { refusal, lastSignedAt: last?.last_signed_at ?? null }
  }

  upsert(input: AdvertisementInput, proof: WriteProof, now: number): Promise<UpsertOutcome> {
    const freshSince = now - this.#limits.expiryMs
    const key = sourceKey(input.ipAddress)
    const max = this.#limits.maxProvidersPerAddress
    return this.#run(async (client): Promise<UpsertOutcome> => {
      if (max > 0) await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ADDRESS_LOCK_SEED, key])
      const refused = await this.#admit(client, input.providerId, proof)
      if (refused !== null) return { ok: false, ...refused }
      if (max > 0) {
        const others =
          (
            await client.query<{ n: number }>(
              'SELECT count(*)::integer AS n FROM advertisements WHERE address_key = $1 AND updated_at >= $2 AND provider_id <> $3',
              [key, freshSince, input.providerId],
            )
          ).rows[0]?.n ?? 0
        if (others >= max) throw new AddressFull()
      }
      const row = (
        await client.query<Row>(UPSERT, [
          input.providerId,
          input.ipAddress,
          key,
          input.country,
          input.resources.cpu,
          input.resources.memory,
          input.resources.storage,
          JSON.stringify(input.resources),
          input.providerName,
          input.version,
          input.arch,
          input.apiPort,
          input.sshPortsFree,
          input.signed,
          input.proof?.path ?? null,
          input.proof?.body ?? null,
          input.proof?.timestamp ?? null,
          input.proof?.nonce ?? null,
          input.proof?.signature ?? null,
          now,
          freshSince,
          input.pricing === null ? null : JSON.stringify(input.pricing),
          input.isolated,
        ])
      ).rows[0]
      if (row === undefined) throw new Error('the upserted advertisement was not returned')
      return { ok: true, record: toRecord(row) }
    }, true).catch((error: unknown) => {
      if (error instanceof AddressFull) return { ok: false, refusal: 'ADDRESS_FULL', lastSignedAt: null }
      throw error
    })
  }

  get(providerId: string, now: number): Promise<AdvertisementRecord | undefined> {
    return this.#run(async (client) => {
      const row = (
        await client.query<Row>({
          name: 'get',
          text: `SELECT ${COLUMNS} FROM advertisements WHERE provider_id = $1 AND updated_at >= $2`,
          values: [providerId, now - this.#limits.expiryMs],
        })
      ).rows[0]
      return row === undefined ? undefined : toRecord(row)
    })
  }

  list(filter: AdvertisementFilter, page: { readonly limit: number; readonly after?: Cursor | undefined }, now: number): Promise<Page> {
    return this.#run(async (client) => {
      const rows = (await client.query<Row>(listQuery(filter, page.after, now - this.#limits.expiryMs, page.limit + 1))).rows
      return pageOf(rows.map(toRecord), page.limit)
    })
  }

  delete(providerId: string, proof: WriteProof): Promise<DeleteOutcome> {
    return this.#run(async (client): Promise<DeleteOutcome> => {
      const refused = await this.#admit(client, providerId, proof)
      if (refused !== null) return { ok: false, ...refused }
      const result = await client.query('DELETE FROM advertisements WHERE provider_id = $1', [providerId])
      return { ok: true, deleted: (result.rowCount ?? 0) > 0 }
    }, true)
  }

  prune(now: number): Promise<Pruned> {
    return this.#run(async (client): Promise<Pruned> => {
      const locked = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [SWEEP_LOCK])).rows[0]?.ok === true
      if (!locked) return { advertisements: 0, signers: 0 } // another instance is sweeping
      const advertisements = (await client.query('DELETE FROM advertisements WHERE updated_at < $1', [now - this.#limits.expiryMs])).rowCount ?? 0
      const signers =
        (
          await client.query(
            `DELETE FROM signers s WHERE last_signed_at < $1
           AND NOT EXISTS (SELECT 1 FROM advertisements a WHERE a.provider_id = s.provider_id)`,
            [now - this.#limits.signerRetentionMs],
          )
        ).rowCount ?? 0
      return { advertisements, signers }
    }, true)
  }

  async ping(): Promise<void> {
    await this.#run((client) => client.query('SELECT 1'))
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#probe)
    await this.#pool.end()
  }
}

// Thrown inside the transaction to roll it back when the per-address limit is reached.
class AddressFull extends Error {}
