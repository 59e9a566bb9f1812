/**
 * Schema versions of an SQLite database (better-sqlite3), kept in its
 * `user_version`: each migration runs once, in its own transaction, and a
 * database written by a newer program is refused rather than misread.
 *
 * @module
 */

/** What migrating needs of a better-sqlite3 `Database`. */
export interface MigratableDatabase {
  pragma(source: string, options?: { simple?: boolean }): unknown
  exec(source: string): unknown
  transaction(run: () => void): () => void
}

/**
 * Brings the database to schema `migrations.length`: migration `i` (SQL) makes
 * version `i + 1`. `owner` names the program in the error, e.g. "provider".
 */
export function migrateSchema(db: MigratableDatabase, migrations: readonly string[], owner: string): void {
  const current = Number(db.pragma('user_version', { simple: true }))
  const latest = migrations.length
  if (current > latest) {
    throw new Error(`the ${owner} database has schema ${current}, newer than this ${owner} understands (${latest}); upgrade the ${owner}`)
  }
  for (let version = current + 1; version <= latest; version++) {
    db.transaction(() => {
      db.exec(migrations[version - 1] ?? '')
      db.pragma(`user_version = ${version}`)
    })()
  }
}
