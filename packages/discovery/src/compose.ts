/**
 * The one place that wires the concrete parts together: the store (the
 * embedded SQLite file in the data dir, or PostgreSQL when a database URL is
 * set), the service, the nonce cache, the HTTP server and the expiry sweeper.
 * Closing the returned server stops the sweeper and closes the store.
 *
 * @module
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { NonceCache } from '@golem-vm/protocol'
import { AdvertisementService } from './app/advertisement-service.js'
import { startExpirySweeper } from './app/expiry-sweeper.js'
import type { DiscoveryConfig } from './config.js'
import type { AdvertisementStore, StoreLimits } from './app/ports/advertisement-store.js'
import { PostgresAdvertisementStore } from './infra/postgres-store.js'
import { SqliteAdvertisementStore } from './infra/sqlite-store.js'
import { buildServer } from './http/server.js'

/** File name of the database in the data dir (not the original's `discovery.db`, whose schema differs). */
export const DATABASE_FILE = 'advertisements.db'

/** The store limits of `config`, in milliseconds. */
export const storeLimits = (config: DiscoveryConfig): StoreLimits => ({
  expiryMs: config.expirySeconds * 1000,
  maxProvidersPerAddress: config.maxProvidersPerAddress,
  signerRetentionMs: config.signerRetentionSeconds * 1000,
})

/** Opens the configured store: PostgreSQL (migrated) when a database URL is set, else the SQLite file in the data dir. */
export async function openStore(config: DiscoveryConfig, logger: Logger): Promise<AdvertisementStore> {
  const limits = storeLimits(config)
  if (config.databaseUrl !== undefined) {
    return PostgresAdvertisementStore.open({ url: config.databaseUrl, poolSize: config.databasePoolSize }, limits, logger)
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  return new SqliteAdvertisementStore(join(config.dataDir, DATABASE_FILE), limits)
}

/** Builds the ready-to-listen server for `config`; `now` (epoch ms) is injectable for tests. */
export async function compose(config: DiscoveryConfig, logger: Logger, version: string, now: () => number = Date.now): Promise<FastifyInstance> {
  const store = await openStore(config, logger)
  try {
    const maxSkewMs = config.maxClockSkewSeconds * 1000
    const service = new AdvertisementService(
      store,
      {
        address: { check: config.addressCheck, allowPrivate: config.allowPrivateAddresses },
        maxProvidersPerAddress: config.maxProvidersPerAddress,
      },
      now,
    )
    const app = await buildServer({
      service,
      auth: { allowUnsigned: config.allowUnsigned, maxSkewMs, nonces: new NonceCache(2 * maxSkewMs), now },
      logger,
      rateLimitPerMinute: config.rateLimitPerMinute,
      trustProxy: config.trustProxy,
      version,
      connections: { requestTimeoutMs: config.requestTimeoutSeconds * 1000, maxPerAddress: config.maxConnectionsPerAddress },
    })
    const stopSweeper = startExpirySweeper(store, config.cleanupIntervalSeconds * 1000, logger, now)
    app.addHook('onClose', async () => {
      await stopSweeper()
      await store.close()
    })
    return app
  } catch (error) {
    await store.close()
    throw error
  }
}
