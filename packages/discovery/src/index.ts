/**
 * The discovery service as a library: for embedding it (tests, benchmarks,
 * a combined dev network) without the `golem-discovery` process entry.
 *
 * @module
 */
export { AdvertisementService, type Poster } from './app/advertisement-service.js'
export { startExpirySweeper } from './app/expiry-sweeper.js'
export { compose, DATABASE_FILE, openStore, storeLimits } from './compose.js'
export { ConfigError, loadConfig, SETTING_NAMES, type DiscoveryConfig } from './config.js'
export {
  toAdvertisementInput,
  toWire,
  normaliseProviderId,
  type AdvertisementInput,
  type AdvertisementRecord,
  type SignedPost,
} from './domain/advertisement.js'
export { DiscoveryError, ERROR_CODES, StoreUnavailableError, type ErrorCode } from './domain/errors.js'
export type { AdvertisementFilter } from './domain/filter.js'
export type { AdvertisementStore, Cursor, DeleteOutcome, Page, Pruned, StoreLimits, UpsertOutcome, WriteProof } from './app/ports/advertisement-store.js'
export { SqliteAdvertisementStore, SQLITE_MIGRATIONS } from './infra/sqlite-store.js'
export { PostgresAdvertisementStore, POSTGRES_MIGRATIONS, type PostgresOptions } from './infra/postgres-store.js'
export { buildServer, type ServerDeps } from './http/server.js'
export { STATUS_OF } from './http/error-handler.js'
