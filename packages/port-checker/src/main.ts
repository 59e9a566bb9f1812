/**
 * Process entry of `golem-port-checker`: load the settings, build the server,
 * listen, and stop cleanly on SIGINT/SIGTERM.
 *
 * Once listening it logs one record with `"event":"listening"` and the bound
 * `host`, `port` and `url`; with `PORT_CHECKER_PORT=0` that record is how a
 * parent process learns the port the system chose.
 *
 * Exit codes: 0 after a clean stop, 1 when listening fails or stopping takes
 * too long, 2 for a bad configuration (one message on stderr listing every problem).
 *
 * @module
 */
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { composeServer } from './compose.js'
import { loadConfig, unknownSettings, type Config } from './config.js'
import { createLogger } from './logger.js'
import type { PortCheckServer } from './server.js'
import { listeningUrl, loadConfigOrExit, stopOnSignals } from '@golem-vm/common'

async function listen(app: PortCheckServer, config: Config, logger: Logger): Promise<void> {
  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (error) {
    logger.fatal({ err: error, host: config.host, port: config.port }, `cannot listen on ${config.host}:${config.port}`)
    process.exit(1)
  }
  const address = app.server.address() as AddressInfo
  const url = listeningUrl(address)
  logger.info({ event: 'listening', host: address.address, port: address.port, url }, `port checker listening on ${url}`)
}

const config = loadConfigOrExit('golem-port-checker', () => loadConfig(process.env))
const logger = createLogger({ debug: config.debug, pretty: process.stdout.isTTY })
for (const name of unknownSettings(process.env)) logger.warn({ setting: name }, `${name} is not a port checker setting; ignored (typo?)`)
logger.info({ event: 'config', config }, 'configuration loaded')
const app = composeServer(config, logger)
// Lets in-flight checks finish (each ends within the request deadline), then exits.
stopOnSignals({ logger, stop: () => app.close(), timeoutMs: config.requestDeadlineMs + 5_000 })
await listen(app, config, logger)
