/**
 * The one place that wires the concrete parts together: the SQLite store in
 * the data dir, the service, the nonce cache, the HTTP server and the expiry
 * sweeper. Closing the returned server stops the sweeper and closes the store.
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
import { SqliteAdvertisementStore } from './infra/sqlite-store.js'
import { buildServer } from './http/server.js'

/** File name of the database in the data dir (not the original's `discovery.db`, whose schema differs). */
export const DATABASE_FILE = 'advertisements.db'

/** Builds the ready-to-listen server for `config`; `now` (epoch ms) is injectable for tests. */
export async function compose(config: DiscoveryConfig, logger: Logger, version: string, now: () => number = Date.now): Promise<FastifyInstance> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 })
  const store = new SqliteAdvertisementStore(join(config.dataDir, DATABASE_FILE), config.expirySeconds * 1000)
  try {
    const maxSkewMs = config.maxClockSkewSeconds * 1000
    const app = await buildServer({
      service: new AdvertisementService(store, now),
      auth: { allowUnsigned: config.allowUnsigned, maxSkewMs, nonces: new NonceCache(2 * maxSkewMs), now },
      logger,
      rateLimitPerMinute: config.rateLimitPerMinute,
      trustProxy: config.trustProxy,
      version,
    })
    const stopSweeper = startExpirySweeper(store, config.cleanupIntervalSeconds * 1000, logger, now)
    app.addHook('onClose', (_instance, done) => {
      stopSweeper()
      store.close()
      done()
    })
    return app
  } catch (error) {
    store.close()
    throw error
  }
}
