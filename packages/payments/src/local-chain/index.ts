/**
 * The local test chain: a Hardhat node, the deployment of the test token and
 * the contract, and the faucet. For tests and the local network only.
 *
 * @module
 */
export * from './hardhat-node.js'
export * from './deploy.js'
