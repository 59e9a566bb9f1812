/**
 * The nonces of accepted signed requests, kept for the freshness window in
 * the provider's database as well as in memory, so that a request captured
 * before a restart cannot be replayed after it.
 *
 * Lookups are served from memory ({@link NonceCache}, loaded from the table
 * at start); each accepted nonce is also inserted, and rows older than the
 * window are pruned. The insert commits without waiting for the disk
 * (`synchronous = NORMAL` for that statement only): the row survives the
 * provider's crash or restart, which is what a replay needs; only a power
 * loss can lose it, and a host's reboot outlasts the window.
 *
 * @module
 */
import type Database from 'better-sqlite3'
import { DEFAULT_MAX_SKEW_MS, NonceCache, type NonceRegistry } from '@golem-vm/protocol'

/** How long a nonce is kept: a timestamp may be that far off either way. */
export const NONCE_WINDOW_MS = 2 * DEFAULT_MAX_SKEW_MS
/** Most nonces kept at once; more are refused (the in-memory cache's bound). */
export const MAX_NONCES = 200_000

/** The migration that creates the table (part of the VM store's schema). */
export const NONCES_MIGRATION = `
  CREATE TABLE request_nonces (
    key     TEXT PRIMARY KEY,
    seen_at INTEGER NOT NULL
  );
  CREATE INDEX request_nonces_seen_at ON request_nonces (seen_at);
`

// Pruning the table runs at most this often; the memory cache prunes itself on every use.
const PRUNE_EVERY_MS = 10_000

export class SqliteNonceRegistry implements NonceRegistry {
  readonly #db: Database.Database
  readonly #cache = new NonceCache(NONCE_WINDOW_MS, MAX_NONCES)
  readonly #insert
  readonly #prune
  #prunedAt = 0

  readonly #onPersistFailure: (error: unknown) => void

  /**
   * Loads the nonces of the window ending `now` from `db` (whose schema has {@link NONCES_MIGRATION}).
   * A nonce that cannot be written (a full disk) is kept in memory only, and `onPersistFailure` hears why:
   * refusing the request instead would also refuse the deletes that free the disk.
   */
  constructor(db: Database.Database, now: number = Date.now(), onPersistFailure: (error: unknown) => void = () => undefined) {
    this.#db = db
    this.#onPersistFailure = onPersistFailure
    this.#insert = db.prepare<[string, number]>('INSERT OR IGNORE INTO request_nonces (key, seen_at) VALUES (?, ?)')
    this.#prune = db.prepare<[number]>('DELETE FROM request_nonces WHERE seen_at < ?')
    this.#pruneTable(now)
    const rows = db.prepare<[], { key: string; seen_at: number }>('SELECT key, seen_at FROM request_nonces ORDER BY seen_at').all()
    for (const row of rows) this.#cache.remember(row.key, row.seen_at)
  }

  remember(key: string, now: number): boolean {
    if (!this.#cache.remember(key, now)) return false
    this.#db.pragma('synchronous = NORMAL')
    try {
      if (now - this.#prunedAt >= PRUNE_EVERY_MS) this.#pruneTable(now)
      this.#insert.run(key, now)
    } catch (error) {
      this.#onPersistFailure(error)
    } finally {
      this.#db.pragma('synchronous = FULL')
    }
    return true
  }

  has(key: string, now: number): boolean {
    return this.#cache.has(key, now)
  }

  #pruneTable(now: number): void {
    this.#prune.run(now - NONCE_WINDOW_MS)
    this.#prunedAt = now
  }
}
