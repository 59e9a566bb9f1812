/**
 * The chain client: loads ethers, so import it only where payments are used.
 *
 * @module
 */
export * from './chain-error.js'
export * from './rpc.js'
export * from './stream-payments-client.js'
