/**
 * Process entry of `golem-discovery`: loads the settings, composes the
 * service, listens, and shuts down cleanly on SIGINT/SIGTERM.
 *
 * Once listening it logs one line with `"event":"listening"` and the bound
 * `address` (`http://host:port`), `host` and `port`; with
 * `GOLEM_DISCOVERY_PORT=0` that line is how a caller learns the port.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { join } from 'node:path'
import { compose, DATABASE_FILE } from './compose.js'
import { redactUrl } from './infra/postgres-store.js'
import { loadConfig, type DiscoveryConfig } from './config.js'
import { createServiceLogger } from '@golem-vm/common/logger'
import { listeningUrl, loadConfigOrExit, stopOnSignals } from '@golem-vm/common'

const SHUTDOWN_TIMEOUT_MS = 10_000

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version

// Where the advertisements are kept, for the log (a database password is hidden).
const storeName = (config: DiscoveryConfig): string =>
  config.databaseUrl === undefined ? `sqlite:${join(config.dataDir, DATABASE_FILE)}` : redactUrl(config.databaseUrl)

async function main(): Promise<void> {
  const { config, warnings } = loadConfigOrExit('golem-discovery', () => loadConfig(process.env))
  const logger = createServiceLogger('golem-discovery', config.logLevel, config.logFormat, process.stdout.isTTY)
  for (const warning of warnings) logger.warn(warning)
  if (config.environment === 'development')
    logger.warn('GOLEM_DISCOVERY_ENVIRONMENT=development: advertised addresses need not be public, and providers per address are not limited unless set')
  else if (config.allowPrivateAddresses)
    logger.warn('GOLEM_DISCOVERY_ALLOW_PRIVATE_ADDRESSES is on: loopback, private and link-local addresses are accepted in advertisements')
  if (config.addressCheck === 'off')
    logger.warn('GOLEM_DISCOVERY_ADDRESS_CHECK=off: an advertisement may claim any address, so one machine can flood the listing')
  if (config.allowUnsigned) logger.warn('GOLEM_DISCOVERY_ALLOW_UNSIGNED is on: unsigned advertisements are accepted (flagged signed: false)')
  let app: FastifyInstance | undefined
  try {
    app = await compose(config, logger, version)
    await app.listen({ host: config.host, port: config.port })
  } catch (error) {
    logger.fatal({ err: error }, 'the discovery service could not start')
    process.exitCode = 1
    await app?.close()
    return
  }
  const server = app
  // Closes the server on the first signal (bounded in time); a second signal exits at once.
  stopOnSignals({ logger, stop: () => server.close(), timeoutMs: SHUTDOWN_TIMEOUT_MS })
  const address = app.server.address() as AddressInfo
  logger.info(
    {
      event: 'listening',
      address: listeningUrl(address),
      host: address.address,
      port: address.port,
      version,
      dataDir: config.dataDir,
      environment: config.environment,
      store: storeName(config),
    },
    `discovery service listening on ${listeningUrl(address)}`,
  )
}

await main()
