/**
 * The requestor as a library: the clients and the use cases behind `golem-vm`.
 *
 * @module
 */
export { loadConfig, ConfigError, type RequestorConfig } from './config.js'
export { compose } from './compose.js'
export { RequestorError, EXIT_CODES, ERROR_EXIT_CODES, type RequestorErrorCode } from './domain/errors.js'
export { Rental } from './domain/rental.js'
export { DiscoveryClient } from './infra/discovery-client.js'
export { ProviderClient } from './infra/provider-client.js'
export { createRental } from './app/create-rental.js'
export { destroyVm, listOnProvider, showVm, startVm, stopVm } from './app/rental-actions.js'
