/**
 * The port checker as a library, for tests and embedding: build the server,
 * load settings, or probe ports directly.
 *
 * @module
 */
export { buildServer, bodyLimitFor, type PortCheckServer, type ServerDeps } from './server.js'
export { composeServer, systemLookup } from './compose.js'
export { ConfigError, loadConfig, unknownSettings, worstCaseProbeMs, type Config, type TrustProxy } from './config.js'
export { checkPorts, probePort, type CheckOptions, type Connect, type ConnectOutcome, type PortOutcome } from './checker.js'
export { tcpConnect } from './tcp-connect.js'
export { FairSemaphore, type Release } from './fair-semaphore.js'
export { PortCheckError } from './errors.js'
export { ERROR_STATUS } from './error-handler.js'
export { createLogger } from './logger.js'
